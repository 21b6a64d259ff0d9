/**
 * A typed event emitter: the event map names each event and its arguments, so a listener
 * with the wrong signature is a compile error. Listeners are isolated from each other and
 * from the emitter: a throwing UI listener cannot break signaling (the error goes to
 * `onListenerError`, console.error by default).
 */
export type EventMap = Record<string, readonly unknown[]>;
export type Listener<A extends readonly unknown[]> = (...args: A) => void;

export class TypedEmitter<M extends EventMap> {
  readonly #listeners = new Map<keyof M, Set<Listener<never>>>();
  onListenerError: (error: unknown, event: keyof M) => void = (error, event) => {
    console.error(`listener for "${String(event)}" threw`, error);
  };

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof M>(event: K, listener: Listener<M[K]>): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => this.off(event, listener);
  }

  once<K extends keyof M>(event: K, listener: Listener<M[K]>): () => void {
    const off = this.on(event, (...args) => {
      off();
      listener(...args);
    });
    return off;
  }

  /** Resolves with the arguments of the next `event` that satisfies `predicate`. */
  next<K extends keyof M>(event: K, predicate: (...args: M[K]) => boolean = () => true): Promise<M[K]> {
    return new Promise((resolve) => {
      const off = this.on(event, (...args) => {
        if (!predicate(...args)) return;
        off();
        resolve(args);
      });
    });
  }

  off<K extends keyof M>(event: K, listener: Listener<M[K]>): void {
    this.#listeners.get(event)?.delete(listener as Listener<never>);
  }

  protected emit<K extends keyof M>(event: K, ...args: M[K]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<M[K]>)(...args);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
  }
}

// Rendering off the signaling path: a call's events (state, ICE, JMI messages) come in
// bursts, several per stanza, and a view rebuilt synchronously on each of them delays the very
// stanza that caused it (session-accept waited for the re-render of "active"). A view asks for a
// render; the render runs once, after the burst.

/** A hidden tab gets no animation frames (HTML §8.1.7.3): it renders on a timer instead, later. */
const HIDDEN_FALLBACK_MS = 100;

/**
 * Runs `render` once for any number of `request()`s: at the next animation frame, or after a
 * short timer when no frame comes (hidden tab, or a page that does not paint). Always
 * asynchronous, so the caller's task (sending a stanza) finishes first.
 */
export class CoalescedRender {
  readonly #render: () => void;
  #frame = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(render: () => void) {
    this.#render = render;
  }

  get pending(): boolean {
    return this.#timer !== undefined;
  }

  request(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => this.flush(), HIDDEN_FALLBACK_MS);
    if (typeof requestAnimationFrame === "function" && document.visibilityState === "visible") this.#frame = requestAnimationFrame(() => this.flush());
  }

  /** Renders now if a render is pending (e.g. before reading the DOM it would change). */
  flush(): void {
    if (this.#timer === undefined) return;
    this.cancel();
    this.#render();
  }

  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#frame) cancelAnimationFrame(this.#frame);
    this.#frame = 0;
  }
}

import { client, type Client } from "@xmpp/client";
import type { Element } from "@xmpp/xml";
import { xml } from "@xmpp/xml";
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from "./backoff.js";
import { TypedEmitter } from "./emitter.js";
import { AuthenticationError, StanzaError, toTypedError } from "./errors.js";
import { randomId } from "./ids.js";
import { NS_BIND, NS_PING } from "../namespaces.js";

/** What the user sees of the connection. */
export type ConnectionState = "offline" | "connecting" | "online" | "reconnecting";

export interface ConnectionEvents {
  [event: string]: readonly unknown[];
  state: [state: ConnectionState];
  /** Session ready. `resumed`: XEP-0198 resumed the old session, so roster, presence and
   * subscriptions survived and nothing needs to be re-sent. */
  online: [info: { jid: string; resumed: boolean }];
  /** Every incoming message and presence (iqs go to handleIq handlers). */
  stanza: [stanza: Element];
  /** A reconnection attempt failed; another is scheduled in `retryInMs`. */
  retry: [info: { attempt: number; retryInMs: number; error: Error }];
  /** Authentication was refused during a reconnection: the client gave up. */
  fatal: [error: Error];
}

export interface ConnectionOptions {
  /** WebSocket URL (RFC 7395), e.g. wss://example.org/ws. */
  service: string;
  /** Bare JID `user@domain`. */
  jid: string;
  password: string;
  resource?: string;
  backoff?: BackoffOptions;
  /** How long one reconnection attempt may take to bring the session back, ms. */
  attemptTimeoutMs?: number;
}

export type IqHandler = (request: { from: string; to: string; id: string; element: Element; stanza: Element }) =>
  | Element
  | undefined
  | Promise<Element | undefined>;

export function splitJid(address: string): { local: string; domain: string; resource: string } {
  const slash = address.indexOf("/");
  const bare = slash === -1 ? address : address.slice(0, slash);
  const resource = slash === -1 ? "" : address.slice(slash + 1);
  const at = bare.indexOf("@");
  return { local: at === -1 ? "" : bare.slice(0, at), domain: at === -1 ? bare : bare.slice(at + 1), resource };
}

export function bareJid(address: string): string {
  const slash = address.indexOf("/");
  return slash === -1 ? address : address.slice(0, slash);
}

/**
 * One XMPP session over WebSocket. Composes @xmpp/client (SASL, bind, XEP-0198 stream
 * management, iq caller/callee) and replaces its fixed 1 s reconnect with backoff + jitter.
 * After a drop it first tries XEP-0198 resumption (done by @xmpp/stream-management when
 * the server enabled it) and falls back to a fresh session; `online` says which happened.
 */
export class XmppConnection extends TypedEmitter<ConnectionEvents> {
  readonly service: string;
  readonly #xmpp: Client;
  readonly #backoff: BackoffOptions;
  #state: ConnectionState = "offline";
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #stopping = false;
  #everOnline = false;
  /** A reconnection attempt is under way; its failure schedules the next one. */
  #retrying = false;
  /** The next attempt is scheduled (a disconnect meanwhile must not schedule another). */
  #retryPending = false;
  /** Ends an attempt that neither succeeds nor fails (a socket that never settles). */
  #attemptTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #attemptTimeoutMs: number;
  /** The resource to ask for at the next bind: the one the server gave us the first time. */
  #resource: string | undefined;
  /** Our iq requests still waiting for their answer, by id. */
  readonly #pending = new Map<string, Element>();
  /** Stanzas XEP-0198 reported as not acked when resumption failed, in the order sent. */
  #unacked: Element[] = [];
  /** Sends waiting for the connection to be back. */
  #waiting: { resolve: () => void; reject: (error: Error) => void }[] = [];
  /** A liveness check under way (checkAlive). */
  #alive: Promise<boolean> | undefined;

  private constructor(options: ConnectionOptions) {
    super();
    const { local, domain } = splitJid(options.jid);
    if (!local || !domain) throw new TypeError(`not a JID of the form user@domain: ${options.jid}`);
    this.service = options.service;
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.#attemptTimeoutMs = options.attemptTimeoutMs ?? 15_000;
    this.#xmpp = client({
      service: options.service,
      domain,
      username: local,
      password: options.password,
    });
    this.#resource = options.resource;
    this.#askForOurResource();
    this.#repliesWithoutEcho();
    this.#xmpp.reconnect.stop();
    this.#xmpp.on("error", () => {
      // Errors are reported through start() or the retry event; nothing else to do.
    });
    this.#xmpp.on("disconnect", () => this.#onDisconnect());
    this.#xmpp.on("online", () => this.#onOnline(false));
    this.#xmpp.streamManagement.on("resumed", () => this.#onOnline(true));
    // Resumption failed: these stanzas may never have reached the server (XEP-0198 §5).
    this.#xmpp.streamManagement.on("fail", (stanza) => this.#unacked.push(stanza as Element));
    this.#xmpp.on("stanza", (stanza: Element) => {
      if (stanza.name !== "iq") this.emit("stanza", stanza);
    });
  }

  /** Connects and authenticates; rejects with AuthenticationError or ConnectionError. */
  static async connect(options: ConnectionOptions): Promise<XmppConnection> {
    const connection = new XmppConnection(options);
    connection.#setState("connecting");
    try {
      await connection.#xmpp.start();
    } catch (error) {
      connection.#stopping = true;
      await connection.#xmpp.stop().catch(() => undefined);
      connection.#setState("offline");
      throw toTypedError(error, options.service);
    }
    return connection;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** Our full JID (user@domain/resource). */
  get jid(): string {
    return this.#xmpp.jid?.toString() ?? "";
  }

  get bareJid(): string {
    return bareJid(this.jid);
  }

  get domain(): string {
    return splitJid(this.jid).domain;
  }

  /** Whether the server enabled XEP-0198 for this session (so drops can be resumed). */
  get streamManagementEnabled(): boolean {
    return this.#xmpp.streamManagement.enabled;
  }

  /** Sends now, or, while reconnecting, once the session is back (rejects if it never is). */
  async send(stanza: Element): Promise<void> {
    await this.#ready();
    await this.#xmpp.send(stanza);
  }

  /** Sends an iq get; resolves with the result's child, rejects with StanzaError. */
  async iqGet(child: Element, to?: string, timeoutMs?: number): Promise<Element | undefined> {
    return this.#iq("get", child, to, timeoutMs);
  }

  async iqSet(child: Element, to?: string, timeoutMs?: number): Promise<Element | undefined> {
    return this.#iq("set", child, to, timeoutMs);
  }

  /** Sends a complete iq (for callers that need the whole result stanza). */
  async request(iq: Element, timeoutMs?: number): Promise<Element> {
    try {
      await this.#ready();
      iq.attrs.id ??= randomId();
      const id = iq.attrs.id;
      this.#pending.set(id, iq);
      try {
        return await this.#xmpp.iqCaller.request(iq, timeoutMs);
      } finally {
        this.#pending.delete(id);
      }
    } catch (error) {
      throw toTypedError(error, this.service);
    }
  }

  /**
   * Re-binding the same resource keeps our full JID, so a peer in a call can still reach us.
   * @xmpp/resource-binding 0.14 calls a `resource` function at the first bind only and keeps
   * its answer, so the resource is added to each bind request on its way out instead.
   */
  #askForOurResource() {
    const iqCaller = this.#xmpp.iqCaller;
    const set = iqCaller.set.bind(iqCaller);
    iqCaller.set = (child, to, timeout) => {
      if (child.is("bind", NS_BIND) && !child.getChild("resource") && this.#resource) child.append(xml("resource", {}, this.#resource));
      return set(child, to, timeout);
    };
  }

  /**
   * Our iq error replies carry the error only. @xmpp/iq's callee appends the request to them
   * (RFC 6120 §8.3.1 allows it, XEP-0166's examples do not): a peer flooding us with refused
   * iqs then had us send it all back through our rate-limited link, queued ahead of the call's
   * own signaling (a mute took 12 s to arrive under such a flood).
   */
  #repliesWithoutEcho() {
    const send = this.#xmpp.send.bind(this.#xmpp);
    this.#xmpp.send = (...elements) => {
      for (const el of elements) {
        if (el.name === "iq" && el.attrs.type === "error") el.children = el.getChildElements().filter((c) => c.name === "error");
      }
      return send(...elements);
    };
  }

  /** Whether a fresh session should send again a stanza the last one may not have delivered. */
  #worthResending(stanza: Element): boolean {
    // JMI and chat messages have no other way back; the app re-announces presence itself.
    if (stanza.name === "message") return true;
    // An iq only while its caller still waits for the answer.
    return stanza.name === "iq" && this.#pending.get(stanza.attrs.id ?? "") === stanza;
  }

  /** Resolves at once when online; while reconnecting, when the session is back. */
  #ready(): Promise<void> {
    if (this.#state !== "reconnecting") return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  #releaseWaiting(error?: Error) {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const w of waiting) {
      if (error) w.reject(error);
      else w.resolve();
    }
  }

  async #iq(type: "get" | "set", child: Element, to: string | undefined, timeoutMs?: number) {
    const result = await this.request(xml("iq", { type, to }, child), timeoutMs);
    return result.getChild(child.name, child.getNS());
  }

  /**
   * Answers iqs of `type` whose payload is `<name xmlns=ns>`. The handler returns the result
   * payload (or nothing for an empty result), or an `<error/>` element; a thrown StanzaError
   * is sent as that error. Unhandled requests get service-unavailable (RFC 6120 §8.4).
   */
  handleIq(type: "get" | "set", ns: string, name: string, handler: IqHandler): void {
    this.#xmpp.iqCallee[type](ns, name, async (ctx) => {
      try {
        const reply = await handler({
          from: ctx.stanza.attrs.from ?? "",
          to: ctx.stanza.attrs.to ?? "",
          id: ctx.stanza.attrs.id ?? "",
          element: ctx.element,
          stanza: ctx.stanza,
        });
        return reply ?? true;
      } catch (error) {
        if (error instanceof StanzaError) return stanzaErrorElement(error);
        throw error;
      }
    });
  }

  /**
   * Drops the transport without closing the stream, as a network drop does; the connection
   * then reconnects (resuming if it can). Used for the browser's `online` event and when the
   * socket proved dead; while already waiting to reconnect, it makes the next attempt now. It does not wait for the socket's close: on a path that is gone, the
   * WebSocket closing handshake would wait for a peer that cannot answer.
   */
  interrupt(): void {
    const socket = this.#xmpp.socket;
    if (socket) {
      socket.end();
      socket.emit("close", true, new Error("connection interrupted"));
      return;
    }
    // Already reconnecting: the network is back (the browser's `online`), the next attempt need
    // not wait out its backoff (which may be a minute by then).
    if (this.#retryPending && !this.#stopping) {
      clearTimeout(this.#retryTimer);
      void this.#retry();
    }
  }

  /**
   * Whether the server still answers (XEP-0199 ping, `timeoutMs`). A socket whose network path
   * went away (Wi-Fi → mobile) stays open for minutes and swallows what is written to it: when
   * no answer comes, the socket is dropped and the session comes back over the new path.
   */
  async checkAlive(timeoutMs = 5_000): Promise<boolean> {
    if (this.#state !== "online") return false;
    this.#alive ??= this.#ping(timeoutMs).finally(() => {
      this.#alive = undefined;
    });
    return this.#alive;
  }

  async #ping(timeoutMs: number): Promise<boolean> {
    try {
      await this.#xmpp.iqCaller.request(xml("iq", { type: "get", to: this.domain, id: randomId() }, xml("ping", { xmlns: NS_PING })), timeoutMs);
      return true;
    } catch (error) {
      // An error reply is still a reply; only silence means the path is gone.
      if (error instanceof Error && error.name !== "TimeoutError") return true;
      if (this.#state === "online") this.interrupt();
      return false;
    }
  }

  /** Ends the session cleanly (the server then broadcasts unavailable presence). */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#attemptTimer);
    await this.#xmpp.stop().catch(() => undefined);
    this.#setState("offline");
    this.#releaseWaiting(new Error("connection stopped"));
  }

  #onOnline(resumed: boolean) {
    clearTimeout(this.#attemptTimer);
    this.#attempt = 0;
    this.#everOnline = true;
    this.#resource = splitJid(this.jid).resource || this.#resource;
    // On resumption @xmpp/stream-management already re-sent what the server had not acked;
    // a fresh session re-sends the messages and the requests still waiting, in their order and
    // with their ids (so peers can spot duplicates and callers get their answers), before
    // anything sent while reconnecting.
    const unacked = resumed ? [] : this.#unacked.filter((stanza) => this.#worthResending(stanza));
    this.#unacked = [];
    this.#setState("online");
    for (const stanza of unacked) void this.#xmpp.send(stanza).catch(() => undefined);
    this.#releaseWaiting();
    this.emit("online", { jid: this.jid, resumed });
  }

  #onDisconnect() {
    if (this.#stopping || !this.#everOnline) return;
    this.#setState("reconnecting");
    // A refused attempt also ends in "disconnect": count it once, or the backoff doubles twice.
    if (this.#retrying || this.#retryPending) return;
    this.#scheduleRetry();
  }

  #scheduleRetry(error?: Error) {
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#attemptTimer);
    this.#retryPending = true;
    const retryInMs = backoffDelay(this.#attempt, this.#backoff);
    if (error) this.emit("retry", { attempt: this.#attempt, retryInMs, error });
    this.#attempt += 1;
    this.#retryTimer = setTimeout(() => void this.#retry(), retryInMs);
  }

  async #retry() {
    this.#retryPending = false;
    if (this.#stopping) return;
    this.#retrying = true;
    this.#attemptTimer = setTimeout(() => {
      if (this.#stopping || this.#state === "online") return;
      // The attempt hung (connect, open, or the session after it): drop it and try again.
      this.#retrying = false;
      this.#xmpp.socket?.end();
      this.#scheduleRetry(new Error(`reconnection attempt did not finish within ${this.#attemptTimeoutMs} ms`));
    }, this.#attemptTimeoutMs);
    try {
      await this.#xmpp.reconnect.reconnect();
      this.#retrying = false;
    } catch (error) {
      this.#retrying = false;
      const typed = toTypedError(error, this.service);
      if (typed instanceof AuthenticationError) {
        this.#stopping = true;
        this.#setState("offline");
        this.#releaseWaiting(typed);
        this.emit("fatal", typed);
        return;
      }
      if (!this.#stopping && this.#state !== "online") this.#scheduleRetry(typed);
    }
  }

  #setState(state: ConnectionState) {
    if (this.#state === state) return;
    this.#state = state;
    this.emit("state", state);
  }
}

/** Builds the `<error/>` child for an iq error reply. */
export function stanzaErrorElement(error: StanzaError): Element {
  const el = xml("error", { type: error.type ?? "cancel" }, xml(error.condition, { xmlns: "urn:ietf:params:xml:ns:xmpp-stanzas" }));
  if (error.text) el.append(xml("text", { xmlns: "urn:ietf:params:xml:ns:xmpp-stanzas" }, error.text));
  if (error.application) el.append(xml(error.application.name, { xmlns: error.application.xmlns }));
  return el;
}

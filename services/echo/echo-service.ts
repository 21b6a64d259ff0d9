// The echo test-call account: signs in with the app's own XMPP client code, answers every call
// from a user of its server, and sends each caller's audio and video back after a short delay.
import { xml } from "@xmpp/xml";
import { deliverJingle, stanzaSignaling } from "../../client/src/app/call-stanzas.js";
import { CallManager } from "../../client/src/call/manager.js";
import type { CallSession } from "../../client/src/call/session.js";
import { NS_JINGLE } from "../../client/src/namespaces.js";
import { XmppAccount } from "../../client/src/xmpp/account.js";
import { bareJid } from "../../client/src/xmpp/connection.js";
import { readJmi } from "../../client/src/xmpp/jmi.js";
import { readJingleRequest } from "../../client/src/jingle/index.js";
import { echoPeerFactory } from "./echo-peer.js";
import { ECHO_LIMITS, isLocalUser, timeLimitText, type EchoLimits } from "./policy.js";
import { routeTo } from "./route.js";

export interface EchoServiceOptions {
  /** WebSocket endpoint (RFC 7395) of the server. */
  service: string;
  /** The echo account's bare JID, e.g. echo@example.org. */
  jid: string;
  password: string;
  limits?: Partial<EchoLimits>;
  /** ICE host addresses (see EchoPeerSettings); empty: every interface. */
  hostAddresses?: readonly string[];
  log?: (line: string) => void;
}

const mediaText = (media: readonly string[]) => media.join("+");

export class EchoService {
  readonly #account: XmppAccount;
  readonly #managers: CallManager[];
  readonly #limits: EchoLimits;
  readonly #log: (line: string) => void;
  readonly #timers = new Map<CallSession, ReturnType<typeof setTimeout>>();
  #stopping = false;

  private constructor(account: XmppAccount, options: EchoServiceOptions, limits: EchoLimits, log: (line: string) => void) {
    this.#account = account;
    this.#limits = limits;
    this.#log = log;
    const connection = account.connection;
    const createPeer = echoPeerFactory({ delayMs: limits.delayMs, hostAddresses: options.hostAddresses ?? [], log });
    const signaling = stanzaSignaling(connection);
    this.#managers = Array.from({ length: limits.maxCalls }, () => {
      const manager = new CallManager({
        signaling,
        createPeer,
        iceServers: () => account.iceServers.iceServers,
        // Only this server's users may ring (and see our candidates); others' proposes are
        // dropped unanswered and their session-initiates refused, as the app does for strangers.
        policy: { isTrusted: (bare) => isLocalUser(bare, account.jid), allowStrangers: false },
      });
      manager.on("call", (call) => this.#onCall(call));
      return manager;
    });
    connection.handleIq("set", NS_JINGLE, "jingle", ({ from, element }) => {
      const request = readJingleRequest(element);
      deliverJingle(this.#route(request.sid ?? "", request.action === "session-initiate"), from, element);
      return undefined;
    });
    account.on("message", (stanza) => {
      const message = readJmi(stanza, bareJid(account.jid));
      // Stopping: a new call is not answered (the caller's ringing times out as for an absent callee).
      if (!message || (this.#stopping && message.action === "propose")) return;
      this.#route(message.id, message.action === "propose").handleJmi(message);
    });
    // A user of this server who adds the echo as a contact gets it, so it shows online and callable.
    account.on("requests", (requests) => {
      for (const jid of requests) if (isLocalUser(jid, account.jid)) void account.accept(jid).catch(() => undefined);
    });
    account.on("state", (state) => log(`XMPP ${state}`));
  }

  /** Signs in and starts answering calls. */
  static async start(options: EchoServiceOptions): Promise<EchoService> {
    const log = options.log ?? ((line: string) => console.log(line));
    const limits = { ...ECHO_LIMITS, ...options.limits };
    const account = await XmppAccount.signIn({ service: options.service, jid: options.jid, password: options.password, resource: "echo" });
    const service = new EchoService(account, options, limits, log);
    for (const jid of account.roster.requests) if (isLocalUser(jid, account.jid)) await account.accept(jid).catch(() => undefined);
    log(`echo: signed in as ${account.jid}; answering calls from users of ${bareJid(account.jid).split("@")[1]} (at most ${limits.maxCalls} at once, ${limits.maxCallMs / 1000} s each, echoed after ${limits.delayMs} ms)`);
    return service;
  }

  get jid(): string {
    return this.#account.jid;
  }

  /** Calls under way. */
  get activeCalls(): number {
    return this.#managers.filter((m) => m.current !== undefined).length;
  }

  #route(id: string, startsCall: boolean): CallManager {
    const slots = this.#managers.map((m) => ({ busy: m.current !== undefined, owns: m.calls.some((c) => c.id === id) }));
    return this.#managers[routeTo(slots, startsCall)]!;
  }

  #onCall(call: CallSession) {
    if (call.direction !== "incoming") return;
    const who = call.peerJid;
    this.#log(`call ${call.id} from ${who} (${mediaText(call.media)}): answering`);
    // After the manager's ring() has begun (it runs right after this event): answering inside the
    // event would overtake the ringing the call layer sends first.
    setImmediate(() => void call.accept(true).catch((error: unknown) => this.#log(`call ${call.id}: answering failed: ${String(error)}`)));
    this.#timers.set(call, setTimeout(() => void this.#expire(call), this.#limits.maxCallMs));
    call.on("video", (video) => {
      // The caller turned its camera on (content-add): mirrored like the rest.
      if (video.request === "incoming") call.acceptVideo();
    });
    call.on("ice", (state) => {
      if (state === "connected") this.#log(`call ${call.id}: media connected`);
    });
    call.on("iqError", (action, error) => this.#log(`call ${call.id}: the caller refused our ${action}: ${String(error)}`));
    call.on("state", () => {
      if (!call.ended) return;
      clearTimeout(this.#timers.get(call));
      this.#timers.delete(call);
      const seconds = call.connectedAt ? Math.round((Date.now() - call.connectedAt) / 1000) : 0;
      this.#log(`call ${call.id} from ${who} ended: ${call.state}${call.reason ? ` (${call.reason})` : ""}, ${seconds} s of media`);
    });
  }

  /** The call reached the time limit: tell the caller why in a chat message, then hang up. */
  async #expire(call: CallSession) {
    if (call.ended) return;
    this.#log(`call ${call.id}: time limit reached, hanging up`);
    await this.#account.connection
      .send(xml("message", { to: bareJid(call.peerJid), type: "chat", id: crypto.randomUUID() }, xml("body", {}, timeLimitText(this.#limits))))
      .catch(() => undefined);
    await call.hangUp();
  }

  /** Ends every call (session-terminate to each caller), then signs out. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    const calls = this.#managers.flatMap((m) => (m.current ? [m.current] : []));
    if (calls.length > 0) this.#log(`echo: ending ${calls.length} call(s)`);
    await Promise.all(calls.map((c) => c.hangUp().catch(() => undefined)));
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    await this.#account.signOut();
    this.#log("echo: signed out");
  }
}

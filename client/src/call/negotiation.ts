// The one owner of what a call has negotiated: our contents as in our last local description,
// the peer's contents as agreed, the DTLS role the peer holds, the o= version of the remote
// descriptions we build, and the ICE candidates waiting on either side. The session, the
// renegotiation (content-add/-modify) and the ICE restart all read and change it here; the
// remote description after any change is derived from it (RFC 3264 §8), never from a peer's
// original offer.
import {
  sessionToSdp,
  type DtlsSetup,
  type IceCandidateInit,
  type JingleContent,
  type JingleRole,
  type JingleSession,
  type RemoteCandidate,
} from "../jingle/index.js";
import { agreedFromOffer, peerDtlsSetup, withoutCandidates, withSetup } from "./contents.js";
import { CALL_LIMITS } from "./limits.js";
import { JingleErrors } from "./jingle-errors.js";

export class NegotiationState {
  readonly role: JingleRole;
  readonly sid: string;
  #local: readonly JingleContent[] = [];
  #remote: JingleSession | undefined;
  /** Content names the peer's candidates may name: the agreed ones and those of a pending content-add. */
  #remoteMids: string[] = [];
  /** Contents whose remote description the browser has; candidates for others wait (CONVENTIONS #10). */
  readonly #applied = new Set<string>();
  #peerSetup: DtlsSetup | undefined;
  /** o= version of the last remote description we built (RFC 3264 §8). */
  #remoteVersion = 1;
  // Local candidates: gathered, not yet sent.
  #pendingLocal: IceCandidateInit[] = [];
  /** Local ufrags of earlier ICE generations: their late candidates are dropped, never sent. */
  readonly #retiredUfrags = new Set<string>();
  /** Local candidates wait: our ICE restart offer is not acknowledged yet (Conversations drops earlier ones). */
  #holding = false;
  // Remote candidates: arrived before the description of their content, and the session-wide count.
  #earlyRemote: RemoteCandidate[] = [];
  #remoteCandidateCount = 0;
  /** Called when local candidates may have become sendable (a content known, a hold released). */
  readonly #onSendable: () => void;
  /** Called after the agreed contents changed (the ICE restart reads their credentials). */
  readonly #onAgreed: () => void;

  constructor(options: { role: JingleRole; sid: string; onSendable: () => void; onAgreed: () => void }) {
    this.role = options.role;
    this.sid = options.sid;
    this.#onSendable = options.onSendable;
    this.#onAgreed = options.onAgreed;
  }

  // ——— Descriptions ———

  /** Our contents as in our last local description. */
  get local(): readonly JingleContent[] {
    return this.#local;
  }

  setLocal(contents: readonly JingleContent[]): void {
    this.#local = contents;
    if (this.#pendingLocal.length > 0) this.#onSendable();
  }

  /** The peer's contents as last agreed (session-initiate/accept, then content-add/-accept/-modify, ICE restarts). */
  get remote(): JingleSession | undefined {
    return this.#remote;
  }

  get remoteMids(): readonly string[] {
    return this.#remoteMids;
  }

  /** The DTLS role the peer holds since the first offer/answer. */
  get peerSetup(): DtlsSetup | undefined {
    return this.#peerSetup;
  }

  /**
   * The first offer/answer is done. `peerOffer` is the peer's session-initiate when we answered
   * it: what was agreed is that offer narrowed to our answer (agreedFromOffer), because a later
   * description we build as the peer's answer to an offer of ours must not name a payload type
   * or header extension our answer dropped (Firefox refuses an answer with an extmap its offer
   * lacked; Chromium a BUNDLE whose extension ids collide). As the caller, the peer's answer is
   * the agreement itself.
   */
  established(local: readonly JingleContent[], remote: JingleSession, peerOffer: boolean): void {
    this.setLocal(local);
    this.agree(peerOffer ? agreedFromOffer(remote, local) : remote);
    this.#peerSetup = peerDtlsSetup(remote, local);
  }

  /** The peer's agreed contents changed and the browser has them: their candidates may go in. */
  agree(remote: JingleSession): void {
    this.#remote = remote;
    this.#remoteMids = remote.contents.map((c) => c.name);
    for (const name of this.#remoteMids) this.#applied.add(name);
    this.#onAgreed();
  }

  /** A content-add of the peer waits for our user: candidates may name its contents. */
  expectRemote(names: readonly string[]): void {
    this.#remoteMids = [...this.#remoteMids, ...names.filter((n) => !this.#remoteMids.includes(n))];
  }

  /** The peer withdrew a content-add (content-remove before our answer). */
  forgetRemote(names: readonly string[]): void {
    this.#remoteMids = this.#remoteMids.filter((n) => !names.includes(n));
  }

  /**
   * The remote description to hand the browser after a change of what was agreed: the peer's
   * DTLS role restated (never `actpass` again, RFC 5763 §5), the o= version one higher, and no
   * candidates. The browser keeps those it has while the ICE credentials stay (JSEP §5.10), so
   * the agreed contents' first candidates would only be given again; a new content's go in with
   * addIceCandidate once its description is applied (admitRemote), as trickled ones do.
   */
  remoteSdp(remote: JingleSession, answer: boolean): string {
    const setup = this.#peerSetup ?? peerDtlsSetup(remote, this.#local);
    this.#remoteVersion += 1;
    return sessionToSdp(withSetup(withoutCandidates(remote), setup), { role: this.role, answer, sid: this.sid, sessionVersion: this.#remoteVersion });
  }

  // ——— Local candidates ———

  /** A local candidate was gathered: it waits until the peer can place it and a batch goes out. */
  gathered(candidate: IceCandidateInit): void {
    this.#pendingLocal.push(candidate);
  }

  get hasPendingLocal(): boolean {
    return this.#pendingLocal.length > 0;
  }

  get holding(): boolean {
    return this.#holding;
  }

  hold(hold: boolean): void {
    this.#holding = hold;
    if (!hold && this.#pendingLocal.length > 0) this.#onSendable();
  }

  /**
   * The pending local candidates the peer can place, taken out (optionally only if one of them is
   * for `names`). A candidate of a content the peer has not heard of yet (a content-add being
   * built), or of a generation our local description does not have yet (an ICE restart being
   * applied), stays pending.
   */
  takeLocal(names?: readonly string[]): IceCandidateInit[] {
    if (names && !this.#pendingLocal.some((c) => names.includes(c.sdpMid ?? ""))) return [];
    const known = (c: IceCandidateInit) =>
      this.#local.some((l) => l.name === c.sdpMid && (!c.usernameFragment || !l.transport?.ufrag || c.usernameFragment === l.transport.ufrag));
    const batch = this.#pendingLocal.filter(known);
    this.#pendingLocal = this.#pendingLocal.filter((c) => !known(c));
    return batch;
  }

  /**
   * An ICE restart begins (RFC 8445 §9): local candidates of the generation it replaces are
   * dropped (the peer would take them for the new one) and remote candidates are counted afresh.
   */
  newIceGeneration(): void {
    for (const content of this.#local) if (content.transport?.ufrag) this.#retiredUfrags.add(content.transport.ufrag);
    this.#pendingLocal = this.#pendingLocal.filter((c) => !c.usernameFragment || !this.#retiredUfrags.has(c.usernameFragment));
    this.#remoteCandidateCount = 0;
  }

  // ——— Remote candidates ———

  /** Counts remote candidates against the session cap; `refuse`: a transport-info past it is not-acceptable. */
  countRemote(candidates: readonly RemoteCandidate[], refuse: boolean): void {
    if (refuse && this.#remoteCandidateCount + candidates.length > CALL_LIMITS.remoteCandidates) {
      throw JingleErrors.notAcceptable(`more than ${CALL_LIMITS.remoteCandidates} remote candidates in this session`);
    }
    this.#remoteCandidateCount += candidates.length;
  }

  /**
   * Remote candidates whose content the browser knows, with their m-line index; the others (and
   * earlier ones still waiting) are kept for when their description is applied.
   */
  admitRemote(candidates: readonly RemoteCandidate[]): RemoteCandidate[] {
    const all = [...this.#earlyRemote, ...candidates];
    const ready = all.filter((c) => this.#applied.has(c.sdpMid));
    this.#earlyRemote = all.filter((c) => !this.#applied.has(c.sdpMid));
    return ready.map((c) => {
      const index = this.#remoteMids.indexOf(c.sdpMid);
      return { ...c, sdpMLineIndex: index >= 0 ? index : c.sdpMLineIndex };
    });
  }
}

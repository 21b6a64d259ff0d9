// Mid-call renegotiation of a call's contents: video added, accepted, refused, stopped (XEP-0166
// §7.2 content-add/-accept/-reject/-remove/-modify, XEP-0167). What was agreed lives in the call's
// NegotiationState; this module decides how it changes, through a small port to the session. The
// contents arithmetic itself is pure, in contents.ts.
import { alignAnswerToOffer, sdpToSession, type ContentStub, type JingleBody, type JingleRequest, type JingleSession, type RemoteCandidate, type Senders } from "../jingle/index.js";
import { addContents, agreedFromOffer, contentOf, modifySenders, sends, withInlineCandidates, withSender } from "./contents.js";
import { isTieBreak, JingleErrors } from "./jingle-errors.js";
import type { NegotiationState } from "./negotiation.js";
import type { MediaPeer } from "./peer.js";
import { StanzaError } from "../xmpp/errors.js";

/** Video beyond the call's start (XEP-0166 content-add / content-modify), as the UI shows it. */
export interface VideoState {
  /** We send our camera. */
  sending: boolean;
  /** The peer sends its camera. */
  receiving: boolean;
  /** A content-add waits for an answer: ours (outgoing) or the peer's, for our user (incoming). */
  request: "outgoing" | "incoming" | undefined;
}

type Upgrade =
  | { direction: "outgoing"; names: string[]; modified: Map<string, Senders> }
  | { direction: "incoming"; add: JingleSession };

/** What renegotiation needs of its call (CallSession implements it). */
export interface RenegotiationPort {
  readonly negotiation: NegotiationState;
  /** The call is active: the only state in which contents change. */
  active(): boolean;
  ended(): boolean;
  /** The initiator's full JID (the `initiator` attribute). */
  initiator(): string;
  requirePeer(): Promise<MediaPeer>;
  /** Runs a task on the call's one-action-at-a-time queue. */
  enqueue(task: () => Promise<void>): void;
  /** Sends a Jingle request of this session to the peer; resolves on result, rejects with StanzaError. */
  sendJingle(jingle: JingleBody): Promise<void>;
  /** The peer refused one of our iqs: reported, never swallowed. */
  iqFailed(action: string, error: unknown): void;
  /** The contents of a content-add/-accept; the codec's refusal becomes the iq error, the call goes on. */
  readSession(request: JingleRequest): JingleSession;
  /** The candidates inline in agreed contents (counted against the session cap). */
  readCandidatesOf(session: JingleSession): RemoteCandidate[];
  addCandidates(candidates: readonly RemoteCandidate[]): Promise<void>;
  /** Pending local candidates placed in our contents, if any is for one of `names`. */
  candidatesFor(names: readonly string[]): JingleSession | null;
  emitVideo(state: VideoState): void;
}

/** After re-enabling video, a second key frame this long after the first (see #sendKeyFrames). */
const KEY_FRAME_AGAIN_MS = 500;

/** Turning video on, how long we wait for the peer to acknowledge content-modify before sending anyway. */
const ACKNOWLEDGEMENT_WAIT_MS = 1_000;

export class Renegotiation {
  readonly #port: RenegotiationPort;
  readonly #n: NegotiationState;
  #upgrade: Upgrade | undefined;
  /** Our user asked for video: a crossing content-add from the peer is taken as the answer. */
  #wantVideo = false;
  /** Contents whose senders='none' the peer refused (Dino): our camera off is told as session-info mute. */
  readonly #mutedInstead = new Set<string>();
  #notice = "";

  constructor(port: RenegotiationPort) {
    this.#port = port;
    this.#n = port.negotiation;
  }

  /** Informational text about the running call (e.g. video refused), not an error. */
  get notice(): string {
    return this.#notice;
  }

  get video(): VideoState {
    const content = this.#n.remote && contentOf(this.#n.remote.contents, "video");
    const role = this.#n.role;
    const other = role === "initiator" ? "responder" : "initiator";
    return {
      sending: !!content && sends(content.senders, role),
      receiving: !!content && sends(content.senders, other),
      request: this.#upgrade?.direction,
    };
  }

  /**
   * Turns our camera on during a call: content-add of a new video content (XEP-0166 §7.2.1)
   * when there is none, else content-modify adding us to its senders (§7.2.6).
   */
  addVideo(): void {
    const remote = this.#n.remote;
    if (!this.#port.active() || !remote || this.#upgrade || this.video.sending) return;
    this.#wantVideo = true;
    const existing = contentOf(remote.contents, "video");
    if (existing) {
      this.#port.enqueue(() => this.#modifyOwnSending(existing.name, true));
      return;
    }
    this.#upgrade = { direction: "outgoing", names: [], modified: new Map() };
    this.#emitVideo();
    this.#port.enqueue(() => this.#sendContentAdd());
  }

  /**
   * Turns our camera off again: content-modify removing us from the video content's senders.
   * Not content-remove: Conversations terminates the call on a content-remove of an accepted
   * content and Dino answers it feature-not-implemented, while both apply content-modify
   * (docs/interop.md, "Mid-call").
   */
  stopVideo(): void {
    const content = this.#n.remote && contentOf(this.#n.remote.contents, "video");
    if (!this.#port.active() || !content || this.#upgrade || !this.video.sending) return;
    this.#wantVideo = false;
    this.#port.enqueue(() => this.#modifyOwnSending(content.name, false));
  }

  /** Accepts the peer's content-add; our camera goes on if the content has us among its senders. */
  acceptVideo(): void {
    if (this.#upgrade?.direction !== "incoming") return;
    const add = this.#upgrade.add;
    this.#port.enqueue(() => this.#acceptContentAdd(add));
  }

  /** Declines the peer's content-add (content-reject, XEP-0166 §7.2.4). */
  declineVideo(): void {
    if (this.#upgrade?.direction !== "incoming") return;
    const add = this.#upgrade.add;
    this.#upgrade = undefined;
    this.#emitVideo();
    this.#port.sendJingle({ action: "content-reject", stubs: this.#stubs(add), reason: "decline" }).catch((e: unknown) => this.#port.iqFailed("content-reject", e));
  }

  #emitVideo() {
    this.#port.emitVideo(this.video);
  }

  #setNotice(text: string) {
    this.#notice = text;
    this.#emitVideo();
  }

  /** Contents reduced to name, creator and senders (content-reject, content-modify). */
  #stubs(session: JingleSession): ContentStub[] {
    return session.contents.map((c) => ({ name: c.name, creator: c.creator, senders: c.senders }));
  }

  #updateLocal(sdp: string, answer = false) {
    this.#n.setLocal(sdpToSession(sdp, { role: this.#n.role, answer }).session.contents);
  }

  /** Our camera on: new video m-line offered as content-add; the answer comes as content-accept. */
  async #sendContentAdd() {
    const peer = await this.#port.requirePeer();
    // The offer does not wait for our camera: it opens while the peer is asked.
    peer.startSending("video");
    const offer = await peer.offer();
    if (this.#port.ended() || this.#upgrade?.direction !== "outgoing") return;
    const local = sdpToSession(offer, { role: this.#n.role, creator: this.#n.role }).session;
    const added = local.contents.filter((c) => !this.#n.remoteMids.includes(c.name));
    this.#upgrade = { direction: "outgoing", names: added.map((c) => c.name), modified: new Map() };
    this.#updateLocal(offer);
    this.#port.sendJingle({ action: "content-add", session: { contents: added, groups: local.groups } }).catch((error: unknown) => {
      // Tie-break: the initiator's crossing content-add wins and answers ours (XEP-0166 §10).
      if (isTieBreak(error)) return;
      this.#port.iqFailed("content-add", error);
      // Acked then content-reject is the norm (StanzaJS); an error reply refuses it just the same.
      if (this.#upgrade?.direction === "outgoing") this.#port.enqueue(() => this.#contentRefused());
    });
  }

  /** Our content-add was refused (content-reject, error) or crossed: back to the last agreed description. */
  async #contentRefused(notice = "The other side did not accept video. The call continues with audio.") {
    this.#upgrade = undefined;
    this.#wantVideo = false;
    const peer = await this.#port.requirePeer();
    await peer.rollback();
    await peer.setSending("video", false);
    this.#n.setLocal(this.#n.local.filter((c) => this.#n.remoteMids.includes(c.name)));
    if (notice) this.#setNotice(notice);
    else this.#emitVideo();
  }

  /** The peer adds a content (XEP-0166 §7.2.1): checked now, put to our user (or taken as the answer to ours) in turn. */
  receiveContentAdd(request: JingleRequest) {
    const agreed = this.#n.remote;
    if (!this.#port.active() || !agreed || this.#upgrade?.direction === "incoming") throw JingleErrors.outOfOrder();
    const add = this.#port.readSession(request);
    if (add.contents.length === 0 || add.contents.some((c) => this.#n.remoteMids.includes(c.name))) throw JingleErrors.badRequest("no new content (empty, or a name already in use)");
    const crossing = this.#upgrade?.direction === "outgoing";
    if (crossing && this.#n.role === "initiator") throw JingleErrors.tieBreak();
    const video = add.contents.every((c) => c.description?.media === "video") && !contentOf(agreed.contents, "video");
    this.#port.enqueue(async () => {
      // We are the responder: our crossing offer yields to theirs, which we then take as our answer.
      if (crossing) await (await this.#port.requirePeer()).rollback();
      if (!video) {
        // One video content at most: the call screen shows one remote video (as Conversations).
        await this.#port.sendJingle({ action: "content-reject", stubs: this.#stubs(add), reason: "unsupported-applications" }).catch((e: unknown) => this.#port.iqFailed("content-reject", e));
        return;
      }
      this.#upgrade = { direction: "incoming", add };
      this.#n.expectRemote(add.contents.map((c) => c.name));
      if (this.#wantVideo) await this.#acceptContentAdd(add);
      else this.#emitVideo();
    });
  }

  async #acceptContentAdd(add: JingleSession) {
    if (this.#upgrade?.direction !== "incoming" || this.#upgrade.add !== add || !this.#n.remote) return;
    const peer = await this.#port.requirePeer();
    const sending = add.contents.some((c) => sends(c.senders, this.#n.role));
    const agreed = this.#n.remote;
    if (!agreed) return;
    // The answer does not wait for our camera: the peer's video flows once it has our answer.
    const answer = await peer.answer(this.#n.remoteSdp(addContents(agreed, add), false), sending ? { send: "video" } : undefined);
    this.#upgrade = undefined;
    this.#updateLocal(answer);
    const names = add.contents.map((c) => c.name);
    const local = sdpToSession(answer, { role: this.#n.role, answer: true }).session;
    // What the peer offered, narrowed to what our answer took: later descriptions derive from it.
    this.#n.agree(addContents(agreed, agreedFromOffer(add, local.contents)));
    const accepted = local.contents.filter((c) => names.includes(c.name)).map((c) => ({ ...c, creator: add.contents.find((a) => a.name === c.name)?.creator ?? c.creator }));
    const answered = alignAnswerToOffer({ contents: accepted, groups: local.groups }, add);
    const session = withInlineCandidates(answered, this.#port.candidatesFor(names));
    this.#port.sendJingle({ action: "content-accept", session }).catch((e: unknown) => this.#port.iqFailed("content-accept", e));
    await this.#port.addCandidates(this.#port.readCandidatesOf(add));
    this.#emitVideo();
  }

  /** The peer accepts our content-add (§7.2.2). */
  receiveContentAccept(request: JingleRequest) {
    const upgrade = this.#upgrade;
    if (upgrade?.direction !== "outgoing" || !this.#n.remote) throw JingleErrors.outOfOrder();
    const accepted = this.#port.readSession(request);
    if (accepted.contents.map((c) => c.name).join() !== upgrade.names.join()) throw JingleErrors.outOfOrder();
    this.#port.enqueue(async () => {
      const agreed = this.#n.remote;
      if (!agreed) return;
      const remote = addContents(agreed, accepted);
      await (await this.#port.requirePeer()).applyAnswer(this.#n.remoteSdp(remote, true));
      this.#upgrade = undefined;
      this.#n.agree(remote);
      await this.#port.addCandidates(this.#port.readCandidatesOf(accepted));
      this.#emitVideo();
      // A content-modify the peer sent before its content-accept (Dino does) applies now.
      for (const [name, senders] of upgrade.modified) await this.#applyRemoteSenders(name, senders);
    });
  }

  /** content-reject of our content-add, or content-remove: of a content-add not yet answered (its retraction, as Conversations uses it) or of an agreed content (treated as senders none). */
  receiveContentReject(request: JingleRequest, action: "content-reject" | "content-remove") {
    const names = request.stubs.map((c) => c.name);
    const upgrade = this.#upgrade;
    if (action === "content-reject") {
      // StanzaJS names no content in its content-reject (Session.onContentAdd()): it can only mean ours.
      if (upgrade?.direction !== "outgoing" || (names.length > 0 && names.join() !== upgrade.names.join())) throw JingleErrors.outOfOrder();
      this.#port.enqueue(() => this.#contentRefused());
      return;
    }
    if (upgrade?.direction === "incoming" && names.join() === upgrade.add.contents.map((c) => c.name).join()) {
      this.#upgrade = undefined;
      this.#n.forgetRemote(names);
      this.#emitVideo();
      return;
    }
    const removed = this.#n.remote?.contents.filter((c) => names.includes(c.name)) ?? [];
    if (!this.#port.active() || removed.length !== names.length || names.length === 0) throw JingleErrors.outOfOrder();
    // Only video goes away mid-call; the m-line stays (JSEP), inactive.
    if (removed.some((c) => c.description?.media !== "video")) throw JingleErrors.notImplemented();
    for (const content of removed) this.#port.enqueue(() => this.#applyRemoteSenders(content.name, "none"));
  }

  /** The peer changes who sends on an agreed content (§7.2.6), or on the content of our content-add it has not accepted yet. */
  receiveContentModify(request: JingleRequest) {
    if (!this.#port.active() || !this.#n.remote || this.#upgrade?.direction === "incoming") throw JingleErrors.outOfOrder();
    const changes = request.stubs;
    const valid = (s: string): s is Senders => ["both", "initiator", "responder", "none"].includes(s);
    const pending = this.#upgrade?.names ?? [];
    const known = (name: string) => (this.#upgrade ? pending.includes(name) : this.#n.remoteMids.includes(name));
    if (changes.length === 0 || changes.some((c) => !known(c.name) || !valid(c.senders))) {
      if (this.#upgrade) throw JingleErrors.outOfOrder();
      throw JingleErrors.badRequest("unknown content or senders");
    }
    if (this.#upgrade) {
      // Dino sends content-modify for our content-add before its content-accept: kept for then.
      for (const { name, senders } of changes) if (valid(senders)) this.#upgrade.modified.set(name, senders);
      return;
    }
    // Audio stays both ways (muting is session-info, XEP-0167 §7.2); senders change on video only.
    if (changes.some((c) => contentOf(this.#n.remote?.contents.filter((k) => k.name === c.name) ?? [], "video") === undefined)) throw JingleErrors.notImplemented();
    for (const { name, senders } of changes) if (valid(senders)) this.#port.enqueue(() => this.#applyRemoteSenders(name, senders));
  }

  /**
   * The peer changed who sends on a content. Applied as Conversations' autoAcceptContentModify:
   * the agreed contents, modified, become a remote offer that the browser answers locally; the
   * answer is not sent (content-modify has none). We never start our camera on the peer's word.
   */
  async #applyRemoteSenders(name: string, requested: Senders) {
    const content = this.#n.remote?.contents.find((c) => c.name === name);
    if (!content) return;
    const role = this.#n.role;
    const weSend = sends(content.senders, role);
    const senders = withSender(requested, role, weSend && sends(requested, role));
    const peer = await this.#port.requirePeer();
    if (weSend && !sends(senders, role)) await peer.setSending("video", false);
    const agreed = this.#n.remote;
    if (senders === content.senders || !agreed) return;
    const remote = modifySenders(agreed, name, senders);
    this.#updateLocal(await peer.answer(this.#n.remoteSdp(remote, false)), true);
    this.#n.agree(remote);
    this.#emitVideo();
  }

  async #sendKeyFrames(peer: MediaPeer) {
    await peer.restartSending("video");
    await new Promise((resolve) => setTimeout(resolve, KEY_FRAME_AGAIN_MS));
    if (!this.#port.ended() && this.video.sending) await peer.restartSending("video");
  }

  /**
   * Our own sending on an agreed content changes (content-modify, XEP-0166 §7.2.6). Turning it on,
   * the peer is told first and our camera sends once it acknowledged (or after a short wait):
   * frames sent before the peer takes the change are dropped, and with them the key frame the
   * next ones need. The camera opens meanwhile, so its start-up overlaps the round trip (npm run
   * bench -- mid). Turning it off, we stop first, then tell.
   */
  async #modifyOwnSending(name: string, send: boolean) {
    const content = this.#n.remote?.contents.find((c) => c.name === name);
    if (!content || this.#port.ended()) return;
    const senders = withSender(content.senders, this.#n.role, send);
    const peer = await this.#port.requirePeer();
    if (send) {
      if (this.#mutedInstead.delete(name)) {
        await this.#port.sendJingle({ action: "session-info", info: { kind: "unmute", creator: this.#n.role, name } }).catch((e: unknown) => this.#port.iqFailed("session-info", e));
      }
      const told = this.#tellSenders(content, senders, send);
      peer.prepareSending("video");
      await Promise.race([told, new Promise((resolve) => setTimeout(resolve, ACKNOWLEDGEMENT_WAIT_MS))]);
      // Ended meanwhile: close() released the camera that was opening.
      if (this.#port.ended()) return;
    }
    await peer.setSending("video", send);
    this.#updateLocal(await peer.offer());
    const agreed = this.#n.remote;
    if (!agreed) return;
    const remote = modifySenders(agreed, name, senders);
    await peer.applyAnswer(this.#n.remoteSdp(remote, true));
    this.#n.agree(remote);
    this.#emitVideo();
    // A peer that applies the change after acknowledging it (ours does) or that dropped our first
    // frames without asking for a key frame (Firefox) gets one now and again a little later.
    if (send) void this.#sendKeyFrames(peer);
    else await this.#tellSenders(content, senders, send);
  }

  /** content-modify with our new senders; Dino's refusal of 'none' becomes session-info mute. */
  async #tellSenders(content: ContentStub, senders: Senders, send: boolean): Promise<void> {
    await this.#port.sendJingle({ action: "content-modify", stubs: [{ name: content.name, creator: content.creator, senders }] }).catch(async (error: unknown) => {
      this.#port.iqFailed("content-modify", error);
      // Dino refuses senders='none' (bad-request "invalid role none") and turns its own camera off
      // with session-info <mute/> (XEP-0167 §7.2.6): say it that way, so its view of us is not frozen.
      if (!send && error instanceof StanzaError && error.condition === "bad-request") {
        this.#mutedInstead.add(content.name);
        await this.#port.sendJingle({ action: "session-info", info: { kind: "mute", creator: this.#n.role, name: content.name } }).catch((e: unknown) => this.#port.iqFailed("session-info", e));
      }
    });
  }
}

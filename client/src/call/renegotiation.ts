// Mid-call renegotiation of a call's contents: video added, accepted, refused, stopped (XEP-0166
// §7.2 content-add/-accept/-reject/-remove/-modify, XEP-0167). The session owns the call and its
// queue; this module decides how the agreed contents change, through the session's port
// (RenegotiationHost). The contents arithmetic itself is pure, in contents.ts.
import type { Element } from "@xmpp/xml";
import { sdpToSession, sessionToJingle, sessionToSdp, type DtlsSetup, type JingleContent, type JingleRole, type JingleSession, type RemoteCandidate } from "../jingle/index.js";
import { addContents, contentOf, modifySenders, peerDtlsSetup, sends, withSender, withSetup } from "./contents.js";
import { addCandidates, contentModifyElement, isTieBreak, JingleErrors, reasonElement } from "./jingle-actions.js";
import type { MediaPeer } from "./peer.js";

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
  | { direction: "outgoing"; names: string[] }
  | { direction: "incoming"; add: JingleSession };

/** What renegotiation needs of its call (CallSession implements it). */
export interface RenegotiationHost {
  readonly sid: string;
  /** The call is active: the only state in which contents change. */
  active(): boolean;
  ended(): boolean;
  role(): JingleRole;
  /** The initiator's full JID (the `initiator` attribute). */
  initiator(): string;
  /** The peer's contents as last agreed. */
  remote(): JingleSession | undefined;
  /** The agreed contents changed and the browser has them: their candidates may go in. */
  setRemote(remote: JingleSession): void;
  /** Content names the peer's candidates may name: the agreed ones and those of a pending content-add. */
  remoteMids(): readonly string[];
  setRemoteMids(names: string[]): void;
  localContents(): readonly JingleContent[];
  setLocalContents(contents: readonly JingleContent[]): void;
  /** The DTLS role the peer took in the first offer/answer, once known. */
  peerSetup(): DtlsSetup | undefined;
  /** The o= version of the next remote description (RFC 3264 §8: it grows with every change, ICE restarts too). */
  nextRemoteVersion(): number;
  requirePeer(): Promise<MediaPeer>;
  /** Runs a task on the call's one-action-at-a-time queue. */
  enqueue(task: () => Promise<void>): void;
  sendJingle(action: string, children: Element[]): Promise<void>;
  /** Sends a built <jingle/> to the peer; resolves on result, rejects with StanzaError. */
  sendIq(jingle: Element): Promise<Element>;
  /** The contents of a content-add/-accept; the codec's refusal becomes the iq error, the call goes on. */
  readSession(jingle: Element): JingleSession;
  /** The candidates inline in agreed contents (counted against the session cap). */
  readCandidatesOf(session: JingleSession): RemoteCandidate[];
  addCandidates(candidates: readonly RemoteCandidate[]): Promise<void>;
  /** Pending local candidates as a transport-info, if any is for one of `names`. */
  takeCandidatesFor(names: readonly string[]): Element | null;
  /** Local candidates waiting for a new content go out in the next batch. */
  flushPending(): void;
  emitVideo(state: VideoState): void;
}

export class Renegotiation {
  readonly #host: RenegotiationHost;
  #upgrade: Upgrade | undefined;
  /** Our user asked for video: a crossing content-add from the peer is taken as the answer. */
  #wantVideo = false;
  #notice = "";

  constructor(host: RenegotiationHost) {
    this.#host = host;
  }

  /** Informational text about the running call (e.g. video refused), not an error. */
  get notice(): string {
    return this.#notice;
  }

  get video(): VideoState {
    const remote = this.#host.remote();
    const content = remote && contentOf(remote.contents, "video");
    const role = this.#host.role();
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
    const remote = this.#host.remote();
    if (!this.#host.active() || !remote || this.#upgrade || this.video.sending) return;
    this.#wantVideo = true;
    const existing = contentOf(remote.contents, "video");
    if (existing) {
      this.#host.enqueue(() => this.#modifyOwnSending(existing.name, true));
      return;
    }
    this.#upgrade = { direction: "outgoing", names: [] };
    this.#emitVideo();
    this.#host.enqueue(() => this.#sendContentAdd());
  }

  /**
   * Turns our camera off again: content-modify removing us from the video content's senders.
   * Not content-remove: Conversations terminates the call on a content-remove of an accepted
   * content and Dino answers it feature-not-implemented, while both apply content-modify
   * (docs/interop.md, "Mid-call").
   */
  stopVideo(): void {
    const remote = this.#host.remote();
    const content = remote && contentOf(remote.contents, "video");
    if (!this.#host.active() || !content || this.#upgrade || !this.video.sending) return;
    this.#wantVideo = false;
    this.#host.enqueue(() => this.#modifyOwnSending(content.name, false));
  }

  /** Accepts the peer's content-add; our camera goes on if the content has us among its senders. */
  acceptVideo(): void {
    if (this.#upgrade?.direction !== "incoming") return;
    const add = this.#upgrade.add;
    this.#host.enqueue(() => this.#acceptContentAdd(add));
  }

  /** Declines the peer's content-add (content-reject, XEP-0166 §7.2.4). */
  declineVideo(): void {
    if (this.#upgrade?.direction !== "incoming") return;
    const add = this.#upgrade.add;
    this.#upgrade = undefined;
    this.#emitVideo();
    void this.#host.sendJingle("content-reject", [...this.#stubs(add), reasonElement("decline")]).catch(() => undefined);
  }

  #emitVideo() {
    this.#host.emitVideo(this.video);
  }

  #setNotice(text: string) {
    this.#notice = text;
    this.#emitVideo();
  }

  /** Contents reduced to name, creator and senders (content-reject, content-modify). */
  #stubs(session: JingleSession): Element[] {
    return session.contents.map((c) => contentModifyElement(c.name, c.creator, c.senders));
  }

  /** The remote description for the browser after a change of the agreed contents. */
  #renegotiatedSdp(remote: JingleSession, answer: boolean): string {
    const fixed = withSetup(remote, this.#host.peerSetup() ?? peerDtlsSetup(remote, this.#host.localContents()));
    return sessionToSdp(fixed, { role: this.#host.role(), answer, sid: this.#host.sid, sessionVersion: this.#host.nextRemoteVersion() });
  }

  #updateLocal(sdp: string) {
    this.#host.setLocalContents(sdpToSession(sdp, { role: this.#host.role() }).session.contents);
  }

  /** Our camera on: new video m-line offered as content-add; the answer comes as content-accept. */
  async #sendContentAdd() {
    const peer = await this.#host.requirePeer();
    await peer.setSending("video", true);
    const offer = await peer.offer();
    if (this.#host.ended() || this.#upgrade?.direction !== "outgoing") return;
    const local = sdpToSession(offer, { role: this.#host.role(), creator: this.#host.role() }).session;
    const added = local.contents.filter((c) => !this.#host.remoteMids().includes(c.name));
    this.#upgrade = { direction: "outgoing", names: added.map((c) => c.name) };
    this.#updateLocal(offer);
    const jingle = sessionToJingle({ contents: added, groups: local.groups }, { action: "content-add", sid: this.#host.sid, initiator: this.#host.initiator() });
    this.#host.sendIq(jingle).catch((error: unknown) => {
      // Tie-break: the initiator's crossing content-add wins and answers ours (XEP-0166 §10).
      if (isTieBreak(error)) return;
      // Acked then content-reject is the norm (StanzaJS); an error reply refuses it just the same.
      if (this.#upgrade?.direction === "outgoing") this.#host.enqueue(() => this.#contentRefused());
    });
    this.#host.flushPending();
  }

  /** Our content-add was refused (content-reject, error) or crossed: back to the last agreed description. */
  async #contentRefused(notice = "The other side did not accept video. The call continues with audio.") {
    this.#upgrade = undefined;
    this.#wantVideo = false;
    const peer = await this.#host.requirePeer();
    await peer.rollback();
    await peer.setSending("video", false);
    this.#host.setLocalContents(this.#host.localContents().filter((c) => this.#host.remoteMids().includes(c.name)));
    if (notice) this.#setNotice(notice);
    else this.#emitVideo();
  }

  /** The peer adds a content (XEP-0166 §7.2.1): checked now, put to our user (or taken as the answer to ours) in turn. */
  receiveContentAdd(jingle: Element) {
    const agreed = this.#host.remote();
    if (!this.#host.active() || !agreed || this.#upgrade?.direction === "incoming") throw JingleErrors.outOfOrder();
    const add = this.#host.readSession(jingle);
    if (add.contents.length === 0 || add.contents.some((c) => this.#host.remoteMids().includes(c.name))) throw JingleErrors.badRequest("no new content (empty, or a name already in use)");
    const crossing = this.#upgrade?.direction === "outgoing";
    if (crossing && this.#host.role() === "initiator") throw JingleErrors.tieBreak();
    const video = add.contents.every((c) => c.description?.media === "video") && !contentOf(agreed.contents, "video");
    this.#host.enqueue(async () => {
      // We are the responder: our crossing offer yields to theirs, which we then take as our answer.
      if (crossing) await (await this.#host.requirePeer()).rollback();
      if (!video) {
        // One video content at most: the call screen shows one remote video (as Conversations).
        await this.#host.sendJingle("content-reject", [...this.#stubs(add), reasonElement("unsupported-applications")]).catch(() => undefined);
        return;
      }
      this.#upgrade = { direction: "incoming", add };
      this.#host.setRemoteMids([...this.#host.remoteMids(), ...add.contents.map((c) => c.name)]);
      if (this.#wantVideo) await this.#acceptContentAdd(add);
      else this.#emitVideo();
    });
  }

  async #acceptContentAdd(add: JingleSession) {
    if (this.#upgrade?.direction !== "incoming" || this.#upgrade.add !== add || !this.#host.remote()) return;
    const peer = await this.#host.requirePeer();
    const sending = add.contents.some((c) => sends(c.senders, this.#host.role()));
    if (sending) await peer.setSending("video", true);
    const agreed = this.#host.remote();
    if (!agreed) return;
    const remote = addContents(agreed, add);
    const answer = await peer.answer(this.#renegotiatedSdp(remote, false));
    this.#upgrade = undefined;
    this.#host.setRemote(remote);
    this.#updateLocal(answer);
    const names = add.contents.map((c) => c.name);
    const local = sdpToSession(answer, { role: this.#host.role(), answer: true }).session;
    const accepted = local.contents.filter((c) => names.includes(c.name)).map((c) => ({ ...c, creator: add.contents.find((a) => a.name === c.name)?.creator ?? c.creator }));
    const jingle = sessionToJingle({ contents: accepted, groups: local.groups }, { action: "content-accept", sid: this.#host.sid, initiator: this.#host.initiator() });
    addCandidates(jingle, this.#host.takeCandidatesFor(names));
    void this.#host.sendIq(jingle).catch(() => undefined);
    await this.#host.addCandidates(this.#host.readCandidatesOf(add));
    this.#emitVideo();
  }

  /** The peer accepts our content-add (§7.2.2). */
  receiveContentAccept(jingle: Element) {
    const upgrade = this.#upgrade;
    if (upgrade?.direction !== "outgoing" || !this.#host.remote()) throw JingleErrors.outOfOrder();
    const accepted = this.#host.readSession(jingle);
    if (accepted.contents.map((c) => c.name).join() !== upgrade.names.join()) throw JingleErrors.outOfOrder();
    this.#host.enqueue(async () => {
      const agreed = this.#host.remote();
      if (!agreed) return;
      const remote = addContents(agreed, accepted);
      await (await this.#host.requirePeer()).applyAnswer(this.#renegotiatedSdp(remote, true));
      this.#upgrade = undefined;
      this.#host.setRemote(remote);
      await this.#host.addCandidates(this.#host.readCandidatesOf(accepted));
      this.#emitVideo();
    });
  }

  /** content-reject of our content-add, or content-remove: of a content-add not yet answered (its retraction, as Conversations uses it) or of an agreed content (treated as senders none). */
  receiveContentReject(jingle: Element, action: "content-reject" | "content-remove") {
    const names = jingle.getChildren("content").map((c) => c.attrs.name ?? "");
    const upgrade = this.#upgrade;
    if (action === "content-reject") {
      // StanzaJS names no content in its content-reject (Session.onContentAdd()): it can only mean ours.
      if (upgrade?.direction !== "outgoing" || (names.length > 0 && names.join() !== upgrade.names.join())) throw JingleErrors.outOfOrder();
      this.#host.enqueue(() => this.#contentRefused());
      return;
    }
    if (upgrade?.direction === "incoming" && names.join() === upgrade.add.contents.map((c) => c.name).join()) {
      this.#upgrade = undefined;
      this.#host.setRemoteMids(this.#host.remoteMids().filter((n) => !names.includes(n)));
      this.#emitVideo();
      return;
    }
    const removed = this.#host.remote()?.contents.filter((c) => names.includes(c.name)) ?? [];
    if (!this.#host.active() || removed.length !== names.length || names.length === 0) throw JingleErrors.outOfOrder();
    // Only video goes away mid-call; the m-line stays (JSEP), inactive.
    if (removed.some((c) => c.description?.media !== "video")) throw JingleErrors.notImplemented();
    for (const content of removed) this.#host.enqueue(() => this.#applyRemoteSenders(content.name, "none"));
  }

  /** The peer changes who sends on an agreed content (§7.2.6). */
  receiveContentModify(jingle: Element) {
    if (!this.#host.active() || !this.#host.remote() || this.#upgrade) throw JingleErrors.outOfOrder();
    const changes = jingle.getChildren("content").map((c) => ({ name: c.attrs.name ?? "", senders: c.attrs.senders ?? "both" }));
    const valid = (s: string): s is "both" | "initiator" | "responder" | "none" => ["both", "initiator", "responder", "none"].includes(s);
    if (changes.length === 0 || changes.some((c) => !this.#host.remoteMids().includes(c.name) || !valid(c.senders))) throw JingleErrors.badRequest("unknown content or senders");
    // Audio stays both ways (muting is session-info, XEP-0167 §7.2); senders change on video only.
    if (changes.some((c) => contentOf(this.#host.remote()?.contents.filter((k) => k.name === c.name) ?? [], "video") === undefined)) throw JingleErrors.notImplemented();
    for (const { name, senders } of changes) if (valid(senders)) this.#host.enqueue(() => this.#applyRemoteSenders(name, senders));
  }

  /**
   * The peer changed who sends on a content. Applied as Conversations' autoAcceptContentModify:
   * the agreed contents, modified, become a remote offer that the browser answers locally; the
   * answer is not sent (content-modify has none). We never start our camera on the peer's word.
   */
  async #applyRemoteSenders(name: string, requested: "both" | "initiator" | "responder" | "none") {
    const content = this.#host.remote()?.contents.find((c) => c.name === name);
    if (!content) return;
    const weSend = sends(content.senders, this.#host.role());
    const senders = withSender(requested, this.#host.role(), weSend && sends(requested, this.#host.role()));
    const peer = await this.#host.requirePeer();
    if (weSend && !sends(senders, this.#host.role())) await peer.setSending("video", false);
    const agreed = this.#host.remote();
    if (senders === content.senders || !agreed) return;
    const remote = modifySenders(agreed, name, senders);
    this.#updateLocal(await peer.answer(this.#renegotiatedSdp(remote, false)));
    this.#host.setRemote(remote);
    this.#emitVideo();
  }

  /** Our own sending on an agreed content changes: local offer, the agreed answer restated, then content-modify. */
  async #modifyOwnSending(name: string, send: boolean) {
    const content = this.#host.remote()?.contents.find((c) => c.name === name);
    if (!content || this.#host.ended()) return;
    const senders = withSender(content.senders, this.#host.role(), send);
    const peer = await this.#host.requirePeer();
    await peer.setSending("video", send);
    this.#updateLocal(await peer.offer());
    const agreed = this.#host.remote();
    if (!agreed) return;
    const remote = modifySenders(agreed, name, senders);
    await peer.applyAnswer(this.#renegotiatedSdp(remote, true));
    this.#host.setRemote(remote);
    this.#emitVideo();
    await this.#host.sendJingle("content-modify", [contentModifyElement(name, content.creator, senders)]).catch(() => undefined);
  }
}

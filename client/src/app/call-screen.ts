import type { CallSession } from "../call/session.js";
import { deriveCallPhase, PHASE_TEXT, reasonText, type CallPhase } from "../call/view.js";
import { CoalescedRender } from "./coalesce.js";
import { h, Memo, replaceChildren } from "./dom.js";
import { QualityPanel } from "./quality-panel.js";
import { DevicePicker } from "./device-picker.js";
import type { BrowserStreams } from "../platform/peer-browser.js";

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const mm = String(Math.floor(s / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** Writes a text only when it differs: the same text written again still replaces its node, and the page lays it out and paints it again. */
function setText(element: HTMLElement, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

function setHidden(element: HTMLElement, hidden: boolean): void {
  if (element.hidden !== hidden) element.hidden = hidden;
}

/**
 * The call overlay: incoming, outgoing and in-call screens for one call. The <video>
 * elements are created once and never re-parented (removing a playing media element from
 * the document pauses it); only texts and controls are re-rendered.
 */
export class CallScreen {
  readonly element: HTMLElement;
  readonly remoteVideo: HTMLVideoElement;
  readonly localVideo: HTMLVideoElement;
  readonly #call: CallSession;
  readonly #name: string;
  readonly #title = h("span", { class: "peer" });
  readonly #status = h("span", { class: "status", role: "status", "aria-label": "Call status" });
  readonly #timer = h("span", { class: "timer", "aria-label": "Call duration" });
  readonly #ring = h("div", { class: "ring" });
  readonly #problem = h("div", {});
  readonly #notice = h("p", { class: "notice", role: "status", "aria-label": "Call notice" });
  readonly #controls = h("div", { class: "controls", role: "toolbar", "aria-label": "Call controls" });
  readonly #onClose: () => void;
  readonly #quality: QualityPanel;
  readonly #devices: DevicePicker;
  #peer: BrowserStreams | undefined;
  #tick: ReturnType<typeof setInterval> | undefined;
  #signalingUp = true;
  /** The call's events come in bursts (state, ICE, notice…): one render after each (coalesce.ts). */
  readonly #renders = new CoalescedRender(() => this.#render());
  /**
   * The parts a render builds, rebuilt only when what they show changed: most events (ICE
   * checking, connected, a notice) change one text, and new buttons, ring and alert cost the
   * page's thread a style, layout, paint and raster each time, during the call's set-up too. A
   * button kept in place also keeps the pointer and keyboard focus on it.
   */
  readonly #built = { controls: new Memo<HTMLElement[]>(), ring: new Memo<HTMLElement[]>(), problem: new Memo<HTMLElement | false>() };

  constructor(call: CallSession, peerName: string, onClose: () => void) {
    this.#call = call;
    this.#name = peerName;
    this.#onClose = onClose;
    this.remoteVideo = h("video", { class: "remote", autoplay: true, playsinline: true, "aria-label": `Video of ${peerName}` });
    this.localVideo = h("video", { class: "local", autoplay: true, playsinline: true, muted: true, "aria-label": "Your camera" });
    this.localVideo.muted = true;
    this.#quality = new QualityPanel(() => call.iceState);
    this.#devices = new DevicePicker(this.remoteVideo);
    this.element = h(
      "section",
      { class: "call", role: "dialog", "aria-modal": "true", "aria-label": "Call" },
      h("header", {}, this.#title, this.#status, this.#quality.indicator, this.#timer),
      this.#problem,
      this.#notice,
      this.#devices.notice,
      h("div", { class: "stage" }, this.remoteVideo, this.localVideo, this.#ring, this.#quality.element, this.#devices.element),
      this.#controls,
    );
    for (const event of ["state", "ice", "recovering", "problem", "remoteMute", "notice", "video"] as const) call.on(event, () => this.update());
    this.#tick = setInterval(() => this.#updateTimer(), 1000);
    this.#render();
  }

  setStreams(local: MediaStream, remote: MediaStream, peer?: BrowserStreams): void {
    if (peer) {
      const sharingChanged = this.#peer?.sharing !== peer.sharing;
      this.#peer = peer;
      this.#quality.setSource(peer.stats);
      this.#devices.setSwitcher(peer.useDevice, peer.local);
      if (sharingChanged) this.update();
    }
    if (this.localVideo.srcObject !== local) this.localVideo.srcObject = local;
    if (this.remoteVideo.srcObject !== remote) this.remoteVideo.srcObject = remote;
  }

  get phase(): CallPhase {
    const call = this.#call;
    return deriveCallPhase({ state: call.state, direction: call.direction, iceState: call.iceState, reason: call.reason, signalingUp: this.#signalingUp, recovering: call.recovering });
  }

  /** Whether our XMPP session is up (the call survives its loss; see deriveCallPhase). */
  setSignalingUp(up: boolean): void {
    if (this.#signalingUp === up) return;
    this.#signalingUp = up;
    this.update();
  }

  /** A device problem (camera refused, microphone unplugged…) the user should know about. */
  showDeviceNotice(text: string): void {
    this.#devices.say(text);
  }

  dispose(): void {
    clearInterval(this.#tick);
    this.#renders.cancel();
    this.#quality.stop();
  }

  /** Asks for a render; it runs after the event's task, so signaling never waits for the view. */
  update(): void {
    this.#renders.request();
  }

  #render(): void {
    const call = this.#call;
    const phase = this.phase;
    const upgrade = call.video;
    const video = call.media.includes("video") || upgrade.sending || upgrade.receiving;
    const kind = call.media.includes("video") ? "video call" : "audio call";
    setText(this.#title, this.#name);
    setText(this.#status, phase === "ringing-local" ? `Incoming ${kind}` : PHASE_TEXT[phase]);
    setText(this.#notice, call.ended ? "" : upgrade.request === "incoming" ? `${this.#name} wants to turn on video.` : upgrade.request === "outgoing" ? "Asking to turn on video…" : call.notice);
    this.#updateTimer();
    const inMedia = phase === "connected" || phase === "connecting" || phase === "reconnecting";
    // Statistics are read while media may flow, and not a second longer.
    if (inMedia && !call.ended) this.#quality.start();
    else this.#quality.stop();
    setHidden(this.remoteVideo, !inMedia || !video);
    setHidden(this.localVideo, !inMedia || !video);
    setHidden(this.#ring, inMedia && video);
    this.#ring.classList.toggle("ringing", phase === "ringing-local" || phase === "ringing-remote");
    const ending = call.ended ? reasonText(call.reason) : "";
    const ring = this.#built.ring.get([this.#name, ending], () => [h("span", { class: "avatar big", "aria-hidden": "true" }, this.#name.slice(0, 1).toUpperCase()), h("p", {}, ending)]);
    if (this.#ring.firstChild !== ring[0]) replaceChildren(this.#ring, ring);
    const problem = this.#built.problem.get([call.problem], () => (call.problem ? h("p", { class: "error", role: "alert" }, call.problem) : false));
    if (this.#problem.firstChild !== (problem || null)) replaceChildren(this.#problem, problem);
    const controls = this.#built.controls.get(this.#controlsKey(phase), () => this.#buttons(phase));
    if (this.#controls.firstChild !== (controls[0] ?? null)) replaceChildren(this.#controls, controls);
  }

  /** Everything #buttons reads: the buttons are built again when one of these changes. */
  #controlsKey(phase: CallPhase): unknown[] {
    const call = this.#call;
    const peer = this.#peer;
    const upgrade = call.video;
    // Connecting and connected show the same buttons but for "Turn on camera" (connected only).
    const stage = phase === "connecting" || phase === "reconnecting" ? "media" : phase === "connected" ? (call.media.includes("video") ? "media" : "connected") : phase;
    const sharing = !peer ? "none" : peer.sharing ? "sharing" : peer.local.getVideoTracks().some((t) => t.enabled) ? "camera" : "none";
    // Not the streams object itself: every change of tracks brings a new one, with nothing to show
    // differently; and whether we send video only where it picks a button (a call begun without it).
    const sendingAdded = call.media.includes("video") ? undefined : upgrade.sending;
    return [stage, call.isMuted("audio"), call.isMuted("video"), upgrade.request, sendingAdded, sharing, this.#devices.open, this.#quality.open];
  }

  #updateTimer() {
    const at = this.#call.connectedAt;
    setText(this.#timer, at && !this.#call.ended ? formatDuration(Date.now() - at) : "");
  }

  /** Screen sharing replaces the camera: offered while the camera sends. */
  #shareButton(): HTMLButtonElement | false {
    const shown = this.#peer;
    if (!shown || (!shown.sharing && !shown.local.getVideoTracks().some((t) => t.enabled))) return false;
    // The streams as they are at the click: each change of tracks hands the screen a new view of them.
    const act = (peer = this.#peer ?? shown) =>
      (peer.sharing ? peer.stopSharing() : peer.shareScreen()).catch((error: unknown) => {
        // The user closed the browser's picker: nothing to say.
        if (error instanceof DOMException && error.name === "NotAllowedError") return;
        this.#devices.say(`Screen sharing could not start: ${error instanceof Error ? error.message : String(error)}`);
      });
    return h("button", { "aria-pressed": String(shown.sharing), onclick: () => void act().then(() => this.update()) }, shown.sharing ? "Stop sharing" : "Share screen");
  }

  #devicesButton(): HTMLButtonElement {
    return h("button", { "aria-pressed": String(this.#devices.open), onclick: () => { this.#devices.toggle(); this.update(); } }, "Devices");
  }

  #buttons(phase: CallPhase): HTMLElement[] {
    const call = this.#call;
    const video = call.media.includes("video");
    switch (phase) {
      case "ringing-local":
        return [
          this.#devicesButton(),
          video && h("button", { class: "accept", onclick: () => void call.accept(true) }, "Accept with video"),
          h("button", { class: video ? "" : "accept", onclick: () => void call.accept(false) }, video ? "Accept audio only" : "Accept"),
          h("button", { class: "danger", onclick: () => void call.reject() }, "Decline"),
        ].filter((b): b is HTMLButtonElement => b !== false);
      case "finding-device":
      case "ringing-remote":
        return [this.#devicesButton(), h("button", { class: "danger", onclick: () => void call.hangUp() }, "Cancel")];
      case "connecting":
      case "connected":
      case "reconnecting": {
        const micMuted = call.isMuted("audio");
        const camOff = call.isMuted("video");
        const upgrade = call.video;
        const startedWithVideo = call.media.includes("video");
        return [
          h("button", { "aria-pressed": String(micMuted), onclick: () => void call.setMuted("audio", !micMuted).then(() => this.update()) }, "Mute microphone"),
          startedWithVideo && h("button", { "aria-pressed": String(camOff), onclick: () => void call.setMuted("video", !camOff).then(() => this.update()) }, "Turn camera off"),
          // Video added during the call (XEP-0166 content-add) and stopped again (content-modify).
          upgrade.request === "incoming" && h("button", { class: "accept", onclick: () => call.acceptVideo() }, "Accept video"),
          upgrade.request === "incoming" && h("button", { onclick: () => call.declineVideo() }, "Decline video"),
          !startedWithVideo && !upgrade.sending && !upgrade.request && phase === "connected" && h("button", { "aria-label": "Add video", onclick: () => call.addVideo() }, "Turn on camera"),
          !startedWithVideo && upgrade.sending && h("button", { "aria-label": "Stop video", onclick: () => call.stopVideo() }, "Turn off camera"),
          this.#devicesButton(),
          this.#shareButton(),
          h("button", { "aria-pressed": String(this.#quality.open), onclick: () => { this.#quality.toggle(); this.update(); } }, "Call quality"),
          h("button", { class: "danger", onclick: () => void call.hangUp() }, "Hang up"),
        ].filter((b): b is HTMLButtonElement => b !== false);
      }
      default:
        return [h("button", { onclick: () => this.#onClose() }, "Close")];
    }
  }
}

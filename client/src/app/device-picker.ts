import type { CallMedia } from "../call/states.js";
import type { DeviceChoice } from "../platform/local-media.js";
import { h, replaceChildren } from "./dom.js";
import { loadDeviceChoice, rememberDeviceChoice } from "./storage.js";

type Kind = keyof DeviceChoice;
const LABEL: Record<Kind, string> = { audioinput: "Microphone", videoinput: "Camera", audiooutput: "Speaker" };
const MEDIA: Partial<Record<Kind, CallMedia>> = { audioinput: "audio", videoinput: "video" };

/** Where `setSinkId` exists (Chromium; Firefox 116+), the speaker can be chosen. */
const canChooseSpeaker = (el: HTMLMediaElement): el is HTMLMediaElement & { setSinkId(id: string): Promise<void> } => "setSinkId" in el;

/**
 * Microphone, camera and speaker pickers for the call screen: usable before answering (the
 * choice is what the call opens) and during the call (switched at once). The choice is
 * remembered for the next call.
 */
export class DevicePicker {
  readonly element = h("section", { class: "device-picker", "aria-label": "Devices", hidden: true });
  readonly notice = h("p", { class: "notice", role: "status", "aria-label": "Device notice" });
  #switchInput: ((media: CallMedia, deviceId: string) => Promise<void>) | undefined;
  #local: MediaStream | undefined;
  readonly #output: HTMLMediaElement;

  constructor(output: HTMLMediaElement) {
    this.#output = output;
    const speaker = loadDeviceChoice().audiooutput;
    if (speaker) this.#setSpeaker(speaker).catch(() => this.say("The speaker chosen last time is not available: using the default one."));
    navigator.mediaDevices?.addEventListener("devicechange", () => void (this.open && this.render()));
  }

  get open(): boolean {
    return !this.element.hidden;
  }

  toggle(): void {
    this.element.hidden = !this.element.hidden;
    if (this.open) void this.render();
  }

  /** How to switch an input of the running call (set once its peer connection exists). */
  setSwitcher(switchInput: (media: CallMedia, deviceId: string) => Promise<void>, local: MediaStream): void {
    this.#switchInput = switchInput;
    this.#local = local;
    // The devices in use may have changed (a fallback after an unplug): show them.
    if (this.open) void this.render();
  }

  say(text: string): void {
    this.notice.textContent = text;
  }

  async render(): Promise<void> {
    const devices = await navigator.mediaDevices.enumerateDevices().catch(() => []);
    const choice = loadDeviceChoice();
    // What the call uses wins over what was chosen (they differ after a fallback to the default).
    const inUse = (kind: "audio" | "video") => this.#local?.getTracks().find((t) => t.kind === kind)?.getSettings().deviceId;
    const selected: DeviceChoice = { ...choice, audioinput: inUse("audio") ?? choice.audioinput, videoinput: inUse("video") ?? choice.videoinput };
    const kinds: Kind[] = ["audioinput", "videoinput", ...(canChooseSpeaker(this.#output) ? (["audiooutput"] as const) : [])];
    replaceChildren(
      this.element,
      kinds.map((kind) => {
        const options = devices.filter((d) => d.kind === kind);
        const id = `device-${kind}`;
        const select = h(
          "select",
          { id, onchange: (e: Event) => void this.#choose(kind, (e.target as HTMLSelectElement).value) },
          options.length === 0 && h("option", { value: "" }, "None found"),
          options.map((d, i) => h("option", { value: d.deviceId, selected: d.deviceId === selected[kind] }, d.label || `${LABEL[kind]} ${i + 1}`)),
        );
        return h("div", { class: "row" }, h("label", { for: id }, LABEL[kind]), select);
      }),
    );
  }

  async #choose(kind: Kind, deviceId: string): Promise<void> {
    rememberDeviceChoice({ ...loadDeviceChoice(), [kind]: deviceId });
    const media = MEDIA[kind];
    try {
      if (media) await this.#switchInput?.(media, deviceId);
      else await this.#setSpeaker(deviceId);
      this.say("");
    } catch (error) {
      this.say(`Could not switch to that ${LABEL[kind].toLowerCase()}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async #setSpeaker(deviceId: string): Promise<void> {
    if (canChooseSpeaker(this.#output)) await this.#output.setSinkId(deviceId);
  }
}

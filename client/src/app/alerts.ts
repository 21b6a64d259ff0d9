// Telling the user something happened while they look elsewhere: desktop notifications (with
// their permission) and a ringtone made with Web Audio (no sound file to ship).
import type { CallSession } from "../call/session.js";
import type { CallState } from "../call/states.js";

const RINGING: readonly CallState[] = ["incoming", "incoming-session"];

/** The Notification API as far as we use it (tests replace window.Notification with a fake). */
export type NotificationPermissionState = "default" | "granted" | "denied" | "unsupported";

const readPermission = (): NotificationPermissionState => (typeof Notification === "undefined" ? "unsupported" : Notification.permission);

export class Notifier {
  // Notification.permission asks the browser process synchronously on every read (Chromium), and
  // each render reads it: a few milliseconds of main thread per render during a call's set-up.
  // Read once, then follow the Permissions API's change event (site settings changed elsewhere).
  #permission = readPermission();

  /** `onChange` runs when the permission changes outside `request` (e.g. in the site settings). */
  constructor(onChange?: () => void) {
    if (typeof navigator === "undefined" || !navigator.permissions) return;
    navigator.permissions.query({ name: "notifications" }).then((status) => {
      status.addEventListener("change", () => {
        this.#permission = readPermission();
        onChange?.();
      });
    }, () => undefined);
  }

  get permission(): NotificationPermissionState {
    return this.#permission;
  }

  /** Asks for permission; must run from a user gesture (browsers ignore it otherwise). */
  async request(): Promise<NotificationPermissionState> {
    if (typeof Notification === "undefined") return "unsupported";
    this.#permission = await Notification.requestPermission();
    return this.#permission;
  }

  /** Shows a notification if allowed; a click focuses this tab and runs `onClick`. */
  show(title: string, options: { body: string; tag: string; onClick(): void }): Notification | undefined {
    if (this.permission !== "granted") return undefined;
    const notification = new Notification(title, { body: options.body, tag: options.tag });
    notification.onclick = () => {
      window.focus();
      options.onClick();
      notification.close();
    };
    return notification;
  }
}

/**
 * A two-tone ring (440+480 Hz, the North American ring cadence: 2 s on, 4 s off), made by
 * oscillators so no audio asset is needed. Autoplay rules may keep the context suspended
 * until the user interacted with the page; the notification still tells them.
 */
export class Ringtone {
  #context: AudioContext | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  get ringing(): boolean {
    return this.#timer !== undefined;
  }

  start(): void {
    if (this.#timer !== undefined || typeof AudioContext === "undefined") return;
    const context = (this.#context = new AudioContext());
    void context.resume().catch(() => undefined);
    const burst = () => {
      const gain = context.createGain();
      gain.gain.setValueAtTime(0.0001, context.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.15, context.currentTime + 0.05);
      gain.gain.setValueAtTime(0.15, context.currentTime + 1.9);
      gain.gain.exponentialRampToValueAtTime(0.0001, context.currentTime + 2);
      gain.connect(context.destination);
      for (const frequency of [440, 480]) {
        const osc = context.createOscillator();
        osc.frequency.value = frequency;
        osc.connect(gain);
        osc.start();
        osc.stop(context.currentTime + 2);
      }
    };
    burst();
    this.#timer = setInterval(burst, 6_000);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    void this.#context?.close().catch(() => undefined);
    this.#context = undefined;
  }
}

/**
 * Rings and notifies for an incoming call until it stops ringing: answered, declined,
 * answered or declined on another device, or withdrawn by the caller.
 */
export function alertIncomingCall(call: CallSession, name: string, notifier: Notifier, ringtone: Ringtone, onClick: () => void): void {
  if (call.direction !== "incoming" || !RINGING.includes(call.state)) return;
  ringtone.start();
  const video = call.media.includes("video");
  const notification = notifier.show(`Incoming ${video ? "video" : "audio"} call`, { body: `${name} is calling`, tag: `call-${call.id}`, onClick });
  const off = call.on("state", (state) => {
    if (RINGING.includes(state)) return;
    off();
    ringtone.stop();
    notification?.close();
  });
}

import type { DeviceChoice } from "../platform/local-media.js";

/**
 * What the app remembers between visits: the JID and endpoint, and the chosen devices. The password is never
 * written anywhere by the app (the form is marked up so the browser's own password manager
 * can offer to keep it, encrypted, if the user wants).
 */
const KEY = "xmpp-calls.signin";

export interface RememberedSignIn {
  jid: string;
  service: string;
}

export function loadRemembered(storage: Storage = localStorage): RememberedSignIn | undefined {
  try {
    const value = JSON.parse(storage.getItem(KEY) ?? "null") as Partial<RememberedSignIn> | null;
    return value && typeof value.jid === "string" ? { jid: value.jid, service: value.service ?? "" } : undefined;
  } catch {
    return undefined;
  }
}

export function remember(value: RememberedSignIn | undefined, storage: Storage = localStorage): void {
  if (value) storage.setItem(KEY, JSON.stringify({ jid: value.jid, service: value.service }));
  else storage.removeItem(KEY);
}

/** The microphone, camera and speaker last chosen (device ids are per origin, so nothing leaks). */
const DEVICES_KEY = "xmpp-calls.devices";

export function loadDeviceChoice(storage: Storage = localStorage): DeviceChoice {
  try {
    const value = JSON.parse(storage.getItem(DEVICES_KEY) ?? "{}") as Record<string, unknown>;
    const choice: DeviceChoice = {};
    for (const kind of ["audioinput", "videoinput", "audiooutput"] as const) if (typeof value[kind] === "string") choice[kind] = value[kind];
    return choice;
  } catch {
    return {};
  }
}

export function rememberDeviceChoice(choice: DeviceChoice, storage: Storage = localStorage): void {
  storage.setItem(DEVICES_KEY, JSON.stringify(choice));
}

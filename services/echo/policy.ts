// Who may use the echo account and for how long: pure decisions, tested without a network.
import { bareJid, splitJid } from "../../client/src/xmpp/connection.js";

export interface EchoLimits {
  /** Calls echoed at once; more are answered busy. */
  maxCalls: number;
  /** A call is ended after this long, so a forgotten tab does not hold media open for ever. */
  maxCallMs: number;
  /** How long after the caller sent it their audio and video come back. */
  delayMs: number;
}

export const ECHO_LIMITS: EchoLimits = { maxCalls: 20, maxCallMs: 5 * 60_000, delayMs: 1_500 };

/**
 * Whether `from` is a user of the echo account's own server: the echo is a service for this
 * server's users (its media cost this server's bandwidth), so callers from other domains, the
 * domain itself or a component are strangers, whom the call layer never lets ring.
 */
export function isLocalUser(from: string, echoJid: string): boolean {
  const caller = splitJid(bareJid(from));
  const own = splitJid(bareJid(echoJid));
  return caller.local !== "" && caller.domain.toLowerCase() === own.domain.toLowerCase() && bareJid(from).toLowerCase() !== bareJid(echoJid).toLowerCase();
}

/** Reads a limit from the environment: a positive integer, or the default. */
export function limitFromEnv(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name}=${raw} is not a positive integer`);
  return value;
}

/** What the caller is told when the echo ends the call itself (sent as a chat message before hanging up). */
export function timeLimitText(limits: Pick<EchoLimits, "maxCallMs">): string {
  const minutes = limits.maxCallMs / 60_000;
  const length = Number.isInteger(minutes) ? `${minutes} minute${minutes === 1 ? "" : "s"}` : `${Math.round(limits.maxCallMs / 1000)} seconds`;
  return `Test call ended: test calls last at most ${length}. Call again to test once more.`;
}

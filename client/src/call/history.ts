import { bareJid } from "../xmpp/connection.js";
import type { JmiLogEntry } from "../xmpp/jmi.js";
import type { CallMedia } from "./states.js";

export type { JmiLogEntry } from "../xmpp/jmi.js";

export type CallOutcome = "answered" | "missed" | "declined" | "unanswered" | "busy";

export interface CallRecord {
  id: string;
  direction: "placed" | "received";
  peer: string;
  media: CallMedia[];
  outcome: CallOutcome;
  at: number;
}

/**
 * One log from the archive and what was seen live since sign-in: the same message (same
 * id, action, sender and recipient) counts once, and the result is in time order so each
 * call's propose comes before its outcome.
 */
export function mergeJmiLogs(...logs: ReadonlyArray<readonly JmiLogEntry[]>): JmiLogEntry[] {
  const seen = new Set<string>();
  const merged: JmiLogEntry[] = [];
  for (const entry of logs.flat()) {
    const { id, action, from, to } = entry.message;
    const key = JSON.stringify([id, action, from, to]);
    if (seen.has(key)) continue;
    seen.add(key);
    merged.push(entry);
  }
  const time = (e: JmiLogEntry) => e.message.delayedAt ?? e.at;
  return merged.sort((a, b) => time(a) - time(b));
}

/**
 * Call history rebuilt from XEP-0353 messages alone (live or from an archive): the propose
 * gives who called whom and with what; proceed/accept, reject and retract give the outcome.
 * `outgoing` marks messages sent by this account (any of its devices).
 */
export function historyFromJmi(messages: readonly JmiLogEntry[]): CallRecord[] {
  const records = new Map<string, CallRecord>();
  for (const { message, outgoing, at } of messages) {
    let record = records.get(message.id);
    if (message.action === "propose" && !record) {
      record = {
        id: message.id,
        direction: outgoing ? "placed" : "received",
        peer: bareJid(outgoing ? message.to : message.from),
        media: message.media.length ? message.media : ["audio"],
        outcome: outgoing ? "unanswered" : "missed",
        at: message.delayedAt ?? at,
      };
      records.set(message.id, record);
      continue;
    }
    if (!record) continue;
    switch (message.action) {
      case "proceed":
      case "accept":
        record.outcome = "answered";
        break;
      case "reject":
        if (record.outcome !== "answered") record.outcome = message.reason === "busy" ? "busy" : "declined";
        break;
      default:
        break;
    }
  }
  return [...records.values()].sort((a, b) => b.at - a.at);
}

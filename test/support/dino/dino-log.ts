import { existsSync, readFileSync } from "node:fs";

/*
 * Dino's `--print-xmpp=all` log, read as an oracle: every stanza it sent ("out") or received
 * ("in"). Dino prints names as `{namespace}:local`; `plain()` turns an entry into ordinary XML
 * for reports.
 */

export interface DinoStanza {
  dir: "in" | "out";
  /** The timestamp Dino printed (ISO 8601, second resolution). */
  at: string;
  /** As Dino printed it, `{ns}:name` notation. */
  raw: string;
}

const HEADER = /^XMPP (IN|OUT) \[[^\]]*? (\d{4}-\d\d-\d\dT[\d:]+[+-]\d{4})\]$/;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

export function parseDinoLog(text: string): DinoStanza[] {
  const stanzas: DinoStanza[] = [];
  let current: DinoStanza | undefined;
  for (const line of text.replace(ANSI, "").split("\n")) {
    const header = HEADER.exec(line);
    if (header) {
      current = { dir: header[1] === "IN" ? "in" : "out", at: header[2]!, raw: "" };
      stanzas.push(current);
    } else if (line.startsWith("XMPP ")) {
      current = undefined; // stream roots ("XMPP OUT ROOT"): not stanzas
    } else if (line.trim() === "") {
      current = undefined; // Dino ends every stanza with an empty line
    } else if (current) {
      current.raw += (current.raw ? "\n" : "") + line;
    }
  }
  return stanzas.map((s) => ({ ...s, raw: s.raw.trim() }));
}

/** An entry as ordinary XML (namespace prefixes dropped): for reports and simple matching. */
export function plain(raw: string): string {
  return raw.replace(/\{[^}]*\}:/g, "").replace(/\n\s*/g, "");
}

export interface JingleEvent {
  dir: "in" | "out";
  /** Jingle action (session-initiate…), or for other iqs "result"/"error". */
  action: string;
  sid?: string;
  /** The iq id, to pair requests with their result or error. */
  id?: string;
  xml: string;
}

/** Jingle iq sets, and the results/errors that answer them, in log order. */
export function jingleEvents(stanzas: readonly DinoStanza[]): JingleEvent[] {
  const events: JingleEvent[] = [];
  const jingleIds = new Set<string>();
  for (const s of stanzas) {
    const xml = plain(s.raw);
    if (!xml.startsWith("<iq")) continue;
    const id = /^<iq[^>]*\bid='([^']*)'/.exec(xml)?.[1];
    const type = /^<iq[^>]*\btype='([^']*)'/.exec(xml)?.[1];
    const action = /<jingle[^>]*\baction='([^']*)'/.exec(xml)?.[1];
    if (type === "set" && action) {
      if (id) jingleIds.add(id);
      events.push({ dir: s.dir, action, sid: /<jingle[^>]*\bsid='([^']*)'/.exec(xml)?.[1], id, xml });
    } else if ((type === "result" || type === "error") && id && jingleIds.has(id)) {
      events.push({ dir: s.dir, action: type, id, xml });
    }
  }
  return events;
}

/** JMI messages (XEP-0353) in log order: propose, proceed, accept, reject, retract, finish, ringing. */
export function jmiEvents(stanzas: readonly DinoStanza[]): Array<{ dir: "in" | "out"; kind: string; id?: string; xml: string }> {
  const out: Array<{ dir: "in" | "out"; kind: string; id?: string; xml: string }> = [];
  for (const s of stanzas) {
    if (!s.raw.includes("{urn:xmpp:jingle-message:0}")) continue;
    const xml = plain(s.raw);
    const m = /<(propose|proceed|accept|reject|retract|finish|ringing)\b[^>]*?(?:\bid='([^']*)')?[^>]*>/.exec(xml);
    if (m && xml.startsWith("<message")) out.push({ dir: s.dir, kind: m[1]!, id: m[2], xml });
  }
  return out;
}

export function readDinoLog(file: string): DinoStanza[] {
  return existsSync(file) ? parseDinoLog(readFileSync(file, "utf8")) : [];
}

// One fuzz case against the pure codec, by seed. Shared by test/unit/jingle/fuzz.test.ts and the
// long run (long-run.ts). A case either converts or is refused with JingleCodecError; anything
// else (another exception type, output SDP that sdp-transform cannot read back, output XML that
// is not XML 1.0) is a FuzzFailure that names the seed and the mutations.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Element } from "@xmpp/xml";
import parse from "@xmpp/xml/lib/parse.js";
import { parse as parseSdp } from "sdp-transform";
import {
  candidateToJingle, formatCandidateString, jingleToCandidates, jingleToSdp, jingleToSession, JingleCodecError,
  parseCandidateString, parseJingleXml, sdpToJingle, sdpToSession, type JingleRole,
} from "../../../client/src/jingle/index.js";
import { Prng } from "./prng.js";
import { cloneElement, mutateElement, TEXT_MUTATIONS, XML_MUTATIONS } from "./xml-mutators.js";
import { mutateSdp } from "./sdp-mutators.js";
import { hostileToken, randomChars } from "./values.js";

const FIXTURES = join(import.meta.dirname, "..", "..", "fixtures");

export interface CodecSeeds {
  jingle: readonly { file: string; element: Element }[];
  sdp: readonly { file: string; text: string }[];
  candidates: readonly string[];
}

export function loadCodecSeeds(): CodecSeeds {
  const jingleDir = join(FIXTURES, "jingle");
  const sdpDir = join(FIXTURES, "sdp");
  const jingle = readdirSync(jingleDir).filter((f) => f.endsWith(".xml")).sort().flatMap((file) => {
    try {
      return [{ file, element: parseJingleXml(readFileSync(join(jingleDir, file), "utf8")) }];
    } catch {
      return []; // The XEP-0293 raw-udp example is malformed in the XEP itself.
    }
  });
  const sdp = readdirSync(sdpDir).filter((f) => f.endsWith(".sdp")).sort().map((file) => ({ file, text: readFileSync(join(sdpDir, file), "utf8") }));
  const candidates = sdp.flatMap((s) => s.text.split(/\r?\n/).filter((l) => l.startsWith("a=candidate:")).map((l) => l.slice(2)));
  return { jingle, sdp, candidates };
}

export class FuzzFailure extends Error {
  override readonly name = "FuzzFailure";
  constructor(readonly seed: number, readonly labels: readonly string[], readonly step: string, override readonly cause: unknown) {
    super(`seed ${seed} [${labels.join(", ")}] ${step}: ${cause instanceof Error ? `${cause.name}: ${cause.message.slice(0, 300)}` : String(cause)}`);
  }
}

export interface CaseOutcome {
  kind: "jingle" | "jingle-text" | "sdp" | "candidate";
  labels: string[];
  /** Calls that converted / that were refused with JingleCodecError. */
  converted: number;
  refused: number;
  reasons: string[];
}

// XML 1.0 §2.2 Char: no C0 controls but tab/LF/CR, no lone surrogates, no U+FFFE/U+FFFF.
export const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Output SDP must read back through sdp-transform without losing a line or a section. */
export function checkSdpOutput(sdp: string, contents: number): void {
  if (!sdp.endsWith("\r\n")) throw new Error("SDP does not end with CRLF");
  const lines = sdp.slice(0, -2).split("\r\n");
  for (const line of lines) {
    if (!/^[a-z]=[^\u0000-\u001f\u007f]*$/.test(line)) throw new Error(`not an SDP line: ${JSON.stringify(line.slice(0, 80))}`);
  }
  const parsed = parseSdp(sdp);
  if (parsed.media.length !== contents) throw new Error(`${contents} contents became ${parsed.media.length} m-sections`);
  for (const m of parsed.media) {
    if (m.invalid?.length) throw new Error(`sdp-transform could not read back: ${JSON.stringify(m.invalid.slice(0, 2))}`);
    if (m.mid === undefined) throw new Error("m-section without a=mid");
  }
}

/** Output XML must be XML 1.0 and read back to the same serialisation. */
export function checkXmlOutput(el: Element): void {
  const text = el.toString();
  if (NOT_XML_CHAR.test(text)) throw new Error("output has characters XML 1.0 forbids");
  const again = parse(text) as Element;
  if (again.toString() !== text) throw new Error("output XML does not read back the same");
}

/** Runs `fn`; a JingleCodecError counts as refused, anything else fails the case. */
function attempt<T>(outcome: CaseOutcome, seed: number, step: string, fn: () => T): T | undefined {
  try {
    const value = fn();
    outcome.converted++;
    return value;
  } catch (error) {
    if (error instanceof JingleCodecError) {
      outcome.refused++;
      outcome.reasons.push(error.reason);
      return undefined;
    }
    if (error instanceof FuzzFailure) throw error;
    throw new FuzzFailure(seed, outcome.labels, step, error);
  }
}

function check(outcome: CaseOutcome, seed: number, step: string, fn: () => void): void {
  try {
    fn();
  } catch (error) {
    throw new FuzzFailure(seed, outcome.labels, step, error);
  }
}

/** Everything the session layer does with a remote <jingle/>. */
function exerciseJingle(jingle: Element, r: Prng, outcome: CaseOutcome, seed: number): void {
  const role: JingleRole = r.chance(0.5) ? "initiator" : "responder";
  const session = attempt(outcome, seed, "jingleToSession", () => jingleToSession(jingle));
  attempt(outcome, seed, "jingleToCandidates", () => jingleToCandidates(jingle, session?.contents.map((c) => c.name) ?? []));
  const sdp = attempt(outcome, seed, "jingleToSdp", () => jingleToSdp(jingle, { role }));
  if (sdp === undefined) return;
  const contents = jingleToSession(jingle).contents.length;
  check(outcome, seed, "jingleToSdp output", () => checkSdpOutput(sdp, contents));
  // What our side answers with goes back through the codec (a browser would echo the mids).
  const back = attempt(outcome, seed, "sdpToJingle(round trip)", () => sdpToJingle(sdp, { role, action: "session-accept", sid: "fuzz" }));
  if (back) check(outcome, seed, "round trip output", () => checkXmlOutput(back));
}

function exerciseSdp(sdp: string, r: Prng, outcome: CaseOutcome, seed: number): void {
  const role: JingleRole = r.chance(0.5) ? "initiator" : "responder";
  const action = r.pick(["session-initiate", "session-accept", "content-add", "transport-info"]);
  attempt(outcome, seed, "sdpToSession", () => sdpToSession(sdp, { role }));
  const jingle = attempt(outcome, seed, "sdpToJingle", () => sdpToJingle(sdp, { role, action, sid: r.chance(0.9) ? "fuzz-sid" : hostileToken(r), onUnmapped: () => undefined }));
  if (!jingle) return;
  check(outcome, seed, "sdpToJingle output", () => checkXmlOutput(jingle));
  const remote = attempt(outcome, seed, "jingleToSdp(round trip)", () => jingleToSdp(jingle, { role: role === "initiator" ? "responder" : "initiator" }));
  if (remote !== undefined) check(outcome, seed, "round trip SDP", () => checkSdpOutput(remote, jingleToSession(jingle).contents.length));
}

function exerciseCandidate(line: string, r: Prng, outcome: CaseOutcome, seed: number): void {
  const tokens = line.split(" ");
  const n = r.range(1, 3);
  for (let i = 0; i < n; i++) {
    const op = r.int(4);
    const at = r.int(tokens.length);
    if (op === 0) tokens.splice(at, 1);
    else if (op === 1) tokens[at] = hostileToken(r);
    else if (op === 2) tokens.splice(at, 0, randomChars(r, r.range(1, 5)));
    else tokens[at] = String(r.pick([-1, 0, 65536, 2 ** 32, 2 ** 53, 1.5]));
  }
  outcome.labels.push("candidate-tokens");
  const text = tokens.join(" ");
  const parsed = attempt(outcome, seed, "parseCandidateString", () => parseCandidateString(text));
  if (parsed) {
    const formatted = formatCandidateString(parsed);
    check(outcome, seed, "formatCandidateString output", () => {
      const sdp = parseSdp(`v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=${formatted}\r\n`);
      if (sdp.media[0]?.invalid?.length || !sdp.media[0]?.candidates?.length) throw new Error(`unreadable candidate '${formatted}'`);
    });
  }
  const ti = attempt(outcome, seed, "candidateToJingle", () =>
    candidateToJingle({ candidate: text, sdpMid: r.chance(0.8) ? "0" : hostileToken(r), sdpMLineIndex: r.chance(0.5) ? 0 : null }, {
      contents: [{ name: "0", transport: { ufrag: "u", pwd: "p" } }], sid: "s", dropTcp: r.chance(0.5),
    }));
  if (ti) check(outcome, seed, "candidateToJingle output", () => checkXmlOutput(ti));
}

/** One case: a fixture, 1–3 mutations, every codec entry point that applies. */
export function runCodecCase(seed: number, seeds: CodecSeeds): CaseOutcome {
  const r = new Prng(seed);
  const kind = r.weighted<CaseOutcome["kind"]>([[45, "jingle"], [15, "jingle-text"], [32, "sdp"], [8, "candidate"]]);
  const outcome: CaseOutcome = { kind, labels: [], converted: 0, refused: 0, reasons: [] };
  if (kind === "jingle" || kind === "jingle-text") {
    const base = r.pick(seeds.jingle);
    outcome.labels.push(base.file);
    const jingle = cloneElement(base.element);
    // Deep trees go through text as "deep-text": ltx serialises recursively, which is the harness's limit, not the codec's.
    if (kind === "jingle") outcome.labels.push(...mutateElement(jingle, r));
    else if (r.chance(0.3)) outcome.labels.push(...mutateElement(jingle, r, Object.keys(XML_MUTATIONS).filter((m) => m !== "deep-nesting")));
    if (kind === "jingle") {
      exerciseJingle(jingle, r, outcome, seed);
    } else {
      let text = jingle.toString();
      const n = r.range(1, 2);
      for (let i = 0; i < n; i++) {
        const name = r.pick(Object.keys(TEXT_MUTATIONS));
        outcome.labels.push(name);
        text = (TEXT_MUTATIONS[name] as (t: string, r: Prng) => string)(text, r);
      }
      const parsed = attempt(outcome, seed, "parseJingleXml", () => parseJingleXml(text));
      if (parsed) exerciseJingle(parsed, r, outcome, seed);
    }
  } else if (kind === "sdp") {
    const base = r.pick(seeds.sdp);
    const { sdp, labels } = mutateSdp(base.text, r);
    outcome.labels.push(base.file, ...labels);
    exerciseSdp(sdp, r, outcome, seed);
  } else {
    exerciseCandidate(r.pick(seeds.candidates), r, outcome, seed);
  }
  return outcome;
}

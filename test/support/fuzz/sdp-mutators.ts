// Mutations of real SDP (test/fixtures/sdp): line-level edits, byte flips, hostile numbers,
// invalid candidates and huge sections, as a broken browser or a hostile local script could produce.
import type { Prng } from "./prng.js";
import { hostileAddress, hostileNumber, hostileToken, hugeString, randomChars } from "./values.js";

type Lines = string[];

function candidateLines(lines: Lines): number[] {
  return lines.flatMap((l, i) => (l.startsWith("a=candidate:") ? [i] : []));
}

function mediaStarts(lines: Lines): number[] {
  return lines.flatMap((l, i) => (l.startsWith("m=") ? [i] : []));
}

/** [start, end) of the m-section holding line `i` (or of a random section). */
function section(lines: Lines, start: number): [number, number] {
  const starts = mediaStarts(lines);
  const next = starts.find((s) => s > start) ?? lines.length;
  return [start, next];
}

export type SdpMutation = (lines: Lines, r: Prng) => string;

export const SDP_MUTATIONS: Readonly<Record<string, SdpMutation>> = {
  "drop-line": (lines, r) => {
    const i = r.int(lines.length);
    const [line] = lines.splice(i, 1);
    return `drop-line(${(line ?? "").slice(0, 8)})`;
  },
  "duplicate-line": (lines, r) => {
    const i = r.int(lines.length);
    lines.splice(i, 0, lines[i] ?? "");
    return `duplicate-line(${(lines[i] ?? "").slice(0, 8)})`;
  },
  "truncate-line": (lines, r) => {
    const i = r.int(lines.length);
    const line = lines[i] ?? "";
    lines[i] = line.slice(0, r.int(line.length + 1));
    return `truncate-line(${line.slice(0, 8)})`;
  },
  "swap-lines": (lines, r) => {
    const a = r.int(lines.length);
    const b = r.int(lines.length);
    [lines[a], lines[b]] = [lines[b] ?? "", lines[a] ?? ""];
    return "swap-lines";
  },
  "byte-flip": (lines, r) => {
    const n = r.range(1, 6);
    for (let k = 0; k < n; k++) {
      const i = r.int(lines.length);
      const chars = (lines[i] ?? "").split("");
      chars[r.int(chars.length + 1)] = randomChars(r, 1);
      lines[i] = chars.join("");
    }
    return `byte-flip(x${n})`;
  },
  "hostile-number": (lines, r) => {
    const i = r.int(lines.length);
    const line = lines[i] ?? "";
    const numbers = [...line.matchAll(/\d+/g)];
    if (numbers.length === 0) return "hostile-number(none)";
    const m = r.pick(numbers);
    lines[i] = line.slice(0, m.index) + hostileNumber(r).replace(/[\r\n]/g, "") + line.slice((m.index ?? 0) + m[0].length);
    return `hostile-number(${line.slice(0, 8)})`;
  },
  "invalid-candidate": (lines, r) => {
    const idx = candidateLines(lines);
    if (idx.length === 0) return "invalid-candidate(none)";
    const i = r.pick(idx);
    const tokens = (lines[i] ?? "").split(" ");
    const field = r.range(0, Math.max(0, tokens.length - 1));
    const value = field === 4 ? hostileAddress(r) : field === 1 || field === 3 || field === 5 ? hostileNumber(r) : hostileToken(r);
    tokens[field] = (field === 0 ? "a=candidate:" : "") + value.replace(/[\r\n]/g, "");
    lines[i] = tokens.join(" ");
    return `invalid-candidate(field ${field})`;
  },
  "huge-line": (lines, r) => {
    const at = r.int(lines.length + 1);
    lines.splice(at, 0, r.pick(["a=x-junk:", "a=candidate:", "a=fmtp:111 ", "a=mid:", "a=ice-ufrag:", "a=ssrc:1 cname:", "m=audio 9 UDP/TLS/RTP/SAVPF "]) + hugeString(r).replace(/[\r\n]/g, ""));
    return "huge-line";
  },
  "multiply-candidates": (lines, r) => {
    const idx = candidateLines(lines);
    const n = r.pick([100, 1_000]);
    const template = idx.length ? (lines[r.pick(idx)] ?? "") : "a=candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host";
    const at = idx.length ? r.pick(idx) : lines.length;
    const copies = Array.from({ length: n }, (_, k) => template.replace(/^a=candidate:\S+/, `a=candidate:${k}`).replace(/ (\d+) typ /, ` ${1024 + (k % 60000)} typ `));
    lines.splice(at, 0, ...copies);
    return `multiply-candidates(x${n})`;
  },
  "multiply-media": (lines, r) => {
    const starts = mediaStarts(lines);
    if (starts.length === 0) return "multiply-media(none)";
    const [s, e] = section(lines, r.pick(starts));
    const block = lines.slice(s, e);
    // Bounded so the harness's own text stays below ~20 000 lines whatever came before.
    const n = Math.min(r.pick([20, 200]), Math.floor(20_000 / Math.max(1, block.length)));
    const unique = r.chance(0.8);
    for (let k = 0; k < n; k++) lines.push(...block.map((l) => (unique && l.startsWith("a=mid:") ? `a=mid:m${k}` : l)));
    return `multiply-media(x${n}${unique ? "" : ", same mid"})`;
  },
  "multiply-payload-types": (lines, r) => {
    const starts = mediaStarts(lines);
    if (starts.length === 0) return "multiply-payload-types(none)";
    const i = r.pick(starts);
    const n = r.pick([200, 1_000]);
    const ids = Array.from({ length: n }, (_, k) => String(r.chance(0.9) ? k % 128 : 128 + k));
    lines[i] = `${lines[i] ?? ""} ${ids.join(" ")}`;
    lines.splice(i + 1, 0, ...ids.map((id) => `a=rtpmap:${id} x-codec/90000`));
    return `multiply-payload-types(x${n})`;
  },
  "duplicate-mid": (lines, r) => {
    const mids = lines.flatMap((l, i) => (l.startsWith("a=mid:") ? [i] : []));
    if (mids.length < 2) return "duplicate-mid(none)";
    const a = r.pick(mids);
    const b = r.pick(mids);
    lines[b] = lines[a] ?? "";
    return "duplicate-mid";
  },
  "line-endings": (lines, r) => {
    const sep = r.pick(["\n", "\r", "\r\r\n", "\n\n"]);
    const joined = lines.join(sep);
    lines.splice(0, lines.length, joined);
    return `line-endings(${JSON.stringify(sep)})`;
  },
};

/** Applies 1–3 mutations and returns the SDP text with the labels. */
export function mutateSdp(sdp: string, r: Prng): { sdp: string; labels: string[] } {
  const lines = sdp.split(/\r\n/);
  const labels: string[] = [];
  const count = r.range(1, 3);
  for (let i = 0; i < count; i++) {
    const name = r.pick(Object.keys(SDP_MUTATIONS));
    labels.push((SDP_MUTATIONS[name] as SdpMutation)(lines, r));
  }
  let text = lines.join("\r\n");
  if (r.chance(0.05)) {
    text = text.slice(0, r.int(text.length));
    labels.push("truncate-sdp");
  }
  return { sdp: text, labels };
}

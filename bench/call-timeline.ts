// The phase-by-phase timeline of one call setup (issue 16), for the app and the bare baseline
// alike. Nothing in the app is instrumented for it: an init script wraps the page's
// RTCPeerConnection (descriptions, ICE/DTLS states, first RTP, first local candidate) and
// getUserMedia, and the signaling events are read from the frames on the page's WebSocket
// (Jingle/JMI for the app, the relay's JSON for the bare pages). Every time is in the pages'
// shared clock (performance.timeOrigin + now), so caller and callee line up.
import type { Element } from "@xmpp/xml";
import parse from "@xmpp/xml/lib/parse.js";
import type { WireFrame } from "../test/support/app-server.ts";
import { NS_JINGLE, NS_JMI } from "../client/src/namespaces.ts";

/** Init script: records `window.__timeline` entries {name, at}. Load after PEER_REGISTRY_SCRIPT. */
export const TIMELINE_SCRIPT = `(() => {
  const now = () => performance.timeOrigin + performance.now();
  window.__timeline = [];
  const mark = (name) => window.__timeline.push({ name, at: now() });
  const Native = window.RTCPeerConnection;
  class Timed extends Native {
    constructor(...args) {
      super(...args);
      mark("pc created");
      this.addEventListener("icecandidate", (e) => { if (e.candidate) mark("first local candidate"); });
      this.addEventListener("iceconnectionstatechange", () => {
        const s = this.iceConnectionState;
        if (s === "checking" || s === "connected") mark("ICE " + s);
      });
      // First RTP: a remote track unmutes when its first packet arrives (webrtc-pc §5.2, "receive
      // an RTP packet"); an event, where polling getStats every few ms would load the page it measures.
      this.addEventListener("track", (e) => {
        const kind = e.track.kind;
        if (!e.track.muted) return mark("first RTP " + kind);
        e.track.addEventListener("unmute", () => mark("first RTP " + kind), { once: true });
      });
      this.addEventListener("connectionstatechange", () => { if (this.connectionState === "connected") mark("DTLS connected"); });
    }
  }
  // The synchronous part of a call holds the page's main thread (Chromium blocks it on its
  // signaling/network threads): noted as "blocked in NAME" when it exceeds 3 ms.
  const timedCall = (pc, m, orig, a) => {
    const t = now();
    const r = orig.apply(pc, a);
    const ms = now() - t;
    if (ms > 3) window.__timeline.push({ name: "blocked in " + m, at: t, ms });
    return r;
  };
  for (const m of ["createOffer", "createAnswer", "setLocalDescription", "setRemoteDescription"]) {
    const orig = Native.prototype[m];
    Timed.prototype[m] = async function (...a) {
      if (a[0]?.type) mark(m + " " + a[0].type + " called");
      const r = await timedCall(this, m, orig, a);
      const type = m === "setLocalDescription" ? this.localDescription?.type : m === "setRemoteDescription" ? this.remoteDescription?.type : "";
      mark(m + (type ? " " + type : "") + " done");
      return r;
    };
  }
  for (const m of ["addIceCandidate", "getStats", "addTrack", "addTransceiver", "getTransceivers", "close", "setConfiguration"]) {
    const orig = Native.prototype[m];
    Timed.prototype[m] = function (...a) { return timedCall(this, m, orig, a); };
  }
  Object.defineProperty(Timed, "name", { value: "RTCPeerConnection" });
  window.RTCPeerConnection = Timed;
  // Main-thread tasks over 50 ms: each is time the page could not react to a stanza or an event.
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__timeline.push({ name: "long task", at: performance.timeOrigin + e.startTime, ms: e.duration });
    }).observe({ type: "longtask", buffered: false });
  } catch {}
  const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (c) => { mark("getUserMedia called"); const s = await gum(c); mark("getUserMedia done"); return s; };
})();`;

export interface TimelineEntry {
  name: string;
  at: number;
  /** Long tasks: their duration. */
  ms?: number;
}

/** Takes (and clears) the page's recorded entries. */
export function takeTimeline(page: { evaluate<R>(script: string): Promise<R> }): Promise<TimelineEntry[]> {
  return page.evaluate<TimelineEntry[]>("(() => { const t = window.__timeline ?? []; window.__timeline = []; return t; })()");
}

function parseFrame(data: string): Element | undefined {
  try {
    return parse(data);
  } catch {
    return undefined;
  }
}

/** The signaling of the app's frames as timeline entries ("sent proceed", "recv session-initiate"…). */
export function appWireTimeline(frames: readonly WireFrame[], sid: string): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  for (const f of frames) {
    const el = parseFrame(f.data);
    if (!el) continue;
    const jmi = el.name === "message" ? el.getChildElements().find((c) => c.getNS() === NS_JMI) : undefined;
    const jingle = el.name === "iq" ? el.getChild("jingle", NS_JINGLE) : undefined;
    let what: string | undefined;
    if (jmi?.attrs.id === sid) what = jmi.name;
    else if (jingle?.attrs.sid === sid) what = String(jingle.attrs.action);
    if (what) out.push({ name: `${f.dir === "out" ? "sent" : "recv"} ${what}`, at: f.at });
  }
  return out;
}

/** The bare relay's JSON messages under the names of their Jingle counterparts. */
const BARE_NAMES: Record<string, string> = { ring: "propose", accept: "proceed", offer: "session-initiate", answer: "session-accept", candidate: "transport-info" };

export function bareWireTimeline(frames: readonly WireFrame[]): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  for (const f of frames) {
    let type: string | undefined;
    try {
      type = (JSON.parse(f.data) as { type?: string }).type;
    } catch {
      continue;
    }
    const name = type ? BARE_NAMES[type] : undefined;
    if (name) out.push({ name: `${f.dir === "out" ? "sent" : "recv"} ${name}`, at: f.at });
  }
  return out;
}

/**
 * Each event's first occurrence, relative to `zero` (the callee's accept click); long tasks
 * are summed instead ("main thread blocked, ms": from accept to the first frame).
 */
export function firsts(entries: readonly TimelineEntry[], zero: number): Map<string, number> {
  const m = new Map<string, number>();
  const sorted = [...entries].sort((a, b) => a.at - b.at);
  for (const e of sorted) if (e.ms === undefined && !m.has(e.name)) m.set(e.name, e.at - zero);
  const end = m.get("first frame") ?? Infinity;
  // Long tasks, and the synchronous parts of RTCPeerConnection calls by method (TIMELINE_SCRIPT).
  m.set("main thread blocked, ms (not a time)", 0);
  for (const e of sorted) {
    if (e.ms === undefined || e.at - zero < 0 || e.at - zero >= end) continue;
    const key = e.name === "long task" ? "main thread blocked, ms (not a time)" : `${e.name}, ms (not a time)`;
    m.set(key, (m.get(key) ?? 0) + e.ms);
  }
  return m;
}

/** Events in the order they happen on the critical path of a call set up after accept. */
export const TIMELINE_ORDER = [
  "getUserMedia called",
  "getUserMedia done",
  "pc created",
  "createOffer done",
  "setLocalDescription offer done",
  "first local candidate",
  "sent propose",
  "recv propose",
  "sent proceed",
  "recv proceed",
  "sent session-initiate",
  "recv session-initiate",
  "setRemoteDescription offer done",
  "createAnswer done",
  "setLocalDescription answer done",
  "sent session-accept",
  "recv session-accept",
  "setRemoteDescription answer done",
  "sent transport-info",
  "recv transport-info",
  "ICE checking",
  "ICE connected",
  "DTLS connected",
  "first RTP audio",
  "first RTP video",
  "first frame",
];

export const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
};

/** One table: an event per row, median and p90 (ms from accept) per column. */
export function timelineTable(columns: ReadonlyArray<{ label: string; calls: ReadonlyArray<Map<string, number>> }>): string[] {
  const fmt = (xs: number[]) => (xs.length === 0 ? "—" : `${quantile(xs, 0.5).toFixed(0)} / ${quantile(xs, 0.9).toFixed(0)}`);
  const names = [...TIMELINE_ORDER];
  for (const c of columns) for (const call of c.calls) for (const n of call.keys()) if (!names.includes(n)) names.push(n);
  const lines = [`  ${"event (ms from accept: median / p90)".padEnd(36)}${columns.map((c) => c.label.padStart(18)).join("")}`];
  for (const n of names) {
    const cells = columns.map((c) => fmt(c.calls.map((m) => m.get(n)).filter((v): v is number => v !== undefined)));
    if (cells.every((x) => x === "—")) continue;
    lines.push(`  ${n.padEnd(36)}${cells.map((x) => x.padStart(18)).join("")}`);
  }
  return lines;
}

/**
 * Where the bytes of a call's Jingle and JMI stanzas go: each element's own bytes (its
 * serialization without its child elements), summed by element name.
 */
export function bytesByElement(sent: readonly WireFrame[], sid: string): Map<string, number> {
  const out = new Map<string, number>();
  const visit = (el: Element) => {
    const kids = el.getChildElements();
    const own = Buffer.byteLength(el.toString()) - kids.reduce((n, k) => n + Buffer.byteLength(k.toString()), 0);
    out.set(el.name, (out.get(el.name) ?? 0) + own);
    for (const k of kids) visit(k);
  };
  for (const f of sent) {
    const el = parseFrame(f.data);
    if (!el) continue;
    const jmi = el.name === "message" ? el.getChildElements().find((c) => c.getNS() === NS_JMI) : undefined;
    const jingle = el.name === "iq" ? el.getChild("jingle", NS_JINGLE) : undefined;
    if (jmi?.attrs.id === sid || jingle?.attrs.sid === sid) visit(el);
  }
  return out;
}

type Side = "caller" | "callee";
/** The critical path after accept, as phases between two events (on either side). */
const PHASES: ReadonlyArray<{ label: string; from: [Side, string]; to: [Side, string] }> = [
  { label: "callee: accept → proceed sent", from: ["callee", "accept"], to: ["callee", "sent proceed"] },
  { label: "hop: proceed", from: ["callee", "sent proceed"], to: ["caller", "recv proceed"] },
  { label: "caller: proceed → session-initiate sent", from: ["caller", "recv proceed"], to: ["caller", "sent session-initiate"] },
  { label: "hop: session-initiate", from: ["caller", "sent session-initiate"], to: ["callee", "recv session-initiate"] },
  { label: "callee: session-initiate → sRD done", from: ["callee", "recv session-initiate"], to: ["callee", "setRemoteDescription offer done"] },
  { label: "callee: sRD → answer sLD done", from: ["callee", "setRemoteDescription offer done"], to: ["callee", "setLocalDescription answer done"] },
  { label: "callee: sLD → session-accept sent", from: ["callee", "setLocalDescription answer done"], to: ["callee", "sent session-accept"] },
  { label: "hop: session-accept", from: ["callee", "sent session-accept"], to: ["caller", "recv session-accept"] },
  { label: "caller: session-accept → sRD done", from: ["caller", "recv session-accept"], to: ["caller", "setRemoteDescription answer done"] },
  { label: "caller: sRD answer → ICE connected", from: ["caller", "setRemoteDescription answer done"], to: ["caller", "ICE connected"] },
  { label: "caller: ICE → DTLS connected", from: ["caller", "ICE connected"], to: ["caller", "DTLS connected"] },
  { label: "callee: ICE → DTLS connected", from: ["callee", "ICE connected"], to: ["callee", "DTLS connected"] },
  { label: "caller: DTLS → first RTP video", from: ["caller", "DTLS connected"], to: ["caller", "first RTP video"] },
  { label: "callee: DTLS → first RTP video", from: ["callee", "DTLS connected"], to: ["callee", "first RTP video"] },
  { label: "caller: first RTP video → first frame", from: ["caller", "first RTP video"], to: ["caller", "first frame"] },
  { label: "callee: first RTP video → first frame", from: ["callee", "first RTP video"], to: ["callee", "first frame"] },
];

/** Phase durations (median / p90 over calls) for each column. */
export function phaseTable(columns: ReadonlyArray<{ label: string; calls: ReadonlyArray<Record<Side, Map<string, number>>> }>): string[] {
  const at = (call: Record<Side, Map<string, number>>, [side, name]: [Side, string]) => (name === "accept" ? 0 : call[side].get(name));
  const lines = [`  ${"phase (ms: median / p90)".padEnd(42)}${columns.map((c) => c.label.padStart(14)).join("")}`];
  for (const p of PHASES) {
    const cells = columns.map((c) => {
      const xs = c.calls.map((call) => [at(call, p.from), at(call, p.to)]).filter((v): v is [number, number] => v[0] !== undefined && v[1] !== undefined).map(([a, b]) => b - a);
      return xs.length === 0 ? "—" : `${quantile(xs, 0.5).toFixed(0)} / ${quantile(xs, 0.9).toFixed(0)}`;
    });
    lines.push(`  ${p.label.padEnd(42)}${cells.map((x) => x.padStart(14)).join("")}`);
  }
  return lines;
}

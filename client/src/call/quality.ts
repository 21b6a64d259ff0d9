// Call quality from WebRTC statistics (W3C webrtc-stats): pure functions from two successive
// getStats() snapshots to one typed sample, and a one-glance rating. No DOM types: the browser's
// RTCStatsReport is passed in as its plain records (platform/peer-browser.ts reads it).
import type { IceState } from "./peer.js";

/** One record of an RTCStatsReport, as both Chromium and Firefox give it. */
export interface StatRecord {
  readonly id: string;
  readonly type: string;
  readonly timestamp: number;
  readonly [field: string]: unknown;
}

export type CandidateType = "host" | "srflx" | "prflx" | "relay";
/** UDP/TCP to the peer, or for a relayed path the transport to the TURN server (UDP/TCP/TLS). */
export type PathProtocol = "udp" | "tcp" | "tls";

export interface SelectedPath {
  local: CandidateType;
  remote: CandidateType;
  protocol: PathProtocol;
}

export interface VideoQuality {
  width: number;
  height: number;
  fps: number;
}

/** What one second of a call looked like. Absent fields: not measured (yet) by this browser. */
export interface QualitySample {
  /** The report's time (ms since the epoch). */
  at: number;
  path?: SelectedPath;
  rttMs?: number;
  /** Bits per second over all RTP streams, since the previous snapshot. */
  bitrateIn?: number;
  bitrateOut?: number;
  /** Incoming packets lost, in percent of those expected, since the previous snapshot. */
  lossPercent?: number;
  /** Incoming audio jitter (ms), else video's. */
  jitterMs?: number;
  videoIn?: VideoQuality;
  videoOut?: VideoQuality;
  /** e.g. { audio: "opus", video: "VP8" } for what we receive, else what we send. */
  codecs: { audio?: string; video?: string };
}

export type QualityRating = "good" | "poor" | "reconnecting";

/** Above these a call is "poor": ITU-T G.114 puts one-way delay trouble past ~150 ms (so RTT 400 ms), Opus copes with a few % loss. */
export const POOR = { rttMs: 400, lossPercent: 5, jitterMs: 50 } as const;

const num = (r: StatRecord | undefined, field: string): number | undefined => {
  const v = r?.[field];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
};
const str = (r: StatRecord | undefined, field: string): string | undefined => {
  const v = r?.[field];
  return typeof v === "string" ? v : undefined;
};

function byId(records: Iterable<StatRecord>): Map<string, StatRecord> {
  const map = new Map<string, StatRecord>();
  for (const r of records) map.set(r.id, r);
  return map;
}

/** The candidate pair in use: the transport's selectedCandidatePairId, else a pair marked selected (older Firefox) or nominated and succeeded. */
function selectedPair(stats: Map<string, StatRecord>): StatRecord | undefined {
  const all = [...stats.values()];
  for (const t of all.filter((r) => r.type === "transport")) {
    const pair = stats.get(str(t, "selectedCandidatePairId") ?? "");
    if (pair) return pair;
  }
  const pairs = all.filter((r) => r.type === "candidate-pair");
  return pairs.find((p) => p["selected"] === true) ?? pairs.find((p) => p["nominated"] === true && p["state"] === "succeeded");
}

const CANDIDATE_TYPES: readonly string[] = ["host", "srflx", "prflx", "relay"];
const candidateType = (r: StatRecord | undefined): CandidateType | undefined => {
  const t = str(r, "candidateType");
  return t && CANDIDATE_TYPES.includes(t) ? (t as CandidateType) : undefined;
};

function pathOf(stats: Map<string, StatRecord>, pair: StatRecord | undefined): SelectedPath | undefined {
  const local = stats.get(str(pair, "localCandidateId") ?? "");
  const remote = stats.get(str(pair, "remoteCandidateId") ?? "");
  const localType = candidateType(local);
  const remoteType = candidateType(remote);
  if (!localType || !remoteType) return undefined;
  // A relayed path's own leg is from us to the TURN server: relayProtocol says udp, tcp or tls.
  const raw = (localType === "relay" ? str(local, "relayProtocol") : undefined) ?? str(local, "protocol") ?? "udp";
  const protocol = (["udp", "tcp", "tls"] as const).find((p) => p === raw.toLowerCase()) ?? "udp";
  return { local: localType, remote: remoteType, protocol };
}

function rttOf(stats: Map<string, StatRecord>, pair: StatRecord | undefined): number | undefined {
  const current = num(pair, "currentRoundTripTime");
  // Firefox reports 0 until it has a measurement: fall back to RTCP's round trip (remote-inbound-rtp).
  if (current !== undefined && current > 0) return current * 1000;
  const rtcp = [...stats.values()].filter((r) => r.type === "remote-inbound-rtp").map((r) => num(r, "roundTripTime")).filter((v): v is number => v !== undefined && v > 0);
  if (rtcp.length > 0) return (rtcp.reduce((a, b) => a + b, 0) / rtcp.length) * 1000;
  return current !== undefined ? current * 1000 : undefined;
}

const rtp = (stats: Map<string, StatRecord>, type: "inbound-rtp" | "outbound-rtp") => [...stats.values()].filter((r) => r.type === type);
const kindOf = (r: StatRecord) => str(r, "kind") ?? str(r, "mediaType");

/** Bits per second of `field` over the streams of `type`, between two snapshots. */
function bitrate(now: Map<string, StatRecord>, before: Map<string, StatRecord> | undefined, type: "inbound-rtp" | "outbound-rtp", field: string): number | undefined {
  if (!before) return undefined;
  let bits = 0;
  let seconds = 0;
  for (const r of rtp(now, type)) {
    const prev = before.get(r.id);
    const b1 = num(r, field);
    const b0 = num(prev, field);
    if (b1 === undefined || b0 === undefined || !prev) continue;
    const dt = (r.timestamp - prev.timestamp) / 1000;
    if (dt <= 0) continue;
    bits += Math.max(0, b1 - b0) * 8;
    seconds = Math.max(seconds, dt);
  }
  return seconds > 0 ? bits / seconds : undefined;
}

function loss(now: Map<string, StatRecord>, before: Map<string, StatRecord> | undefined): number | undefined {
  let lost = 0;
  let received = 0;
  let seen = false;
  for (const r of rtp(now, "inbound-rtp")) {
    const prev = before?.get(r.id);
    const l1 = num(r, "packetsLost");
    const p1 = num(r, "packetsReceived");
    if (l1 === undefined || p1 === undefined) continue;
    seen = true;
    // Without a previous snapshot: the whole call so far.
    lost += Math.max(0, l1 - (num(prev, "packetsLost") ?? 0));
    received += Math.max(0, p1 - (num(prev, "packetsReceived") ?? 0));
  }
  if (!seen) return undefined;
  return lost + received > 0 ? (100 * lost) / (lost + received) : 0;
}

function jitter(stats: Map<string, StatRecord>): number | undefined {
  const inbound = rtp(stats, "inbound-rtp");
  const audio = inbound.find((r) => kindOf(r) === "audio" && num(r, "jitter") !== undefined);
  const any = audio ?? inbound.find((r) => num(r, "jitter") !== undefined);
  const j = num(any, "jitter");
  return j === undefined ? undefined : j * 1000;
}

function video(stats: Map<string, StatRecord>, type: "inbound-rtp" | "outbound-rtp"): VideoQuality | undefined {
  // The active stream with the most pixels (a simulcast sender has several).
  const streams = rtp(stats, type).filter((r) => kindOf(r) === "video" && num(r, "frameWidth") !== undefined);
  const best = streams.sort((a, b) => (num(b, "frameWidth") ?? 0) * (num(b, "frameHeight") ?? 0) - (num(a, "frameWidth") ?? 0) * (num(a, "frameHeight") ?? 0))[0];
  if (!best) return undefined;
  return { width: num(best, "frameWidth") ?? 0, height: num(best, "frameHeight") ?? 0, fps: num(best, "framesPerSecond") ?? 0 };
}

function codec(stats: Map<string, StatRecord>, kind: "audio" | "video"): string | undefined {
  for (const type of ["inbound-rtp", "outbound-rtp"] as const) {
    for (const r of rtp(stats, type)) {
      if (kindOf(r) !== kind) continue;
      const mime = str(stats.get(str(r, "codecId") ?? ""), "mimeType");
      if (mime) return mime.replace(/^(audio|video)\//i, "");
    }
  }
  return undefined;
}

/**
 * Reads one quality sample from a getStats() snapshot; rates (bitrate, loss) need the previous
 * snapshot of the same peer connection.
 */
export function readQuality(current: Iterable<StatRecord>, previous?: Iterable<StatRecord>): QualitySample {
  const now = byId(current);
  const before = previous ? byId(previous) : undefined;
  const pair = selectedPair(now);
  const at = Math.max(0, ...[...now.values()].map((r) => r.timestamp).filter((t) => Number.isFinite(t)));
  const sample: QualitySample = { at, codecs: {} };
  const set = <K extends keyof QualitySample>(key: K, value: QualitySample[K] | undefined) => {
    if (value !== undefined) sample[key] = value;
  };
  set("path", pathOf(now, pair));
  set("rttMs", rttOf(now, pair));
  set("bitrateIn", bitrate(now, before, "inbound-rtp", "bytesReceived"));
  set("bitrateOut", bitrate(now, before, "outbound-rtp", "bytesSent"));
  set("lossPercent", loss(now, before));
  set("jitterMs", jitter(now));
  set("videoIn", video(now, "inbound-rtp"));
  set("videoOut", video(now, "outbound-rtp"));
  const audioCodec = codec(now, "audio");
  const videoCodec = codec(now, "video");
  if (audioCodec) sample.codecs.audio = audioCodec;
  if (videoCodec) sample.codecs.video = videoCodec;
  return sample;
}

/** The one-glance indicator: ICE says whether media flows at all, the sample how well. */
export function rateQuality(iceState: IceState, sample: QualitySample | undefined): QualityRating {
  if (iceState === "disconnected" || iceState === "failed" || iceState === "checking" || iceState === "new") return "reconnecting";
  if (!sample) return "good";
  const poor = (sample.rttMs ?? 0) > POOR.rttMs || (sample.lossPercent ?? 0) > POOR.lossPercent || (sample.jitterMs ?? 0) > POOR.jitterMs;
  return poor ? "poor" : "good";
}

/** Keeps the last `seconds` samples (the graphs' window). */
export function keepWindow(samples: readonly QualitySample[], next: QualitySample, seconds = 60): QualitySample[] {
  const from = next.at - seconds * 1000;
  return [...samples.filter((s) => s.at > from && s.at < next.at), next];
}

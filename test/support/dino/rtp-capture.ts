import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { DinoNamespace } from "./namespace.ts";
import { spawnIn, type NsProcess } from "./processes.ts";

/*
 * Media as seen on the wire inside the namespace: tcpdump on its loopback (Dino and the browser
 * share the host, so their datagrams pass `lo`), and a small pcap reader that sorts each UDP
 * payload by RFC 7983 demultiplexing (STUN 0–3, DTLS 20–63, RTP/RTCP 128–191; RTCP by packet
 * type 192–223, RFC 5761 §4). SRTP keeps the RTP header in the clear, so RTP is countable.
 */

export type PacketKind = "stun" | "dtls" | "rtp" | "rtcp" | "other";

export interface DirectionCount {
  stun: number;
  dtls: number;
  rtp: number;
  rtcp: number;
  other: number;
  /** Capture time (ms since epoch) of the first and last RTP packet. */
  firstRtpAt?: number;
  lastRtpAt?: number;
  /** RTP payload types seen, with counts. */
  payloadTypes: Record<number, number>;
}

export interface MediaSummary {
  fromDino: DirectionCount;
  toDino: DirectionCount;
}

export function classify(payload: Buffer): PacketKind {
  const b0 = payload[0] ?? 255;
  if (b0 <= 3) return "stun";
  if (b0 >= 20 && b0 <= 63) return "dtls";
  if (b0 >= 128 && b0 <= 191) {
    const pt = payload[1] ?? 0;
    return pt >= 192 && pt <= 223 ? "rtcp" : "rtp";
  }
  return "other";
}

export interface UdpPacket {
  at: number;
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

/** UDP/IPv4 datagrams of a pcap file (Ethernet or Linux cooked link types). */
export function readPcap(data: Buffer): UdpPacket[] {
  if (data.length < 24) return [];
  const magic = data.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const nanos = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  const u32 = (o: number) => (le ? data.readUInt32LE(o) : data.readUInt32BE(o));
  const linkType = u32(20);
  const linkHeader = linkType === 1 ? 14 : linkType === 113 ? 16 : linkType === 276 ? 20 : linkType === 0 ? 4 : -1;
  if (linkHeader < 0) throw new Error(`unsupported pcap link type ${linkType}`);
  const packets: UdpPacket[] = [];
  let offset = 24;
  while (offset + 16 <= data.length) {
    const seconds = u32(offset);
    const fraction = u32(offset + 4);
    const captured = u32(offset + 8);
    const start = offset + 16;
    offset = start + captured;
    if (offset > data.length) break; // a record still being written
    const ip = start + linkHeader;
    if (ip + 20 > offset || data[ip]! >> 4 !== 4 || data[ip + 9] !== 17) continue;
    const udp = ip + (data[ip]! & 0x0f) * 4;
    if (udp + 8 > offset) continue;
    packets.push({
      at: seconds * 1000 + (nanos ? fraction / 1e6 : fraction / 1e3),
      srcPort: data.readUInt16BE(udp),
      dstPort: data.readUInt16BE(udp + 2),
      payload: data.subarray(udp + 8, offset),
    });
  }
  return packets;
}

const emptyCount = (): DirectionCount => ({ stun: 0, dtls: 0, rtp: 0, rtcp: 0, other: 0, payloadTypes: {} });

/** Counts what Dino (its local UDP ports) sent and received. */
export function summarize(packets: readonly UdpPacket[], dinoPorts: ReadonlySet<number>): MediaSummary {
  const summary = { fromDino: emptyCount(), toDino: emptyCount() };
  for (const p of packets) {
    const from = dinoPorts.has(p.srcPort);
    const to = dinoPorts.has(p.dstPort);
    if (from === to) continue;
    const count = from ? summary.fromDino : summary.toDino;
    const kind = classify(p.payload);
    count[kind]++;
    if (kind === "rtp") {
      count.firstRtpAt ??= p.at;
      count.lastRtpAt = p.at;
      const pt = p.payload[1]! & 0x7f;
      count.payloadTypes[pt] = (count.payloadTypes[pt] ?? 0) + 1;
    }
  }
  return summary;
}

export interface Capture {
  file: string;
  packets(): UdpPacket[];
  stop(): Promise<void>;
}

/** tcpdump on the namespace's loopback, UDP only, written packet by packet (-U) so it can be read while running. */
export async function startCapture(ns: DinoNamespace, dir: string, name = "media"): Promise<Capture> {
  const file = join(dir, `${name}.pcap`);
  const proc: NsProcess = spawnIn(ns, "tcpdump", "tcpdump", ["-i", "lo", "-n", "-U", "-s", "256", "-w", file, "udp"], { logFile: join(dir, `${name}.tcpdump.log`) });
  const deadline = Date.now() + 10_000;
  // tcpdump writes the pcap header once it listens.
  while (!existsSync(file) || readFileSync(file).length < 24) {
    if (!proc.alive()) throw new Error(`tcpdump exited: see ${join(dir, `${name}.tcpdump.log`)}`);
    if (Date.now() > deadline) {
      await proc.stop();
      throw new Error("tcpdump did not start capturing within 10 s");
    }
    await sleep(50);
  }
  return {
    file,
    packets: () => readPcap(readFileSync(file)),
    stop: () => proc.stop(),
  };
}

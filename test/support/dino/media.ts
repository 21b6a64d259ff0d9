import type { Page } from "playwright-core";
import type { DinoClient } from "./dino.ts";
import { plain } from "./dino-log.ts";
import { summarize, type Capture, type MediaSummary } from "./rtp-capture.ts";

/** What the page's open peer connections received so far, per kind (getStats inbound-rtp). */
export async function inboundPackets(page: Page): Promise<{ audio: number; video: number }> {
  return page.evaluate(async () => {
    const total = { audio: 0, video: 0 };
    for (const pc of globalThis.__peerConnections ?? []) {
      if (pc.connectionState === "closed") continue;
      (await pc.getStats()).forEach((r: { type: string; kind?: string; packetsReceived?: number }) => {
        if (r.type === "inbound-rtp" && (r.kind === "audio" || r.kind === "video")) total[r.kind] += r.packetsReceived ?? 0;
      });
    }
    return total;
  });
}

/** Dino's local UDP ports: those of the candidates it sent since its last mark(). */
export function dinoPorts(dino: DinoClient): Set<number> {
  const ports = new Set<number>();
  for (const s of dino.stanzas()) {
    if (s.dir !== "out") continue;
    for (const m of plain(s.raw).matchAll(/<candidate [^>]*?\bport='(\d+)'/g)) ports.add(Number(m[1]));
  }
  return ports;
}

/** Dino's media on the wire since the capture started: what it sent and received. */
export function dinoMedia(capture: Capture, dino: DinoClient): MediaSummary {
  return summarize(capture.packets(), dinoPorts(dino));
}

import type { IceState } from "../call/peer.js";
import { keepWindow, rateQuality, readQuality, type QualityRating, type QualitySample, type StatRecord } from "../call/quality.js";
import { h, replaceChildren } from "./dom.js";

/** getStats once a second (the report is cached ~50 ms anyway; more often only costs CPU). */
const PERIOD_MS = 1000;
const WINDOW_S = 60;
const GRAPH = { width: 120, height: 28 } as const;
const SVG_NS = "http://www.w3.org/2000/svg";

const RATING_TEXT: Record<QualityRating, string> = { good: "Good connection", poor: "Poor connection", reconnecting: "Reconnecting…" };

interface Metric {
  label: string;
  value(s: QualitySample): number | undefined;
  format(v: number): string;
}

const kbps = (v: number) => `${(v / 1000).toFixed(v >= 100_000 ? 0 : 1)} kbit/s`;
const METRICS: readonly Metric[] = [
  { label: "Round trip", value: (s) => s.rttMs, format: (v) => `${v.toFixed(v >= 10 ? 0 : 1)} ms` },
  { label: "Received", value: (s) => s.bitrateIn, format: kbps },
  { label: "Sent", value: (s) => s.bitrateOut, format: kbps },
  { label: "Packet loss", value: (s) => s.lossPercent, format: (v) => `${v.toFixed(1)} %` },
  { label: "Jitter", value: (s) => s.jitterMs, format: (v) => `${v.toFixed(1)} ms` },
  { label: "Frame rate in", value: (s) => s.videoIn?.fps, format: (v) => `${v.toFixed(0)} fps` },
];

/** A small line graph of the last minute; the y axis runs from 0 to the window's maximum. */
function sparkline(samples: readonly QualitySample[], metric: Metric, now: number): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${GRAPH.width} ${GRAPH.height}`);
  svg.setAttribute("width", String(GRAPH.width));
  svg.setAttribute("height", String(GRAPH.height));
  svg.setAttribute("aria-hidden", "true");
  const points = samples.flatMap((s) => {
    const v = metric.value(s);
    return v === undefined ? [] : [{ t: s.at, v }];
  });
  const max = Math.max(...points.map((p) => p.v), 1e-9);
  const line = document.createElementNS(SVG_NS, "polyline");
  line.setAttribute(
    "points",
    points.map((p) => `${(GRAPH.width * (1 - (now - p.t) / (WINDOW_S * 1000))).toFixed(1)},${(GRAPH.height - 2 - ((GRAPH.height - 4) * p.v) / max).toFixed(1)}`).join(" "),
  );
  svg.append(line);
  return svg;
}

const resolution = (v: QualitySample["videoIn"]) => (v ? `${v.width}×${v.height}` : "–");

/**
 * Live call quality: reads the peer connection's statistics once a second while the call is in
 * media, keeps the last minute, shows a one-glance rating (always) and graphs (when opened).
 * Nothing of it is sent anywhere.
 */
export class QualityPanel {
  readonly element = h("section", { class: "quality-panel", "aria-label": "Call quality", hidden: true });
  readonly indicator = h("span", { class: "quality", role: "status", "aria-label": "Connection quality", hidden: true });
  #read: (() => Promise<StatRecord[]>) | undefined;
  #previous: StatRecord[] | undefined;
  #samples: QualitySample[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;
  #busy = false;
  readonly #iceState: () => IceState;

  constructor(iceState: () => IceState) {
    this.#iceState = iceState;
  }

  get open(): boolean {
    return !this.element.hidden;
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  toggle(): void {
    this.element.hidden = !this.element.hidden;
    this.#render();
  }

  /** The statistics of the call's peer connection (set once the peer exists). */
  setSource(read: () => Promise<StatRecord[]>): void {
    if (this.#read === read) return;
    this.#read = read;
    this.#previous = undefined;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.#tick(), PERIOD_MS);
    this.indicator.hidden = false;
  }

  /** Stops reading (call ended); the last graphs stay visible. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.indicator.hidden = true;
  }

  async #tick(): Promise<void> {
    const read = this.#read;
    if (!read || this.#busy) return;
    this.#busy = true;
    try {
      const current = await read();
      if (!this.running || current.length === 0) return;
      const sample = readQuality(current, this.#previous);
      this.#previous = current;
      this.#samples = keepWindow(this.#samples, sample, WINDOW_S);
      this.#render();
    } finally {
      this.#busy = false;
    }
  }

  #render(): void {
    const last = this.#samples.at(-1);
    const rating = rateQuality(this.#iceState(), last);
    this.indicator.textContent = RATING_TEXT[rating];
    this.indicator.dataset["rating"] = rating;
    if (this.element.hidden) return;
    this.element.dataset["samples"] = String(this.#samples.length);
    const now = last?.at ?? 0;
    const path = last?.path;
    const codecs = [last?.codecs.audio, last?.codecs.video].filter(Boolean).join(", ");
    const row = (label: string, value: string, graph?: SVGSVGElement) => h("div", { class: "row" }, h("dt", {}, label), h("dd", { "aria-label": label }, value), graph ?? "");
    replaceChildren(
      this.element,
      h("h2", {}, "Call quality"),
      h(
        "dl",
        {},
        row("Path", path ? `${path.local} ⇄ ${path.remote} · ${path.protocol.toUpperCase()}` : "–"),
        METRICS.map((m) => {
          const v = last && m.value(last);
          return row(m.label, v === undefined ? "–" : m.format(v), sparkline(this.#samples, m, now));
        }),
        row("Video in", resolution(last?.videoIn)),
        row("Video out", resolution(last?.videoOut)),
        row("Codecs", codecs || "–"),
      ),
    );
  }
}

import type { MediaStreamId, Source } from "./model.js";

/**
 * The media's RFC 8830 msid as its XEP-0339 source parameters carry it, when they name exactly
 * one ("stream track", trimmed: a trailing space in a Firefox msid broke Movim → libwebrtc).
 */
export function msidOfSources(sources: readonly Source[]): MediaStreamId | undefined {
  const values = new Set(sources.flatMap((s) => s.parameters.filter((p) => p.name === "msid").map((p) => (p.value ?? "").trim())));
  if (values.size !== 1) return undefined;
  const [stream, track, ...rest] = [...values][0]!.split(/\s+/);
  return stream && track && rest.length === 0 ? { stream, track } : undefined;
}

export function sameMsid(a: MediaStreamId | undefined, b: MediaStreamId | undefined): boolean {
  return a?.stream === b?.stream && a?.track === b?.track;
}

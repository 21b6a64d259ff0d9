// Test helpers: fixtures on disk and a semantic summary of an SDP, so that round trips are
// compared on what a browser negotiates rather than on line order or formatting.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "sdp-transform";

export const FIXTURES = join(import.meta.dirname, "../../fixtures");

export function fixture(path: string): string {
  return readFileSync(join(FIXTURES, path), "utf8");
}

export function sdpFixtures(): string[] {
  return readdirSync(join(FIXTURES, "sdp")).filter((f) => f.endsWith(".sdp")).sort();
}

type Loose = Record<string, unknown>;

const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v).trim());

/** Everything a browser negotiates from one SDP, normalised; see the codec's documented losses. */
export function semantics(sdp: string) {
  const p = parse(sdp) as unknown as Loose & { media: Loose[] };
  const sessionMixed = p["extmapAllowMixed"] !== undefined;
  return {
    groups: ((p["groups"] as Loose[] | undefined) ?? []).map((g) => `${String(g["type"])}:${String(g["mids"])}`),
    media: p.media.map((m) => {
      const isRtp = String(m["protocol"]).includes("RTP");
      const pts = String(m["payloads"]).trim().split(/\s+/);
      const list = (k: string) => (m[k] as Loose[] | undefined) ?? [];
      const sources = new Map<string, string[]>();
      const msids = new Set<string>();
      if (m["msid"]) msids.add(String(m["msid"]).trim().split(/\s+/).join(" "));
      for (const s of list("ssrcs")) {
        const id = String(s["id"]);
        if (s["attribute"] === "msid") {
          msids.add(String(s["value"]).trim().split(/\s+/).join(" "));
          continue;
        }
        sources.set(id, [...(sources.get(id) ?? []), `${String(s["attribute"])}=${str(s["value"]) ?? ""}`]);
      }
      const fp = (m["fingerprint"] ?? p["fingerprint"]) as Loose | undefined;
      const sctpmap = m["sctpmap"] as Loose | undefined;
      return {
        mid: m["mid"] === undefined ? undefined : String(m["mid"]),
        type: m["type"],
        direction: isRtp ? (m["direction"] ?? p["direction"] ?? "sendrecv") : undefined,
        codecs: isRtp
          ? pts.map((pt) => {
              const rtp = list("rtp").find((r) => String(r["payload"]) === pt);
              const fmtp = list("fmtp").filter((f) => String(f["payload"]) === pt);
              return {
                pt,
                name: rtp?.["codec"],
                rate: rtp?.["rate"],
                channels: rtp?.["encoding"],
                // Nameless tokens (RED 111/111, DTMF 0-15) included: the codec carries them.
                fmtp: fmtp.flatMap((f) => String(f["config"]).split(";").map((x) => x.trim()).filter((x) => x !== "")).sort(),
                fb: list("rtcpFb").filter((f) => String(f["payload"]) === pt || f["payload"] === "*").map((f) => `${String(f["type"])} ${str(f["subtype"]) ?? ""}`).sort(),
                trrInt: list("rtcpFbTrrInt").filter((f) => String(f["payload"]) === pt || f["payload"] === "*").map((f) => f["value"]),
              };
            })
          : undefined,
        ext: list("ext").map((e) => `${String(e["value"])} ${String(e["direction"] ?? "sendrecv")} ${String(e["uri"])}`),
        extmapAllowMixed: isRtp ? sessionMixed || m["extmapAllowMixed"] !== undefined : undefined,
        rtcpRsize: m["rtcpRsize"] !== undefined,
        ptime: m["ptime"],
        maxptime: m["maxptime"],
        // A data content has no RTP description to hold b= (XEP-0343 has no bandwidth).
        bandwidth: (isRtp ? list("bandwidth") : []).map((b) => `${String(b["type"])}:${String(b["limit"])}`),
        sources: [...sources].map(([id, attrs]) => `${id} ${attrs.join(" ")}`),
        ssrcGroups: list("ssrcGroups").map((g) => `${String(g["semantics"])} ${String(g["ssrcs"])}`),
        msid: [...msids].sort(),
        ufrag: str(m["iceUfrag"] ?? p["iceUfrag"]),
        pwd: str(m["icePwd"] ?? p["icePwd"]),
        fingerprint: fp ? `${String(fp["type"]).toLowerCase()} ${String(fp["hash"]).trim()}` : undefined,
        setup: m["setup"] ?? p["setup"],
        // With rtcp-mux only component 1 matters (RFC 5761); the codec drops component 2.
        candidates: list("candidates")
          .filter((c) => Number(c["component"]) === 1)
          .map((c) =>
            [c["foundation"], c["component"], String(c["transport"]).toLowerCase(), c["priority"], c["ip"], c["port"], c["type"],
              c["raddr"] ?? "-", c["rport"] ?? "-", c["tcptype"] ?? "-", c["generation"] ?? 0, c["network-id"] ?? 0].join(" "),
          ),
        sctp: isRtp ? undefined : { port: m["sctpPort"] ?? sctpmap?.["sctpmapNumber"], maxMessageSize: m["maxMessageSize"] },
      };
    }),
  };
}

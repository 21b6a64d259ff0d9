// One ICE candidate between its three shapes: the RFC 8839 `candidate:` string a browser trickles,
// the sdp-transform object of an `a=candidate` line, and the XEP-0176 model.
import { write, type SessionDescription } from "sdp-transform";
import { JingleCodecError, type JingleCodecLocation } from "./errors.js";
import { CANDIDATE_ROWS, readRows, writeRows } from "./mapping.js";
import type { IceCandidate } from "./model.js";

/** What to keep when sending candidates to a Jingle peer (INTEROP: Transport). */
export interface CandidateFilter {
  /** Drop TCP candidates: Conversations and Monal refuse them. Default true. */
  dropTcp?: boolean;
  /** Drop mDNS `.local` host candidates: libnice (Dino) cannot resolve them. Default true. */
  dropMdns?: boolean;
}

export function keepCandidate(c: IceCandidate, filter: CandidateFilter = {}): boolean {
  if ((filter.dropTcp ?? true) && c.protocol === "tcp") return false;
  if ((filter.dropMdns ?? true) && c.ip.toLowerCase().endsWith(".local")) return false;
  return true;
}

/**
 * XEP-0176 §5.3 requires an `id` unique within the session that SDP does not have. Derived from
 * the candidate itself (FNV-1a) so the codec stays a pure function: same input, same stanza.
 */
export function candidateId(c: Omit<IceCandidate, "id">): string {
  const key = `${c.foundation} ${c.component} ${c.protocol} ${c.ip} ${c.port} ${c.type} ${c.generation}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return `c${(h >>> 0).toString(36)}`;
}

/** From an sdp-transform `candidates[]` entry or a tokenised candidate string. */
export function candidateFromSdp(fields: Readonly<Record<string, unknown>>, where: JingleCodecLocation): IceCandidate {
  const read = readRows(CANDIDATE_ROWS, fields, "sdp", where, "candidate") as unknown as Omit<IceCandidate, "id">;
  return { ...read, id: candidateId(read) };
}

/** Model → sdp-transform `candidates[]` entry. */
export function candidateToSdp(c: IceCandidate): Record<string, string | number> {
  return writeRows(CANDIDATE_ROWS, c, "sdp");
}

// Extension attributes after `typ`: name/value pairs (RFC 8839 §5.1 `extension-att-name`).
const PAIR_FIELDS: Readonly<Record<string, string>> = {
  raddr: "raddr",
  rport: "rport",
  tcptype: "tcptype",
  generation: "generation",
  "network-id": "network-id",
};

/**
 * Parses a trickled `candidate:…` string (with or without `a=`). Lenient, as INTEROP asks:
 * unknown extension pairs (ufrag, network-cost) are skipped, protocol case is normalised.
 */
export function parseCandidateString(text: string, where: JingleCodecLocation = {}): IceCandidate {
  const tokens = text.trim().replace(/^a=/, "").replace(/^candidate:/, "").split(/\s+/);
  if (tokens.length < 8 || tokens[6] !== "typ") {
    throw new JingleCodecError("malformed-candidate", `not an RFC 8839 candidate: '${text.trim()}'`, where);
  }
  const fields: Record<string, string> = {
    foundation: tokens[0] ?? "",
    component: tokens[1] ?? "",
    transport: tokens[2] ?? "",
    priority: tokens[3] ?? "",
    ip: tokens[4] ?? "",
    port: tokens[5] ?? "",
    type: tokens[7] ?? "",
  };
  for (let i = 8; i + 1 < tokens.length; i += 2) {
    const field = PAIR_FIELDS[tokens[i] ?? ""];
    if (field) fields[field] = tokens[i + 1] ?? "";
  }
  try {
    return candidateFromSdp(fields, where);
  } catch (err) {
    if (err instanceof JingleCodecError) throw new JingleCodecError("malformed-candidate", `${err.message} in '${text.trim()}'`, where);
    throw err;
  }
}

/** Model → `candidate:…` string as browsers write it, through sdp-transform's candidate grammar. */
export function formatCandidateString(c: IceCandidate): string {
  const line = write({ media: [], candidates: [candidateToSdp(c)] } as unknown as SessionDescription);
  // write() always emits v= and s=; the candidate is the a= line.
  const found = line.split("\r\n").find((l) => l.startsWith("a=candidate:"));
  return (found ?? "").slice(2);
}

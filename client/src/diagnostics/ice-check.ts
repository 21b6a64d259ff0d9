// The in-browser half of the connectivity doctor: for each STUN/TURN server the
// account was given (XEP-0215), gather ICE candidates through that server alone and
// report what came back — the candidate-gathering sample, built in. The peer
// connection is a port so the logic runs in unit tests without a browser.

export type IceCheckVerdict = "pass" | "warn" | "fail";

export interface GatheredCandidate {
  type: string;
  address: string;
  port: number;
  protocol: string;
}

export interface IceCheckResult {
  /** One URL of one RTCIceServer, e.g. turn:example.org:3478?transport=udp */
  url: string;
  kind: "stun" | "turn";
  verdict: IceCheckVerdict;
  /** Server-reflexive (STUN) or relayed (TURN) candidates this server produced. */
  candidates: GatheredCandidate[];
  detail: string;
  hint?: string;
}

/** What the check needs of RTCPeerConnection. */
export interface GatheringPeer {
  onicecandidate: ((event: { candidate: { candidate: string } | null }) => void) | null;
  onicecandidateerror: ((event: { errorCode: number; errorText: string; url: string }) => void) | null;
  createDataChannel(label: string): unknown;
  createOffer(): Promise<{ type: string; sdp?: string }>;
  setLocalDescription(description: { type: string; sdp?: string }): Promise<void>;
  close(): void;
}

export type GatheringPeerFactory = (config: { iceServers: RTCIceServer[]; iceTransportPolicy: "all" | "relay" }) => GatheringPeer;

/** candidate:<foundation> <component> <protocol> <priority> <address> <port> typ <type> … (RFC 8839 §5.1) */
export function parseCandidateLine(line: string): GatheredCandidate | undefined {
  const parts = line.replace(/^a=/, "").replace(/^candidate:/, "").trim().split(/\s+/);
  const typIndex = parts.indexOf("typ");
  if (parts.length < 8 || typIndex !== 6) return undefined;
  return { protocol: parts[2]!.toLowerCase(), address: parts[4]!, port: Number(parts[5]), type: parts[7]! };
}

/** Splits servers into one entry per URL, so each is judged on its own, and each URL once. */
export function serversByUrl(servers: readonly RTCIceServer[]): Array<{ url: string; server: RTCIceServer }> {
  const seen = new Set<string>();
  return servers.flatMap((server) => {
    const urls = Array.isArray(server.urls) ? server.urls : [server.urls];
    return urls.filter((url) => !seen.has(url) && seen.add(url)).map((url) => ({ url, server: { ...server, urls: url } }));
  });
}

/** STUN error codes Chromium reports (RFC 8489 §14.8, 7xx are its own for network failures). */
function hintFor(errorCode: number, kind: "stun" | "turn", url: string): string {
  if (url.startsWith("turns:") && errorCode >= 700) return "TURN over TLS needs a certificate this browser trusts for the server's name (locally: the CA in .data/certs)";
  if (errorCode === 401) return "the server refused the credentials: TURN server and XMPP server must share one secret";
  if (errorCode === 403) return "refused by the server's policy for this network address";
  if (errorCode >= 700) return `the ${kind.toUpperCase()} server did not answer: is it running, and is its port open to this network?`;
  return "see the server's log";
}

function gather(factory: GatheringPeerFactory, url: string, server: RTCIceServer, timeoutMs: number): Promise<IceCheckResult> {
  const kind = url.startsWith("turn") ? "turn" : "stun";
  const wanted = kind === "turn" ? "relay" : "srflx";
  const peer = factory({ iceServers: [server], iceTransportPolicy: kind === "turn" ? "relay" : "all" });
  const candidates: GatheredCandidate[] = [];
  const errors: Array<{ errorCode: number; errorText: string }> = [];
  return new Promise<IceCheckResult>((resolve) => {
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      peer.close();
      const found = candidates.filter((c) => c.type === wanted);
      if (found.length > 0) {
        const first = found[0]!;
        resolve({
          url, kind, verdict: "pass", candidates: found,
          detail: kind === "turn" ? `relay ${first.address}:${first.port}` : `public address ${first.address}`,
        });
      } else if (errors.length > 0) {
        const error = errors[0]!;
        resolve({ url, kind, verdict: "fail", candidates: [], detail: `${error.errorCode} ${error.errorText}`.trim(), hint: hintFor(error.errorCode, kind, url) });
      } else if (kind === "stun") {
        // Chromium drops a server-reflexive candidate equal to a host candidate: no NAT.
        resolve({ url, kind, verdict: "warn", candidates: [], detail: "no public address learned", hint: "no NAT between this device and the server, or STUN is blocked" });
      } else {
        resolve({
          url, kind, verdict: "fail", candidates: [], detail: "no relay candidate",
          hint: url.startsWith("turns:") ? hintFor(701, kind, url) : "the TURN server did not allocate a relay: check that it runs and its port is open",
        });
      }
    };
    const timer = setTimeout(finish, timeoutMs);
    peer.onicecandidate = (event) => {
      if (!event.candidate) return finish();
      const candidate = parseCandidateLine(event.candidate.candidate);
      if (candidate) candidates.push(candidate);
    };
    peer.onicecandidateerror = (event) => errors.push({ errorCode: event.errorCode, errorText: event.errorText });
    peer.createDataChannel("check");
    peer.createOffer().then((offer) => peer.setLocalDescription(offer)).catch((error: unknown) => {
      errors.push({ errorCode: 0, errorText: error instanceof Error ? error.message : String(error) });
      finish();
    });
  });
}

/** Checks each server URL in turn (one at a time, so results are not confused). */
export async function checkIceServers(servers: readonly RTCIceServer[], factory: GatheringPeerFactory, timeoutMs = 6000): Promise<IceCheckResult[]> {
  const results: IceCheckResult[] = [];
  for (const { url, server } of serversByUrl(servers)) results.push(await gather(factory, url, server, timeoutMs));
  return results;
}

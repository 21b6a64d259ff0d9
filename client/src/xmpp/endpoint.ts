import parse from "@xmpp/xml/lib/parse.js";
import { NS_XRD } from "../namespaces.js";

/** XEP-0156 §3: the link relation of a WebSocket endpoint (RFC 7395 §4). */
export const REL_WEBSOCKET = "urn:xmpp:alt-connections:websocket";

/** Reads the WebSocket URLs from a host-meta XRD document (XEP-0156 §3.2); [] if none or not XRD. */
export function parseHostMeta(xrd: string): string[] {
  let root;
  try {
    root = parse(xrd);
  } catch {
    return [];
  }
  if (!root || !root.is("XRD", NS_XRD)) return [];
  return root
    .getChildren("Link")
    .filter((link) => link.attrs.rel === REL_WEBSOCKET && /^wss?:\/\//.test(link.attrs.href ?? ""))
    .map((link) => link.attrs.href as string);
}

/** Same-origin WebSocket URL `/ws` for a page origin (http → ws, https → wss). */
export function sameOriginWebSocket(origin: string): string {
  const url = new URL("/ws", origin);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

export interface DiscoverOptions {
  /** The page's origin, e.g. location.origin. */
  origin: string;
  fetch?: typeof globalThis.fetch;
  /** How long to wait for host-meta, ms. */
  timeoutMs?: number;
}

/**
 * Finds the WebSocket endpoint for an XMPP domain (XEP-0156). When the page is served from
 * that domain (or from loopback) the origin's own host-meta is asked; otherwise the domain's.
 * Falls back to the same-origin `/ws`, which is how `npm start` serves the app.
 */
export async function discoverWebSocketEndpoint(domain: string, options: DiscoverOptions): Promise<string> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const origin = new URL(options.origin);
  const local = origin.hostname === domain || ["localhost", "127.0.0.1", "[::1]"].includes(origin.hostname);
  const hostMetaUrl = local ? new URL("/.well-known/host-meta", origin).toString() : `https://${domain}/.well-known/host-meta`;
  try {
    const response = await doFetch(hostMetaUrl, { signal: AbortSignal.timeout(options.timeoutMs ?? 3_000) });
    if (response.ok) {
      const urls = parseHostMeta(await response.text());
      // Prefer TLS when both are announced; plaintext ws is acceptable only to loopback.
      const best = urls.find((u) => u.startsWith("wss:")) ?? urls[0];
      if (best) return best;
    }
  } catch {
    // No host-meta (or CORS refused it): use the fallback below.
  }
  return sameOriginWebSocket(options.origin);
}

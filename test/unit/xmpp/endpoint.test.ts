import { describe, expect, it } from "vitest";
import { discoverWebSocketEndpoint, parseHostMeta, sameOriginWebSocket } from "../../../client/src/xmpp/endpoint.js";

// XEP-0156 §3.2 example 2 (BOSH link kept: it must be ignored).
const xrd = `<?xml version='1.0' encoding='utf-8'?>
<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>
  <Link rel="urn:xmpp:alt-connections:xbosh" href="https://web.example.com:5280/bosh" />
  <Link rel="urn:xmpp:alt-connections:websocket" href="wss://web.example.com:443/ws" />
</XRD>`;

const fetchReturning = (status: number, body: string) =>
  (async () => new Response(body, { status })) as unknown as typeof fetch;

describe("XEP-0156 WebSocket endpoint discovery", () => {
  it("reads the websocket link of the XEP's example", () => {
    expect(parseHostMeta(xrd)).toEqual(["wss://web.example.com:443/ws"]);
  });

  it("treats a non-XRD document (a dev server's index.html) as no endpoint", () => {
    expect(parseHostMeta("<!doctype html><html><body></body></html>")).toEqual([]);
  });

  it("maps the page origin to a same-origin /ws with the matching scheme", () => {
    expect(sameOriginWebSocket("http://localhost:5173")).toBe("ws://localhost:5173/ws");
    expect(sameOriginWebSocket("https://chat.example.org")).toBe("wss://chat.example.org/ws");
  });

  it("uses the announced endpoint when host-meta has one", async () => {
    const url = await discoverWebSocketEndpoint("example.com", { origin: "https://example.com", fetch: fetchReturning(200, xrd) });
    expect(url).toBe("wss://web.example.com:443/ws");
  });

  it("falls back to the same-origin /ws when host-meta is missing", async () => {
    const url = await discoverWebSocketEndpoint("localhost", { origin: "http://localhost:8080", fetch: fetchReturning(404, "") });
    expect(url).toBe("ws://localhost:8080/ws");
  });

  it("falls back to the same-origin /ws when host-meta cannot be fetched", async () => {
    const failing = (async () => { throw new TypeError("CORS"); }) as unknown as typeof fetch;
    const url = await discoverWebSocketEndpoint("example.org", { origin: "https://app.example.net", fetch: failing });
    expect(url).toBe("wss://app.example.net/ws");
  });
});

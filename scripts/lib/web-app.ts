import type { IncomingMessage, ServerResponse } from "node:http";

const WEBSOCKET_REL = "urn:xmpp:alt-connections:websocket";

/**
 * The same-origin `/ws` proxy of the dev and preview servers, for exactly `/ws`.
 * Vite matches a plain key by prefix (`/ws` would forward `/ws%2f..%2fapi/…` and
 * `/wsx/../api/…` as they are); a key starting with `^` is a regular expression,
 * tested against the raw request target, so nothing but `/ws` itself goes through.
 */
export function websocketProxy(target: string): Record<string, { target: string; ws: true }> {
  return { "^/ws$": { target, ws: true } };
}

/**
 * XEP-0156 host-meta for the web app's own origin: the app discovers its
 * WebSocket endpoint the way it would on a real domain, and here the answer is
 * the same-origin /ws that the web server proxies to ejabberd.
 */
export function hostMetaHandler(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  const path = (req.url ?? "").split("?")[0];
  if (path !== "/.well-known/host-meta" && path !== "/.well-known/host-meta.json") return next();
  // Only a plain host[:port] goes into the answer; anything else is not a Host we serve.
  const host = /^[A-Za-z0-9.-]+(:\d+)?$|^\[[0-9a-fA-F:]+\](:\d+)?$/.test(req.headers.host ?? "") ? req.headers.host! : "localhost";
  const href = `ws://${host}/ws`;
  if (path.endsWith(".json")) {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ links: [{ rel: WEBSOCKET_REL, href }] }));
  } else {
    res.setHeader("content-type", "application/xrd+xml");
    res.end(`<?xml version='1.0' encoding='utf-8'?>\n<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'><Link rel='${WEBSOCKET_REL}' href='${href}'/></XRD>\n`);
  }
}

/** The handler as a Vite plugin (dev and preview servers). */
export function hostMetaPlugin(): { name: string; configureServer(server: { middlewares: { use(fn: typeof hostMetaHandler): void } }): void; configurePreviewServer(server: { middlewares: { use(fn: typeof hostMetaHandler): void } }): void } {
  return {
    name: "calls-host-meta",
    configureServer(server) {
      server.middlewares.use(hostMetaHandler);
    },
    configurePreviewServer(server) {
      server.middlewares.use(hostMetaHandler);
    },
  };
}

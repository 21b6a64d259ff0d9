import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build, preview, type Plugin, type PreviewServer } from "vite";
import { hostMetaPlugin, websocketProxy } from "../../scripts/lib/web-app.ts";

const PROJECT_DIR = join(import.meta.dirname, "..", "..");

let built: Promise<string> | undefined;

/** Builds the web app once per test process into a temporary folder. */
function buildOnce(): Promise<string> {
  built ??= (async () => {
    const outDir = mkdtempSync(join(tmpdir(), "calls-web-"));
    process.on("exit", () => rmSync(outDir, { recursive: true, force: true }));
    await build({ configFile: join(PROJECT_DIR, "vite.config.ts"), logLevel: "error", build: { outDir, emptyOutDir: true, sourcemap: false } });
    return outDir;
  })();
  return built;
}

export interface AppServer {
  /** http://localhost:PORT — a secure context for getUserMedia. */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the built web app the way `npm start` does: same-origin `/ws` proxied to the
 * given ejabberd WebSocket listener, and XEP-0156 host-meta pointing at it. `headers` go
 * on every response (e.g. production's security headers).
 */
export async function startAppServer(wsTarget: string, options: { headers?: Record<string, string> } = {}): Promise<AppServer> {
  const outDir = await buildOnce();
  const target = new URL(wsTarget);
  const server: PreviewServer = await preview({
    configFile: join(PROJECT_DIR, "vite.config.ts"),
    logLevel: "error",
    build: { outDir },
    preview: {
      host: "127.0.0.1",
      port: 0,
      proxy: websocketProxy(`${target.protocol}//${target.host}`),
      headers: options.headers,
    },
    plugins: [hostMetaPlugin() as Plugin],
  });
  const address = server.httpServer.address();
  if (!address || typeof address === "string") throw new Error("preview server has no TCP address");
  return {
    url: `http://localhost:${address.port}/`,
    close: () => server.close(),
  };
}

/** A frame the page sent or received on its XMPP WebSocket (RFC 7395: one stanza per frame). */
export interface WireFrame {
  dir: "in" | "out";
  /** performance.timeOrigin + performance.now() in the page, ms. */
  at: number;
  data: string;
}

/**
 * Init script (a string, so no bundler helper leaks into the page) that records every
 * WebSocket frame of the page in `window.__wire`. Tests read the stanzas on the wire with
 * `wireFrames(page)` instead of reaching into the app's state.
 */
export const WIRE_TAP_SCRIPT = `(() => {
  const Native = window.WebSocket;
  window.__wire = [];
  const now = () => performance.timeOrigin + performance.now();
  class Tapped extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      this.addEventListener("message", (e) => { if (typeof e.data === "string") window.__wire.push({ dir: "in", at: now(), data: e.data }); });
    }
    send(data) {
      if (typeof data === "string") window.__wire.push({ dir: "out", at: now(), data });
      super.send(data);
    }
  }
  window.WebSocket = Tapped;
})();`;

/** The frames recorded by WIRE_TAP_SCRIPT; `clear` empties the record afterwards. */
export function wireFrames(page: { evaluate<R>(script: string): Promise<R> }, clear = false): Promise<WireFrame[]> {
  return page.evaluate<WireFrame[]>(`(() => { const w = window.__wire ?? []; if (${clear}) window.__wire = []; return w; })()`);
}

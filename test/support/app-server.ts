import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build, preview, type Plugin, type PreviewServer } from "vite";
import { hostMetaPlugin } from "../../scripts/lib/web-app.ts";

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
 * given ejabberd WebSocket listener, and XEP-0156 host-meta pointing at it.
 */
export async function startAppServer(wsTarget: string): Promise<AppServer> {
  const outDir = await buildOnce();
  const target = new URL(wsTarget);
  const server: PreviewServer = await preview({
    configFile: join(PROJECT_DIR, "vite.config.ts"),
    logLevel: "error",
    build: { outDir },
    preview: {
      host: "127.0.0.1",
      port: 0,
      proxy: { "/ws": { target: `${target.protocol}//${target.host}`, ws: true } },
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

// Builds the StanzaJS peer page (Vite, once per test process) and serves it from a static
// server on loopback: http://localhost is a secure context, as getUserMedia needs.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build, preview, type PreviewServer } from "vite";

let built: Promise<string> | undefined;

function buildOnce(): Promise<string> {
  built ??= (async () => {
    const outDir = mkdtempSync(join(tmpdir(), "stanza-peer-"));
    process.on("exit", () => rmSync(outDir, { recursive: true, force: true }));
    await build({
      configFile: false,
      root: import.meta.dirname,
      logLevel: "error",
      build: { outDir, emptyOutDir: true, sourcemap: false, target: "es2022" },
    });
    return outDir;
  })();
  return built;
}

export interface StanzaPeerServer {
  url: string;
  close(): Promise<void>;
}

export async function startStanzaPeerServer(): Promise<StanzaPeerServer> {
  const outDir = await buildOnce();
  const server: PreviewServer = await preview({
    configFile: false,
    root: import.meta.dirname,
    logLevel: "error",
    build: { outDir },
    preview: { host: "127.0.0.1", port: 0 },
  });
  const address = server.httpServer.address();
  if (!address || typeof address === "string") throw new Error("stanza peer server has no TCP address");
  return { url: `http://localhost:${address.port}/`, close: () => server.close() };
}

import { join } from "node:path";
import { createServer, type Plugin, type ViteDevServer } from "vite";
import { PROJECT_DIR } from "./local-settings.ts";
import { hostMetaPlugin, websocketProxy } from "./web-app.ts";

export interface DevServerOptions {
  port: number;
  /** ejabberd's loopback WebSocket listener, e.g. ws://127.0.0.1:5280 (its /ws only is proxied). */
  wsTarget: string;
  logLevel?: "info" | "error" | "silent";
}

/**
 * The web app with hot reload, as `npm start` serves it: loopback only, same-origin
 * `/ws` proxied to ejabberd, host-meta, and file serving limited by vite.config.ts.
 */
export async function startDevServer(options: DevServerOptions): Promise<ViteDevServer> {
  const server = await createServer({
    configFile: join(PROJECT_DIR, "vite.config.ts"),
    logLevel: options.logLevel ?? "info",
    server: {
      host: "127.0.0.1",
      port: options.port,
      strictPort: true,
      proxy: websocketProxy(options.wsTarget),
    },
    plugins: [hostMetaPlugin() as Plugin],
  });
  try {
    await server.listen();
  } catch (error) {
    await server.close();
    throw error;
  }
  return server;
}

import { client, type Client } from "@xmpp/client";
import { websocketTrusting } from "../../scripts/lib/node-websocket.ts";
import type { TestServer } from "./ejabberd.ts";

export function installWebSocket(server: Pick<TestServer, "caPem">): void {
  globalThis.WebSocket = websocketTrusting(server.caPem);
}

export interface TestClientOptions {
  username: string;
  password: string;
  resource?: string;
  /** Defaults to the TLS endpoint (wss). */
  service?: string;
}

/** Signs in over the server's secure WebSocket endpoint and resolves once online. */
export async function connectTestClient(server: TestServer, options: TestClientOptions): Promise<Client> {
  installWebSocket(server);
  const xmpp = client({
    service: options.service ?? server.wsUrl,
    domain: server.domain,
    resource: options.resource ?? "test",
    username: options.username,
    password: options.password,
  });
  // Tests want failures, not retries.
  xmpp.reconnect.stop();
  xmpp.on("error", () => undefined);
  await xmpp.start();
  return xmpp;
}

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, xml, type Client } from "@xmpp/client";
import type { ExternalService } from "../../client/src/xmpp/extdisco.ts";
import { extdiscoServices } from "../support/turn.ts";
import { websocketTrusting } from "../../scripts/lib/node-websocket.ts";
import { allocate, TurnError } from "../../scripts/lib/turn-client.ts";
import type { InstallSecrets } from "../../scripts/lib/secrets.ts";
import { runScript, startLocalEjabberd } from "../support/local-env.ts";

describe("npm run turn-secret -- rotate", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "calls-rotate-"));
  let env: Record<string, string>;
  let xmpp: Client;
  const secrets = (): InstallSecrets => JSON.parse(readFileSync(join(dataDir, "secrets.json"), "utf8")) as InstallSecrets;

  async function turnService(): Promise<ExternalService> {
    const services = await extdiscoServices(xmpp, "localhost");
    return services.find((s) => s.type === "turn" && s.transport === "udp")!;
  }
  const allocateWith = (service: ExternalService) =>
    allocate({ host: "127.0.0.1", port: Number(env.CALLS_STUN_PORT), transport: "udp", username: service.username!, password: service.password! });

  beforeAll(async () => {
    const local = await startLocalEjabberd(dataDir);
    env = local.env;
    expect(local.started.stderr).toBe("");
    globalThis.WebSocket = websocketTrusting(readFileSync(join(dataDir, "certs/ca.pem"), "utf8"));
    xmpp = client({ service: `wss://localhost:${env.CALLS_HTTPS_PORT}/ws`, domain: "localhost", username: "alice", password: secrets().demoPasswords.alice!, resource: "rotation" });
    xmpp.reconnect.stop();
    xmpp.on("error", () => undefined);
    await xmpp.start();
  });
  afterAll(async () => {
    await xmpp?.stop().catch(() => undefined);
    await runScript("ejabberd", ["stop"], env);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("switches new TURN credentials to a new secret without restarting ejabberd", async () => {
    const oldSecret = secrets().turnSecret;
    const before = await turnService();
    const allocation = await allocateWith(before);
    await allocation.close();

    const rotated = await runScript("turn-secret", ["rotate"], env);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain("reloaded its configuration");
    expect(secrets().turnSecret).not.toBe(oldSecret);
    expect(secrets().previousTurnSecret?.secret).toBe(oldSecret);

    // The same signed-in session goes on: no restart, nobody was disconnected.
    expect(xmpp.status).toBe("online");
    await xmpp.iqCaller.get(xml("ping", { xmlns: "urn:xmpp:ping" }), "localhost");

    const after = await turnService();
    expect(after.password).not.toBe(before.password);
    const fresh = await allocateWith(after);
    await fresh.close();
    const stale = await allocateWith(before).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(TurnError);
    expect((stale as TurnError).code).toBe(401);
  });
});

// The dev server of `npm start` as an attacker on another origin (or another local user)
// sees it: neither ejabberd's admin API nor the install's secrets may be reachable through it,
// and the app itself must still load. Raw request targets (no URL normalisation) as
// `curl --path-as-is` sends them.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import type { ViteDevServer } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevServer } from "../../scripts/lib/dev-server.ts";
import { PROJECT_DIR } from "../../scripts/lib/local-settings.ts";
import { freeTcpPort } from "../../scripts/lib/ports.ts";
import { startTestServer, type TestAccount, type TestServer } from "../support/ejabberd.ts";
import { connectTestClient } from "../support/xmpp.ts";

interface RawResponse { status: number; body: string }

/** One HTTP request with the target sent byte for byte as given. */
function raw(port: number, method: string, target: string, body?: string, contentType = "application/json"): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path: target, headers: body === undefined ? {} : { "content-type": contentType } }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

let server: TestServer;
let web: ViteDevServer;
let webPort: number;
let account: TestAccount;
// A stand-in for the real data folder's files, in the project's own .data (git-ignored).
const dataDir = join(PROJECT_DIR, ".data");
const createdDataDir = !existsSync(dataDir);
const canaryDir = join(dataDir, `canary-${randomBytes(4).toString("hex")}`);
const CANARY = `canary-${randomBytes(8).toString("hex")}`;

beforeAll(async () => {
  server = await startTestServer();
  account = await server.createAccount();
  mkdirSync(join(canaryDir, "certs"), { recursive: true, mode: 0o700 });
  for (const file of ["secrets.json", "vm.args", "ejabberd.yml", "certs/ca.key", "certs/server.key", "certs/server.pem"]) {
    writeFileSync(join(canaryDir, file), `${CANARY}\n`, { mode: 0o600 });
  }
  webPort = await freeTcpPort();
  web = await startDevServer({ port: webPort, wsTarget: `ws://127.0.0.1:${server.ports.httpLoopback}`, logLevel: "silent" });
});

afterAll(async () => {
  await web?.close();
  await server?.stop();
  rmSync(createdDataDir ? dataDir : canaryDir, { recursive: true, force: true });
});

describe("the dev server's /ws proxy", () => {
  it.each([
    "/ws/../api/registered_users",
    "/ws%2f..%2fapi/registered_users",
    "/ws%2F..%2Fapi/registered_users",
    "/wsx/../api/registered_users",
    "/ws/..%2fapi/registered_users",
    "/ws/api/registered_users",
    "/ws?/../api/registered_users",
  ])("gives no admin API answer to %s", async (target) => {
    const response = await raw(webPort, "POST", target, JSON.stringify({ host: server.domain }));
    expect(response.body).not.toContain(account.username);
  });

  it("lets no cross-site text/plain POST change a password", async () => {
    const response = await raw(webPort, "POST", "/ws%2f..%2fapi/change_password",
      JSON.stringify({ user: account.username, host: server.domain, newpass: "owned" }), "text/plain");
    expect(response.body).not.toBe("0");
    // The old password still signs in.
    const xmpp = await connectTestClient(server, account);
    await xmpp.stop();
  });

  it("still carries XMPP over exactly /ws", async () => {
    const xmpp = await connectTestClient(server, { ...account, service: `ws://127.0.0.1:${webPort}/ws` });
    expect(xmpp.jid?.bare().toString()).toBe(account.jid);
    await xmpp.stop();
  });
});

describe("ejabberd's loopback listeners", () => {
  it("serve no admin API beside the WebSocket the proxy reaches", async () => {
    const response = await raw(server.ports.httpLoopback, "POST", "/api/registered_users", JSON.stringify({ host: server.domain }));
    expect(response.status).toBe(404);
    expect(response.body).not.toContain(account.username);
  });

  it("serve the admin API (provisioning) on a listener of its own", async () => {
    const response = await raw(server.ports.api, "POST", "/api/registered_users", JSON.stringify({ host: server.domain }));
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toContain(account.username);
  });
});

describe("the dev server's file serving", () => {
  const files = ["secrets.json", "vm.args", "ejabberd.yml", "certs/ca.key", "certs/server.key", "certs/server.pem"];
  it.each(files.flatMap((file) => [
    `/@fs${join(canaryDir, file)}`,
    `/@fs${join(canaryDir, file)}?raw`,
    `/@fs${join(canaryDir, file)}?import&raw`,
    `/../${join(".data", canaryDir.slice(dataDir.length + 1), file)}`,
    `/%2e%2e/${join(".data", canaryDir.slice(dataDir.length + 1), file)}`,
  ]))("refuses %s", async (target) => {
    const response = await raw(webPort, "GET", target);
    expect(response.body).not.toContain(CANARY);
  });

  it.each(["server-config/ejabberd.yml", "scripts/lib/secrets.ts", "package.json"])("serves nothing of the project outside the client: %s", async (file) => {
    const response = await raw(webPort, "GET", `/@fs${join(PROJECT_DIR, file)}`);
    expect(response.status).toBe(403);
  });

  it("serves every module the app loads", async () => {
    const seen = new Set<string>();
    const queue = ["/", "/@vite/client"];
    const failed: string[] = [];
    while (queue.length > 0) {
      const target = queue.shift()!;
      if (seen.has(target)) continue;
      seen.add(target);
      const response = await raw(webPort, "GET", target);
      if (response.status !== 200) failed.push(`${target} → ${response.status}`);
      // index.html's script and stylesheet, then every absolute import Vite rewrote.
      for (const match of response.body.matchAll(/(?:src|href)="(\/[^"]+)"|(?:from|import)\s*["'](\/[^"']+)["']/g)) {
        const next = match[1] ?? match[2]!;
        if (!seen.has(next)) queue.push(next);
      }
    }
    expect(failed).toEqual([]);
    expect(seen.size).toBeGreaterThan(10);
  }, 60_000);
});

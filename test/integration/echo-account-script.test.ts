import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_DIR } from "../../scripts/lib/local-settings.ts";
import { XmppConnection } from "../../client/src/xmpp/connection.ts";
import { startTestServer, type TestServer } from "../support/ejabberd.ts";
import { installWebSocket } from "../support/xmpp.ts";

// server-config/docker/echo-account.sh, as docker-compose's echo-account job runs it, against a
// real ejabberd's loopback admin API (here with GNU wget; the ejabberd image has BusyBox's, which
// takes the same --header and --post-file options).

let server: TestServer;
const dir = mkdtempSync(join(tmpdir(), "calls-echo-account-"));

beforeAll(async () => {
  server = await startTestServer();
  installWebSocket(server);
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function runScript() {
  return spawnSync("sh", [join(PROJECT_DIR, "server-config/docker/echo-account.sh")], {
    encoding: "utf8",
    env: { PATH: process.env.PATH!, XMPP_DOMAIN: server.domain, API_URL: `http://127.0.0.1:${server.ports.api}/api`, ECHO_PASSWORD_FILE: join(dir, "password") },
  });
}

async function signsIn(password: string): Promise<boolean> {
  const connection = await XmppConnection.connect({ service: server.wsUrl, jid: `echo@${server.domain}`, password }).catch(() => undefined);
  await connection?.stop();
  return connection !== undefined;
}

describe("echo-account.sh (docker-compose's echo-account job)", () => {
  it("creates echo@domain with a password made once, and keeps it on the next run", async () => {
    const first = runScript();
    expect(first.stderr).toBe("");
    expect(first.status).toBe(0);
    const password = readFileSync(join(dir, "password"), "utf8");
    expect(password).toMatch(/^[0-9a-f]{48}$/);
    expect(await server.instance.registeredUsers()).toContain("echo");
    expect(await signsIn(password)).toBe(true);

    const again = runScript();
    expect(again.status).toBe(0);
    expect(readFileSync(join(dir, "password"), "utf8")).toBe(password);
    expect(await signsIn(password)).toBe(true);
  });

  it("sets the kept password again on an account that already exists with another", async () => {
    await server.instance.changePassword("echo", "something-else");
    expect(runScript().status).toBe(0);
    expect(await signsIn(readFileSync(join(dir, "password"), "utf8"))).toBe(true);
  });
});

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoturnInstance } from "../../scripts/lib/coturn.ts";
import { ensureLocalCertificates } from "../../scripts/lib/certs.ts";
import { formatReport, runDoctor, type CheckResult } from "../../scripts/lib/doctor/checks.ts";
import { PROJECT_DIR } from "../../scripts/lib/local-settings.ts";
import { freeTcpPort, freeTcpUdpPort, freeUdpRange } from "../../scripts/lib/ports.ts";
import { randomSecret } from "../../scripts/lib/secrets.ts";
import { startTestServer, type TestAccount, type TestServer } from "../support/ejabberd.ts";

const run = promisify(execFile);

function verdicts(results: CheckResult[]): Record<string, string> {
  return Object.fromEntries(results.map((r) => [r.name.replace(/ \S+:\d+\/\w+$/, ""), r.verdict]));
}

describe("npm run doctor against ejabberd's own STUN/TURN", () => {
  let server: TestServer;
  let account: TestAccount;
  beforeAll(async () => {
    server = await startTestServer();
    account = await server.createAccount();
  });
  afterAll(async () => server?.stop());

  it("passes every check: endpoint, TLS, sign-in, round trip, XEP-0215, STUN, TURN over UDP, TCP and TLS", async () => {
    const results = await runDoctor({ jid: account.jid, password: account.password, service: server.wsUrl, caPem: server.caPem, resolveHost: () => "127.0.0.1" });
    expect(verdicts(results)).toEqual({
      "WebSocket endpoint": "pass", TLS: "pass", "Sign-in": "pass", "Signaling round trip": "pass", "STUN/TURN discovery": "pass",
      "STUN binding": "pass", "TURN allocation over UDP": "pass", "TURN allocation over TCP": "pass", "TURN allocation over TLS": "pass",
    });
    expect(results.find((r) => r.name.startsWith("STUN binding"))!.detail).toContain("public address 127.0.0.1:");
    expect(formatReport(results)).toContain("Verdict: calls can connect");
  });

  it("says how to give the endpoint when XEP-0156 host-meta cannot be fetched", async () => {
    const results = await runDoctor({ jid: account.jid, password: account.password, caPem: server.caPem, resolveHost: () => "127.0.0.1" });
    // host-meta lives at https://DOMAIN/ (port 443), where no test server is: the check says so.
    expect(results[0]).toMatchObject({ name: "WebSocket endpoint", verdict: "fail" });
    expect(results[0]!.hint).toContain("--service");
  });

  it("names a wrong password as the failing check", async () => {
    const results = await runDoctor({ jid: account.jid, password: "wrong", service: server.wsUrl, caPem: server.caPem });
    expect(results.at(-1)).toMatchObject({ name: "Sign-in", verdict: "fail", detail: "not-authorized", hint: "wrong JID or password" });
  });

  it("fails TLS with a hint when the certificate is not trusted", async () => {
    const results = await runDoctor({ jid: account.jid, password: account.password, service: server.wsUrl });
    expect(results.at(-1)).toMatchObject({ name: "TLS", verdict: "fail" });
    expect(results.at(-1)!.hint).toMatch(/certificate/);
  });
});

describe("npm run doctor with coturn as the TURN server", () => {
  let server: TestServer;
  let coturn: CoturnInstance | undefined;
  let account: TestAccount;
  const dir = mkdtempSync(join(tmpdir(), "calls-coturn-"));

  beforeAll(async () => {
    const secret = randomSecret();
    const [minPort, maxPort] = await freeUdpRange(40);
    const port = await freeTcpUdpPort();
    const tlsPort = await freeTcpPort();
    server = await startTestServer({ turnSecret: secret, externalTurn: { host: "127.0.0.1", port, tlsPort } });
    // coturn presents the same (test CA's) certificate as ejabberd.
    const certs = ensureLocalCertificates(join(server.dataDir, "certs"), server.domain);
    coturn = await CoturnInstance.start({
      dir: join(dir, "coturn"), listenIp: "127.0.0.1", port, tlsPort, minPort, maxPort, secrets: [secret], realm: server.domain,
      certFile: certs.certFile, keyFile: certs.keyFile, allowLoopbackPeers: true,
    });
    account = await server.createAccount();
  });
  afterAll(async () => {
    await coturn?.stop();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = (): Promise<{ code: number; stdout: string }> =>
    run(join(PROJECT_DIR, "node_modules/.bin/tsx"), [join(PROJECT_DIR, "scripts/doctor.ts"), "--jid", account.jid, "--service", server.wsUrl, "--ca", server.caFile], {
      env: { ...process.env, XMPP_PASSWORD: account.password },
    }).then(({ stdout }) => ({ code: 0, stdout }), (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }));

  it("passes with the credentials ejabberd hands out, relayed by coturn", async () => {
    const { code, stdout } = await cli();
    expect(stdout).toMatch(/ok\s+TURN allocation over UDP\s+relay 127\.0\.0\.1:\d+ via 127\.0\.0\.1:/);
    expect(stdout, stdout).toMatch(/ok\s+TURN allocation over TLS/);
    expect(stdout).toContain("Verdict: calls can connect");
    expect(code).toBe(0);
  });

  it("names the TURN checks as failing once coturn is stopped, and exits 1", async () => {
    await coturn!.stop();
    coturn = undefined;
    const { code, stdout } = await cli();
    expect(stdout).toMatch(/ok\s+Sign-in/);
    for (const transport of ["UDP", "TCP", "TLS"]) {
      expect(stdout).toMatch(new RegExp(`FAIL\\s+TURN allocation over ${transport}`));
    }
    expect(stdout).toContain("is the TURN server running");
    expect(stdout).toMatch(/Verdict: \d checks failed/);
    expect(code).toBe(1);
  });
});

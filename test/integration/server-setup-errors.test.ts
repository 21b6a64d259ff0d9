import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { ensureLocalCertificates } from "../../scripts/lib/certs.ts";
import { EjabberdInstance, type InstanceOptions } from "../../scripts/lib/ejabberd.ts";
import { PortInUseError, SetupError } from "../../scripts/lib/errors.ts";
import { freeTcpPort, freeTcpUdpPort, freeUdpRange, tcpPortIsFree } from "../../scripts/lib/ports.ts";
import { PROJECT_DIR } from "../../scripts/lib/local-settings.ts";

const run = promisify(execFile);
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "calls-setup-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function options(dir: string, overrides: Partial<InstanceOptions["settings"]> = {}): Promise<InstanceOptions> {
  const certs = ensureLocalCertificates(join(dir, "certs"), "localhost");
  const [turnMin, turnMax] = await freeUdpRange(20);
  const https = await freeTcpPort();
  return {
    dir: join(dir, "ejabberd"),
    nodeName: `calls-err-${process.pid}@localhost`,
    cookie: "setup-error-test-cookie",
    epmdPort: await freeTcpPort(),
    distPort: await freeTcpPort(),
    startTimeoutMs: 20_000,
    settings: {
      profile: "local", domain: "localhost", listenIp: "127.0.0.1", turnIpv4Address: "127.0.0.1",
      ports: { c2s: await freeTcpPort(), c2sTls: await freeTcpPort(), https, httpLoopback: await freeTcpPort(), api: await freeTcpPort(), stun: await freeTcpUdpPort(), turns: await freeTcpPort(), turnMin, turnMax },
      turnSecret: "test-secret", credentialsLifetime: "1h", registration: false,
      certFile: certs.serverPemFile, caFile: certs.caFile, websocketUrl: `wss://localhost:${https}/ws`,
      ...overrides,
    },
  };
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

/** PIDs of processes whose command line mentions `needle` (our epmd port or node name). */
function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").includes(needle)) pids.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

describe("bad configuration fails fast with a message saying what to do", () => {
  it("names the port that is taken and the setting that changes it, starting nothing", async () => {
    const opts = await options(tempDir());
    const blocker = await listen(opts.settings.ports.c2s);
    cleanups.push(() => void blocker.close());
    const error = await EjabberdInstance.start({ ...opts, portHint: () => "set CALLS_C2S_PORT" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortInUseError);
    expect((error as PortInUseError).port).toBe(opts.settings.ports.c2s);
    expect((error as PortInUseError).userMessage).toContain("set CALLS_C2S_PORT");
    expect(processesMentioning(`-port ${opts.epmdPort}`)).toEqual([]);
  });

  it("says how to install ejabberd when it is missing", async () => {
    const opts = await options(tempDir());
    const saved = process.env.EJABBERD_ERL_LIBS;
    process.env.EJABBERD_ERL_LIBS = tempDir();
    cleanups.push(() => {
      if (saved === undefined) delete process.env.EJABBERD_ERL_LIBS;
      else process.env.EJABBERD_ERL_LIBS = saved;
    });
    const error = await EjabberdInstance.start(opts).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SetupError);
    expect((error as SetupError).message).toContain("ejabberd is not installed");
    expect((error as SetupError).hint).toMatch(/apt-get (update && apt-get )?install -y ejabberd|sudo apt-get install ejabberd/);
  });

  it("refuses a data folder it cannot write", async () => {
    const dir = tempDir();
    const opts = await options(dir);
    const notAFolder = join(dir, "a-file");
    writeFileSync(notAFolder, "");
    const error = await EjabberdInstance.start({ ...opts, dir: join(notAFolder, "ejabberd") }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SetupError);
    expect((error as SetupError).message).toMatch(/data folder .* is not writable/);
    expect((error as SetupError).hint).toContain("CALLS_DATA_DIR");
  });

  it("reports a configuration ejabberd rejects and leaves no process behind", async () => {
    const opts = await options(tempDir(), { credentialsLifetime: "not-a-duration" });
    const error = await EjabberdInstance.start(opts).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SetupError);
    expect((error as SetupError).message).toMatch(/ejabberd (failed to start|exited during start-up)/);
    expect(processesMentioning(opts.nodeName)).toEqual([]);
    expect(processesMentioning(`-port ${opts.epmdPort}`)).toEqual([]);
    expect(await tcpPortIsFree(opts.epmdPort)).toBe(true);
  });

  it("the control command prints the problem and the fix, and exits 1", async () => {
    const dataDir = tempDir();
    const port = await freeTcpPort();
    const blocker = await listen(port);
    cleanups.push(() => void blocker.close());
    const result = await run(join(PROJECT_DIR, "node_modules/.bin/tsx"), [join(PROJECT_DIR, "scripts/ejabberd.ts"), "start"], {
      env: {
        ...process.env, CALLS_DATA_DIR: dataDir, CALLS_HTTPS_PORT: String(port),
        CALLS_C2S_PORT: String(await freeTcpPort()), CALLS_C2S_TLS_PORT: String(await freeTcpPort()),
      },
    }).then(() => ({ code: 0, stderr: "" }), (e: { code: number; stderr: string }) => e);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`port ${port} (HTTPS and secure WebSocket) on 127.0.0.1 is already in use`);
    expect(result.stderr).toContain(`CALLS_HTTPS_PORT=<port> npm start`);
  });
});

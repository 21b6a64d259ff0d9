import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { ensureLocalCertificates } from "../../scripts/lib/certs.ts";
import { terminate } from "../../scripts/lib/processes.ts";
import { randomSecret } from "../../scripts/lib/secrets.ts";
import { turnRestCredentials } from "../../scripts/lib/turn-credentials.ts";
import { namespaceRunId } from "./netns.ts";

/*
 * The shipped coturn configuration, live, on a two-host network of documentation addresses:
 *
 *   turn ns: t0 203.0.113.10/24, 2001:db8::10/64  (coturn, server-config/coturn/turnserver.conf)
 *      └── veth ──  net ns: n0 203.0.113.20, .21 (clients) and 203.0.113.77 (a public peer),
 *                           2001:db8::20 and 2001:db8::77
 *
 * No link to the machine's own interfaces: nothing routes out. 203.0.113.10 is the address
 * the shipped file already names, so the file runs as shipped; only the secret, the
 * certificate paths, the log and pid files, and an IPv6 relay address are set for the run.
 */

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const SHIPPED_COTURN_CONF = join(ROOT, "server-config/coturn/turnserver.conf");
export const TURN_ADDRESS = "203.0.113.10";
export const TURN_ADDRESS6 = "2001:db8::10";
export const CLIENT_ADDRESS = "203.0.113.20";
/** A second client host on the same network, for per-source limits. */
export const OTHER_CLIENT_ADDRESS = "203.0.113.21";
export const PUBLIC_PEER = "203.0.113.77";
export const PUBLIC_PEER6 = "2001:db8::77";

function ip(...args: string[]): void {
  try {
    execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    throw new Error(`ip ${args.join(" ")} failed: ${(error as { stderr?: Buffer }).stderr?.toString().trim() ?? String(error)}`);
  }
}

export interface TurnWorld {
  /** Where the probing client (and the public peer) run. */
  clientNs: string;
  turnNs: string;
  secret: string;
  /** Runs a command in the TURN host's namespace (e.g. its firewall script). */
  onTurnHost(command: string, args: string[], env?: Record<string, string>): string;
  /** coturn's log, to explain a failure. */
  log(): string;
  credentials(): { username: string; password: string };
  destroy(): Promise<void>;
}

/** The shipped file with the run's own secret, certificate, log and pid paths, and an IPv6 relay. */
export function configForRun(shipped: string, run: { secret: string; certFile: string; keyFile: string; dir: string }): string {
  const replaced = shipped.split("\n").map((line) => {
    if (line.startsWith("static-auth-secret=")) return `static-auth-secret=${run.secret}`;
    if (line.startsWith("cert=")) return `cert=${run.certFile}`;
    if (line.startsWith("pkey=")) return `pkey=${run.keyFile}`;
    if (line.startsWith("log-file=")) return `log-file=${join(run.dir, "turnserver.log")}`;
    return line;
  });
  // What an operator with IPv6 adds: a second relay address (RFC 6156).
  return [...replaced, `relay-ip=${TURN_ADDRESS6}`, `pidfile=${join(run.dir, "turnserver.pid")}`, `userdb=${join(run.dir, "turndb")}`, ""].join("\n");
}

export async function createTurnWorld(shippedConf = SHIPPED_COTURN_CONF): Promise<TurnWorld> {
  if (!existsSync("/usr/bin/turnserver")) throw new Error("coturn is missing: apt-get install coturn (scripts/ensure-deps.sh test installs it)");
  const id = namespaceRunId();
  const [turnNs, clientNs] = [`${id}-turn`, `${id}-tnet`];
  const dir = mkdtempSync(join(tmpdir(), "calls-coturn-live-"));
  const created: string[] = [];
  let coturn: ChildProcess | undefined;
  const destroy = async (): Promise<void> => {
    if (coturn?.pid && coturn.exitCode === null) await terminate(coturn.pid, 5000);
    for (const ns of created.reverse()) {
      try {
        ip("netns", "del", ns);
      } catch {
        /* already gone */
      }
    }
    created.length = 0;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const ns of [turnNs, clientNs]) {
      ip("netns", "add", ns);
      created.push(ns);
      ip("-n", ns, "link", "set", "lo", "up");
    }
    ip("-n", turnNs, "link", "add", "t0", "type", "veth", "peer", "name", "n0", "netns", clientNs);
    ip("-n", turnNs, "addr", "add", `${TURN_ADDRESS}/24`, "dev", "t0");
    ip("-n", turnNs, "addr", "add", `${TURN_ADDRESS6}/64`, "dev", "t0", "nodad");
    for (const address of [CLIENT_ADDRESS, OTHER_CLIENT_ADDRESS, PUBLIC_PEER]) ip("-n", clientNs, "addr", "add", `${address}/24`, "dev", "n0");
    for (const address of ["2001:db8::20", PUBLIC_PEER6]) ip("-n", clientNs, "addr", "add", `${address}/64`, "dev", "n0", "nodad");
    ip("-n", turnNs, "link", "set", "t0", "up");
    ip("-n", clientNs, "link", "set", "n0", "up");

    const secret = randomSecret();
    const certs = ensureLocalCertificates(join(dir, "certs"), "example.org");
    const conf = join(dir, "turnserver.conf");
    writeFileSync(conf, configForRun(readFileSync(shippedConf, "utf8"), { secret, certFile: certs.certFile, keyFile: certs.keyFile, dir }), { mode: 0o600 });
    // `ip netns exec` execs the command: the PID is coturn's own.
    coturn = spawn("ip", ["netns", "exec", turnNs, "turnserver", "-c", conf], { stdio: "ignore" });
    const logFile = join(dir, "turnserver.log");
    const log = (): string => (existsSync(logFile) ? readFileSync(logFile, "utf8") : "(no log yet)");
    const deadline = Date.now() + 15_000;
    const listening = (): boolean => execFileSync("ip", ["netns", "exec", turnNs, "ss", "-Hlun", "sport = :3478"], { encoding: "utf8" }).includes(TURN_ADDRESS);
    while (!listening()) {
      if (coturn.exitCode !== null) throw new Error(`coturn exited at start (code ${coturn.exitCode}): ${log().slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`coturn did not listen within 15 s: ${log().slice(-2000)}`);
      await sleep(100);
    }
    let counter = 0;
    return {
      clientNs, turnNs, secret, log,
      onTurnHost: (command, args, env = {}) => execFileSync("ip", ["netns", "exec", turnNs, command, ...args], { encoding: "utf8", env: { ...process.env, ...env } }),
      // Each credential a new username, as each XEP-0215 request gives one.
      credentials: () => turnRestCredentials(secret, `probe${++counter}`, new Date(Date.now() + 3600_000)),
      destroy,
    };
  } catch (error) {
    await destroy();
    throw error;
  }
}

/** Runs a probe script (TypeScript, ESM) inside a namespace with JSON in and JSON out. */
export function runProbe<T>(ns: string, script: string, input: unknown, timeoutMs = 60_000): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "calls-turn-probe-"));
  const file = join(dir, "probe.mts");
  writeFileSync(file, script);
  return new Promise<T>((resolve, reject) => {
    const child = spawn("ip", ["netns", "exec", ns, join(ROOT, "node_modules/.bin/tsx"), file, JSON.stringify(input)], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      if (code === 0) resolve(JSON.parse(out) as T);
      else reject(new Error(`probe in ${ns} failed (${signal ?? `exit ${code}`}): ${err.trim().slice(-2000)}`));
    });
  });
}

/** The path of turn-client.ts for probe scripts' imports. */
export const TURN_CLIENT_MODULE = JSON.stringify(join(ROOT, "scripts/lib/turn-client.ts"));

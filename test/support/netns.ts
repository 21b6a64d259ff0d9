import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContextOptions, type Page } from "playwright-core";
import { xml } from "@xmpp/xml";
import { readServices, toIceServers, type ExternalService } from "../../client/src/xmpp/extdisco.ts";
import { ensureLocalCertificates } from "../../scripts/lib/certs.ts";
import { EjabberdInstance } from "../../scripts/lib/ejabberd.ts";
import type { EjabberdSettings } from "../../scripts/lib/ejabberd-config.ts";
import { randomSecret } from "../../scripts/lib/secrets.ts";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./chromium.ts";
import { PEER_REGISTRY_SCRIPT } from "./peer-registry.ts";

/*
 * A small Internet in network namespaces, for ICE tests that need real NATs:
 *
 *   public ns: bridge pub0 203.0.113.1/24 (ejabberd + its STUN/TURN)
 *     ├── router a: wan 203.0.113.11 ─ NAT ─ lan 192.0.2.1/26  ── home a: 192.0.2.2
 *     └── router b: wan 203.0.113.12 ─ NAT ─ lan 192.0.2.65/26 ── home b: 192.0.2.66
 *
 * Documentation ranges only (RFC 5737), and no link to the machine's own interfaces:
 * nothing routes out of these namespaces. The routers know no route but their two
 * connected networks, so the homes can reach each other only through NAT mappings.
 */

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** Every namespace of a run is named `${PREFIX}${pid}-${random}-<role>`. */
const PREFIX = "xwcnat";

export const PUBLIC_SERVER_ADDRESS = "203.0.113.1";

export type NatMode =
  /** MASQUERADE keeps the source port where it can: endpoint-independent mapping. */
  | "port-preserving"
  /** `--random-fully`: a new random port per destination, like a symmetric NAT. */
  | "symmetric";

export interface Home {
  /** Namespace a browser of this home runs in. */
  ns: string;
  routerNs: string;
  lanAddress: string;
  /** The router's public leg: the address the world sees this home at. */
  publicAddress: string;
}

export interface NatTopology {
  publicNs: string;
  homes: readonly [Home, Home];
  setNatMode(mode: NatMode): void;
  destroy(): void;
}

function run(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim() ?? String(error);
    throw new Error(`${command} ${args.join(" ")} failed: ${stderr}`);
  }
}

const ip = (...args: string[]) => run("ip", args);
const inNs = (ns: string, command: string, ...args: string[]) => run("ip", ["netns", "exec", ns, command, ...args]);

/** Why this machine cannot run namespace tests, or undefined when it can. */
export function namespacesUnavailableReason(): string | undefined {
  if (process.platform !== "linux") return `network namespaces are Linux-only (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return "creating network namespaces needs root (run the tests as root, as CI does)";
  if (!["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip"].some(existsSync)) return "the 'ip' command is missing (apt-get install iproute2)";
  const probe = `${PREFIX}${process.pid}-probe`;
  try {
    ip("netns", "add", probe);
    ip("netns", "del", probe);
  } catch (error) {
    return `'ip netns add' failed here: ${(error as Error).message}`;
  }
  return undefined;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Namespaces left behind by an earlier run that was killed before its afterAll. */
export function removeStaleNamespaces(): void {
  for (const line of ip("netns", "list").split("\n")) {
    const name = line.split(" ")[0] ?? "";
    const owner = new RegExp(`^${PREFIX}(\\d+)-`).exec(name);
    if (owner && Number(owner[1]) !== process.pid && !processIsAlive(Number(owner[1]))) ip("netns", "del", name);
  }
}

/** A fresh name for this run's namespaces (stale ones of dead runs are removed first). */
export function namespaceRunId(): string {
  if (!existsSync("/usr/sbin/iptables")) {
    throw new Error("iptables is missing: apt-get install iptables (scripts/ensure-deps.sh installs it for tests)");
  }
  removeStaleNamespaces();
  return `${PREFIX}${process.pid}-${randomBytes(2).toString("hex")}`;
}

export function createNatTopology(): NatTopology {
  const id = namespaceRunId();
  const publicNs = `${id}-pub`;
  const plan = [
    { role: "a", publicAddress: "203.0.113.11", routerLan: "192.0.2.1", lanAddress: "192.0.2.2" },
    { role: "b", publicAddress: "203.0.113.12", routerLan: "192.0.2.65", lanAddress: "192.0.2.66" },
  ] as const;
  const homes = plan.map((p) => ({ ns: `${id}-home-${p.role}`, routerNs: `${id}-router-${p.role}`, lanAddress: p.lanAddress, publicAddress: p.publicAddress }));
  const created: string[] = [];
  const destroy = () => {
    for (const ns of created.reverse()) {
      try {
        ip("netns", "del", ns);
      } catch {
        /* already gone */
      }
    }
    created.length = 0;
  };
  const addNs = (ns: string) => {
    ip("netns", "add", ns);
    created.push(ns);
    ip("-n", ns, "link", "set", "lo", "up");
  };
  try {
    addNs(publicNs);
    ip("-n", publicNs, "link", "add", "pub0", "type", "bridge");
    ip("-n", publicNs, "addr", "add", `${PUBLIC_SERVER_ADDRESS}/24`, "dev", "pub0");
    ip("-n", publicNs, "link", "set", "pub0", "up");
    plan.forEach((p, i) => {
      const home = homes[i]!;
      addNs(home.routerNs);
      addNs(home.ns);
      for (const ns of [home.routerNs, home.ns]) {
        // IPv4 only: no link-local IPv6 candidates to muddy what ICE can reach.
        inNs(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
      }
      // Router's public leg, its peer a port of the public bridge.
      ip("-n", home.routerNs, "link", "add", "wan", "type", "veth", "peer", "name", `to-${p.role}`, "netns", publicNs);
      ip("-n", publicNs, "link", "set", `to-${p.role}`, "master", "pub0", "up");
      ip("-n", home.routerNs, "addr", "add", `${p.publicAddress}/24`, "dev", "wan");
      ip("-n", home.routerNs, "link", "set", "wan", "up");
      // Home LAN: one host behind the router, default route through it.
      ip("-n", home.ns, "link", "add", "eth0", "type", "veth", "peer", "name", "lan", "netns", home.routerNs);
      ip("-n", home.routerNs, "addr", "add", `${p.routerLan}/26`, "dev", "lan");
      ip("-n", home.routerNs, "link", "set", "lan", "up");
      ip("-n", home.ns, "addr", "add", `${p.lanAddress}/26`, "dev", "eth0");
      ip("-n", home.ns, "link", "set", "eth0", "up");
      ip("-n", home.ns, "route", "add", "default", "via", p.routerLan);
      inNs(home.routerNs, "sysctl", "-qw", "net.ipv4.ip_forward=1");
      // A home router's firewall. It also keeps an unsolicited packet (a peer's early
      // ICE check) from leaving a conntrack entry that would make MASQUERADE pick
      // another port for the home's own packets to that peer: a dropped packet's
      // entry is never confirmed.
      inNs(home.routerNs, "iptables", "-A", "INPUT", "-i", "wan", "-m", "conntrack", "--ctstate", "NEW", "-j", "DROP");
    });
  } catch (error) {
    destroy();
    throw error;
  }
  const topology: NatTopology = {
    publicNs,
    homes: [homes[0]!, homes[1]!],
    setNatMode(mode) {
      for (const home of homes) {
        inNs(home.routerNs, "iptables", "-t", "nat", "-F", "POSTROUTING");
        inNs(home.routerNs, "iptables", "-t", "nat", "-A", "POSTROUTING", "-o", "wan", "-j", "MASQUERADE", ...(mode === "symmetric" ? ["--random-fully"] : []));
      }
    },
    destroy,
  };
  topology.setNatMode("symmetric");
  return topology;
}

export interface PublicServer {
  domain: string;
  /** wss://DOMAIN:PORT/ws — resolve the domain to the server's address yourself. */
  wsUrl: string;
  /** The plaintext WebSocket listener on the namespace's loopback. */
  wsLoopbackUrl: string;
  caFile: string;
  instance: EjabberdInstance;
  createAccount(): Promise<{ username: string; password: string }>;
  stop(): Promise<void>;
}

/**
 * ejabberd with the production profile (TURN refuses loopback and private peers)
 * on the public namespace's documentation address, TURN announced on the same.
 */
export function startPublicServer(topology: NatTopology): Promise<PublicServer> {
  return startServerInNamespace({ ns: topology.publicNs, domain: "nat.test", address: PUBLIC_SERVER_ADDRESS, profile: "production" });
}

export interface NamespaceServerOptions {
  ns: string;
  domain: string;
  /** Where its listeners bind and what TURN announces. */
  address: string;
  profile: EjabberdSettings["profile"];
}

/** ejabberd alone in a namespace of ours, so the standard ports are free. */
export async function startServerInNamespace({ ns, domain, address, profile }: NamespaceServerOptions): Promise<PublicServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "calls-netns-ejabberd-"));
  const certs = ensureLocalCertificates(join(dataDir, "certs"), domain);
  // The namespace is this server's alone, so the standard ports are free.
  const ports = { c2s: 5222, c2sTls: 5223, https: 5443, httpLoopback: 5280, api: 5281, stun: 3478, turns: 5349, turnMin: 49152, turnMax: 49407 };
  const settings: EjabberdSettings = {
    profile,
    domain,
    listenIp: address,
    turnIpv4Address: address,
    ports,
    turnSecret: randomSecret(),
    credentialsLifetime: "1h",
    registration: false,
    certFile: certs.serverPemFile,
    caFile: certs.caFile,
    websocketUrl: `wss://${domain}:${ports.https}/ws`,
  };
  let instance: EjabberdInstance;
  try {
    instance = await EjabberdInstance.start({
      dir: join(dataDir, "ejabberd"),
      settings,
      nodeName: `calls-netns-${randomBytes(4).toString("hex")}@localhost`,
      cookie: randomSecret(18),
      epmdPort: 4369,
      distPort: 4370,
      netns: ns,
    });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    domain,
    wsUrl: settings.websocketUrl,
    wsLoopbackUrl: `ws://127.0.0.1:${ports.httpLoopback}/ws`,
    caFile: certs.caFile,
    instance,
    async createAccount() {
      const account = { username: `nat-${randomBytes(3).toString("hex")}`, password: randomSecret(12) };
      await instance.register(account.username, account.password);
      return account;
    },
    async stop() {
      await instance.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/*
 * Runs in a home namespace: signs in over WSS (through the NAT, TLS verified against
 * the test CA, nat.test resolved to the server without DNS) and asks for XEP-0215
 * services, the way a client gets its STUN/TURN servers and credentials.
 */
const EXTDISCO_SCRIPT = `
import { readFileSync } from "node:fs";
import { client } from "@xmpp/client";
import xml from "@xmpp/xml";
import WebSocket from "ws";
const [service, domain, address, username, password, caFile] = process.argv.slice(1);
const ca = readFileSync(caFile, "utf8");
const lookup = (_host, options, callback) => options.all ? callback(null, [{ address, family: 4 }]) : callback(null, address, 4);
globalThis.WebSocket = class extends WebSocket {
  constructor(url, protocols) { super(url, protocols, { ca, lookup }); }
};
const xmpp = client({ service, domain, username, password, resource: "nat-test" });
xmpp.reconnect.stop();
xmpp.on("error", () => undefined);
await xmpp.start();
const services = await xmpp.iqCaller.get(xml("services", { xmlns: "urn:xmpp:extdisco:2" }), domain);
await xmpp.stop();
process.stdout.write(JSON.stringify(services.getChildren("service").map((s) => s.attrs)));
`;

export function fetchExtdiscoServices(home: Home, server: PublicServer, account: { username: string; password: string }): Promise<ExternalService[]> {
  const args = [server.wsUrl, server.domain, PUBLIC_SERVER_ADDRESS, account.username, account.password, server.caFile];
  return new Promise((resolve, reject) => {
    const child = spawn("ip", ["netns", "exec", home.ns, process.execPath, "--input-type=module", "-e", EXTDISCO_SCRIPT, ...args], {
      cwd: ROOT, stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      // The attributes as the web client reads them (client/src/xmpp/extdisco.ts).
      if (code === 0) resolve(readServices(xml("services", {}, ...(JSON.parse(out) as Array<Record<string, string>>).map((attrs) => xml("service", attrs)))));
      else reject(new Error(`XEP-0215 request from ${home.ns} failed (${signal ?? `exit ${code}`}): ${err.trim()}`));
    });
  });
}

/** XEP-0215 services of the given types as ICE servers, converted as the web client does. */
export function iceServersFrom(services: readonly ExternalService[], types: ReadonlyArray<"stun" | "turn">): RTCIceServer[] {
  return toIceServers(services.filter((s) => (types as readonly string[]).includes(s.type)));
}

export interface HomeBrowser {
  page: Page;
  close(): Promise<void>;
}

/**
 * Debian's Chromium running inside a home namespace. Playwright talks to it over a
 * pipe, which survives the wrapper's `exec ip netns exec`. The page is a secure
 * context (an https URL answered by Playwright, no network involved), so
 * getUserMedia gives the fake camera and host candidates are not hidden behind mDNS.
 */
export async function launchChromiumIn(home: Pick<Home, "ns">, contextOptions: BrowserContextOptions = {}): Promise<HomeBrowser> {
  const dir = mkdtempSync(join(tmpdir(), "calls-nat-chromium-"));
  const wrapper = join(dir, "chromium-in-netns");
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${home.ns} ${CHROMIUM_PATH} "$@"\n`);
  chmodSync(wrapper, 0o755);
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: wrapper,
      headless: true,
      // Loopback candidates would only pair with the peer's loopback, which is another host here.
      args: CHROMIUM_ARGS.filter((arg) => arg !== "--allow-loopback-in-peer-connection"),
    });
    const context = await browser.newContext({ permissions: ["camera", "microphone"], ...contextOptions });
    await context.addInitScript(PEER_REGISTRY_SCRIPT);
    const page = await context.newPage();
    const origin = `https://${home.ns}.invalid/`;
    await page.route(origin, (route) => route.fulfill({ contentType: "text/html", body: "<!doctype html><title>NAT test peer</title>" }));
    await page.goto(origin);
    const opened = browser;
    return {
      page,
      async close() {
        // Peer connections first, so TURN allocations are released (CONVENTIONS.md).
        await page.evaluate(() => {
          for (const pc of (globalThis as { __peerConnections?: RTCPeerConnection[] }).__peerConnections ?? []) pc.close();
        }).catch(() => undefined);
        await opened.close().catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await browser?.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/*
 * Runs in a home namespace: allocates a TURN relay with the given credentials and asks
 * for a permission to each peer address, reporting "ok" or the STUN error code — what a
 * client trying to use the relay as a proxy would get.
 */
const TURN_PERMISSION_SCRIPT = `
import { allocate } from ${JSON.stringify(join(ROOT, "scripts/lib/turn-client.ts"))};
const [host, port, username, password, peers] = process.argv.slice(2);
const allocation = await allocate({ host, port: Number(port), transport: "udp", username, password });
const results = {};
for (const address of JSON.parse(peers)) {
  results[address] = await allocation.createPermission({ address, port: 9 }).then(() => "ok", (e) => String(e.code ?? e.message));
}
await allocation.close();
process.stdout.write(JSON.stringify({ relayed: allocation.relayed.address, results }));
`;

export function turnPermissionsFrom(home: Home, turn: { host: string; port: number; username: string; password: string }, peers: readonly string[]): { relayed: string; results: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), "calls-turn-probe-"));
  const script = join(dir, "probe.mts");
  writeFileSync(script, TURN_PERMISSION_SCRIPT);
  try {
    const out = inNs(home.ns, join(ROOT, "node_modules/.bin/tsx"), script, turn.host, String(turn.port), turn.username, turn.password, JSON.stringify(peers));
    return JSON.parse(out) as { relayed: string; results: Record<string, string> };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

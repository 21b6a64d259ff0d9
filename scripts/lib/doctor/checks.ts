// The connectivity doctor: for one account, checks what a call needs, in the order a
// call needs it, and says for each failure what to look at.
import { connect as tlsConnect, type PeerCertificate } from "node:tls";
import { client, xml, type Client } from "@xmpp/client";
import { parseHostMeta } from "../../../client/src/xmpp/endpoint.ts";
import { readServices, type ExternalService } from "../../../client/src/xmpp/extdisco.ts";
import { websocketTrusting } from "../node-websocket.ts";
import { allocate, stunBinding, type StunTransport } from "../turn-client.ts";

export type Verdict = "pass" | "warn" | "fail" | "skip";

export interface CheckResult {
  name: string;
  verdict: Verdict;
  /** What was found: an address, a time, a count. */
  detail: string;
  /** For warn/fail: what to do about it. */
  hint?: string;
}

export interface DoctorOptions {
  jid: string;
  password: string;
  /** WebSocket URL; discovered with XEP-0156 when absent. */
  service?: string;
  /** Extra CA to trust (the local deployment's own). */
  caPem?: string;
  /** Connect STUN/TURN here instead of the announced host (e.g. 127.0.0.1 for "localhost"). */
  resolveHost?: (host: string) => string;
  timeoutMs?: number;
}

const ms = (start: number): string => `${Math.round(performance.now() - start)} ms`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function fetchTrusting(url: string, caPem: string | undefined, timeoutMs: number): Promise<string> {
  const { request } = await import("node:https");
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: caPem ? [caPem] : undefined, timeout: timeoutMs }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}

async function discoverService(domain: string, options: DoctorOptions, results: CheckResult[]): Promise<string | undefined> {
  if (options.service) {
    results.push({ name: "WebSocket endpoint", verdict: "pass", detail: `${options.service} (given)` });
    return options.service;
  }
  const url = `https://${domain}/.well-known/host-meta`;
  try {
    const best = parseHostMeta(await fetchTrusting(url, options.caPem, options.timeoutMs ?? 5000)).sort((a) => (a.startsWith("wss:") ? -1 : 1))[0];
    if (!best) throw new Error("no WebSocket link in it");
    results.push({ name: "WebSocket endpoint", verdict: "pass", detail: `${best} (XEP-0156 host-meta)` });
    return best;
  } catch (error) {
    results.push({
      name: "WebSocket endpoint", verdict: "fail", detail: `${url}: ${(error as Error).message}`,
      hint: "serve /.well-known/host-meta on the domain (XEP-0156), or pass --service wss://host:port/ws",
    });
    return undefined;
  }
}

function checkTls(service: string, options: DoctorOptions): Promise<CheckResult> {
  const url = new URL(service);
  if (url.protocol !== "wss:") {
    const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
    return Promise.resolve(loopback
      ? { name: "TLS", verdict: "warn", detail: "plaintext WebSocket on loopback", hint: "fine on this machine only; anything else needs wss://" }
      : { name: "TLS", verdict: "fail", detail: "plaintext WebSocket across a network", hint: "serve the WebSocket endpoint over TLS (wss://)" });
  }
  const start = performance.now();
  const port = Number(url.port || 443);
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: url.hostname, port, servername: url.hostname, ca: options.caPem ? [options.caPem] : undefined, timeout: options.timeoutMs ?? 5000 }, () => {
      const cert: PeerCertificate = socket.getPeerCertificate();
      const daysLeft = Math.floor((Date.parse(cert.valid_to) - Date.now()) / 86_400_000);
      socket.end();
      resolve(daysLeft < 14
        ? { name: "TLS", verdict: "warn", detail: `valid, expires in ${daysLeft} days (handshake ${ms(start)})`, hint: "renew the certificate" }
        : { name: "TLS", verdict: "pass", detail: `valid for ${url.hostname}, ${daysLeft} days left (handshake ${ms(start)})` });
    });
    socket.on("timeout", () => socket.destroy(new Error("timed out")));
    socket.on("error", (error: Error & { code?: string }) => resolve({
      name: "TLS", verdict: "fail", detail: `${url.hostname}:${port}: ${error.code ?? error.message}`,
      hint: error.code?.startsWith("ERR_TLS") || /certificate/i.test(error.message)
        ? "the certificate is not trusted or not for this name: install a certificate for the domain"
        : "is the server running and the port open?",
    }));
  });
}

async function signIn(service: string, options: DoctorOptions, results: CheckResult[]): Promise<Client | undefined> {
  globalThis.WebSocket = websocketTrusting(options.caPem);
  const [local, domain] = options.jid.split("@") as [string, string];
  const xmpp = client({ service, domain, username: local, password: options.password, resource: `doctor-${process.pid}` });
  xmpp.reconnect.stop();
  xmpp.on("error", () => undefined);
  const start = performance.now();
  try {
    await xmpp.start();
    results.push({ name: "Sign-in", verdict: "pass", detail: `${options.jid} online in ${ms(start)}` });
    return xmpp;
  } catch (error) {
    const condition = (error as { condition?: string }).condition;
    results.push({
      name: "Sign-in", verdict: "fail", detail: condition ?? (error as Error).message,
      hint: condition === "not-authorized" ? "wrong JID or password" : "check the WebSocket endpoint and that the server is running",
    });
    await xmpp.stop().catch(() => undefined);
    return undefined;
  }
}

async function roundTrip(xmpp: Client, domain: string): Promise<CheckResult> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    await xmpp.iqCaller.get(xml("ping", { xmlns: "urn:xmpp:ping" }), domain);
    samples.push(performance.now() - start);
  }
  const rtt = median(samples);
  return rtt > 500
    ? { name: "Signaling round trip", verdict: "warn", detail: `${rtt.toFixed(1)} ms (XEP-0199, median of 5)`, hint: "slow signaling delays call set-up" }
    : { name: "Signaling round trip", verdict: "pass", detail: `${rtt.toFixed(1)} ms (XEP-0199, median of 5)` };
}

async function discoverIceServices(xmpp: Client, domain: string, results: CheckResult[]): Promise<ExternalService[]> {
  try {
    const services = readServices(await xmpp.iqCaller.get(xml("services", { xmlns: "urn:xmpp:extdisco:2" }), domain));
    const turn = services.filter((s) => s.type === "turn" || s.type === "turns");
    const expiries = turn.map((s) => s.expires).filter((e): e is number => e !== undefined);
    const minutes = expiries.length ? Math.round((Math.min(...expiries) - Date.now()) / 60_000) : undefined;
    const summary = services.map((s) => `${s.type}:${s.host}:${s.port}/${s.transport ?? "udp"}`).join(", ");
    if (turn.length === 0) {
      results.push({ name: "STUN/TURN discovery", verdict: "fail", detail: summary || "no services", hint: "enable mod_stun_disco and a TURN listener (use_turn: true) with turn_ipv4_address" });
    } else if (minutes === undefined || minutes <= 0) {
      results.push({ name: "STUN/TURN discovery", verdict: "fail", detail: `${summary}; credentials already expired`, hint: "check the server clock and mod_stun_disco's credentials_lifetime" });
    } else {
      results.push({ name: "STUN/TURN discovery", verdict: "pass", detail: `${services.length} services (XEP-0215), TURN credentials valid ${minutes} min` });
    }
    return services;
  } catch (error) {
    results.push({ name: "STUN/TURN discovery", verdict: "fail", detail: (error as { condition?: string }).condition ?? (error as Error).message, hint: "enable mod_stun_disco (XEP-0215) on the server" });
    return [];
  }
}

function transportOf(service: ExternalService): StunTransport {
  if (service.type === "turns" || service.type === "stuns") return "tls";
  return service.transport === "tcp" ? "tcp" : "udp";
}

async function checkStun(service: ExternalService, options: DoctorOptions): Promise<CheckResult> {
  const transport = transportOf(service);
  const name = `STUN binding ${service.host}:${service.port}/${transport}`;
  try {
    const mapped = await stunBinding({ host: options.resolveHost?.(service.host) ?? service.host, port: service.port!, transport, ca: options.caPem, servername: service.host, timeoutMs: options.timeoutMs });
    return { name, verdict: "pass", detail: `public address ${mapped.address}:${mapped.port}` };
  } catch (error) {
    return { name, verdict: "fail", detail: (error as Error).message, hint: `is ${transport.toUpperCase()} port ${service.port} open to this network?` };
  }
}

async function checkTurn(service: ExternalService, options: DoctorOptions): Promise<CheckResult> {
  const transport = transportOf(service);
  const name = `TURN allocation over ${transport.toUpperCase()}`;
  try {
    const allocation = await allocate({
      host: options.resolveHost?.(service.host) ?? service.host, port: service.port!, transport, ca: options.caPem, servername: service.host,
      username: service.username!, password: service.password!, timeoutMs: options.timeoutMs,
    });
    await allocation.close();
    return { name, verdict: "pass", detail: `relay ${allocation.relayed.address}:${allocation.relayed.port} via ${service.host}:${service.port}` };
  } catch (error) {
    const code = (error as { code?: number }).code;
    const hint = code === 401 ? "credentials refused: the TURN server and mod_stun_disco must share one secret"
      : code === 403 ? "refused by policy: this client's address is blacklisted on the TURN server"
      : code === 508 ? "the relay port range is exhausted or not bindable"
      : `is the TURN server running, and ${transport.toUpperCase()} port ${service.port} open to this network?`;
    return { name, verdict: "fail", detail: (error as Error).message, hint };
  }
}

/** Runs every check; a failed step skips what depends on it, saying so. */
export async function runDoctor(options: DoctorOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const domain = options.jid.split("@")[1] ?? "";
  const service = await discoverService(domain, options, results);
  if (!service) return results;
  const tls = await checkTls(service, options);
  results.push(tls);
  if (tls.verdict === "fail") return results;
  const xmpp = await signIn(service, options, results);
  if (!xmpp) return results;
  try {
    results.push(await roundTrip(xmpp, domain));
    const services = await discoverIceServices(xmpp, domain, results);
    const usable = services.filter((s) => s.host && s.port);
    for (const stun of usable.filter((s) => s.type === "stun")) results.push(await checkStun(stun, options));
    const turn = usable.filter((s) => (s.type === "turn" || s.type === "turns") && s.username && s.password);
    for (const t of turn) results.push(await checkTurn(t, options));
  } finally {
    await xmpp.stop().catch(() => undefined);
  }
  return results;
}

const SYMBOL: Record<Verdict, string> = { pass: "ok  ", warn: "warn", fail: "FAIL", skip: "skip" };

/** A plain-text table: one line per check, the hint under each failure. */
export function formatReport(results: CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length), 10);
  const lines = results.flatMap((r) => [
    `${SYMBOL[r.verdict]}  ${r.name.padEnd(width)}  ${r.detail}`,
    ...(r.hint && r.verdict !== "pass" ? [`      ${"".padEnd(width)}  → ${r.hint}`] : []),
  ]);
  const failed = results.filter((r) => r.verdict === "fail").length;
  const verdict = failed === 0 ? "Verdict: calls can connect (direct, or relayed through TURN)." : `Verdict: ${failed} check${failed > 1 ? "s" : ""} failed — see the hints above.`;
  return [...lines, "", verdict].join("\n");
}

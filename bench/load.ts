// `npm run bench:load`: signaling load on a real ejabberd, first one node, then a
// two-node cluster on this machine (the one-node run is the baseline of the ratios).
// Not a test: it prints a table and writes .data/bench-load-<time>.json.
//
// Load generator: our own, on the xmpp.js 0.14 parts the web app's @xmpp/client is made of
// (bench/load-client.ts), in several Node processes (bench/load-worker.ts). tsung speaks
// XMPP but cannot drive ejabberd's RFC 7395 WebSocket, which is what browsers use; and
// @xmpp/client's pure-JS SCRAM costs ≈ 400 ms of generator CPU per sign-in, so the
// generator signs in with SCRAM-SHA-1 as the web app does, but with native PBKDF2
// (EJABBERD.md), or with SASL PLAIN inside TLS. Accounts are made by one RPC into the node (bench/load-provision.ts).
//
// Settings (environment):
//   LOAD_SESSIONS=2000            sessions on one node (half callers, half callees; < 20 000:
//                                 the hard open-files limit of one process on this machine)
//   LOAD_SESSIONS_TWO_NODES=2×    sessions on two nodes (callers on node 1, callees on node 2)
//   LOAD_WORKERS=4                generator processes
//   LOAD_SASL=SCRAM-SHA-1         what the web app uses, or PLAIN: passwords are stored as SCRAM
//                                 hashes (server-config/ejabberd.yml), so PLAIN makes the server
//                                 run PBKDF2 (4096 × SHA-1) per sign-in, ≈ 3× the server CPU
//   LOAD_ARCHIVE_JMI=1            0 sends JMI messages without their store hint, so that MAM
//                                 (Mnesia here) does not archive them: shows what archiving costs
//   LOAD_TRANSPORT=wss            or ws: the loopback-only plaintext listener (what the web app's
//                                 own server proxies to), to see what TLS costs
//   LOAD_LOGIN_CONCURRENCY=8      sign-ins in flight per generator process
//   LOAD_PROBE_RATE=500           relay-latency probes per second (caller → callee), for
//   LOAD_PROBE_SECONDS=10
//   LOAD_CALL_RATE=200            call set-ups per second offered, for
//   LOAD_CALL_SECONDS=10
//   LOAD_CALL_CONCURRENCY=40      set-ups in flight in the closed-loop (maximum rate) step
//   LOAD_MAX_MINUTES=25           the run aborts (and cleans up) after this long
//   LOAD_DB=mnesia                or postgres: every node stores accounts, rosters and the archive
//                                 in one PostgreSQL of the run's own (new schema, as in production);
//                                 its CPU is counted with the server's
//   LOAD_NODES=2                  1 skips the two-node phase
//   LOAD_PROFILE=0                1 runs msacc in the node during the one-node closed-loop set-ups
//                                 (scheduler time in Erlang code, GC, ports…); eprof adds eprof's
//                                 time per function and subsystem after it (bench/load-profile.ts),
//                                 which slows the node: the rates of such a run are not figures.
//                                 Printed and written to .data/profile-load-<time>.txt
//   LOAD_GENERATOR_PROFILE=0      1 runs the generator processes under V8's CPU profiler
//                                 (--cpu-prof) into .data/generator-prof-<time>/, for Chrome's
//                                 DevTools or `node bench/cpu-profile.ts DIR` (self time per function)
//   LOAD_PROFILE_PHASE=calls      or signin: profile (LOAD_PROFILE) during the sign-ins instead of the
//                                 closed-loop call set-ups (its first seconds, while sessions sign in)
//   LOAD_PERF=0                   1 samples the server with Linux perf (cpu-clock) during the one-node
//                                 closed-loop set-ups, into .data/perf-load-<time>.data; run with
//                                 ERL_AFLAGS="+JPperf true" so beam's JIT writes the symbol map perf
//                                 reads (/tmp/perf-<pid>.map): `perf report -i FILE --no-children`
import { fork, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Cluster, type NodePorts } from "../scripts/lib/cluster.ts";
import type { EjabberdInstance } from "../scripts/lib/ejabberd.ts";
import { PROJECT_DIR } from "../scripts/lib/local-settings.ts";
import { freeTcpPort, freeTcpUdpPort, freeUdpRange } from "../scripts/lib/ports.ts";
import { PostgresInstance } from "../scripts/lib/postgres.ts";
import { terminate } from "../scripts/lib/processes.ts";
import { randomSecret } from "../scripts/lib/secrets.ts";
import type { SaslMechanismName } from "./load-client.ts";
import { bySubsystem, profileNode } from "./load-profile.ts";
import { provisionByRpc } from "./load-provision.ts";
import type { FromWorker, LoadPair, ToWorker } from "./load-protocol.ts";

function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw ? Number(raw) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}=${raw} must be a positive number`);
  return Math.floor(value);
}

function saslSetting(): SaslMechanismName {
  const raw = process.env.LOAD_SASL || "SCRAM-SHA-1";
  if (raw !== "PLAIN" && raw !== "SCRAM-SHA-1") throw new Error(`LOAD_SASL=${raw}: use PLAIN or SCRAM-SHA-1`);
  return raw;
}

const SESSIONS = setting("LOAD_SESSIONS", 2000);
const CONFIG = {
  sessionsOneNode: SESSIONS,
  sessionsTwoNodes: setting("LOAD_SESSIONS_TWO_NODES", 2 * SESSIONS),
  workers: setting("LOAD_WORKERS", 4),
  sasl: saslSetting(),
  archiveJmi: process.env.LOAD_ARCHIVE_JMI !== "0",
  transport: process.env.LOAD_TRANSPORT === "ws" ? "ws" : "wss",
  loginConcurrency: setting("LOAD_LOGIN_CONCURRENCY", 8),
  probeRate: setting("LOAD_PROBE_RATE", 500),
  probeSeconds: setting("LOAD_PROBE_SECONDS", 10),
  callRate: setting("LOAD_CALL_RATE", 200),
  callSeconds: setting("LOAD_CALL_SECONDS", 10),
  callConcurrency: setting("LOAD_CALL_CONCURRENCY", 40),
  maxMinutes: setting("LOAD_MAX_MINUTES", 25),
  db: process.env.LOAD_DB === "postgres" ? "postgres" : "mnesia",
  nodes: process.env.LOAD_NODES === "1" ? 1 : 2,
  perf: process.env.LOAD_PERF === "1",
  generatorProfile: process.env.LOAD_GENERATOR_PROFILE === "1",
  profilePhase: process.env.LOAD_PROFILE_PHASE === "signin" ? "signin" : "calls",
  profile: process.env.LOAD_PROFILE === "eprof" ? "eprof" : process.env.LOAD_PROFILE === "1" ? "msacc" : "none",
};
/** The run's PostgreSQL (LOAD_DB=postgres): its processes count as server CPU. */
let database: PostgresInstance | undefined;

/** The postmaster and its children (one backend per ejabberd SQL connection). */
function databasePids(): number[] {
  if (!database) return [];
  const children = readdirSync("/proc").filter((name) => /^\d+$/.test(name)).map(Number).filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === database!.pid;
    } catch {
      return false;
    }
  });
  return [database.pid, ...children];
}
const CLOCK_TICKS = 100;
const WORKER = join(import.meta.dirname, "load-worker.ts");
const GENERATOR_PROFILE_DIR = join(PROJECT_DIR, ".data", `generator-prof-${new Date().toISOString().replace(/[:.]/g, "-")}`);

interface Percentiles { p50: number; p99: number; n: number }
interface CallsResult { offeredPerSecond: number | null; perSecond: number; completed: number; failed: number; setupMs: Percentiles; serverCpuPercent: number; generatorCpuPercent: number; generatorLoopDelayP99Ms: number; errors: string[] }
interface PhaseResult {
  nodes: number;
  sessionsAsked: number;
  sessionsOnline: number;
  loginFailures: number;
  sessionsCountedByEjabberd: number;
  loginsPerSecond: number;
  loginMs: Percentiles;
  /** Server and generator CPU while signing in, % of one core. */
  loginCpuPercent: { server: number; generators: number };
  rssBeforeMB: number[];
  rssAfterMB: number[];
  memoryPerSessionKB: number;
  relay: { probesPerSecond: number; latencyMs: Percentiles; lost: number; serverCpuPercent: number; generatorLoopDelayP99Ms: number };
  callsAtRate: CallsResult;
  callsMax: CallsResult;
  loginErrors: string[];
  /** PSI "some" CPU pressure over the whole phase, % of wall time (null where PSI is missing). */
  cpuPressurePercent: number | null;
}

function percentiles(values: number[]): Percentiles {
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN);
  return { p50: round(at(0.5)), p99: round(at(0.99)), n: sorted.length };
}
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

function rssKB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
  return Number(line?.split(/\s+/)[1] ?? NaN);
}

/** utime + stime of a process, in clock ticks. */
function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** CPU used by a set of processes between start() and the returned function's call, in % of one core. */
function cpuMeter(pids: number[]): () => number {
  const t0 = performance.now();
  const ticks0 = pids.reduce((sum, pid) => sum + cpuTicks(pid), 0);
  return () => round(((pids.reduce((sum, pid) => sum + cpuTicks(pid), 0) - ticks0) / CLOCK_TICKS / ((performance.now() - t0) / 1000)) * 100, 0);
}

/**
 * Share of wall time in which at least one runnable task waited for a CPU (Linux PSI,
 * /proc/pressure/cpu "some"), in %: other work on the machine shows up here.
 */
function cpuPressureMeter(): () => number | null {
  const read = () => {
    try {
      return Number(/^some .*total=(\d+)/m.exec(readFileSync("/proc/pressure/cpu", "utf8"))?.[1] ?? NaN);
    } catch {
      return NaN;
    }
  };
  const t0 = performance.now();
  const total0 = read();
  return () => {
    const waited = (read() - total0) / 1000;
    return Number.isFinite(waited) ? round((waited / (performance.now() - t0)) * 100, 0) : null;
  };
}

class Generator {
  readonly #child: ChildProcess;
  readonly #waiters: Array<{ type: FromWorker["type"]; resolve: (m: FromWorker) => void }> = [];
  progress = { online: 0, failed: 0 };

  constructor() {
    const profile = CONFIG.generatorProfile ? ["--cpu-prof", "--cpu-prof-dir", GENERATOR_PROFILE_DIR] : [];
    this.#child = fork(WORKER, [], { execArgv: ["--import", "tsx", "--max-old-space-size=6144", ...profile], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.#child.on("message", (message: FromWorker) => {
      if (message.type === "progress") this.progress = message;
      const i = this.#waiters.findIndex((w) => w.type === message.type);
      if (i >= 0) this.#waiters.splice(i, 1)[0]!.resolve(message);
    });
    this.#child.on("exit", (code) => {
      if (code !== 0 && code !== null) console.error(`generator ${this.pid} exited with code ${code}`);
    });
  }

  get pid(): number {
    return this.#child.pid!;
  }

  request<T extends FromWorker["type"]>(command: ToWorker, reply: T, timeoutMs: number): Promise<Extract<FromWorker, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`generator ${this.pid}: no ${reply} within ${timeoutMs / 1000} s`)), timeoutMs);
      this.#waiters.push({ type: reply, resolve: (m) => { clearTimeout(timer); resolve(m as Extract<FromWorker, { type: T }>); } });
      this.#child.send(command);
    });
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.connected) await this.request({ type: "stop" }, "stopped", 40_000).catch(() => undefined);
    // It exits by itself after "stopped"; under --cpu-prof it writes its profile first, which a signal would lose.
    if (CONFIG.generatorProfile && this.#child.exitCode === null) await new Promise((resolve) => { this.#child.once("exit", resolve); setTimeout(resolve, 60_000); });
    await terminate(this.pid, 5000);
  }
}

async function freeNodePorts(): Promise<NodePorts> {
  const [turnMin, turnMax] = await freeUdpRange(20);
  return {
    listeners: { c2s: await freeTcpPort(), c2sTls: await freeTcpPort(), https: await freeTcpPort(), httpLoopback: await freeTcpPort(), api: await freeTcpPort(), stun: await freeTcpUdpPort(), turns: await freeTcpPort(), turnMin, turnMax },
    dist: await freeTcpPort(),
  };
}

/** Accounts u0, u1, … with one password; u(2k) and u(2k+1) are each other's contacts. */
async function provision(node: EjabberdInstance, cookie: string, epmdPort: number, pairCount: number, password: string): Promise<LoadPair[]> {
  const started = performance.now();
  const created = await provisionByRpc({ nodeName: node.nodeName, cookie, epmdPort, domain: node.domain, pairs: pairCount, password });
  const seconds = (performance.now() - started) / 1000;
  console.log(`provisioned ${created} accounts with a contact each in ${round(seconds)} s (${round(created / seconds, 0)}/s)`);
  if (created !== 2 * pairCount) throw new Error(`expected ${2 * pairCount} new accounts, made ${created}`);
  return Array.from({ length: pairCount }, (_, k) => ({
    caller: { username: `u${2 * k}`, password }, callee: { username: `u${2 * k + 1}`, password },
  }));
}

function splitAmong<T>(items: T[], parts: number): T[][] {
  return Array.from({ length: parts }, (_, i) => items.filter((_, j) => j % parts === i));
}

/**
 * Linux perf sampling the given processes until the returned function is called (SIGINT
 * makes perf write its file). cpu-clock: this machine kind's VM has no hardware counters.
 */
function perfRecord(pids: number[]): () => Promise<void> {
  const out = join(PROJECT_DIR, ".data", `perf-load-${new Date().toISOString().replace(/[:.]/g, "-")}.data`);
  mkdirSync(join(PROJECT_DIR, ".data"), { recursive: true });
  // DWARF unwinding: beam.smp is stripped and has no frame pointers, but keeps .eh_frame, so
  // a sample in the runtime's C code still finds the JIT-compiled Erlang function above it.
  const perf = spawn("perf", ["record", "-e", "cpu-clock", "-F", "499", "--call-graph", "dwarf", "-p", pids.join(","), "-o", out], { stdio: ["ignore", "ignore", "inherit"] });
  return async () => {
    const exited = new Promise((resolve) => perf.once("exit", resolve));
    perf.kill("SIGINT");
    await exited;
    const report = spawnSync("perf", ["report", "-i", out, "--stdio", "--no-children", "--sort", "dso", "-g", "none"], { encoding: "utf8" });
    const shares = report.stdout.split("\n").filter((line) => /^\s+[\d.]+%/.test(line)).slice(0, 12);
    console.log(`  perf samples of the server written to ${out}; per shared object:\n${shares.join("\n")}`);
  };
}

async function runCalls(generators: Generator[], servers: number[], command: Extract<ToWorker, { type: "calls" }>, profile = false): Promise<CallsResult> {
  const stopPerf = profile ? perfRecord(servers) : undefined;
  const serverCpu = cpuMeter(servers);
  const generatorCpu = cpuMeter(generators.map((g) => g.pid));
  const started = performance.now();
  const results = await Promise.all(generators.map((g) => g.request(command, "calls-done", (command.seconds + 60) * 1000)));
  const seconds = (performance.now() - started) / 1000;
  const completed = results.reduce((s, r) => s + r.completed, 0);
  const serverCpuPercent = serverCpu();
  const generatorCpuPercent = generatorCpu();
  await stopPerf?.();
  return {
    offeredPerSecond: command.mode === "rate" ? command.perSecond * generators.length : null,
    perSecond: round(completed / Math.max(seconds, command.seconds), 0),
    completed,
    failed: results.reduce((s, r) => s + r.failed, 0),
    setupMs: percentiles(results.flatMap((r) => r.setupMs)),
    serverCpuPercent,
    generatorCpuPercent,
    generatorLoopDelayP99Ms: round(Math.max(...results.map((r) => r.loopDelayP99Ms))),
    errors: [...new Set(results.flatMap((r) => r.errors))].slice(0, 5),
  };
}

async function phase(cluster: Cluster, pairs: LoadPair[], callerNode: EjabberdInstance, calleeNode: EjabberdInstance): Promise<PhaseResult> {
  const nodes = cluster.running;
  // 127.0.0.1 (in the certificate too): no name lookup per connection.
  const urls = new Map(cluster.nodes.map((n) => [n.nodeName, CONFIG.transport === "wss"
    ? `wss://127.0.0.1:${n.ports.listeners.https}/ws` : `ws://127.0.0.1:${n.ports.listeners.httpLoopback}/ws`]));
  const beams = nodes.map((n) => n.beamPid);
  // With LOAD_DB=postgres the database works for the server: its CPU counts as server CPU.
  const serverPids = [...beams, ...databasePids()];
  const rssBefore = beams.map(rssKB);
  const generators = Array.from({ length: CONFIG.workers }, () => new Generator());
  try {
    const caPem = readFileSync(cluster.certificates.caFile, "utf8");
    const started = performance.now();
    const loginServerCpu = cpuMeter(serverPids);
    const pressure = cpuPressureMeter();
    const loginGeneratorCpu = cpuMeter(generators.map((g) => g.pid));
    const ticker = setInterval(() => {
      const online = generators.reduce((s, g) => s + g.progress.online, 0);
      process.stdout.write(`\r  ${online} / ${2 * pairs.length} sessions online after ${round((performance.now() - started) / 1000, 0)} s   `);
    }, 2000);
    const profiledSignIns = CONFIG.profile !== "none" && CONFIG.profilePhase === "signin" && nodes.length === 1 ? profile(nodes[0]!, "sign-ins") : undefined;
    const connected = await Promise.all(splitAmong(pairs, generators.length).map((chunk, i) => generators[i]!.request({
      type: "connect", domain: cluster.domain, caPem, mechanism: CONFIG.sasl, archiveJmi: CONFIG.archiveJmi, pairs: chunk,
      callerUrl: urls.get(callerNode.nodeName)!, calleeUrl: urls.get(calleeNode.nodeName)!, concurrency: CONFIG.loginConcurrency,
    }, "connected", 30 * 60_000)));
    clearInterval(ticker);
    await profiledSignIns;
    const loginSeconds = (performance.now() - started) / 1000;
    const loginCpu = { server: loginServerCpu(), generators: loginGeneratorCpu() };
    const online = connected.reduce((s, c) => s + c.online, 0);
    console.log(`\r  ${online} sessions online in ${round(loginSeconds)} s (${connected.reduce((s, c) => s + c.failed, 0)} failed sign-ins)          `);
    await sleep(5000);
    const counted = (await nodes[0]!.api<{ num_sessions: number }>("connected_users_number", {})).num_sessions;
    const rssAfter = beams.map(rssKB);

    const serverCpu = cpuMeter(serverPids);
    const probes = await Promise.all(generators.map((g) => g.request({ type: "latency", messagesPerSecond: CONFIG.probeRate / generators.length, seconds: CONFIG.probeSeconds }, "latency-done", (CONFIG.probeSeconds + 60) * 1000)));
    const relay = {
      probesPerSecond: CONFIG.probeRate,
      latencyMs: percentiles(probes.flatMap((p) => p.samplesMs)),
      lost: probes.reduce((s, p) => s + p.lost, 0),
      serverCpuPercent: serverCpu(),
      generatorLoopDelayP99Ms: round(Math.max(...probes.map((p) => p.loopDelayP99Ms))),
    };
    console.log(`  relay latency p50 ${relay.latencyMs.p50} ms, p99 ${relay.latencyMs.p99} ms (${relay.latencyMs.n} probes, ${relay.lost} lost)`);
    const callsAtRate = await runCalls(generators, serverPids, { type: "calls", mode: "rate", perSecond: CONFIG.callRate / generators.length, seconds: CONFIG.callSeconds });
    console.log(`  ${callsAtRate.perSecond} call set-ups/s offered ${CONFIG.callRate}/s: ${callsAtRate.failed} failed, set-up p50 ${callsAtRate.setupMs.p50} ms p99 ${callsAtRate.setupMs.p99} ms`);
    const profiled = CONFIG.profile !== "none" && CONFIG.profilePhase === "calls" && nodes.length === 1 ? profile(nodes[0]!, "closed-loop call set-ups") : undefined;
    const callsMax = await runCalls(generators, serverPids, { type: "calls", mode: "closed", concurrency: Math.ceil(CONFIG.callConcurrency / generators.length), seconds: CONFIG.callSeconds }, CONFIG.perf && nodes.length === 1);
    console.log(`  ${callsMax.perSecond} call set-ups/s at most (${CONFIG.callConcurrency} in flight): ${callsMax.failed} failed, server CPU ${callsMax.serverCpuPercent} %, generators ${callsMax.generatorCpuPercent} %`);
    await profiled;
    const cpuPressurePercent = pressure();
    const delta = rssAfter.reduce((s, v) => s + v, 0) - rssBefore.reduce((s, v) => s + v, 0);
    return {
      nodes: nodes.length,
      sessionsAsked: 2 * pairs.length,
      sessionsOnline: online,
      loginFailures: connected.reduce((s, c) => s + c.failed, 0),
      sessionsCountedByEjabberd: counted,
      loginsPerSecond: round(online / loginSeconds, 0),
      loginMs: percentiles(connected.flatMap((c) => c.loginMs)),
      loginCpuPercent: loginCpu,
      rssBeforeMB: rssBefore.map((kb) => round(kb / 1024, 0)),
      rssAfterMB: rssAfter.map((kb) => round(kb / 1024, 0)),
      memoryPerSessionKB: round(delta / Math.max(online, 1), 0),
      relay,
      callsAtRate,
      callsMax,
      loginErrors: [...new Set(connected.flatMap((c) => c.errors))].slice(0, 5),
      cpuPressurePercent,
    };
  } finally {
    await Promise.all(generators.map((g) => g.stop()));
  }
}

/** Milliseconds of CPU per completed set-up, from % of a core at a rate per second. */
const cpuPerSetUp = (calls: CallsResult, key: "serverCpuPercent" | "generatorCpuPercent") =>
  calls.perSecond ? round((calls[key] * 10) / calls.perSecond) : NaN;

const perSignIn = (r: PhaseResult, who: "server" | "generators") =>
  r.loginsPerSecond ? round((r.loginCpuPercent[who] * 10) / r.loginsPerSecond) : NaN;

function printTable(results: PhaseResult[]): void {
  const [one, two] = results;
  const ratio = (a: number, b: number | undefined) => (b === undefined || !a ? "" : `×${round(b / a, 2)}`);
  const rows: Array<[string, (r: PhaseResult) => number | string, ((r: PhaseResult) => number)?]> = [
    ["sessions online (ejabberd count)", (r) => `${r.sessionsOnline} (${r.sessionsCountedByEjabberd})`, (r) => r.sessionsOnline],
    ["sign-ins per second", (r) => r.loginsPerSecond, (r) => r.loginsPerSecond],
    ["sign-in p50 / p99 ms", (r) => `${r.loginMs.p50} / ${r.loginMs.p99}`],
    ["  server / generator CPU % of a core", (r) => `${r.loginCpuPercent.server} / ${r.loginCpuPercent.generators}`],
    ["  server / generator CPU ms per sign-in", (r) => `${perSignIn(r, "server")} / ${perSignIn(r, "generators")}`],
    ["server RSS MB before → after", (r) => `${r.rssBeforeMB.join("+")} → ${r.rssAfterMB.join("+")}`],
    ["memory per session KB", (r) => r.memoryPerSessionKB],
    ["relay latency p50 / p99 ms", (r) => `${r.relay.latencyMs.p50} / ${r.relay.latencyMs.p99}`],
    [`call set-ups/s offered ${CONFIG.callRate}/s (failed)`, (r) => `${r.callsAtRate.perSecond} (${r.callsAtRate.failed})`],
    ["  set-up p50 / p99 ms", (r) => `${r.callsAtRate.setupMs.p50} / ${r.callsAtRate.setupMs.p99}`],
    ["max call set-ups/s (failed)", (r) => `${r.callsMax.perSecond} (${r.callsMax.failed})`, (r) => r.callsMax.perSecond],
    ["  server / generator CPU % of a core", (r) => `${r.callsMax.serverCpuPercent} / ${r.callsMax.generatorCpuPercent}`],
    // CPU time per set-up hardly depends on other work on the machine, unlike the rates.
    ["  server / generator CPU ms per set-up", (r) => `${cpuPerSetUp(r.callsMax, "serverCpuPercent")} / ${cpuPerSetUp(r.callsMax, "generatorCpuPercent")}`],
    ["  generator event-loop delay p99 ms", (r) => r.callsMax.generatorLoopDelayP99Ms],
    ["CPU pressure (tasks waiting for a core) %", (r) => r.cpuPressurePercent ?? "n/a"],
  ];
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  console.log(`\n${"".padEnd(width)}${"1 node".padEnd(26)}${two ? "2 nodes" : ""}`);
  for (const [label, value, numeric] of rows) {
    const gain = numeric && two ? `  ${ratio(numeric(one!), numeric(two))}` : "";
    console.log(`${label.padEnd(width)}${String(value(one!)).padEnd(26)}${two ? String(value(two)) + gain : ""}`);
  }
}

/** msacc then eprof on the node while the closed-loop set-ups (or the sign-ins) run (LOAD_PROFILE=1). */
async function profile(node: EjabberdInstance, during: string): Promise<void> {
  const { msacc, functions } = await profileNode({ nodeName: node.nodeName, cookie: profileAccess.cookie, epmdPort: profileAccess.epmdPort }, CONFIG.profile === "eprof" ? Math.max(1, (CONFIG.callSeconds - 2) / 2) : CONFIG.callSeconds - 1, CONFIG.profile === "eprof");
  const groups = bySubsystem(functions);
  const report = !functions.length ? `during the ${during}:\n${msacc}` : [
    `during the ${during}:`,
    msacc,
    "",
    "eprof, time per subsystem (share of the time spent in traced Erlang functions and NIFs):",
    ...groups.map((g) => `${(g.share * 100).toFixed(1).padStart(5)} %  ${g.name}\n          ${g.top.join(", ")}`),
    "",
    "eprof, top functions:",
    ...functions.slice(0, 60).map((f) => `${f.fn} calls ${f.calls} time ${f.us} us`),
  ].join("\n");
  const out = join(PROJECT_DIR, ".data", `profile-load-${new Date().toISOString().replace(/[:.]/g, "-")}.txt`);
  mkdirSync(join(PROJECT_DIR, ".data"), { recursive: true });
  writeFileSync(out, report + "\n");
  console.log(`\n${report.split("\neprof, top functions:")[0]}\n  written to ${out}`);
}
const profileAccess = { cookie: "", epmdPort: 0 };

async function twoNodes(cluster: Cluster, pairs: LoadPair[], first: EjabberdInstance, results: PhaseResult[]): Promise<void> {
  // A fresh VM for node 1, so that memory measured on two nodes starts from a clean heap.
  await cluster.stopNode(first.nodeName);
  const restarted = await cluster.startNode(first.nodeName);
  const second = await cluster.addNode();
  console.log(`\n2 nodes: ${CONFIG.sessionsTwoNodes} sessions, callers on node 1, callees on node 2 (every stanza crosses nodes)`);
  results.push(await phase(cluster, pairs.slice(0, Math.ceil(CONFIG.sessionsTwoNodes / 2)), restarted, second));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "calls-load-"));
  const cookie = randomSecret(18);
  const epmdPort = await freeTcpPort();
  Object.assign(profileAccess, { cookie, epmdPort });
  if (CONFIG.db === "postgres") database = await PostgresInstance.start({ dir: join(dir, "postgres"), port: await freeTcpPort(), password: randomSecret(18) });
  const cluster = Cluster.open({ dir, domain: "localhost", cookie, turnSecret: randomSecret(), epmdPort, allocatePorts: () => freeNodePorts(), sql: database?.storage });
  const abort = setTimeout(() => {
    console.error(`\nbench:load ran longer than LOAD_MAX_MINUTES=${CONFIG.maxMinutes}: stopping`);
    void cleanup().finally(() => process.exit(2));
  }, CONFIG.maxMinutes * 60_000);
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    clearTimeout(abort);
    await cluster.stop().catch((e: unknown) => console.error("stopping the cluster:", e));
    await database?.stop().catch((e: unknown) => console.error("stopping PostgreSQL:", e));
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("SIGINT", () => void cleanup().finally(() => process.exit(130)));
  try {
    // Other work on the machine skews every figure: the load average is kept with them.
    const loadAverageAtStart = loadavg();
    console.log(`bench:load — ${JSON.stringify(CONFIG)}; load average ${loadAverageAtStart.map((l) => l.toFixed(1)).join(" ")}`);
    await cluster.start(1);
    const first = cluster.running[0]!;
    const pairs = await provision(first, cookie, epmdPort, Math.ceil(Math.max(CONFIG.sessionsOneNode, CONFIG.nodes === 2 ? CONFIG.sessionsTwoNodes : 0) / 2), randomSecret(12));
    const results: PhaseResult[] = [];
    console.log(`\n1 node: ${CONFIG.sessionsOneNode} sessions`);
    results.push(await phase(cluster, pairs.slice(0, Math.ceil(CONFIG.sessionsOneNode / 2)), first, first));
    if (CONFIG.nodes === 2) await twoNodes(cluster, pairs, first, results);
    printTable(results);
    const out = join(PROJECT_DIR, ".data", `bench-load-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
    mkdirSync(join(PROJECT_DIR, ".data"), { recursive: true });
    const machine = { cores: cpus().length, loadAverageAtStart, loadAverageAtEnd: loadavg() };
    writeFileSync(out, JSON.stringify({ config: CONFIG, machine, results }, null, 2) + "\n");
    console.log(`\nwritten to ${out}`);
  } finally {
    await cleanup();
  }
}

await main();

// A cluster of ejabberd nodes on one machine: Erlang distribution with shared Mnesia
// (ejabberd's own clustering). Every node registers with ONE epmd that the cluster
// starts, shares the Erlang cookie and the TURN secret (credentials minted on one node
// must work on the others), and has its own node name, ports and spool folder.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ensureLocalCertificates } from "./certs.ts";
import type { EjabberdSettings, ListenerPorts, SqlStorage } from "./ejabberd-config.ts";
import { EjabberdInstance } from "./ejabberd.ts";
import { erlangCookieHome } from "./erlang-cookie.ts";
import { SetupError } from "./errors.ts";
import { tcpPortIsFree } from "./ports.ts";
import { processIsAlive, terminate, waitForExit } from "./processes.ts";

export interface NodePorts {
  listeners: ListenerPorts;
  /** Erlang distribution port, pinned so a firewall (or a test) knows it. */
  dist: number;
}

export interface ClusterNodeRecord {
  /** 1, 2, … in the order nodes were added; never reused while the cluster exists. */
  index: number;
  nodeName: string;
  ports: NodePorts;
}

/** What cluster.json keeps, so the CLI can stop, restart and grow a cluster later. */
interface ClusterRecord {
  domain: string;
  epmdPort: number;
  epmdPid: number;
  nodes: ClusterNodeRecord[];
  /** Node names in the order they stopped: after a full stop the last one starts first. */
  stopOrder: string[];
}

export interface ClusterOptions {
  /** Holds cluster.json, ctl.args, the certificates and one folder per node. */
  dir: string;
  domain: string;
  cookie: string;
  turnSecret: string;
  /** The one epmd every node registers with. */
  epmdPort: number;
  /** Ports for the node of this index (1-based). */
  allocatePorts(index: number): Promise<NodePorts>;
  /** Keep running after this process exits (the CLI). */
  detached?: boolean;
  credentialsLifetime?: string;
  /** Every node stores accounts, rosters, the archive… in this one database (shared SQL storage). */
  sql?: SqlStorage;
}

const ERL_LIBS = () => process.env.EJABBERD_ERL_LIBS || "/usr/lib/x86_64-linux-gnu";

export class Cluster {
  readonly #options: ClusterOptions;
  #record: ClusterRecord;
  readonly #running = new Map<string, EjabberdInstance>();

  private constructor(options: ClusterOptions, record: ClusterRecord) {
    this.#options = options;
    this.#record = record;
  }

  get dir(): string {
    return this.#options.dir;
  }

  get domain(): string {
    return this.#record.domain;
  }

  get certificates(): ReturnType<typeof ensureLocalCertificates> {
    return ensureLocalCertificates(join(this.dir, "certs"), this.domain);
  }

  /** Every member, running or not, in index order. */
  get nodes(): readonly ClusterNodeRecord[] {
    return this.#record.nodes;
  }

  /** Running members, in index order. */
  get running(): EjabberdInstance[] {
    return this.#record.nodes.map((n) => this.#running.get(n.nodeName)).filter((i): i is EjabberdInstance => i !== undefined);
  }

  instance(nodeName: string): EjabberdInstance | undefined {
    return this.#running.get(nodeName);
  }

  /** A member by node name (with or without @localhost) or index. */
  node(nodeName: string): ClusterNodeRecord {
    const node = this.#record.nodes.find((n) => n.nodeName === nodeName || n.nodeName === `${nodeName}@localhost` || String(n.index) === nodeName);
    if (!node) {
      const members = this.#record.nodes.map((n) => `${n.index} (${n.nodeName})`).join(", ");
      throw new SetupError(`${nodeName} is not a member of the cluster in ${this.dir}`, members ? `members: ${members}` : "no node is recorded here: npm run cluster -- start");
    }
    return node;
  }

  static recordFile(dir: string): string {
    return join(dir, "cluster.json");
  }

  /** The cluster recorded in options.dir (running or not), or a new empty one. */
  static open(options: ClusterOptions): Cluster {
    const file = Cluster.recordFile(options.dir);
    const record: ClusterRecord = existsSync(file)
      ? (JSON.parse(readFileSync(file, "utf8")) as ClusterRecord)
      : { domain: options.domain, epmdPort: options.epmdPort, epmdPid: 0, nodes: [], stopOrder: [] };
    const cluster = new Cluster(options, record);
    for (const node of record.nodes) {
      const instance = EjabberdInstance.attach(cluster.#nodeDir(node));
      if (instance) cluster.#running.set(node.nodeName, instance);
    }
    return cluster;
  }

  /**
   * Starts the cluster with at least `size` nodes: recorded members first (the one that
   * stopped last leads, or Mnesia waits for its tables), then new nodes, each joined.
   */
  async start(size: number): Promise<void> {
    await this.#ensureEpmd();
    const known = [...this.#record.nodes].sort((a, b) => this.#stopRank(b) - this.#stopRank(a));
    for (const node of known) if (!this.#running.has(node.nodeName)) await this.startNode(node.nodeName);
    while (this.#record.nodes.length < size) await this.addNode();
  }

  /** Starts a new node with an empty spool and joins it to the running cluster. */
  async addNode(): Promise<EjabberdInstance> {
    await this.#ensureEpmd();
    const index = Math.max(0, ...this.#record.nodes.map((n) => n.index)) + 1;
    const seed = this.running[0];
    const node: ClusterNodeRecord = { index, nodeName: `calls-cluster-${index}-${randomBytes(3).toString("hex")}@localhost`, ports: await this.#options.allocatePorts(index) };
    rmSync(this.#nodeDir(node), { recursive: true, force: true });
    const instance = await this.#startInstance(node);
    this.#record.nodes.push(node);
    this.#save();
    if (seed) {
      await this.#joinCluster(node.nodeName, seed.nodeName);
      await waitUntilServing(instance, this.#record.nodes.length, 30_000);
    }
    return instance;
  }

  /** Starts a member that was stopped; its spool remembers the cluster, so no join. */
  async startNode(nodeName: string): Promise<EjabberdInstance> {
    const node = this.node(nodeName);
    const running = this.#running.get(node.nodeName);
    if (running) return running;
    await this.#ensureEpmd();
    const instance = await this.#startInstance(node);
    this.#record.stopOrder = this.#record.stopOrder.filter((n) => n !== node.nodeName);
    this.#save();
    return instance;
  }

  /**
   * Stops one member. `kill` is a crash (SIGKILL, no goodbye to the other nodes), for
   * fault tests; otherwise ejabberd shuts down gracefully.
   */
  async stopNode(nodeName: string, options: { kill?: boolean } = {}): Promise<void> {
    const node = this.node(nodeName);
    const instance = this.#running.get(node.nodeName);
    if (!instance) return;
    if (options.kill) {
      process.kill(instance.beamPid, "SIGKILL");
      await waitForExit(instance.beamPid, 5000);
    }
    await instance.stop();
    this.#running.delete(node.nodeName);
    this.#record.stopOrder = [...this.#record.stopOrder.filter((n) => n !== node.nodeName), node.nodeName];
    this.#save();
  }

  /**
   * Takes a member out of the cluster for good (leave_cluster, asked of another member:
   * the leaving node halts itself) and deletes its folder.
   */
  async removeNode(nodeName: string): Promise<void> {
    const node = this.node(nodeName);
    const survivor = this.running.find((i) => i.nodeName !== node.nodeName);
    if (!survivor) throw new SetupError(`${node.nodeName} is the only running member`, "stop the whole cluster instead: npm run cluster -- stop");
    const leaving = this.#running.get(node.nodeName);
    await survivor.api("leave_cluster", { node: node.nodeName });
    if (leaving) {
      if (!(await waitForExit(leaving.beamPid, 20_000))) await terminate(leaving.beamPid, 5000);
      await leaving.stop();
      this.#running.delete(node.nodeName);
    }
    rmSync(this.#nodeDir(node), { recursive: true, force: true });
    this.#record.nodes = this.#record.nodes.filter((n) => n.nodeName !== node.nodeName);
    this.#record.stopOrder = this.#record.stopOrder.filter((n) => n !== node.nodeName);
    this.#save();
  }

  /** Cluster members as a running node's Mnesia sees them. */
  async members(): Promise<string[]> {
    const any = this.running[0];
    return any ? any.api<string[]>("list_cluster", {}) : [];
  }

  /** Stops every node, highest index first (so node 1 stops last and leads the next start), then epmd. */
  async stop(): Promise<void> {
    for (const node of [...this.#record.nodes].reverse()) await this.stopNode(node.nodeName);
    if (this.#record.epmdPid > 0) await terminate(this.#record.epmdPid, 3000);
    this.#record.epmdPid = 0;
    this.#save();
  }

  /** Deletes the cluster's folder; only when nothing runs. */
  destroy(): void {
    if (this.#running.size > 0) throw new Error("stop the cluster before deleting it");
    rmSync(this.dir, { recursive: true, force: true });
  }

  #nodeDir(node: ClusterNodeRecord): string {
    return join(this.dir, `node-${node.index}`);
  }

  #stopRank(node: ClusterNodeRecord): number {
    // Never-stopped (crashed) members rank below every recorded stop.
    return this.#record.stopOrder.indexOf(node.nodeName);
  }

  #save(): void {
    writeFileSync(Cluster.recordFile(this.dir), JSON.stringify(this.#record, null, 2) + "\n");
  }

  async #ensureEpmd(): Promise<void> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    if (this.#record.epmdPid > 0 && processIsAlive(this.#record.epmdPid)) return;
    const port = this.#record.epmdPort;
    if (!(await tcpPortIsFree(port))) {
      throw new SetupError(`port ${port} (the cluster's Erlang port mapper) on 127.0.0.1 is already in use`, "stop what uses it, or choose another with CALLS_CLUSTER_BASE_PORT");
    }
    const out = openSync(join(this.dir, "epmd.out"), "a");
    const epmd = spawn("epmd", ["-port", String(port), "-address", "127.0.0.1"], {
      stdio: ["ignore", out, out], detached: this.#options.detached ?? false,
    });
    closeSync(out);
    if (this.#options.detached) epmd.unref();
    const deadline = Date.now() + 5000;
    while (await tcpPortIsFree(port)) {
      if (epmd.exitCode !== null || Date.now() > deadline) throw new SetupError(`epmd did not listen on 127.0.0.1:${port}`, "is the 'erlang-base' package installed?");
      await sleep(30);
    }
    this.#record.epmdPid = epmd.pid!;
    this.#save();
  }

  #settings(node: ClusterNodeRecord): EjabberdSettings {
    const certs = this.certificates;
    const ports = node.ports.listeners;
    return {
      profile: "local",
      domain: this.domain,
      listenIp: "127.0.0.1",
      turnIpv4Address: "127.0.0.1",
      ports,
      turnSecret: this.#options.turnSecret,
      credentialsLifetime: this.#options.credentialsLifetime ?? "1h",
      registration: false,
      certFile: certs.serverPemFile,
      caFile: certs.caFile,
      websocketUrl: `wss://${this.domain}:${ports.https}/ws`,
      sql: this.#options.sql,
    };
  }

  async #startInstance(node: ClusterNodeRecord): Promise<EjabberdInstance> {
    const instance = await EjabberdInstance.start({
      dir: this.#nodeDir(node),
      settings: this.#settings(node),
      nodeName: node.nodeName,
      cookie: this.#options.cookie,
      epmdPort: this.#record.epmdPort,
      existingEpmd: true,
      distPort: node.ports.dist,
      detached: this.#options.detached,
      portHint: () => "stop what uses it, or choose another base with CALLS_CLUSTER_BASE_PORT",
    });
    this.#running.set(node.nodeName, instance);
    return instance;
  }

  /**
   * join_cluster runs on the joining node and restarts its ejabberd application, which
   * would kill a mod_http_api request mid-way; a hidden control VM (what ejabberdctl
   * does) runs it from outside ejabberd's supervision tree instead.
   */
  async #joinCluster(joining: string, seed: string): Promise<void> {
    const result = await this.ctl(joining, ["join_cluster", seed]);
    if (result.code !== 0) {
      throw new SetupError(`${joining} could not join ${seed}: ${result.output.trim() || `exit ${result.code}`}`, `see ${join(this.dir, "node-*", "logs", "ejabberd.log")}`);
    }
  }

  /** Runs an ejabberdctl command on a node through a hidden Erlang VM (≈ 0.25 s). */
  ctl(nodeName: string, args: string[]): Promise<{ code: number; output: string }> {
    const argsFile = join(this.dir, "ctl.args");
    writeFileSync(argsFile, "-kernel inet_dist_use_interface {127,0,0,1}\n", { mode: 0o600 });
    // The cookie from a file, never on the control VM's command line.
    const cookieHome = erlangCookieHome(join(this.dir, "ctl-home"), this.#options.cookie);
    const child = spawn("erl", [
      "-sname", `ctl-${randomBytes(4).toString("hex")}@localhost`, "-hidden", "-noinput", "-args_file", argsFile,
      "-s", "ejabberd_ctl", "-extra", nodeName, ...args,
    ], {
      env: { ...process.env, ...cookieHome, ERL_LIBS: ERL_LIBS(), ERL_EPMD_PORT: String(this.#record.epmdPort), ERL_EPMD_ADDRESS: "127.0.0.1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      child.on("error", reject);
      child.on("exit", (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, output });
      });
    });
  }
}

/** After a join ejabberd restarts its application: wait until it serves again and sees every member. */
async function waitUntilServing(instance: EjabberdInstance, members: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const status = await instance.api<string>("status", {});
      const cluster = await instance.api<string[]>("list_cluster", {});
      if (status.includes("is running") && cluster.length >= members) return;
      last = `${cluster.length} of ${members} members`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(100);
  }
  throw new SetupError(`${instance.nodeName} did not serve as a cluster member within ${timeoutMs / 1000} s (${last})`, `see ${instance.logFile}`);
}

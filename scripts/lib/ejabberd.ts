import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ERLANG_VM_ENV, renderInstanceConfig, renderVmArgs, type EjabberdSettings } from "./ejabberd-config.ts";
import { erlangCookieHome } from "./erlang-cookie.ts";
import { PortInUseError, SetupError } from "./errors.ts";
import { tcpPortIsFree, udpPortIsFree } from "./ports.ts";
import { processIsAlive, terminate } from "./processes.ts";

/** Where Debian's ejabberd 23.01 keeps its Erlang applications. */
function erlLibs(): string {
  return process.env.EJABBERD_ERL_LIBS || "/usr/lib/x86_64-linux-gnu";
}

export interface InstanceOptions {
  /** The instance's folder: config, spool (Mnesia), logs, run (pids). */
  dir: string;
  settings: EjabberdSettings;
  /** Erlang node name; Mnesia data is bound to it, so keep it stable per folder. */
  nodeName: string;
  cookie: string;
  /** This instance's own epmd, so instances never share (or fight over) port 4369. */
  epmdPort: number;
  /**
   * Register with an epmd already listening on epmdPort (a cluster's shared one, so its
   * nodes find each other) instead of starting one; whoever started it stops it.
   */
  existingEpmd?: boolean;
  distPort: number;
  /** Keep running after this process exits (the `ejabberd start` command). */
  detached?: boolean;
  /** Says which setting to change for a port, in error messages. */
  portHint?: (purpose: keyof EjabberdSettings["ports"]) => string;
  startTimeoutMs?: number;
  /**
   * Run inside this network namespace (created by the caller, e.g. a NAT test's
   * "public" host). Ports are then checked by the kernel at bind time, and the
   * provisioning API is reached from inside the namespace.
   */
  netns?: string;
}

/** A command, run in a network namespace when one is given. */
function inNamespace(netns: string | undefined, command: string, args: string[]): [string, string[]] {
  return netns ? ["ip", ["netns", "exec", netns, command, ...args]] : [command, args];
}

interface RunRecord {
  nodeName: string;
  beamPid: number;
  /** 0 when the instance uses an epmd it did not start. */
  epmdPid: number;
  apiPort: number;
  /** Records written before the API had a listener of its own served it here. */
  httpLoopbackPort?: number;
  domain: string;
}

const PORT_PURPOSES: Record<keyof EjabberdSettings["ports"], string> = {
  c2s: "XMPP client connections, STARTTLS",
  c2sTls: "XMPP client connections, direct TLS",
  https: "HTTPS and secure WebSocket",
  httpLoopback: "loopback HTTP: the web app's /ws proxy target",
  api: "loopback provisioning API (mod_http_api)",
  stun: "STUN/TURN",
  turns: "TURN over TLS",
  turnMin: "first TURN relay port",
  turnMax: "last TURN relay port",
};

export function ejabberdIsInstalled(): boolean {
  try {
    return existsSync("/usr/bin/erl") && readdirSync(erlLibs()).some((name) => name.startsWith("ejabberd-"));
  } catch {
    return false;
  }
}

export class EjabberdApiError extends Error {
  override name = "EjabberdApiError";
  constructor(readonly command: string, readonly status: number, readonly body: string) {
    super(`ejabberd API ${command} failed (HTTP ${status}): ${body}`);
  }
}

/** One running ejabberd started by this project, with its own epmd. */
export class EjabberdInstance {
  private constructor(
    readonly dir: string,
    readonly nodeName: string,
    readonly domain: string,
    readonly apiPort: number,
    readonly beamPid: number,
    readonly epmdPid: number,
    private readonly children: ChildProcess[],
    readonly netns?: string,
  ) {}

  get logFile(): string {
    return join(this.dir, "logs", "ejabberd.log");
  }

  static runFile(dir: string): string {
    return join(dir, "run", "instance.json");
  }

  /** The instance recorded in dir, if its server process is still alive. */
  static attach(dir: string): EjabberdInstance | undefined {
    const file = EjabberdInstance.runFile(dir);
    if (!existsSync(file)) return undefined;
    const run = JSON.parse(readFileSync(file, "utf8")) as RunRecord;
    if (!processIsAlive(run.beamPid)) {
      // Leftover epmd of a crashed server: stop it so its port is free again.
      if (run.epmdPid > 0 && processIsAlive(run.epmdPid)) process.kill(run.epmdPid, "SIGTERM");
      rmSync(file, { force: true });
      return undefined;
    }
    return new EjabberdInstance(dir, run.nodeName, run.domain, run.apiPort ?? run.httpLoopbackPort ?? 0, run.beamPid, run.epmdPid, []);
  }

  static async start(options: InstanceOptions): Promise<EjabberdInstance> {
    const { dir, settings } = options;
    if (!ejabberdIsInstalled()) {
      throw new SetupError(
        `ejabberd is not installed (no ejabberd application under ${erlLibs()})`,
        process.getuid?.() === 0
          ? "run: apt-get update && apt-get install -y ejabberd"
          : "run: sudo apt-get install ejabberd   (npm start and npm test install it themselves when run as root)",
      );
    }
    const running = EjabberdInstance.attach(dir);
    if (running) {
      throw new SetupError(`ejabberd is already running from ${dir} (pid ${running.beamPid})`, "stop it first: npm run ejabberd -- stop");
    }
    prepareFolders(dir);
    if (!options.netns) await checkPorts(options);

    const spool = join(dir, "spool");
    const logs = join(dir, "logs");
    writeFileSync(join(dir, "ejabberd.yml"), renderInstanceConfig(settings), { mode: 0o600 });
    writeFileSync(join(dir, "vm.args"), renderVmArgs(options.distPort), { mode: 0o600 });
    const cookieHome = erlangCookieHome(dir, options.cookie);
    writeFileSync(join(dir, "inetrc"), "");
    rmSync(join(logs, "ejabberd.log"), { force: true });

    const env = {
      ...process.env,
      ...cookieHome,
      ERL_LIBS: erlLibs(),
      ERL_EPMD_PORT: String(options.epmdPort),
      ERL_EPMD_ADDRESS: "127.0.0.1",
      ERL_INETRC: join(dir, "inetrc"),
      EJABBERD_CONFIG_PATH: join(dir, "ejabberd.yml"),
      EJABBERD_LOG_PATH: join(logs, "ejabberd.log"),
      EJABBERD_PID_PATH: join(dir, "run", "ejabberd.pid"),
      ...ERLANG_VM_ENV,
    };
    const detached = options.detached ?? false;
    const out = openSync(join(logs, "erlang.out"), "a");
    const epmd = options.existingEpmd ? undefined : spawn(...inNamespace(options.netns, "epmd", ["-port", String(options.epmdPort), "-address", "127.0.0.1"]), {
      env, stdio: ["ignore", out, out], detached,
    });
    const children: ChildProcess[] = epmd ? [epmd] : [];
    try {
      if (epmd && options.netns) await sleep(300);
      else if (epmd) await waitForTcp(options.epmdPort, 5000, epmd, "epmd", "Erlang port mapper of this instance");
      const beam = spawn(...inNamespace(options.netns, "erl", [
        "-sname", options.nodeName, "+P", "250000", "-args_file", join(dir, "vm.args"),
        "-mnesia", "dir", JSON.stringify(spool), "-s", "ejabberd", "-noinput",
      ]), { env, cwd: dir, stdio: ["ignore", out, out], detached });
      children.push(beam);
      closeSync(out);
      if (detached) {
        epmd?.unref();
        beam.unref();
      }
      const epmdPid = epmd?.pid ?? 0;
      const instance = new EjabberdInstance(dir, options.nodeName, settings.domain, settings.ports.api, beam.pid!, epmdPid, children, options.netns);
      await instance.waitUntilReady(beam, options.startTimeoutMs ?? 30_000);
      const record: RunRecord = { nodeName: options.nodeName, beamPid: beam.pid!, epmdPid, apiPort: settings.ports.api, domain: settings.domain };
      writeFileSync(EjabberdInstance.runFile(dir), JSON.stringify(record, null, 2) + "\n");
      return instance;
    } catch (error) {
      for (const child of children.reverse()) if (child.pid) await terminate(child.pid, 5000);
      throw error;
    }
  }

  private async waitUntilReady(beam: ChildProcess, timeoutMs: number): Promise<void> {
    let exited: number | null = null;
    beam.once("exit", (code) => { exited = code ?? -1; });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const failure = this.startupFailureInLog();
      if (failure) throw new SetupError(`ejabberd failed to start: ${failure}`, `see ${this.logFile}`);
      if (exited !== null) {
        throw new SetupError(`ejabberd exited during start-up (code ${exited}): ${this.logTail(5)}`, `see ${this.logFile} and ${join(this.dir, "logs", "erlang.out")}`);
      }
      try {
        const status = await this.api<string>("status", {});
        if (status.includes("is running")) return;
      } catch {
        /* not listening yet */
      }
      await sleep(100);
    }
    throw new SetupError(`ejabberd did not become ready within ${timeoutMs / 1000} s`, `see ${this.logFile}`);
  }

  private startupFailureInLog(): string | undefined {
    if (!existsSync(this.logFile)) return undefined;
    const line = readFileSync(this.logFile, "utf8")
      .split("\n")
      .find((l) => /\[critical\]|Failed to open socket|Invalid value|failed to start/i.test(l));
    return line?.replace(/^\S+ \S+ \[\w+\] (<[^>]*>@\S+ )?/, "");
  }

  logTail(lines: number): string {
    if (!existsSync(this.logFile)) return "(no log)";
    return readFileSync(this.logFile, "utf8").trim().split("\n").slice(-lines).join("\n");
  }

  /** Calls a command of ejabberd's mod_http_api on its own loopback-only listener. */
  async api<T = unknown>(command: string, args: Record<string, unknown>): Promise<T> {
    const url = `http://127.0.0.1:${this.apiPort}/api/${command}`;
    const { status, body } = this.netns ? await postInNamespace(this.netns, url, args) : await post(url, args);
    if (status < 200 || status > 299) throw new EjabberdApiError(command, status, body);
    return JSON.parse(body) as T;
  }

  async register(username: string, password: string): Promise<void> {
    await this.api("register", { user: username, host: this.domain, password });
  }

  async accountExists(username: string): Promise<boolean> {
    return (await this.registeredUsers()).includes(username);
  }

  async changePassword(username: string, password: string): Promise<void> {
    await this.api("change_password", { user: username, host: this.domain, newpass: password });
  }

  async registeredUsers(): Promise<string[]> {
    return this.api<string[]>("registered_users", { host: this.domain });
  }

  /** Makes two accounts each other's contacts: roster items both ways, subscription both. */
  async makeContacts(a: string, b: string, group = "Contacts"): Promise<void> {
    for (const [owner, contact] of [[a, b], [b, a]] as const) {
      await this.api("add_rosteritem", {
        localuser: owner, localhost: this.domain, user: contact, host: this.domain,
        nick: contact, group, subs: "both",
      });
    }
  }

  async roster(username: string): Promise<Array<{ jid: string; subscription: string; nick: string }>> {
    return this.api("get_roster", { user: username, host: this.domain });
  }

  /**
   * Rewrites this instance's configuration and has the running server reload it
   * (ejabberd applies listener and module option changes without a restart).
   */
  async reconfigure(settings: EjabberdSettings): Promise<void> {
    writeFileSync(join(this.dir, "ejabberd.yml"), renderInstanceConfig(settings), { mode: 0o600 });
    await this.api("reload_config", {});
  }

  /** Stops the server gracefully (SIGTERM lets ejabberd close Mnesia), then its own epmd. */
  async stop(): Promise<void> {
    await terminate(this.beamPid, 15_000);
    if (this.epmdPid > 0) await terminate(this.epmdPid, 3000);
    for (const child of this.children) child.unref();
    rmSync(EjabberdInstance.runFile(this.dir), { force: true });
  }
}

async function post(url: string, args: unknown): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(args) });
  return { status: response.status, body: await response.text() };
}

/** The same POST from inside a network namespace, where the loopback listener is. */
function postInNamespace(netns: string, url: string, args: unknown): Promise<{ status: number; body: string }> {
  const script = "const [u, b] = process.argv.slice(1); const r = await fetch(u, { method: 'POST', body: b }); process.stdout.write(JSON.stringify({ status: r.status, body: await r.text() }));";
  return new Promise((resolve, reject) => {
    const child = spawn("ip", ["netns", "exec", netns, process.execPath, "--input-type=module", "-e", script, url, JSON.stringify(args)], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) resolve(JSON.parse(out) as { status: number; body: string });
      else reject(new Error(`request in namespace ${netns} failed (exit ${code})`));
    });
  });
}

function prepareFolders(dir: string): void {
  try {
    for (const sub of ["spool", "logs", "run"]) mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK);
    const probe = join(dir, "run", ".write-test");
    writeFileSync(probe, "");
    rmSync(probe);
  } catch (error) {
    throw new SetupError(
      `the data folder ${dir} is not writable (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      "make it writable by this user, or choose another with CALLS_DATA_DIR=/some/folder",
    );
  }
}

async function checkPorts(options: InstanceOptions): Promise<void> {
  const { ports, listenIp } = options.settings;
  const hint = options.portHint ?? (() => "stop what uses it, or choose other ports");
  const tcp: Array<[keyof typeof ports, string]> = [
    ["c2s", listenIp], ["c2sTls", listenIp], ["https", listenIp], ["httpLoopback", "127.0.0.1"], ["api", "127.0.0.1"], ["stun", listenIp], ["turns", listenIp],
  ];
  for (const [purpose, host] of tcp) {
    const bindHost = host === "::" || host === "0.0.0.0" ? undefined : host;
    if (!(await tcpPortIsFree(ports[purpose], bindHost))) throw new PortInUseError(ports[purpose], PORT_PURPOSES[purpose], host, hint(purpose));
  }
  const udpHost = listenIp === "::" ? "0.0.0.0" : listenIp;
  if (!(await udpPortIsFree(ports.stun, udpHost))) throw new PortInUseError(ports.stun, `${PORT_PURPOSES.stun} (UDP)`, listenIp, hint("stun"));
  if (options.existingEpmd && (await tcpPortIsFree(options.epmdPort))) {
    throw new SetupError(`no epmd listens on 127.0.0.1:${options.epmdPort}`, "start the shared epmd first (scripts/lib/cluster.ts does)");
  }
  const erlangPorts: Array<[number, string]> = [[options.distPort, "Erlang distribution of this instance"]];
  if (!options.existingEpmd) erlangPorts.unshift([options.epmdPort, "Erlang port mapper of this instance"]);
  for (const [port, purpose] of erlangPorts) {
    if (!(await tcpPortIsFree(port))) throw new PortInUseError(port, purpose, "127.0.0.1", "stop what uses it, or choose another with CALLS_EPMD_PORT / CALLS_DIST_PORT");
  }
}

async function waitForTcp(port: number, timeoutMs: number, child: ChildProcess, what: string, purpose: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      // epmd exits (code 0) when another epmd took the port between our check and its bind:
      // that is a port in use, not a missing package.
      if (!(await tcpPortIsFree(port))) {
        throw new PortInUseError(port, purpose, "127.0.0.1", `another program took it while ${what} started; choose another with CALLS_EPMD_PORT`);
      }
      throw new SetupError(`${what} exited at start (code ${child.exitCode})`, "is the 'erlang-base' package installed?");
    }
    if (!(await tcpPortIsFree(port))) return;
    await sleep(30);
  }
  throw new SetupError(`${what} did not listen on 127.0.0.1:${port}`, "check that Erlang (package erlang-base) is installed");
}

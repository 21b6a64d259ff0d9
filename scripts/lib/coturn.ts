import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { coturnDeniedPeerRanges } from "./coturn-peers.ts";
import { localTurnBlacklist, productionTurnBlacklist } from "./ejabberd-config.ts";
import { SetupError } from "./errors.ts";
import { tcpPortIsFree } from "./ports.ts";
import { processIsAlive, terminate } from "./processes.ts";

export interface CoturnOptions {
  /** Folder for the generated configuration, log and pid. */
  dir: string;
  listenIp: string;
  port: number;
  tlsPort: number;
  minPort: number;
  maxPort: number;
  /** The TURN REST API secret(s): the first is current; more are still accepted (rotation). */
  secrets: string[];
  realm: string;
  certFile: string;
  keyFile: string;
  /** Local testing only: let the relay reach loopback peers (the production config never does). */
  allowLoopbackPeers: boolean;
  detached?: boolean;
}

/** coturn started by this project, for local testing of the alternative TURN. */
export class CoturnInstance {
  private constructor(readonly dir: string, readonly pid: number) {}

  static configFile(dir: string): string {
    return join(dir, "turnserver.conf");
  }

  static render(options: CoturnOptions): string {
    return [
      "# Generated for local testing by scripts/lib/coturn.ts; production: server-config/coturn/turnserver.conf",
      `listening-ip=${options.listenIp}`,
      `relay-ip=${options.listenIp}`,
      `listening-port=${options.port}`,
      `tls-listening-port=${options.tlsPort}`,
      `min-port=${options.minPort}`,
      `max-port=${options.maxPort}`,
      `realm=${options.realm}`,
      "use-auth-secret",
      ...options.secrets.map((secret) => `static-auth-secret=${secret}`),
      `cert=${options.certFile}`,
      `pkey=${options.keyFile}`,
      "no-tlsv1", "no-tlsv1_1", "no-dtls", "fingerprint", "no-cli", "no-rfc5780",
      "no-multicast-peers", "no-tcp-relay",
      ...(options.allowLoopbackPeers ? ["allow-loopback-peers"] : []),
      // Loopback is a local setup's only network; every other range production refuses stays refused.
      ...coturnDeniedPeerRanges(options.allowLoopbackPeers ? localTurnBlacklist() : productionTurnBlacklist()).map((range) => `denied-peer-ip=${range}`),
      `pidfile=${join(options.dir, "turnserver.pid")}`,
      `log-file=${join(options.dir, "turnserver.log")}`,
      "simple-log",
      "",
    ].join("\n");
  }

  static writeConfig(options: CoturnOptions): void {
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    writeFileSync(CoturnInstance.configFile(options.dir), CoturnInstance.render(options), { mode: 0o600 });
  }

  static async start(options: CoturnOptions): Promise<CoturnInstance> {
    if (!existsSync("/usr/bin/turnserver")) {
      throw new SetupError("coturn is not installed", process.getuid?.() === 0 ? "run: apt-get install -y coturn" : "run: sudo apt-get install coturn");
    }
    for (const port of [options.port, options.tlsPort]) {
      if (!(await tcpPortIsFree(port, options.listenIp))) throw new SetupError(`port ${port} (coturn) on ${options.listenIp} is already in use`, "stop what uses it, or choose another port");
    }
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    rmSync(join(options.dir, "turnserver.log"), { force: true });
    CoturnInstance.writeConfig(options);
    const child = spawn("turnserver", ["-c", CoturnInstance.configFile(options.dir)], { stdio: "ignore", detached: options.detached ?? false });
    if (options.detached) child.unref();
    const instance = new CoturnInstance(options.dir, child.pid!);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new SetupError(`coturn exited at start (code ${child.exitCode})`, `see ${join(options.dir, "turnserver.log")}`);
      if (!(await tcpPortIsFree(options.port, options.listenIp))) {
        writeFileSync(join(options.dir, "coturn.pid"), String(child.pid));
        return instance;
      }
      await sleep(50);
    }
    await instance.stop();
    throw new SetupError("coturn did not start listening within 10 s", `see ${join(options.dir, "turnserver.log")}`);
  }

  static attach(dir: string): CoturnInstance | undefined {
    const file = join(dir, "coturn.pid");
    if (!existsSync(file)) return undefined;
    const pid = Number(readFileSync(file, "utf8"));
    if (processIsAlive(pid)) return new CoturnInstance(dir, pid);
    rmSync(file, { force: true });
    return undefined;
  }

  async stop(): Promise<void> {
    await terminate(this.pid, 5000);
    rmSync(join(this.dir, "coturn.pid"), { force: true });
  }
}

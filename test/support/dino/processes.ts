import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { processIsAlive, terminate } from "../../../scripts/lib/processes.ts";
import type { DinoNamespace } from "./namespace.ts";

/** A process started in the Dino namespace, stopped by its PID (`ip netns exec` execs the command, so the PID is the program's). */
export interface NsProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  alive(): boolean;
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  /** stdout and stderr go to this file (appended); with `pipeStdout`, only stderr does. */
  logFile: string;
  pipeStdout?: boolean;
  cwd?: string;
}

export function spawnIn(ns: DinoNamespace, name: string, command: string, args: readonly string[], options: SpawnOptions): NsProcess {
  const log = openSync(options.logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(...ns.wrap(command, args), {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ["ignore", options.pipeStdout ? "pipe" : log, log],
    });
  } finally {
    closeSync(log);
  }
  if (child.pid === undefined) throw new Error(`${name} (${command}) did not start`);
  const pid = child.pid;
  return {
    name,
    pid,
    child,
    alive: () => child.exitCode === null && child.signalCode === null && processIsAlive(pid),
    stop: (graceMs = 3000) => terminate(pid, graceMs),
  };
}

/** Stops processes in reverse start order, each by PID, whatever the others do. */
export async function stopAll(processes: NsProcess[]): Promise<void> {
  for (const p of [...processes].reverse()) await p.stop().catch(() => undefined);
  processes.length = 0;
}

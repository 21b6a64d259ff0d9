import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

/** Stopping what the project started, by PID (never by name). */

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A child whose parent died is reparented to PID 1, which does not reap here: a
  // zombie answers signal 0 but is gone.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!processIsAlive(pid)) return true;
    await sleep(50);
  }
  return !processIsAlive(pid);
}

/** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
export async function terminate(pid: number, graceMs: number): Promise<void> {
  if (!processIsAlive(pid)) return;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  if (!(await waitForExit(pid, graceMs))) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
    await waitForExit(pid, 2000);
  }
}

/**
 * The command that runs a TypeScript entry point in a single Node process, with tsx as a loader.
 * tsx's own CLI runs the script in a child and relays signals to it; when a signal reaches only
 * the parent (a test's kill, a service manager's SIGTERM) it SIGKILLs that child unless the
 * child acknowledges within 30 ms. On a loaded machine a clean stop then became a kill: exit
 * 130, and the children it should have stopped were left running.
 */
export function typeScriptCommand(entry: string, ...args: string[]): [string, string[]] {
  const loader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  return [process.execPath, ["--import", loader, entry, ...args]];
}

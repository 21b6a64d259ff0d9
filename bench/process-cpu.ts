// CPU time per process group over a window, from /proc: which browser (and which of its
// processes: renderer, GPU, network, audio, video capture) or server spent the machine's
// cores during a call set-up. On a saturated machine a set-up's latency follows the work
// every process in its path has to do, so this says where to look before any profile.
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

interface ProcessSample {
  ppid: number;
  /** utime + stime, in ticks. */
  ticks: number;
  /** argv joined by spaces. */
  args: string;
}

export type ProcessTable = Map<number, ProcessSample>;

/** Every process's CPU ticks so far. Processes that vanish while being read are skipped. */
export function sampleProcesses(): ProcessTable {
  const table: ProcessTable = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // Fields after the command (which may hold spaces and parentheses): state ppid … utime(14) stime(15).
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const args = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").join(" ").trim();
      table.set(Number(name), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]), args });
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

/** Browser main processes (Chromium, Firefox) that are children of this Node process. */
export function ownBrowserRoots(table: ProcessTable = sampleProcesses()): Set<number> {
  return new Set([...table].filter(([, p]) => p.ppid === process.pid && /chrom|firefox/.test(p.args.split(" ")[0] ?? "")).map(([pid]) => pid));
}

/** Firefox's child process types (the last argument of a -contentproc), named as Chromium's rows are. */
const FIREFOX_KINDS: Record<string, string> = { tab: "renderer", socket: "network", rdd: "media decoding", gpu: "gpu", utility: "utility", forkserver: "forkserver" };

/** What kind of browser process this is: Firefox's from its process type, Chromium's from its flags. */
function browserKind(args: string): string {
  if (/firefox/.test(args.split(" ")[0] ?? "")) {
    if (!args.includes("-contentproc")) return "browser";
    const type = args.split(" ").at(-1) ?? "";
    return FIREFOX_KINDS[type] ?? type;
  }
  return chromiumKind(args);
}

/** What kind of Chromium process this is, from its --type and --utility-sub-type flags. */
function chromiumKind(args: string): string {
  const type = /--type=(\S+)/.exec(args)?.[1];
  if (!type) return "browser";
  if (type === "utility") {
    const sub = /--utility-sub-type=(\S+)/.exec(args)?.[1] ?? "";
    if (sub.includes("Network")) return "network";
    if (sub.includes("Audio")) return "audio";
    if (sub.includes("VideoCapture")) return "video capture";
    if (sub.includes("Storage")) return "storage";
    return `utility ${sub}`;
  }
  if (type === "gpu-process") return "gpu";
  return type;
}

/** The browser in `browsers` (main process pid) that `pid` runs under, if any. */
function browserRootOf(pid: number, table: ProcessTable, browsers: ReadonlyMap<number, string>): number | undefined {
  for (let p: number | undefined = pid, hops = 0; p && hops < 8; p = table.get(p)?.ppid, hops++) if (browsers.has(p)) return p;
  return undefined;
}

/**
 * CPU milliseconds spent between two samples, by group: "LABEL kind" for the processes of the
 * browsers in `browsers` (root pid → label), "ejabberd" for beam, "node (bench)" for this
 * process (it runs the bare pages' relay), "other". A process that exited within the window is missed.
 */
export function cpuByGroup(before: ProcessTable, after: ProcessTable, browsers: ReadonlyMap<number, string>): Map<string, number> {
  const groups = new Map<string, number>();
  for (const [pid, now] of after) {
    const spent = now.ticks - (before.get(pid)?.ticks ?? 0);
    if (spent <= 0) continue;
    const root = browserRootOf(pid, after, browsers);
    const group = root !== undefined ? `${browsers.get(root)} ${browserKind(now.args)}` : now.args.includes("beam") ? "ejabberd" : pid === process.pid ? "node (bench)" : "other";
    groups.set(group, (groups.get(group) ?? 0) + (spent * 1000) / TICKS_PER_SECOND);
  }
  return groups;
}

/** Threads of one process: thread name (comm, as the browser names its threads) → CPU ticks. */
export type ThreadTable = Map<number, Map<string, number>>;

/** Every thread's CPU ticks so far, by process, for the processes of `kind` in `table` (e.g. "renderer"). */
export function sampleThreads(table: ProcessTable, kind: string): ThreadTable {
  const threads: ThreadTable = new Map();
  for (const [pid, p] of table) {
    if (browserKind(p.args) !== kind) continue;
    const byName = new Map<string, number>();
    try {
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        try {
          const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
          const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")).replace(/\d+$/, "#");
          const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
          byName.set(name, (byName.get(name) ?? 0) + Number(fields[11]) + Number(fields[12]));
        } catch {
          // thread gone meanwhile
        }
      }
    } catch {
      continue;
    }
    threads.set(pid, byName);
  }
  return threads;
}

/**
 * CPU milliseconds per "LABEL thread" between two thread samples, for threads of processes
 * under the labelled browsers (as cpuByGroup). Ticks are 10 ms: read means over many calls.
 */
export function cpuByThread(before: ThreadTable, after: ThreadTable, table: ProcessTable, browsers: ReadonlyMap<number, string>): Map<string, number> {
  const spent = new Map<string, number>();
  for (const [pid, threads] of after) {
    const root = browserRootOf(pid, table, browsers);
    if (root === undefined) continue;
    for (const [name, ticks] of threads) {
      const delta = ticks - (before.get(pid)?.get(name) ?? 0);
      if (delta <= 0) continue;
      const key = `${browsers.get(root)} ${name}`;
      spent.set(key, (spent.get(key) ?? 0) + (delta * 1000) / TICKS_PER_SECOND);
    }
  }
  return spent;
}

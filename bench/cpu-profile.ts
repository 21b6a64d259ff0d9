// `node --import tsx bench/cpu-profile.ts DIR [TOP]`: where a V8 CPU profile's time goes, for the
// .cpuprofile files in DIR (e.g. bench:load's LOAD_GENERATOR_PROFILE=1): self time per function
// and per package (node_modules/<name>, node:internal, the project's own files, native code).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
export interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

/** The package a script belongs to: what a reader can act on (replace, configure, avoid). */
function packageOf(url: string, name: string): string {
  if (!url) return name.startsWith("(") ? name : "(native)";
  const nodeModules = url.lastIndexOf("node_modules/");
  if (nodeModules >= 0 && !url.includes("/.vite/deps/")) {
    const rest = url.slice(nodeModules + "node_modules/".length).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith("node:")) return url.split("/").slice(0, 2).join("/");
  // A page's scripts: Vite serves dependencies pre-bundled under /node_modules/.vite/deps/.
  if (/^https?:/.test(url)) return new URL(url).pathname.replace(/^\/node_modules\/\.vite\/deps\//, "deps/").replace(/\?.*$/, "");
  return url.replace(/^file:\/\/.*?\/(bench|client|scripts)\//, "$1/");
}

function table(title: string, totals: Map<string, number>, all: number, top: number): string[] {
  return ["", title, ...[...totals].sort((a, b) => b[1] - a[1]).slice(0, top).map(([key, micros]) =>
    `${((100 * micros) / all).toFixed(1).padStart(6)} %  ${(micros / 1000).toFixed(0).padStart(8)} ms  ${key}`)];
}

/** Self time by package and by function over V8 CPU profiles, as printable lines. */
export function summarizeProfiles(profiles: readonly Profile[], top = 30): string[] {
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let all = 0;
  for (const profile of profiles) {
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    profile.samples.forEach((id, i) => {
      const frame = nodes.get(id)!.callFrame;
      const micros = profile.timeDeltas[i] ?? 0;
      if (frame.functionName === "(idle)") return;
      all += micros;
      const where = packageOf(frame.url, frame.functionName);
      const fn = `${frame.functionName || "(anonymous)"}  ${where}:${frame.lineNumber + 1}`;
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + micros);
      byPackage.set(where, (byPackage.get(where) ?? 0) + micros);
    });
  }
  return [`busy ${(all / 1000).toFixed(0)} ms`, ...table("self time by package", byPackage, all, top), ...table("self time by function", byFunction, all, top)];
}

if (process.argv[1] === import.meta.filename) {
  const [dir, topArg] = process.argv.slice(2);
  if (!dir) {
    console.error("usage: bench/cpu-profile.ts DIR [TOP]");
    process.exit(2);
  }
  const profiles = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile")).map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as Profile);
  for (const line of summarizeProfiles(profiles, Number(topArg ?? 30))) console.log(line);
}

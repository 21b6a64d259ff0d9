import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { PROJECT_DIR } from "../../scripts/lib/local-settings.ts";

/** The parts of a docker-compose file the deployment tests read. */
export interface ComposeService {
  image?: string;
  hostname?: string;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
}

/** Parses a compose file of the project, with YAML merge keys (`<<: *anchor`) resolved. */
export function readCompose(file: string): ComposeFile {
  return parse(readFileSync(join(PROJECT_DIR, file), "utf8"), { merge: true }) as ComposeFile;
}

/** A service's bind mounts: volume specs whose source is a path (relative or absolute), not a named volume. */
export function bindMounts(service: ComposeService): Array<{ source: string; target: string }> {
  return (service.volumes ?? [])
    .map((spec) => spec.split(":"))
    .filter(([source]) => source!.startsWith(".") || source!.startsWith("/"))
    .map(([source, target]) => ({ source: source!, target: target! }));
}

/** Whether docker-compose can be run here; says so on the console when it cannot, as its checks are then skipped. */
export function dockerComposeInstalled(): boolean {
  const probe = spawnSync("docker-compose", ["version"], { encoding: "utf8" });
  if (probe.error) console.warn("docker-compose is not installed: its own validation was not run");
  return !probe.error;
}

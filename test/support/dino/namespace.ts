import { execFileSync } from "node:child_process";
import { namespaceRunId } from "../netns.ts";

/*
 * The network namespace a Dino test runs in: loopback plus one veth link with a
 * documentation address (RFC 5737). libnice gathers no host candidate on loopback
 * (INTEROP.md "Running Dino headless"), so Dino needs the veth address; both ends of
 * the veth pair stay inside the namespace, so nothing routes out of it.
 */

/** The address Dino's (and the browser's) host candidates carry. */
export const DINO_HOST_ADDRESS = "192.0.2.1";

export interface DinoNamespace {
  name: string;
  /** [command, args] running `command args` inside the namespace. */
  wrap(command: string, args: readonly string[]): [string, string[]];
  /** Runs a command inside the namespace and returns its stdout. */
  exec(command: string, ...args: string[]): string;
  destroy(): void;
}

function ip(...args: string[]): string {
  try {
    return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    throw new Error(`ip ${args.join(" ")} failed: ${(error as { stderr?: string }).stderr?.trim() ?? String(error)}`);
  }
}

export function createDinoNamespace(): DinoNamespace {
  // namespaceRunId() also removes namespaces of earlier runs killed before their cleanup.
  const name = `${namespaceRunId()}-dino`;
  ip("netns", "add", name);
  const destroy = () => {
    try {
      ip("netns", "del", name);
    } catch {
      /* already gone */
    }
  };
  try {
    ip("-n", name, "link", "set", "lo", "up");
    // IPv4 only: no link-local IPv6 candidates (libnice would offer fe80:: ones).
    ip("netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
    // A veth pair with both ends here: the kernel's dummy driver may be missing in containers.
    ip("-n", name, "link", "add", "dino0", "type", "veth", "peer", "name", "dino1");
    ip("-n", name, "addr", "add", `${DINO_HOST_ADDRESS}/24`, "dev", "dino0");
    ip("-n", name, "link", "set", "dino0", "up");
    ip("-n", name, "link", "set", "dino1", "up");
  } catch (error) {
    destroy();
    throw error;
  }
  return {
    name,
    wrap: (command, args) => ["ip", ["netns", "exec", name, command, ...args]],
    exec: (command, ...args) => ip("netns", "exec", name, command, ...args),
    destroy,
  };
}

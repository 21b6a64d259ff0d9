// The Erlang cookie grants code execution on the node (rpc:call(Node, os, cmd, …)): it must
// never appear on a process command line, which every local user can read (issue 15, item 4).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { randomSecret } from "../../scripts/lib/secrets.ts";
import { startTestCluster, type TestCluster } from "../support/cluster.ts";
import { startTestServer, type TestServer } from "../support/ejabberd.ts";

/** PIDs whose command line (as `ps` shows it to anyone) contains the text. */
function commandLinesContaining(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      if (cmdline.includes(text)) found.push(`${pid}: ${cmdline.slice(0, 200)}`);
    } catch {
      /* exited meanwhile */
    }
  }
  return found;
}

let server: TestServer | undefined;
let cluster: TestCluster | undefined;
afterAll(async () => {
  await server?.stop();
  await cluster?.stop();
});

describe("the Erlang cookie", () => {
  it("is on no command line of a running single node, and sits in its folder with mode 0400", async () => {
    const cookie = randomSecret(18);
    server = await startTestServer({ cookie });
    expect(commandLinesContaining(cookie)).toEqual([]);
    const file = join(server.instance.dir, ".erlang.cookie");
    expect(readFileSync(file, "utf8")).toBe(cookie);
    expect(statSync(file).mode & 0o777).toBe(0o400);
    expect(readFileSync(join(server.instance.dir, "vm.args"), "utf8")).not.toContain(cookie);
  });

  it("is on no command line of a cluster's nodes or of the control VM that joins and queries them", async () => {
    const cookie = randomSecret(18);
    // The join runs through a hidden control VM: it succeeds only if that VM has the cookie.
    cluster = await startTestCluster(2, "localhost", cookie);
    expect(commandLinesContaining(cookie)).toEqual([]);
    const seen: string[] = [];
    let running = true;
    const sampler = (async () => {
      while (running) {
        seen.push(...commandLinesContaining(cookie));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const result = await cluster.cluster.ctl(cluster.nodes[0]!.nodeName, ["status"]);
    running = false;
    await sampler;
    expect(result.output).toContain("is running");
    expect(seen).toEqual([]);
  }, 90_000);
});

// A small run of `npm run bench:load` (one node, a few sessions, seconds per step): the load
// generator signs in over WSS with SCRAM, relays probes, and replays our web app's own call
// set-up (test/fixtures/jingle/app-call-chromium.json) against a real ejabberd. The figures
// are the benchmark's; this only keeps the benchmark working.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { PROJECT_DIR } from "../../scripts/lib/local-settings.ts";

const run = promisify(execFile);

interface CallStep {
  completed: number;
  failed: number;
  errors: string[];
}
/** What `bench/load.ts` writes per cluster size (the parts checked here). */
interface LoadResult {
  nodes: number;
  sessionsOnline: number;
  loginFailures: number;
  sessionsCountedByEjabberd: number;
  relay: { lost: number };
  callsAtRate: CallStep;
  callsMax: CallStep;
}

describe("npm run bench:load, a smoke run", () => {
  it("signs 40 sessions in, relays every probe, and completes the app's call set-ups (propose to the callee's last transport-info) with none failed", async () => {
    const { stdout } = await run("npx", ["tsx", "bench/load.ts"], {
      cwd: PROJECT_DIR,
      timeout: 150_000,
      env: {
        // The run's own settings only: none of the caller's LOAD_* (a database, a profiler…).
        ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("LOAD_"))),
        // 20 pairs at 5 set-ups/s: each pair is free again long before it is picked, even on a busy machine.
        LOAD_NODES: "1", LOAD_SESSIONS: "40", LOAD_WORKERS: "1",
        LOAD_PROBE_RATE: "20", LOAD_PROBE_SECONDS: "1",
        LOAD_CALL_RATE: "5", LOAD_CALL_SECONDS: "2", LOAD_CALL_CONCURRENCY: "4", LOAD_MAX_MINUTES: "2",
      },
    });
    const written = /written to (\S+\.json)/.exec(stdout)?.[1];
    expect(written, stdout).toBeDefined();
    const [result] = (JSON.parse(readFileSync(written!, "utf8")) as { results: LoadResult[] }).results;
    expect(result).toMatchObject({ nodes: 1, sessionsOnline: 40, loginFailures: 0, sessionsCountedByEjabberd: 40 });
    expect(result!.relay.lost).toBe(0);
    for (const step of [result!.callsAtRate, result!.callsMax]) {
      // Errors include a bounced JMI message (one the replay addressed wrongly).
      expect(step.errors).toEqual([]);
      expect(step.failed).toBe(0);
      expect(step.completed).toBeGreaterThan(0);
    }
  }, 180_000);
});

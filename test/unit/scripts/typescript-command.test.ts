import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PROJECT_DIR } from "../../../scripts/lib/local-settings.ts";
import { typeScriptCommand } from "../../../scripts/lib/processes.ts";

const dir = mkdtempSync(join(tmpdir(), "calls-ts-command-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A script whose event loop is busy for 400 ms just as the signal arrives: what a loaded
 * machine looks like to a process. tsx's CLI wrapper SIGKILLed such a child after 30 ms.
 */
const SLOW_SCRIPT = `
const signals: string[] = ["SIGTERM", "SIGINT"];
for (const signal of signals) process.on(signal, () => { console.log("stopped cleanly by " + signal); process.exit(0); });
setInterval(() => undefined, 1000);
console.log("ready");
process.stdin.once("data", () => { const until = Date.now() + 400; while (Date.now() < until); });
process.stdin.resume();
`;

async function stopWhileBusy(signal: NodeJS.Signals): Promise<{ code: number | null; output: string }> {
  const file = join(dir, "slow-stop.ts");
  writeFileSync(file, SLOW_SCRIPT);
  const child = spawn(...typeScriptCommand(file), { stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await new Promise<void>((resolve) => child.stdout!.on("data", () => output.includes("ready") && resolve()));
  child.stdin!.write("busy\n");
  await new Promise((resolve) => setTimeout(resolve, 50));
  child.kill(signal);
  return { code: await exited, output };
}

describe("typeScriptCommand", () => {
  it.each(["SIGTERM", "SIGINT"] as const)("lets a script whose event loop is busy when %s arrives stop through its own handler", async (signal) => {
    const { code, output } = await stopWhileBusy(signal);
    expect(output).toContain(`stopped cleanly by ${signal}`);
    expect(code).toBe(0);
  });

  it("is what npm start and the compose echo service run: one Node process with tsx as its loader", () => {
    expect(readFileSync(join(PROJECT_DIR, "scripts/start.sh"), "utf8")).toMatch(/^exec node --import tsx scripts\/start\.ts$/m);
    for (const file of ["docker-compose.yml", "docker-compose.cluster.yml"]) {
      const compose = readFileSync(join(PROJECT_DIR, file), "utf8");
      expect(compose).toContain("exec node --import tsx services/echo/main.ts");
      expect(compose).not.toContain(".bin/tsx");
    }
  });
});

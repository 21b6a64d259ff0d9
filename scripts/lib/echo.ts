import { spawn } from "node:child_process";
import { join } from "node:path";
import { SetupError } from "./errors.ts";
import { PROJECT_DIR } from "./local-settings.ts";
import { terminate, typeScriptCommand } from "./processes.ts";

export interface EchoProcess {
  pid: number;
  /** SIGTERM (the echo ends its calls with session-terminate and signs out), SIGKILL after a grace period. */
  stop(): Promise<void>;
}

export interface EchoProcessOptions {
  /** WebSocket endpoint of the local ejabberd (its loopback listener). */
  service: string;
  jid: string;
  password: string;
}

/**
 * Runs the echo test-call service (services/echo/main.ts) as its own process, as docker-compose
 * does: a crash there does not take the web app down. ICE on 127.0.0.1 only, like everything
 * npm start runs. The password goes in the environment, never on the command line (`ps`).
 * Resolves once it is signed in; its log lines are printed with an "echo |" prefix.
 */
export async function startEchoProcess(options: EchoProcessOptions): Promise<EchoProcess> {
  const child = spawn(...typeScriptCommand(join(PROJECT_DIR, "services/echo/main.ts")), {
    env: { ...process.env, ECHO_SERVICE: options.service, ECHO_JID: options.jid, ECHO_PASSWORD: options.password, ECHO_HOST_ADDRESSES: "127.0.0.1", ECHO_EXIT_WITH_STDIN: "1" },
    // stdin: a pipe that closes when this process ends, however it ends; the echo then stops too.
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  const print = (chunk: Buffer) => {
    output += chunk.toString();
    for (const line of chunk.toString().split("\n")) if (line.trim()) console.log(`echo | ${line}`);
  };
  child.stdout!.on("data", print);
  child.stderr!.on("data", print);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new SetupError("the echo test-call service did not sign in within 30 s", "see its lines above (echo | …)")), 30_000);
    child.stdout!.on("data", () => {
      if (output.includes("signed in as")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new SetupError(`the echo test-call service exited (${code}) before signing in`, "see its lines above (echo | …)"));
    });
  }).catch(async (error: unknown) => {
    if (child.pid) await terminate(child.pid, 2_000);
    throw error;
  });
  const pid = child.pid!;
  return { pid, stop: () => terminate(pid, 10_000) };
}

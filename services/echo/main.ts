// The echo test-call service as a program (docker-compose service "echo"; `npm start` runs the
// same EchoService in its own process). Configured by the environment, logs to stdout, and on
// SIGTERM or SIGINT ends its calls with session-terminate before signing out.
import { readFileSync } from "node:fs";
import { EchoService } from "./echo-service.js";
import { ECHO_LIMITS, limitFromEnv } from "./policy.js";
import { nodeWebSocket } from "./websocket.js";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/** The password from ECHO_PASSWORD, or from the file ECHO_PASSWORD_FILE names (a secret kept in a volume). */
function password(): string {
  const file = process.env.ECHO_PASSWORD_FILE;
  if (file) return readFileSync(file, "utf8").trim();
  return required("ECHO_PASSWORD");
}

async function main(): Promise<void> {
  const caFile = process.env.ECHO_CA_FILE;
  globalThis.WebSocket = nodeWebSocket(caFile ? readFileSync(caFile, "utf8") : undefined);
  const service = await EchoService.start({
    service: required("ECHO_SERVICE"),
    jid: required("ECHO_JID"),
    password: password(),
    hostAddresses: (process.env.ECHO_HOST_ADDRESSES ?? "").split(",").map((a) => a.trim()).filter(Boolean),
    limits: {
      maxCalls: limitFromEnv(process.env.ECHO_MAX_CALLS, ECHO_LIMITS.maxCalls, "ECHO_MAX_CALLS"),
      maxCallMs: limitFromEnv(process.env.ECHO_MAX_CALL_SECONDS, ECHO_LIMITS.maxCallMs / 1000, "ECHO_MAX_CALL_SECONDS") * 1000,
      delayMs: limitFromEnv(process.env.ECHO_DELAY_MS, ECHO_LIMITS.delayMs, "ECHO_DELAY_MS"),
    },
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`echo: ${signal}, stopping`);
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`echo: stopping failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  // Run by npm start: its stdin is a pipe from npm start, closed when that process ends however it
  // ends (even SIGKILL), so the echo never outlives the deployment it belongs to.
  if (process.env.ECHO_EXIT_WITH_STDIN === "1") {
    process.stdin.once("close", () => stop("npm start is gone"));
    process.stdin.resume();
  }
}

main().catch((error: unknown) => {
  console.error(`echo: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

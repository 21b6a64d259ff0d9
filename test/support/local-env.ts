import { join } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { PROJECT_DIR } from "../../scripts/lib/local-settings.ts";
import { freeTcpPort, freeTcpUdpPort, freeUdpRange } from "../../scripts/lib/ports.ts";

/** Environment for the local deployment's scripts on free loopback ports and a given data folder. */
export async function localDeploymentEnv(dataDir: string): Promise<Record<string, string>> {
  const [min, max] = await freeUdpRange(20);
  const [coturnMin, coturnMax] = await freeUdpRange(20);
  return {
    CALLS_DATA_DIR: dataDir,
    CALLS_C2S_PORT: String(await freeTcpPort()), CALLS_C2S_TLS_PORT: String(await freeTcpPort()),
    CALLS_HTTPS_PORT: String(await freeTcpPort()), CALLS_HTTP_PORT: String(await freeTcpPort()), CALLS_API_PORT: String(await freeTcpPort()),
    CALLS_STUN_PORT: String(await freeTcpUdpPort()), CALLS_TURNS_PORT: String(await freeTcpPort()),
    CALLS_TURN_MIN_PORT: String(min), CALLS_TURN_MAX_PORT: String(max),
    CALLS_WEB_PORT: String(await freeTcpPort()), CALLS_EPMD_PORT: String(await freeTcpPort()), CALLS_DIST_PORT: String(await freeTcpPort()),
    CALLS_COTURN_PORT: String(await freeTcpUdpPort()), CALLS_COTURN_TLS_PORT: String(await freeTcpPort()),
    CALLS_COTURN_MIN_PORT: String(coturnMin), CALLS_COTURN_MAX_PORT: String(coturnMax),
  };
}

const run = promisify(execFile);

/** Runs one of the project's TypeScript scripts (scripts/NAME.ts) as npm would. */
export async function runScript(name: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(join(PROJECT_DIR, "node_modules/.bin/tsx"), [join(PROJECT_DIR, "scripts", `${name}.ts`), ...args], { env: { ...process.env, ...env } })
    .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }), (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }));
}

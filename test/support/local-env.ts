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

/**
 * Whether a failed start lost one of the free ports localDeploymentEnv chose to another test
 * file, which took it between the check and the bind: such a start is retried on fresh ports.
 */
export function lostAPortRace(output: string): boolean {
  return /is already in use|epmd exited at start/.test(output);
}

/** `npm run ejabberd -- start` on free ports, retried on fresh ones when it lost a port race. */
export async function startLocalEjabberd(dataDir: string): Promise<{ env: Record<string, string>; started: Awaited<ReturnType<typeof runScript>> }> {
  for (let attempt = 1; ; attempt++) {
    const env = await localDeploymentEnv(dataDir);
    const started = await runScript("ejabberd", ["start"], env);
    if (attempt === 3 || started.code === 0 || !lostAPortRace(started.stderr)) return { env, started };
  }
}

const run = promisify(execFile);

/** Runs one of the project's TypeScript scripts (scripts/NAME.ts) as npm would. */
export async function runScript(name: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(join(PROJECT_DIR, "node_modules/.bin/tsx"), [join(PROJECT_DIR, "scripts", `${name}.ts`), ...args], { env: { ...process.env, ...env } })
    .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }), (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }));
}

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureLocalCertificates } from "./certs.ts";
import type { EjabberdSettings, ListenerPorts } from "./ejabberd-config.ts";
import type { CoturnOptions } from "./coturn.ts";
import type { InstanceOptions } from "./ejabberd.ts";
import { SetupError } from "./errors.ts";
import { loadOrCreateSecrets } from "./secrets.ts";

export const PROJECT_DIR = fileURLToPath(new URL("../../", import.meta.url));
export const DEMO_USERS = ["alice", "bob"] as const;
/** The test-call account (services/echo): answers with the caller's own audio and video. */
export const ECHO_USER = "echo";

/** Every setting of the local deployment, with the environment variable that changes it. */
const PORT_ENV: Record<keyof ListenerPorts, [string, number]> = {
  c2s: ["CALLS_C2S_PORT", 5222],
  c2sTls: ["CALLS_C2S_TLS_PORT", 5223],
  https: ["CALLS_HTTPS_PORT", 5443],
  httpLoopback: ["CALLS_HTTP_PORT", 5280],
  api: ["CALLS_API_PORT", 5281],
  stun: ["CALLS_STUN_PORT", 3478],
  turns: ["CALLS_TURNS_PORT", 5349],
  turnMin: ["CALLS_TURN_MIN_PORT", 49160],
  turnMax: ["CALLS_TURN_MAX_PORT", 49359],
};

function envPort(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new SetupError(`${name}=${raw} is not a port number`, `set ${name} to a number between 1 and 65535`);
  }
  return port;
}

/** CALLS_EXTERNAL_TURN=host:port[:tlsPort] announces a coturn instead of ejabberd's TURN. */
function externalTurnFromEnv(): EjabberdSettings["externalTurn"] {
  const raw = process.env.CALLS_EXTERNAL_TURN;
  if (!raw) return undefined;
  const match = /^([A-Za-z0-9.-]+):(\d+)(?::(\d+))?$/.exec(raw);
  if (!match) throw new SetupError(`CALLS_EXTERNAL_TURN=${raw} is not host:port[:tlsPort]`, "e.g. CALLS_EXTERNAL_TURN=127.0.0.1:3479:5350 (what npm run coturn -- start prints)");
  return { host: match[1]!, port: Number(match[2]), tlsPort: match[3] ? Number(match[3]) : undefined };
}

/** Local coturn (npm run coturn): ports beside ejabberd's, same secret and certificates. */
export function localCoturn(deployment: LocalDeployment): CoturnOptions {
  const { settings } = deployment.instance;
  return {
    dir: join(deployment.dataDir, "coturn"),
    listenIp: "127.0.0.1",
    port: envPort("CALLS_COTURN_PORT", 3479),
    tlsPort: envPort("CALLS_COTURN_TLS_PORT", 5350),
    minPort: envPort("CALLS_COTURN_MIN_PORT", 49400),
    maxPort: envPort("CALLS_COTURN_MAX_PORT", 49599),
    // The previous secret stays accepted for a day after a rotation, so relayed calls
    // that allocated with it can refresh (coturn accepts several static-auth-secrets).
    secrets: [settings.turnSecret, ...deployment.previousTurnSecrets],
    realm: settings.domain,
    certFile: deployment.certs.certFile,
    keyFile: deployment.certs.keyFile,
    allowLoopbackPeers: true,
  };
}

export interface LocalDeployment {
  dataDir: string;
  webPort: number;
  instance: InstanceOptions;
  demoPasswords: Record<string, string>;
  echoPassword: string;
  caFile: string;
  certs: { certFile: string; keyFile: string };
  /** TURN secrets replaced less than TURN_SECRET_GRACE_MS ago. */
  previousTurnSecrets: string[];
}

export const TURN_SECRET_GRACE_MS = 24 * 3600_000;

/** Reads the environment and the data folder into the local (loopback) deployment. */
export function secretsFile(dataDir: string): string {
  return join(dataDir, "secrets.json");
}

export function localDeployment(): LocalDeployment {
  const dataDir = process.env.CALLS_DATA_DIR || join(PROJECT_DIR, ".data");
  const domain = process.env.CALLS_DOMAIN || "localhost";
  const ports = Object.fromEntries(
    Object.entries(PORT_ENV).map(([key, [name, fallback]]) => [key, envPort(name, fallback)]),
  ) as unknown as ListenerPorts;
  if (ports.turnMax <= ports.turnMin) {
    throw new SetupError(`the TURN relay range ${ports.turnMin}-${ports.turnMax} is empty`, "set CALLS_TURN_MAX_PORT above CALLS_TURN_MIN_PORT");
  }
  let secrets;
  let certs;
  try {
    secrets = loadOrCreateSecrets(secretsFile(dataDir), DEMO_USERS);
    certs = ensureLocalCertificates(join(dataDir, "certs"), domain);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EROFS" || code === "ENOTDIR") {
      throw new SetupError(`the data folder ${dataDir} is not writable (${code})`, "make it writable by this user, or choose another with CALLS_DATA_DIR=/some/folder");
    }
    throw error;
  }
  const settings: EjabberdSettings = {
    profile: "local",
    domain,
    listenIp: "127.0.0.1",
    turnIpv4Address: "127.0.0.1",
    ports,
    turnSecret: secrets.turnSecret,
    credentialsLifetime: process.env.CALLS_TURN_CREDENTIALS_LIFETIME || "1h",
    registration: process.env.CALLS_REGISTRATION === "1",
    certFile: certs.serverPemFile,
    caFile: certs.caFile,
    websocketUrl: `wss://${domain}:${ports.https}/ws`,
    externalTurn: externalTurnFromEnv(),
  };
  const portNames = Object.fromEntries(Object.entries(PORT_ENV).map(([key, [name]]) => [key, name]));
  return {
    dataDir,
    webPort: envPort("CALLS_WEB_PORT", 8080),
    demoPasswords: secrets.demoPasswords,
    echoPassword: secrets.echoPassword!,
    caFile: certs.caFile,
    certs: { certFile: certs.certFile, keyFile: certs.keyFile },
    previousTurnSecrets: secrets.previousTurnSecret && Date.now() - Date.parse(secrets.previousTurnSecret.replacedAt) < TURN_SECRET_GRACE_MS
      ? [secrets.previousTurnSecret.secret] : [],
    instance: {
      dir: join(dataDir, "ejabberd"),
      settings,
      nodeName: "calls-local@localhost",
      cookie: secrets.erlangCookie,
      epmdPort: envPort("CALLS_EPMD_PORT", 4371),
      distPort: envPort("CALLS_DIST_PORT", 4372),
      portHint: (purpose) => `stop what uses it, or choose another port: ${portNames[purpose]}=<port> npm start`,
    },
  };
}

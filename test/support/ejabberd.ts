import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { ensureLocalCertificates, spkiHash } from "../../scripts/lib/certs.ts";
import { EjabberdInstance, type InstanceOptions } from "../../scripts/lib/ejabberd.ts";
import type { EjabberdSettings, ListenerPorts } from "../../scripts/lib/ejabberd-config.ts";
import { freeTcpPort, freeTcpUdpPort, freeUdpRange } from "../../scripts/lib/ports.ts";
import { PostgresInstance } from "../../scripts/lib/postgres.ts";
import { randomSecret } from "../../scripts/lib/secrets.ts";
import { PortInUseError, SetupError } from "../../scripts/lib/errors.ts";

export interface TestAccount {
  username: string;
  password: string;
  /** Bare JID. */
  jid: string;
}

export interface TestServer {
  domain: string;
  /** wss://localhost:PORT/ws — TLS with the test's own CA. */
  wsUrl: string;
  /** ws://127.0.0.1:PORT/ws — the plaintext loopback-only listener. */
  wsLoopbackUrl: string;
  httpsOrigin: string;
  caFile: string;
  caPem: string;
  /** For Chromium: --ignore-certificate-errors-spki-list=<spkiHash> trusts exactly this server key. */
  spkiHash: string;
  ports: ListenerPorts;
  turnSecret: string;
  dataDir: string;
  /** The server's PostgreSQL, when started with `db: "postgres"`. */
  postgres?: PostgresInstance;
  /** The running server (a new one after restart()). */
  readonly instance: EjabberdInstance;
  createAccount(username?: string, password?: string): Promise<TestAccount>;
  makeContacts(a: string, b: string): Promise<void>;
  /**
   * Stops the server by PID, as an operator's restart does (its clients lose their
   * sessions, which XEP-0198 cannot resume afterwards), runs `whileStopped` if given, and
   * starts it again with the same data folder, node name, ports and configuration:
   * accounts and rosters remain.
   */
  restart(whileStopped?: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  domain?: string;
  /** "production" applies the production TURN blacklist (refusing loopback clients and peers). */
  profile?: EjabberdSettings["profile"];
  /** Announce this TURN server (a coturn) through XEP-0215 instead of ejabberd's own. */
  externalTurn?: EjabberdSettings["externalTurn"];
  turnSecret?: string;
  registration?: boolean;
  credentialsLifetime?: string;
  /** The Erlang cookie (random by default). */
  cookie?: string;
  /** Client listeners expect the PROXY protocol (a balancer in front). */
  proxyProtocol?: boolean;
  /** false: client addresses appear in ejabberd's log (EjabberdSettings.hideSensitiveLogData). */
  hideSensitiveLogData?: boolean;
  /**
   * Where ejabberd keeps accounts, rosters, the archive…: its embedded Mnesia (default), or
   * a PostgreSQL of the test's own with the new SQL schema (as docker-compose deploys it).
   */
  db?: TestDb;
}

export type TestDb = "mnesia" | "postgres";

let accountCounter = 0;

/**
 * Starts a real ejabberd (Debian's, with the project's template) on free loopback
 * ports and a temporary data folder, so test runs can go on side by side.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const domain = options.domain ?? "localhost";
  const dataDir = mkdtempSync(join(tmpdir(), "calls-ejabberd-"));
  const certs = ensureLocalCertificates(join(dataDir, "certs"), domain);
  const [turnMin, turnMax] = await freeUdpRange(200);
  const ports: ListenerPorts = {
    c2s: await freeTcpPort(),
    c2sTls: await freeTcpPort(),
    https: await freeTcpPort(),
    httpLoopback: await freeTcpPort(),
    api: await freeTcpPort(),
    stun: await freeTcpUdpPort(),
    turns: await freeTcpPort(),
    turnMin,
    turnMax,
  };
  const turnSecret = options.turnSecret ?? randomSecret();
  const settings: EjabberdSettings = {
    profile: options.profile ?? "local",
    domain,
    listenIp: "127.0.0.1",
    turnIpv4Address: "127.0.0.1",
    ports,
    turnSecret,
    credentialsLifetime: options.credentialsLifetime ?? "1h",
    registration: options.registration ?? false,
    certFile: certs.serverPemFile,
    caFile: certs.caFile,
    websocketUrl: `wss://${domain}:${ports.https}/ws`,
    externalTurn: options.externalTurn,
    proxyProtocol: options.proxyProtocol,
    hideSensitiveLogData: options.hideSensitiveLogData,
  };
  let postgres: PostgresInstance | undefined;
  if (options.db === "postgres") {
    try {
      postgres = await PostgresInstance.start({ dir: join(dataDir, "postgres"), port: await freeTcpPort(), password: randomSecret(18) });
    } catch (error) {
      rmSync(dataDir, { recursive: true, force: true });
      throw error;
    }
    settings.sql = postgres.storage;
  }
  const instanceOptions: InstanceOptions = {
    dir: join(dataDir, "ejabberd"),
    settings,
    nodeName: `calls-test-${randomBytes(4).toString("hex")}@localhost`,
    cookie: options.cookie ?? randomSecret(18),
    epmdPort: await freeTcpPort(),
    distPort: await freeTcpPort(),
  };
  let instance: EjabberdInstance;
  try {
    instance = await startWithFreshErlangPorts(instanceOptions);
  } catch (error) {
    await postgres?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const caPem = readFileSync(certs.caFile, "utf8");
  const serverPem = readFileSync(certs.serverPemFile, "utf8");
  return {
    domain,
    wsUrl: settings.websocketUrl,
    wsLoopbackUrl: `ws://127.0.0.1:${ports.httpLoopback}/ws`,
    httpsOrigin: `https://${domain}:${ports.https}`,
    caFile: certs.caFile,
    caPem,
    spkiHash: spkiHash(serverPem),
    ports,
    turnSecret,
    dataDir,
    postgres,
    get instance() {
      return instance;
    },
    async createAccount(username, password) {
      const name = username ?? `user${++accountCounter}-${randomBytes(3).toString("hex")}`;
      const secret = password ?? randomSecret(12);
      await instance.register(name, secret);
      return { username: name, password: secret, jid: `${name}@${domain}` };
    },
    makeContacts: (a, b) => instance.makeContacts(a, b),
    async restart(whileStopped) {
      await instance.stop();
      try {
        await whileStopped?.();
      } finally {
        instance = await startWithFreshErlangPorts(instanceOptions);
      }
    },
    async stop() {
      try {
        await instance.stop();
      } finally {
        await postgres?.stop();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Test files start their servers side by side: another file's epmd can take the port we found
 * free (or left free while restarting) before ours binds it, and ours then exits at once. Such a
 * start is retried on fresh Erlang ports.
 */
async function startWithFreshErlangPorts(options: InstanceOptions): Promise<EjabberdInstance> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await EjabberdInstance.start(options);
    } catch (error) {
      const lostPort =
        (error instanceof PortInUseError && (error.port === options.epmdPort || error.port === options.distPort)) ||
        (error instanceof SetupError && error.message.startsWith("epmd exited at start"));
      if (!lostPort || attempt === 3) throw error;
      options.epmdPort = await freeTcpPort();
      options.distPort = await freeTcpPort();
    }
  }
}

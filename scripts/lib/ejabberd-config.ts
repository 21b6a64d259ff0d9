import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const SERVER_CONFIG_DIR = fileURLToPath(new URL("../../server-config/", import.meta.url));
export const EJABBERD_TEMPLATE = `${SERVER_CONFIG_DIR}ejabberd.yml`;
/** Erlang VM flags shared by every deployment (scheduler tuning). */
export const VM_ARGS_FILE = `${SERVER_CONFIG_DIR}erlang-vm.args`;
export const PRODUCTION_TURN_BLACKLIST_FILE = `${SERVER_CONFIG_DIR}turn-blacklist.production.txt`;

export type Profile = "local" | "production";

export interface ListenerPorts {
  c2s: number;
  c2sTls: number;
  https: number;
  /** Plain HTTP, always bound to 127.0.0.1: the same-origin /ws proxy target, nothing else. */
  httpLoopback: number;
  /** mod_http_api alone, always bound to 127.0.0.1; never behind a proxy. */
  api: number;
  /** STUN/TURN over UDP and TCP. */
  stun: number;
  /** TURN over TLS. */
  turns: number;
  turnMin: number;
  turnMax: number;
}

export interface EjabberdSettings {
  profile: Profile;
  domain: string;
  /** Address every public-facing listener binds to. */
  listenIp: string;
  /** Address TURN puts in relayed candidates (XEP-0215 hands it out too). */
  turnIpv4Address: string;
  ports: ListenerPorts;
  turnSecret: string;
  /** How long XEP-0215 TURN credentials stay valid, e.g. "1h" (ejabberd timeout syntax). */
  credentialsLifetime: string;
  /** In-band registration (XEP-0077); off unless asked for. */
  registration: boolean;
  certFile: string;
  caFile: string;
  /** Where XEP-0156 host-meta sends clients. */
  websocketUrl: string;
  /**
   * The client listeners expect the PROXY protocol (a TCP balancer in front, as in
   * docker-compose.cluster.yml); off by default.
   */
  proxyProtocol?: boolean;
  /**
   * ejabberd's hide_sensitive_log_data (default true): admin API passwords and client
   * addresses are logged as "hidden". Off only where a test must read an address in the log.
   */
  hideSensitiveLogData?: boolean;
  /**
   * TURN on other machines (coturn with the same shared secret): announced through
   * XEP-0215 instead of ejabberd's own listeners.
   */
  externalTurn?: ExternalTurn;
  /**
   * Persistent data (accounts, rosters, the archive, caps, pubsub…) in this SQL database
   * instead of Mnesia; Mnesia then keeps only what ejabberd holds in memory (sessions, routes).
   */
  sql?: SqlStorage;
}

/** A PostgreSQL database loaded with ejabberd's new schema (pg.new.sql). */
export interface SqlStorage {
  type: "pgsql";
  server: string;
  port: number;
  database: string;
  username: string;
  password: string;
}

/**
 * The top-level options that move storage to SQL. `new_sql_schema` is the schema with a
 * server_host column (one set of tables for every virtual host; ejabberd's recommended one).
 * Modules with no explicit db_type follow default_db; auth follows auth_method.
 */
export function sqlOptions(sql: SqlStorage): Record<string, unknown> {
  return {
    default_db: "sql",
    auth_method: "sql",
    new_sql_schema: true,
    sql_type: sql.type,
    sql_server: sql.server,
    sql_port: sql.port,
    sql_database: sql.database,
    sql_username: sql.username,
    sql_password: sql.password,
    sql_pool_size: 10,
  };
}

export interface ExternalTurn {
  host: string;
  /** STUN/TURN over UDP and TCP. */
  port: number;
  /** TURN over TLS, if the server offers it. */
  tlsPort?: number;
}

interface StunDiscoService {
  host: string;
  port: number;
  type: "stun" | "turn" | "turns";
  transport: "udp" | "tcp";
  restricted: boolean;
}

/**
 * What mod_stun_disco announces beyond the listeners it finds by itself. It skips
 * TLS listeners (EJABBERD.md), so ejabberd's own TURN over TLS is listed here.
 */
export function announcedServices(settings: EjabberdSettings): StunDiscoService[] {
  const external = settings.externalTurn;
  if (!external) {
    return [{ host: settings.domain, port: settings.ports.turns, type: "turns", transport: "tcp", restricted: true }];
  }
  const services: StunDiscoService[] = [
    { host: external.host, port: external.port, type: "stun", transport: "udp", restricted: false },
    { host: external.host, port: external.port, type: "turn", transport: "udp", restricted: true },
    { host: external.host, port: external.port, type: "turn", transport: "tcp", restricted: true },
  ];
  if (external.tlsPort) services.push({ host: external.host, port: external.tlsPort, type: "turns", transport: "tcp", restricted: true });
  return services;
}

/** CIDRs TURN refuses in production; the file is shared with the docker renderer. */
export function productionTurnBlacklist(): string[] {
  return readFileSync(PRODUCTION_TURN_BLACKLIST_FILE, "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

const LOOPBACK_ADDRESSES = new Set(["127.0.0.1", "::1", "localhost"]);
const LOOPBACK_RANGES = new Set(["127.0.0.0/8", "::1/128"]);

/**
 * The local profile's TURN blacklist: the production list without loopback, which is a
 * local setup's only network (ejabberd applies the list to the client's own address too,
 * so loopback clients need loopback off it). Private networks, link-local (cloud metadata
 * at 169.254.169.254) and multicast stay refused.
 */
export function localTurnBlacklist(): string[] {
  return productionTurnBlacklist().filter((cidr) => !LOOPBACK_RANGES.has(cidr));
}

/**
 * The macros the template expects. The local profile allows TURN to relay to
 * loopback (the only network a local test has) and nowhere else production refuses;
 * production refuses loopback too and must not bind a loopback-only address by mistake.
 */
export function templateMacros(settings: EjabberdSettings): Record<string, unknown> {
  if (settings.profile === "local" && !LOOPBACK_ADDRESSES.has(settings.listenIp)) {
    throw new Error(`the local profile binds loopback only, not ${settings.listenIp}: use the production profile (with TLS certificates) to listen on a network`);
  }
  const { ports } = settings;
  return {
    XMPP_DOMAIN: settings.domain,
    CERT_FILE: settings.certFile,
    CA_FILE: settings.caFile,
    LISTEN_IP: settings.listenIp,
    C2S_PORT: ports.c2s,
    C2S_TLS_PORT: ports.c2sTls,
    HTTPS_PORT: ports.https,
    HTTP_LOOPBACK_PORT: ports.httpLoopback,
    API_PORT: ports.api,
    STUN_PORT: ports.stun,
    TURNS_PORT: ports.turns,
    TURN_IPV4_ADDRESS: settings.turnIpv4Address,
    TURN_MIN_PORT: ports.turnMin,
    TURN_MAX_PORT: ports.turnMax,
    // ejabberd applies the blacklist to the client's own address too (EJABBERD.md): the
    // local profile lets loopback through, and nothing else the production list refuses.
    TURN_BLACKLIST: settings.profile === "local" ? localTurnBlacklist() : productionTurnBlacklist(),
    TURN_SECRET: settings.turnSecret,
    TURN_CREDENTIALS_LIFETIME: settings.credentialsLifetime,
    OFFER_LOCAL_TURN: settings.externalTurn === undefined,
    TURN_SERVICES: announcedServices(settings),
    REGISTER_ACCESS: settings.registration ? { allow: "all" } : { deny: "all" },
    REGISTER_RULE: settings.registration ? "register" : "none",
    WEBSOCKET_URL: settings.websocketUrl,
    USE_PROXY_PROTOCOL: settings.proxyProtocol ?? false,
    HIDE_SENSITIVE_LOG_DATA: settings.hideSensitiveLogData ?? true,
  };
}

/**
 * The instance's own ejabberd.yml: the macros, then the shared template. JSON is
 * valid YAML, so no YAML writer is needed and quoting is exact.
 */
export function renderInstanceConfig(settings: EjabberdSettings, templatePath = EJABBERD_TEMPLATE): string {
  const header = `# Generated for this instance (${settings.profile} profile); edit ${templatePath} or the settings, not this file.\n`;
  const storage = settings.sql ? sqlOptions(settings.sql) : {};
  return header + JSON.stringify({ ...storage, define_macro: templateMacros(settings), include_config_file: [templatePath] }, null, 2) + "\n";
}

/** The flags of server-config/erlang-vm.args, without its comments (compose passes them as ERL_AFLAGS). */
export function sharedVmFlags(): string[] {
  return readFileSync(VM_ARGS_FILE, "utf8").split("\n").filter((line) => !line.trim().startsWith("#")).join(" ").split(/\s+/).filter(Boolean);
}

/** The Erlang runtime's environment for every instance: collect a login's garbage at once, so idle sessions keep far less heap (EJABBERD.md). */
export const ERLANG_VM_ENV = { ERL_FULLSWEEP_AFTER: "0" } as const;

/**
 * Erlang VM arguments: the shared flags of server-config/erlang-vm.args, and distribution
 * pinned to loopback. The cookie is not here: erl
 * expands -args_file onto its command line, which every local user can read; it is in
 * the instance's .erlang.cookie (erlang-cookie.ts).
 */
export function renderVmArgs(distPort: number): string {
  return [
    readFileSync(VM_ARGS_FILE, "utf8").trimEnd(),
    `-kernel inet_dist_use_interface {127,0,0,1} inet_dist_listen_min ${distPort} inet_dist_listen_max ${distPort}`,
    // ejabberd's quiet mode: the console (erlang.out here) gets critical messages only, the log
    // files everything; otherwise every line is formatted and written twice (≈ 3 per sign-in).
    "-ejabberd quiet true",
    "",
  ].join("\n");
}

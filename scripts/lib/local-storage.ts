import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { InstanceOptions } from "./ejabberd.ts";
import { SetupError } from "./errors.ts";
import type { LocalDeployment } from "./local-settings.ts";
import { PostgresInstance } from "./postgres.ts";
import { randomSecret } from "./secrets.ts";

/**
 * CALLS_DB picks the local storage: `mnesia` (default, embedded in ejabberd) or
 * `postgres` (Debian's PostgreSQL, run by the scripts from .data/postgres on loopback,
 * as production runs it in docker-compose.yml).
 */
export type LocalDb = "mnesia" | "postgres";

export function localDb(): LocalDb {
  const raw = process.env.CALLS_DB || "mnesia";
  if (raw !== "mnesia" && raw !== "postgres") throw new SetupError(`CALLS_DB=${raw} is not a storage this project runs`, "use CALLS_DB=postgres, or leave it unset for Mnesia");
  return raw;
}

function postgresDir(deployment: LocalDeployment): string {
  return join(deployment.dataDir, "postgres");
}

/** The database role's password: made once, kept beside the data (mode 0600). */
function postgresPassword(deployment: LocalDeployment): string {
  const file = join(deployment.dataDir, "postgres-password");
  if (!existsSync(file)) {
    mkdirSync(deployment.dataDir, { recursive: true });
    writeFileSync(file, randomSecret(18) + "\n", { mode: 0o600 });
  }
  return readFileSync(file, "utf8").trim();
}

export interface LocalStorage {
  /** The ejabberd instance options, with SQL storage when CALLS_DB=postgres. */
  instance: InstanceOptions;
  /** The PostgreSQL this call started (undefined when it ran already, or for Mnesia). */
  startedPostgres?: PostgresInstance;
}

/** Starts (or finds running) what CALLS_DB asks for, before ejabberd starts. */
export async function prepareLocalStorage(deployment: LocalDeployment, detached: boolean): Promise<LocalStorage> {
  if (localDb() === "mnesia") return { instance: deployment.instance };
  const dir = postgresDir(deployment);
  const password = postgresPassword(deployment);
  let postgres = PostgresInstance.attach(dir, password);
  let startedPostgres: PostgresInstance | undefined;
  if (!postgres) {
    const port = Number(process.env.CALLS_PG_PORT || 5433);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new SetupError(`CALLS_PG_PORT=${process.env.CALLS_PG_PORT} is not a port number`, "set it between 1 and 65535");
    postgres = startedPostgres = await PostgresInstance.start({ dir, port, password, detached });
  }
  const instance = { ...deployment.instance, settings: { ...deployment.instance.settings, sql: postgres.storage } };
  return { instance, startedPostgres };
}

/** The local PostgreSQL, if one runs from this data folder. */
export function runningLocalPostgres(deployment: LocalDeployment): PostgresInstance | undefined {
  const dir = postgresDir(deployment);
  return existsSync(dir) ? PostgresInstance.attach(dir, postgresPassword(deployment)) : undefined;
}

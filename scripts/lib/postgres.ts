import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { SqlStorage } from "./ejabberd-config.ts";
import { SetupError } from "./errors.ts";
import { tcpPortIsFree } from "./ports.ts";
import { processIsAlive, terminate } from "./processes.ts";

/**
 * A PostgreSQL instance of the project's own (Debian's postgresql binaries, not the
 * system cluster): data under its folder, listening on 127.0.0.1 only, with ejabberd's
 * new SQL schema loaded once. Stopped by PID, like ejabberd.
 */

/** ejabberd's schema for `new_sql_schema: true` (one table set shared by every host). */
export const EJABBERD_PG_SCHEMA = process.env.EJABBERD_PG_SCHEMA || "/usr/share/ejabberd/sql/pg.new.sql";
const DATABASE = "ejabberd";
const USER = "ejabberd";

export interface PostgresOptions {
  /** The instance's folder: data/ (the cluster), run/, postgres.log. */
  dir: string;
  port: number;
  /** The ejabberd role's password (scram-sha-256 over TCP; no trust anywhere). */
  password: string;
  detached?: boolean;
}

interface RunRecord {
  pid: number;
  port: number;
}

/** The newest Debian postgresql's bin folder, e.g. /usr/lib/postgresql/15/bin. */
export function postgresBinDir(): string | undefined {
  if (process.env.CALLS_PG_BIN) return process.env.CALLS_PG_BIN;
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "postgres"))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], "bin") : undefined;
}

/** PostgreSQL refuses to run as root: as root the server runs as the `postgres` system user. */
function serverIdentity(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("postgres:"));
  if (!line) throw new SetupError("running as root, but there is no 'postgres' user to run PostgreSQL as", "install Debian's postgresql package (it creates the user)");
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

export class PostgresError extends Error {
  override name = "PostgresError";
}

export class PostgresInstance {
  private constructor(readonly dir: string, readonly port: number, readonly pid: number, readonly storage: SqlStorage) {}

  static runFile(dir: string): string {
    return join(dir, "run", "postgres.json");
  }

  /** The instance recorded in dir, if its server is still alive. */
  static attach(dir: string, password: string): PostgresInstance | undefined {
    const file = PostgresInstance.runFile(dir);
    if (!existsSync(file)) return undefined;
    const run = JSON.parse(readFileSync(file, "utf8")) as RunRecord;
    if (!processIsAlive(run.pid)) {
      rmSync(file, { force: true });
      return undefined;
    }
    return new PostgresInstance(dir, run.port, run.pid, storageFor(run.port, password));
  }

  static async start(options: PostgresOptions): Promise<PostgresInstance> {
    const bin = postgresBinDir();
    if (!bin) {
      throw new SetupError("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/postgres)", "run: apt-get install -y postgresql erlang-p1-pgsql   (or unset CALLS_DB)");
    }
    if (!existsSync("/usr/lib/erlang/lib") || !readdirSync("/usr/lib/erlang/lib").some((n) => n.startsWith("p1_pgsql"))) {
      throw new SetupError("ejabberd's PostgreSQL driver is not installed (Debian's ejabberd leaves it out)", "run: apt-get install -y erlang-p1-pgsql");
    }
    if (!existsSync(EJABBERD_PG_SCHEMA)) throw new SetupError(`ejabberd's SQL schema ${EJABBERD_PG_SCHEMA} is missing`, "install Debian's ejabberd package, or set EJABBERD_PG_SCHEMA");
    const { dir, port } = options;
    if (PostgresInstance.attach(dir, options.password)) throw new SetupError(`PostgreSQL is already running from ${dir}`, "stop it first");
    if (!(await tcpPortIsFree(port))) throw new SetupError(`port ${port} (PostgreSQL) is in use on 127.0.0.1`, "stop what uses it, or choose another with CALLS_PG_PORT");

    const identity = serverIdentity();
    const data = join(dir, "data");
    for (const sub of ["run", "socket"]) mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
    if (identity) {
      // The postgres user must reach its folder: the parent gets traversal (x) added, no read.
      const parent = dirname(dir);
      chmodSync(parent, (statSync(parent).mode & 0o777) | 0o111);
      chownSync(dir, identity.uid, identity.gid);
      for (const sub of ["run", "socket"]) chownSync(join(dir, sub), identity.uid, identity.gid);
    }
    const fresh = !existsSync(join(data, "PG_VERSION"));
    if (fresh) initdb(bin, data, options.password, identity);

    const log = openSync(join(dir, "postgres.log"), "a");
    if (identity) chownSync(join(dir, "postgres.log"), identity.uid, identity.gid);
    // -c options override postgresql.conf: loopback TCP only, the socket in our folder.
    const server: ChildProcess = spawn(join(bin, "postgres"), [
      "-D", data, "-p", String(port), "-c", "listen_addresses=127.0.0.1",
      "-c", `unix_socket_directories=${join(dir, "socket")}`, "-c", "max_connections=200",
      // Call set-ups write the archive: commit asynchronously (a crash may lose the last
      // few hundred milliseconds of history, never corrupt it).
      "-c", "synchronous_commit=off",
    ], { stdio: ["ignore", log, log], detached: options.detached ?? false, ...identity });
    closeSync(log);
    if (options.detached) server.unref();
    const instance = new PostgresInstance(dir, port, server.pid!, storageFor(port, options.password));
    try {
      await instance.waitUntilReady(bin, server, 30_000);
      if (fresh) instance.loadSchema(bin);
    } catch (error) {
      await terminate(server.pid!, 5000);
      throw error;
    }
    writeFileSync(PostgresInstance.runFile(dir), JSON.stringify({ pid: server.pid!, port } satisfies RunRecord) + "\n");
    return instance;
  }

  private async waitUntilReady(bin: string, server: ChildProcess, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (server.exitCode !== null) throw new SetupError(`PostgreSQL exited at start (code ${server.exitCode})`, `see ${join(this.dir, "postgres.log")}`);
      const ready = spawnSync(join(bin, "pg_isready"), ["-h", "127.0.0.1", "-p", String(this.port), "-q"]);
      if (ready.status === 0) return;
      await sleep(100);
    }
    throw new SetupError(`PostgreSQL did not become ready within ${timeoutMs / 1000} s`, `see ${join(this.dir, "postgres.log")}`);
  }

  /** Runs SQL as the ejabberd role over loopback TCP. */
  psql(bin: string, args: string[], database = DATABASE): string {
    const result = spawnSync(join(bin, "psql"), ["-h", "127.0.0.1", "-p", String(this.port), "-U", USER, "-d", database, "-v", "ON_ERROR_STOP=1", "-qAt", ...args], {
      env: { ...process.env, PGPASSWORD: this.storage.password }, encoding: "utf8",
    });
    if (result.status !== 0) throw new PostgresError(`psql ${args.join(" ")} failed: ${result.stderr.trim()}`);
    return result.stdout;
  }

  /** A query's rows, for tests and diagnostics. */
  query(sql: string): string[] {
    const bin = postgresBinDir()!;
    return this.psql(bin, ["-c", sql]).split("\n").filter((line) => line !== "");
  }

  private loadSchema(bin: string): void {
    this.psql(bin, ["-c", `CREATE DATABASE ${DATABASE}`], "postgres");
    this.psql(bin, ["-f", EJABBERD_PG_SCHEMA]);
  }

  /** Fast shutdown (SIGINT): open connections are closed, nothing committed is lost. */
  async stop(): Promise<void> {
    if (processIsAlive(this.pid)) {
      try { process.kill(this.pid, "SIGINT"); } catch { /* gone */ }
      await terminate(this.pid, 10_000);
    }
    rmSync(PostgresInstance.runFile(this.dir), { force: true });
  }
}

/** --no-sync: a machine crash during the first start means deleting data/ and starting again. */
function initdb(bin: string, data: string, password: string, identity: { uid: number; gid: number } | undefined): void {
  const pwfile = join(dirname(data), "run", "initdb.pw");
  writeFileSync(pwfile, password + "\n", { mode: 0o600 });
  if (identity) chownSync(pwfile, identity.uid, identity.gid);
  try {
    const result = spawnSync(join(bin, "initdb"), [
      "-D", data, "-U", USER, `--pwfile=${pwfile}`, "--auth-host=scram-sha-256", "--auth-local=scram-sha-256",
      "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions", "--no-sync",
    ], { encoding: "utf8", ...identity });
    if (result.status !== 0) throw new SetupError(`initdb failed: ${(result.stderr || result.stdout).trim().split("\n").slice(-3).join(" ")}`, `remove ${data} and try again`);
  } finally {
    rmSync(pwfile, { force: true });
  }
}

function storageFor(port: number, password: string): SqlStorage {
  return { type: "pgsql", server: "127.0.0.1", port, database: DATABASE, username: USER, password };
}

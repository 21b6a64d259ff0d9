import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PROJECT_DIR } from "../../../scripts/lib/local-settings.ts";
import { ERLANG_VM_ENV, productionTurnBlacklist, sharedVmFlags, templateMacros, type EjabberdSettings } from "../../../scripts/lib/ejabberd-config.ts";
import { bindMounts, dockerComposeInstalled, readCompose, type ComposeService } from "../../support/compose.ts";

const compose = readCompose("docker-compose.yml");

describe("docker-compose.yml (production-style deployment)", () => {
  it("runs ejabberd from the official image with the project's template mounted", () => {
    const ejabberd = compose.services.ejabberd!;
    expect(ejabberd.image).toMatch(/^ghcr\.io\/processone\/ejabberd:/);
    expect(bindMounts(ejabberd)).toContainEqual({ source: "./server-config/ejabberd.yml", target: "/opt/ejabberd/conf/calls.yml" });
    expect(ejabberd.depends_on?.["ejabberd-config"]?.condition).toBe("service_completed_successfully");
  });

  it("runs ejabberd's Erlang VM with the flags and runtime environment of the local instances (the image's erl never reads erlang-vm.args)", () => {
    const environment = compose.services.ejabberd!.environment!;
    expect(sharedVmFlags()).toContain("+sbwt");
    expect(environment.ERL_AFLAGS?.split(" ")).toEqual(sharedVmFlags());
    expect(environment).toMatchObject(ERLANG_VM_ENV);
  });

  it("publishes XMPP, WebSocket, STUN/TURN and the whole relay range", () => {
    const ports = compose.services.ejabberd!.ports!;
    for (const port of ["5222:5222", "5223:5223", "5443:5443", "3478:3478/udp", "3478:3478/tcp", "5349:5349", "49160-49359:49160-49359/udp"]) {
      expect(ports).toContain(port);
    }
    expect(compose.services.web!.ports).toContain("443:443");
  });

  it("keeps data, logs, configuration and certificates in volumes", () => {
    const volumes = compose.services.ejabberd!.volumes!;
    expect(volumes).toContain("ejabberd-database:/opt/ejabberd/database");
    expect(volumes).toContain("ejabberd-logs:/opt/ejabberd/logs");
    expect(volumes).toContain("ejabberd-conf:/opt/ejabberd/conf");
    expect(volumes).toContain("certificates:/opt/ejabberd/certs:ro");
    for (const name of ["ejabberd-database", "ejabberd-logs", "ejabberd-conf", "certificates", "web-app"]) {
      expect(compose.volumes).toHaveProperty(name);
    }
  });

  it("stores ejabberd's data in PostgreSQL (official image, pinned major) loaded with ejabberd's new schema", () => {
    const postgres = compose.services.postgres!;
    expect(postgres.image).toMatch(/^postgres:\d+$/);
    expect(bindMounts(postgres)).toContainEqual({ source: "./server-config/postgres/pg.new.sql", target: "/docker-entrypoint-initdb.d/ejabberd.sql" });
    expect(postgres.ports).toBeUndefined();
    expect(compose.services.ejabberd!.depends_on?.postgres?.condition).toBe("service_healthy");
    expect(compose.services["ejabberd-config"]!.environment?.SQL_SERVER).toBe("postgres");
    expect(compose.volumes).toHaveProperty("postgres-data");
  });

  it("ships ejabberd 23.01's own new PostgreSQL schema, unchanged", () => {
    const debian = "/usr/share/ejabberd/sql/pg.new.sql";
    if (!existsSync(debian)) return;
    const shipped = readFileSync(join(PROJECT_DIR, "server-config/postgres/pg.new.sql"), "utf8").split("\n").filter((l) => !l.startsWith("-- Provenance") && !l.startsWith("-- unchanged from") && !l.startsWith("-- The postgres image")).join("\n");
    expect(shipped).toBe(readFileSync(debian, "utf8"));
  });

  it("serves the built web client", () => {
    expect(compose.services["web-build"]!.volumes).toContain("web-app:/web");
    expect(compose.services.web!.volumes).toContain("web-app:/usr/share/nginx/html:ro");
    expect(compose.services.web!.depends_on?.["web-build"]?.condition).toBe("service_completed_successfully");
  });

  it("runs the echo test-call service on the host network after a job that creates its account through ejabberd's loopback API", () => {
    const job = compose.services["echo-account"]! as ComposeService & { network_mode?: string };
    const echo = compose.services.echo! as ComposeService & { network_mode?: string; command?: string[] };
    expect(job.network_mode).toBe("service:ejabberd");
    expect(bindMounts(job)).toContainEqual({ source: "./server-config/docker/echo-account.sh", target: "/opt/calls/echo-account.sh" });
    expect(echo.network_mode).toBe("host");
    expect(echo.ports).toBeUndefined();
    expect(echo.depends_on?.["echo-account"]?.condition).toBe("service_completed_successfully");
    expect(echo.command?.join(" ")).toContain("services/echo/main.ts");
    // The password is shared through a volume (written by the job, read-only for the service), never the environment.
    expect(job.volumes).toContain("echo-secret:/opt/calls/echo");
    expect(echo.volumes).toContain("echo-secret:/run/echo:ro");
    expect(echo.environment?.ECHO_PASSWORD_FILE).toBe("/run/echo/password");
    expect(echo.environment).not.toHaveProperty("ECHO_PASSWORD");
  });

  it("mounts only paths that exist in the repository", () => {
    const sources = Object.values(compose.services).flatMap(bindMounts).map((m) => m.source);
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) expect(existsSync(resolve(PROJECT_DIR, source)), source).toBe(true);
  });

  it("passes docker-compose's own validation when docker-compose is installed", () => {
    if (!dockerComposeInstalled()) return;
    const result = spawnSync("docker-compose", ["-p", "calls", "-f", "docker-compose.yml", "config", "--quiet"], {
      cwd: PROJECT_DIR, encoding: "utf8", env: { ...process.env, XMPP_DOMAIN: "example.org", PUBLIC_IPV4: "203.0.113.10", POSTGRES_PASSWORD: "password-for-the-test" },
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  }, 30_000); // docker-compose is a Python program: its start-up alone can take seconds on a busy machine
});

describe("render-config.sh (the production ejabberd.yml)", () => {
  function render(env: Record<string, string>, confDir: string): { status: number | null; stderr: string } {
    const result = spawnSync("sh", [join(PROJECT_DIR, "server-config/docker/render-config.sh")], {
      encoding: "utf8",
      env: {
        PATH: process.env.PATH!, CONF_DIR: confDir, TEMPLATE: join(PROJECT_DIR, "server-config/ejabberd.yml"),
        BLACKLIST_FILE: join(PROJECT_DIR, "server-config/turn-blacklist.production.txt"), ...env,
      },
    });
    return { status: result.status, stderr: result.stderr };
  }

  it("renders SQL storage (default_db sql, new schema) only when SQL_SERVER is set", () => {
    const dir = mkdtempSync(join(tmpdir(), "calls-render-sql-"));
    try {
      expect(render({ XMPP_DOMAIN: "example.org", PUBLIC_IPV4: "203.0.113.10" }, dir).status).toBe(0);
      expect(parse(readFileSync(join(dir, "ejabberd.yml"), "utf8"))).not.toHaveProperty("default_db");
      expect(render({ XMPP_DOMAIN: "example.org", PUBLIC_IPV4: "203.0.113.10", SQL_SERVER: "postgres", SQL_PASSWORD: "pw" }, dir).status).toBe(0);
      const config = parse(readFileSync(join(dir, "ejabberd.yml"), "utf8")) as Record<string, unknown>;
      expect(config).toMatchObject({ default_db: "sql", auth_method: "sql", new_sql_schema: true, sql_type: "pgsql", sql_server: "postgres", sql_password: "pw" });
      expect(render({ XMPP_DOMAIN: "example.org", PUBLIC_IPV4: "203.0.113.10", SQL_SERVER: "postgres", SQL_PASSWORD: 'a"b' }, dir).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes macros with the production TURN blacklist and a secret made once", () => {
    const dir = mkdtempSync(join(tmpdir(), "calls-render-"));
    try {
      expect(render({ XMPP_DOMAIN: "example.org", PUBLIC_IPV4: "203.0.113.10" }, dir).status).toBe(0);
      const config = parse(readFileSync(join(dir, "ejabberd.yml"), "utf8")) as { define_macro: Record<string, unknown> };
      const macros = config.define_macro;
      expect(macros.XMPP_DOMAIN).toBe("example.org");
      expect(macros.LISTEN_IP).toBe("::");
      expect(macros.TURN_IPV4_ADDRESS).toBe("203.0.113.10");
      expect(macros.TURN_BLACKLIST).toEqual(productionTurnBlacklist());
      expect(macros.TURN_BLACKLIST).toEqual(expect.arrayContaining(["127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "fc00::/7", "fe80::/10", "224.0.0.0/4", "::1/128"]));
      expect(macros.REGISTER_ACCESS).toEqual({ deny: "all" });
      const secret = String(macros.TURN_SECRET);
      expect(secret).toMatch(/^[0-9a-f]{64}$/);
      expect(render({ XMPP_DOMAIN: "example.org", PUBLIC_IPV4: "203.0.113.10" }, dir).status).toBe(0);
      const again = parse(readFileSync(join(dir, "ejabberd.yml"), "utf8")) as { define_macro: Record<string, unknown> };
      expect(again.define_macro.TURN_SECRET).toBe(secret);
      expect(readFileSync(join(dir, "turn-secret"), "utf8")).toBe(secret);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("defines every macro the template takes, as the local renderer does: no listener or rule left undefined", () => {
    const dir = mkdtempSync(join(tmpdir(), "calls-render-"));
    try {
      expect(render({ XMPP_DOMAIN: "example.org", PUBLIC_IPV4: "203.0.113.10" }, dir).status).toBe(0);
      const macros = (parse(readFileSync(join(dir, "ejabberd.yml"), "utf8")) as { define_macro: Record<string, unknown> }).define_macro;
      const settings = {
        profile: "production", domain: "example.org", listenIp: "::", turnIpv4Address: "203.0.113.10",
        ports: { c2s: 1, c2sTls: 2, https: 3, httpLoopback: 4, api: 9, stun: 5, turns: 6, turnMin: 7, turnMax: 8 },
        turnSecret: "s", credentialsLifetime: "1h", registration: false, certFile: "c", caFile: "a", websocketUrl: "wss://example.org/ws",
      } satisfies EjabberdSettings;
      expect(Object.keys(macros).sort()).toEqual(Object.keys(templateMacros(settings)).sort());
      // Registration off: the rule that makes ejabberd advertise no iq-register feature.
      expect(macros.REGISTER_RULE).toBe("none");
      expect(macros.USE_PROXY_PROTOCOL).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("turns the PROXY protocol on for a balanced cluster only when asked, and refuses anything but true or false", () => {
    const dir = mkdtempSync(join(tmpdir(), "calls-render-"));
    try {
      expect(render({ XMPP_DOMAIN: "example.org", PUBLIC_IPV4: "203.0.113.10", PROXY_PROTOCOL: "true" }, dir).status).toBe(0);
      expect((parse(readFileSync(join(dir, "ejabberd.yml"), "utf8")) as { define_macro: Record<string, unknown> }).define_macro.USE_PROXY_PROTOCOL).toBe(true);
      expect(render({ XMPP_DOMAIN: "example.org", PUBLIC_IPV4: "203.0.113.10", PROXY_PROTOCOL: "yes; rm" }, dir).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("announces ejabberd's TURN over TLS by default, and a coturn instead when EXTERNAL_TURN_HOST is set", () => {
    const dir = mkdtempSync(join(tmpdir(), "calls-render-"));
    try {
      const macros = (env: Record<string, string>) => {
        expect(render({ XMPP_DOMAIN: "example.org", PUBLIC_IPV4: "203.0.113.10", ...env }, dir).status).toBe(0);
        return (parse(readFileSync(join(dir, "ejabberd.yml"), "utf8")) as { define_macro: Record<string, unknown> }).define_macro;
      };
      const own = macros({});
      expect(own.OFFER_LOCAL_TURN).toBe(true);
      expect(own.TURN_SERVICES).toEqual([{ host: "example.org", port: 5349, type: "turns", transport: "tcp", restricted: true }]);
      const coturn = macros({ EXTERNAL_TURN_HOST: "turn.example.org" });
      expect(coturn.OFFER_LOCAL_TURN).toBe(false);
      expect(coturn.TURN_SERVICES).toEqual([
        { host: "turn.example.org", port: 3478, type: "stun", transport: "udp", restricted: false },
        { host: "turn.example.org", port: 3478, type: "turn", transport: "udp", restricted: true },
        { host: "turn.example.org", port: 3478, type: "turn", transport: "tcp", restricted: true },
        { host: "turn.example.org", port: 5349, type: "turns", transport: "tcp", restricted: true },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses to render without a domain or with a malformed address", () => {
    const dir = mkdtempSync(join(tmpdir(), "calls-render-"));
    try {
      const noDomain = render({ PUBLIC_IPV4: "203.0.113.10" }, dir);
      expect(noDomain.status).not.toBe(0);
      expect(noDomain.stderr).toContain("XMPP_DOMAIN");
      const badIp = render({ XMPP_DOMAIN: "example.org", PUBLIC_IPV4: "203.0.113.10; rm -rf /" }, dir);
      expect(badIp.status).not.toBe(0);
      expect(existsSync(join(dir, "ejabberd.yml"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

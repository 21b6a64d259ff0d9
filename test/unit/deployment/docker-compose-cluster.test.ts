import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ERLANG_VM_ENV, sharedVmFlags } from "../../../scripts/lib/ejabberd-config.ts";
import { PROJECT_DIR } from "../../../scripts/lib/local-settings.ts";
import { bindMounts, dockerComposeInstalled, readCompose, type ComposeService } from "../../support/compose.ts";

const FILE = "docker-compose.cluster.yml";
const compose = readCompose(FILE);
const haproxy = readFileSync(join(PROJECT_DIR, "server-config/docker/haproxy-cluster.cfg"), "utf8");
const nodeNames = Object.keys(compose.services).filter((name) => /^ejabberd-\d+$/.test(name)).sort();
const nodes = nodeNames.map((name) => ({ name, service: compose.services[name]!, config: compose.services[`${name}-config`] }));
const seed = nodes[0]!;

/** "49160-49359:49160-49359/udp" → [49160, 49359] (host side), checking the mapping is 1:1. */
function relayRange(service: ComposeService): [number, number] {
  const spec = service.ports!.find((p) => /^\d+-\d+:\d+-\d+\/udp$/.test(p))!;
  const [host, container] = spec.replace("/udp", "").split(":");
  expect(host).toBe(container);
  const [min, max] = host!.split("-").map(Number);
  return [min!, max!];
}

function validate(env: Record<string, string>) {
  return spawnSync("docker-compose", ["-p", "calls-cluster", "-f", FILE, "config", "--quiet"], {
    cwd: PROJECT_DIR, encoding: "utf8", env: { PATH: process.env.PATH!, ...env },
  });
}

const FULL_ENV = { XMPP_DOMAIN: "example.org", PUBLIC_IPV4: "203.0.113.10", ERLANG_COOKIE: "cookie-for-the-test", TURN_SECRET: "secret-for-the-test", POSTGRES_PASSWORD: "password-for-the-test" };

describe("docker-compose.cluster.yml (ejabberd cluster behind a load balancer)", () => {
  it("runs at least two ejabberd nodes from the official image, each with its own node name, host name, database and rendered config", () => {
    expect(nodes.length).toBeGreaterThanOrEqual(2);
    for (const { name, service, config } of nodes) {
      expect(service.image).toMatch(/^ghcr\.io\/processone\/ejabberd:/);
      expect(service.hostname).toBe(name);
      expect(service.environment?.ERLANG_NODE_ARG).toBe(`ejabberd@${name}`);
      expect(service.volumes).toContain(`${name}-database:/opt/ejabberd/database`);
      expect(service.volumes).toContain(`${name}-conf:/opt/ejabberd/conf`);
      expect(service.volumes).toContain("./server-config/ejabberd.yml:/opt/ejabberd/conf/calls.yml:ro");
      expect(config?.volumes).toContain(`${name}-conf:/opt/ejabberd/conf`);
      expect(service.depends_on?.[`${name}-config`]?.condition).toBe("service_completed_successfully");
      for (const volume of [`${name}-database`, `${name}-conf`, `${name}-logs`]) expect(compose.volumes).toHaveProperty(volume);
    }
  });

  it("runs every node's Erlang VM with the flags and runtime environment of the local instances", () => {
    for (const { service } of nodes) {
      expect(service.environment?.ERL_AFLAGS?.split(" ")).toEqual(sharedVmFlags());
      expect(service.environment).toMatchObject(ERLANG_VM_ENV);
    }
  });

  it("stores every node's data in one shared PostgreSQL, started healthy before the nodes", () => {
    expect(compose.services.postgres!.image).toMatch(/^postgres:\d+$/);
    for (const { service, config } of nodes) {
      expect(service.depends_on?.postgres?.condition).toBe("service_healthy");
      expect(config?.environment?.SQL_SERVER).toBe("postgres");
      expect(config?.environment?.SQL_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
    }
  });

  it("gives every node the same Erlang cookie and every node's config the same TURN secret, both required", () => {
    const cookies = new Set(nodes.map((n) => n.service.environment?.ERLANG_COOKIE));
    expect(cookies.size).toBe(1);
    expect([...cookies][0]).toMatch(/^\$\{ERLANG_COOKIE:\?/);
    const secrets = new Set(nodes.map((n) => n.config?.environment?.TURN_SECRET));
    expect(secrets.size).toBe(1);
    expect([...secrets][0]).toMatch(/^\$\{TURN_SECRET:\?/);
  });

  it("joins every other node to the seed node once, when its database is created, after the seed is healthy", () => {
    expect(seed.service.environment?.CTL_ON_CREATE).toBeUndefined();
    for (const { service } of nodes.slice(1)) {
      expect(service.environment?.CTL_ON_CREATE).toBe(`join_cluster ${seed.service.environment?.ERLANG_NODE_ARG}`);
      expect(service.depends_on?.[seed.name]?.condition).toBe("service_healthy");
    }
  });

  it("publishes each node's STUN/TURN ports and a disjoint relay range 1:1, matching what that node's config announces", () => {
    const ranges = nodes.map(({ service, config }) => {
      const env = config!.environment!;
      const [min, max] = relayRange(service);
      expect([String(min), String(max)]).toEqual([env.TURN_MIN_PORT, env.TURN_MAX_PORT]);
      expect(service.ports).toEqual(expect.arrayContaining([`${env.STUN_PORT}:${env.STUN_PORT}/udp`, `${env.STUN_PORT}:${env.STUN_PORT}/tcp`, `${env.TURNS_PORT}:${env.TURNS_PORT}`]));
      return [min, max] as const;
    });
    const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]![0]).toBeGreaterThan(sorted[i - 1]![1]);
  });

  it("sends clients through one balancer that lists every node for WebSocket and both c2s ports; nodes publish no client port themselves", () => {
    const balancer = compose.services.balancer!;
    expect(balancer.ports).toEqual(expect.arrayContaining(["5222:5222", "5223:5223", "5443:5443"]));
    expect(balancer.volumes).toContain("./server-config/docker/haproxy-cluster.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro");
    for (const port of [5443, 5222, 5223]) {
      expect(haproxy).toContain(`bind :${port}`);
      for (const { name } of nodes) expect(haproxy).toContain(`server ${name} ${name}:${port}`);
    }
    for (const { service } of nodes) {
      expect(service.ports!.some((p) => /^(5222|5223|5443):/.test(p))).toBe(false);
    }
  });

  it("has the balancer send the PROXY protocol and every node expect it, with short idle timeouts and per-source limits", () => {
    expect(haproxy).toMatch(/^\s*default-server .*\bsend-proxy-v2\b/m);
    for (const { config } of nodes) expect(config!.environment!.PROXY_PROTOCOL).toBe("true");
    for (const side of ["client", "server"]) {
      const [, value, unit] = new RegExp(`^\\s*timeout ${side} (\\d+)(s|m)$`, "m").exec(haproxy)!;
      expect(Number(value) * (unit === "m" ? 60 : 1), side).toBeLessThanOrEqual(300);
    }
    for (const frontend of haproxy.split(/^frontend /m).slice(1)) {
      expect(frontend).toMatch(/tcp-request connection track-sc0 src/);
      expect(frontend).toMatch(/tcp-request connection reject if/);
    }
  });

  it("mounts only paths that exist in the repository", () => {
    const sources = Object.values(compose.services).flatMap(bindMounts).map((m) => m.source);
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) expect(existsSync(resolve(PROJECT_DIR, source)), source).toBe(true);
  });

  it("passes docker-compose's own validation, and refuses to start without the cookie or the TURN secret", () => {
    if (!dockerComposeInstalled()) return;
    const ok = validate(FULL_ENV);
    expect(ok.stderr).toBe("");
    expect(ok.status).toBe(0);
    for (const missing of ["ERLANG_COOKIE", "TURN_SECRET"]) {
      const env: Record<string, string> = { ...FULL_ENV };
      delete env[missing];
      const refused = validate(env);
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toContain(missing);
    }
  }, 30_000);
});

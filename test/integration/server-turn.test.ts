import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "@xmpp/client";
import { allocate, stunBinding, TurnError, type StunTransport } from "../../scripts/lib/turn-client.ts";
import { startTestServer, type TestServer } from "../support/ejabberd.ts";
import { connectTestClient } from "../support/xmpp.ts";
import type { ExternalService } from "../../client/src/xmpp/extdisco.ts";
import { ejabberdTurnCredentials, extdiscoServices } from "../support/turn.ts";

describe("ejabberd's TURN with XEP-0215 credentials (local profile)", () => {
  let server: TestServer;
  let xmpp: Client;
  let services: ExternalService[];

  beforeAll(async () => {
    server = await startTestServer();
    const account = await server.createAccount();
    xmpp = await connectTestClient(server, account);
    services = await extdiscoServices(xmpp, server.domain);
  });
  afterAll(async () => {
    await xmpp?.stop().catch(() => undefined);
    await server?.stop();
  });

  function endpoint(transport: StunTransport): { host: string; port: number; transport: StunTransport; ca: string; servername: string } {
    const type = transport === "tls" ? "turns" : "turn";
    const service = services.find((s) => s.type === type && (s.transport ?? "udp") === (transport === "udp" ? "udp" : "tcp"))!;
    expect(service, `${type}/${transport} announced`).toBeDefined();
    // turns is announced by name (the certificate's); connect to the loopback address it resolves to.
    return { host: "127.0.0.1", port: service.port!, transport, ca: server.caPem, servername: service.host };
  }

  it("announces TURN over UDP, TCP and TLS with the same short-lived credentials", () => {
    const turn = services.filter((s) => s.type === "turn" || s.type === "turns");
    expect(turn.map((s) => `${s.type}/${s.transport}`).sort()).toEqual(["turn/tcp", "turn/udp", "turns/tcp"]);
    const turns = turn.find((s) => s.type === "turns")!;
    expect(turns.host).toBe(server.domain);
    expect(turns.port).toBe(server.ports.turns);
    for (const service of turn) expect(service.expires!).toBeGreaterThan(Date.now());
  });

  it.each(["udp", "tcp", "tls"] as const)("allocates a relay over %s with the credentials XEP-0215 handed out", async (transport) => {
    const turn = services.find((s) => s.type === "turn")!;
    const allocation = await allocate({ ...endpoint(transport), username: turn.username!, password: turn.password! });
    try {
      expect(allocation.relayed.address).toBe("127.0.0.1");
      expect(allocation.relayed.port).toBeGreaterThanOrEqual(server.ports.turnMin);
      expect(allocation.relayed.port).toBeLessThanOrEqual(server.ports.turnMax);
      expect(allocation.mapped.address).toBe("127.0.0.1");
      // The local profile relays to loopback: the only network a local test has.
      await allocation.createPermission({ address: "127.0.0.1", port: 9 });
    } finally {
      await allocation.close();
    }
  });

  it("answers STUN binding over UDP, TCP and TLS", async () => {
    for (const transport of ["udp", "tcp", "tls"] as const) {
      const mapped = await stunBinding(endpoint(transport));
      expect(mapped.address).toBe("127.0.0.1");
    }
  });

  it("refuses expired credentials even when correctly signed", async () => {
    const expired = ejabberdTurnCredentials(server.turnSecret, server.domain, new Date(Date.now() - 60_000));
    const error = await allocate({ ...endpoint("udp"), ...expired }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TurnError);
    expect((error as TurnError).code).toBe(401);
  });

  it("accepts credentials signed with the shared secret (what coturn shares)", async () => {
    const fresh = ejabberdTurnCredentials(server.turnSecret, server.domain, new Date(Date.now() + 600_000));
    const allocation = await allocate({ ...endpoint("udp"), ...fresh });
    await allocation.close();
  });

  it("refuses forged credentials: another secret, or a tampered expiry", async () => {
    const otherSecret = ejabberdTurnCredentials("not-the-secret", server.domain, new Date(Date.now() + 600_000));
    const turn = services.find((s) => s.type === "turn")!;
    const [expiry, id] = turn.username!.split(":");
    const extended = { username: `${Number(expiry) + 86_400}:${id}`, password: turn.password! };
    for (const credentials of [otherSecret, extended, { username: turn.username!, password: "AAAA" + turn.password!.slice(4) }]) {
      const error = await allocate({ ...endpoint("udp"), ...credentials }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TurnError);
      expect((error as TurnError).code).toBe(401);
    }
  });
});

describe("ejabberd's TURN with the production blacklist", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ profile: "production" });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("refuses to relay for a client on loopback (the blacklist covers clients too)", async () => {
    const credentials = ejabberdTurnCredentials(server.turnSecret, server.domain, new Date(Date.now() + 600_000));
    const error = await allocate({ host: "127.0.0.1", port: server.ports.stun, transport: "udp", ...credentials }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TurnError);
    expect((error as TurnError).code).toBe(403);
  });
});

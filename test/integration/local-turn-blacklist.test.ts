// The local profile's TURN (npm start, tests) relays on loopback, its only network, and nowhere
// else: no private network, no cloud metadata address, no multicast (issue 15, item 8: its
// blacklist was empty).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allocate, type TurnAllocation } from "../../scripts/lib/turn-client.ts";
import { startTestServer, type TestServer } from "../support/ejabberd.ts";
import { ejabberdTurnCredentials } from "../support/turn.ts";

let server: TestServer;
let allocation: TurnAllocation;

beforeAll(async () => {
  server = await startTestServer({ profile: "local" });
  const credentials = ejabberdTurnCredentials(server.turnSecret, server.domain, new Date(Date.now() + 600_000));
  allocation = await allocate({ host: "127.0.0.1", port: server.ports.stun, transport: "udp", ...credentials });
});
afterAll(async () => {
  await allocation?.close();
  await server?.stop();
});

const permission = (address: string): Promise<string> =>
  allocation.createPermission({ address, port: 9 }).then(() => "ok", (e: { code?: number; message: string }) => String(e.code ?? e.message));

describe("the local profile's TURN", () => {
  it("relays for a loopback client to a loopback peer", async () => {
    expect(allocation.relayed.address).toBe("127.0.0.1");
    expect(await permission("127.0.0.1")).toBe("ok");
  });

  it.each(["10.0.0.1", "172.16.0.1", "192.168.1.1", "100.64.0.1", "169.254.169.254", "224.0.0.251", "240.0.0.1", "0.0.0.0"])("refuses %s", async (address) => {
    expect(await permission(address)).toBe("403");
  });
});

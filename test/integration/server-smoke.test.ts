import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/ejabberd.ts";

describe("test ejabberd", () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer(); });
  afterAll(async () => { await server?.stop(); });

  it("registers accounts through the loopback provisioning API", async () => {
    const a = await server.createAccount("alice");
    expect(a.jid).toBe("alice@localhost");
    expect(await server.instance.registeredUsers()).toContain("alice");
  });
});

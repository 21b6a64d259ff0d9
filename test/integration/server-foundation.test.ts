import { connect as tcpConnect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, xml, type Client } from "@xmpp/client";
import type { Element } from "@xmpp/xml";
import { startTestServer, type TestAccount, type TestServer } from "../support/ejabberd.ts";
import { connectTestClient, installWebSocket } from "../support/xmpp.ts";
import { stunBinding } from "../support/stun.ts";

function nextStanza(xmpp: Client, match: (el: Element) => boolean, timeoutMs = 5000): Promise<Element> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      xmpp.off("stanza", listener);
      reject(new Error("expected stanza did not arrive"));
    }, timeoutMs);
    const listener = (el: Element): void => {
      if (!match(el)) return;
      clearTimeout(timer);
      xmpp.off("stanza", listener);
      resolve(el);
    };
    xmpp.on("stanza", listener);
  });
}

/** Reads from a raw socket until `until` matches the accumulated text. */
function readUntil(socket: Socket, until: RegExp, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = "";
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${until}; got: ${data}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      data += chunk.toString("utf8");
      if (until.test(data)) {
        clearTimeout(timer);
        socket.off("data", onData);
        resolve(data);
      }
    };
    socket.on("data", onData);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(data);
    });
  });
}

describe("the project's ejabberd, started on free loopback ports", () => {
  let server: TestServer;
  let alice: TestAccount;
  let bob: TestAccount;
  const clients: Client[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    alice = await server.createAccount("alice");
    bob = await server.createAccount("bob");
    await server.makeContacts("alice", "bob");
  });

  afterAll(async () => {
    for (const c of clients) await c.stop().catch(() => undefined);
    await server?.stop();
  });

  async function signIn(account: TestAccount, resource = "web"): Promise<Client> {
    const xmpp = await connectTestClient(server, { username: account.username, password: account.password, resource });
    clients.push(xmpp);
    return xmpp;
  }

  it("lets two contacts sign in over secure WebSocket and see each other's presence", async () => {
    expect(server.wsUrl).toMatch(/^wss:\/\//);
    const a = await signIn(alice);
    const rosterReply = await a.iqCaller.get(xml("query", { xmlns: "jabber:iq:roster" }));
    const items = rosterReply.getChildren("item");
    expect(items.map((i) => [i.attrs.jid, i.attrs.subscription])).toEqual([["bob@localhost", "both"]]);
    await a.send(xml("presence"));

    const b = await signIn(bob);
    const aliceSeen = nextStanza(b, (el) => el.is("presence") && el.attrs.from === `alice@localhost/web` && !el.attrs.type);
    const bobSeen = nextStanza(a, (el) => el.is("presence") && el.attrs.from === `bob@localhost/web` && !el.attrs.type);
    await b.send(xml("presence", {}, xml("show", {}, "away")));
    expect((await bobSeen).getChildText("show")).toBe("away");
    await aliceSeen;
  });

  it("delivers a message sent to a bare JID", async () => {
    const [a, b] = [clients[0]!, clients[1]!];
    const received = nextStanza(b, (el) => el.is("message") && el.getChildText("body") === "hello bob");
    await a.send(xml("message", { to: "bob@localhost", type: "chat", id: "m1" }, xml("body", {}, "hello bob")));
    expect((await received).attrs.from).toBe("alice@localhost/web");
  });

  it("refuses a wrong password with not-authorized", async () => {
    installWebSocket(server);
    const xmpp = client({ service: server.wsUrl, domain: server.domain, username: "alice", password: "wrong" });
    xmpp.reconnect.stop();
    xmpp.on("error", () => undefined);
    await expect(xmpp.start()).rejects.toMatchObject({ condition: "not-authorized" });
    await xmpp.stop().catch(() => undefined);
  });

  it("refuses authentication on the client port before STARTTLS", async () => {
    const socket = tcpConnect(server.ports.c2s, "127.0.0.1");
    const features = readUntil(socket, /<\/stream:features>/);
    socket.write(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`);
    const offered = await features;
    expect(offered).toMatch(/<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required\/><\/starttls>/);
    expect(offered).not.toContain("<mechanisms");
    const answer = readUntil(socket, /<\/stream:stream>|<\/failure>/);
    socket.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from("\0alice\0" + alice.password).toString("base64")}</auth>`);
    const refusal = await answer;
    expect(refusal).toMatch(/policy-violation|encryption-required|not-authorized/);
    expect(refusal).not.toContain("<success");
    socket.destroy();
  });

  it("has in-band registration switched off", async () => {
    const socket = tcpConnect(server.ports.c2s, "127.0.0.1");
    const features = readUntil(socket, /<\/stream:features>/);
    socket.write(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`);
    expect(await features).not.toContain("http://jabber.org/features/iq-register");
    socket.destroy();
    const xmpp = clients[0]!;
    const reply = xmpp.iqCaller.set(xml("query", { xmlns: "jabber:iq:register" },
      xml("username", {}, "mallory"), xml("password", {}, "secret")), server.domain);
    await expect(reply).rejects.toMatchObject({ condition: expect.stringMatching(/forbidden|not-allowed|service-unavailable/) });
    expect(await server.instance.registeredUsers()).not.toContain("mallory");
  });

  it("hands out STUN and TURN services with TURN credentials that expire in the future (XEP-0215)", async () => {
    const xmpp = clients[0]!;
    const reply = await xmpp.iqCaller.get(xml("services", { xmlns: "urn:xmpp:extdisco:2" }), server.domain);
    // iqCaller resolves with the payload, here <services/>.
    expect(reply.is("services", "urn:xmpp:extdisco:2")).toBe(true);
    const services = reply.getChildren("service");
    const stun = services.filter((s) => s.attrs.type === "stun");
    const turn = services.filter((s) => s.attrs.type === "turn");
    expect(stun.length).toBeGreaterThan(0);
    expect(turn.length).toBeGreaterThan(0);
    for (const service of [...stun, ...turn]) {
      expect(service.attrs.host).toBe("127.0.0.1");
      expect(Number(service.attrs.port)).toBe(server.ports.stun);
    }
    for (const service of turn) {
      const expires = Date.parse(service.attrs.expires!);
      expect(expires).toBeGreaterThan(Date.now());
      expect(expires).toBeLessThanOrEqual(Date.now() + 3600_000 + 5000);
      // TURN REST API form: "<unix expiry>:<id>", password base64(HMAC-SHA1(secret, username)).
      expect(service.attrs.username).toMatch(/^\d+:/);
      expect(service.attrs.password).toBeTruthy();
    }
  });

  it("answers STUN binding requests with the client's address", async () => {
    const mapped = await stunBinding("127.0.0.1", server.ports.stun);
    expect(mapped.address).toBe("127.0.0.1");
    expect(mapped.port).toBeGreaterThan(0);
  });

  it("serves XEP-0156 host-meta pointing at its secure WebSocket endpoint", async () => {
    const res = await fetch(`http://127.0.0.1:${server.ports.api}/api/status`, { method: "POST", body: "{}" });
    expect(res.ok).toBe(true);
    const { request } = await import("node:https");
    const body = await new Promise<string>((resolve, reject) => {
      request(`${server.httpsOrigin}/.well-known/host-meta.json`, { ca: server.caPem }, (r) => {
        let text = "";
        r.on("data", (c: Buffer) => (text += c.toString()));
        r.on("end", () => resolve(text));
      }).on("error", reject).end();
    });
    expect(JSON.parse(body)).toEqual({ links: [{ rel: "urn:xmpp:alt-connections:websocket", href: server.wsUrl }] });
  });
});

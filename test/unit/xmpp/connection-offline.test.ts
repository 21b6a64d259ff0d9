import { EventEmitter } from "node:events";
import { describe, expect, it, vi } from "vitest";
import { xml } from "@xmpp/xml";
import type { Element } from "@xmpp/xml";
import { NS_BIND } from "../../../client/src/namespaces.js";

type ResourceOption = string | (() => string | undefined) | undefined;

/**
 * A stand-in for @xmpp/client's Client with just what XmppConnection uses: the test plays
 * the transport (disconnect, resumption, a fresh session) and sees what is written.
 * Binding behaves as @xmpp/resource-binding 0.14 does: a `resource` function is called at
 * the first bind only and its answer kept, and the request goes through iqCaller.set.
 */
class FakeClient extends EventEmitter {
  jid: { toString(): string } | null = null;
  written: Element[] = [];
  /** The resource each bind request asked for. */
  binds: (string | undefined)[] = [];
  resource: ResourceOption;
  streamManagement = Object.assign(new EventEmitter(), { enabled: true });
  reconnect = { stop: () => undefined, reconnect: vi.fn(async () => undefined) };
  /** The transport: its "close" is what makes the client go "disconnect", as in @xmpp/connection. */
  socket = Object.assign(new EventEmitter(), { end: vi.fn() });
  iqCaller = {
    request: async (iq: Element) => {
      this.written.push(iq);
      return new Promise<Element>((resolve, reject) => {
        this.answers.set(iq.attrs.id ?? "", resolve);
        this.timeouts.set(iq.attrs.id ?? "", reject);
      });
    },
    set: async (child: Element) => {
      this.binds.push(child.getChildText("resource") ?? undefined);
      return child;
    },
  };
  answers = new Map<string, (result: Element) => void>();
  /** Ends an iq request as @xmpp/iq does when its caller's time limit passes. */
  timeouts = new Map<string, (error: Error) => void>();

  constructor(options: { resource?: ResourceOption }) {
    super();
    this.resource = options.resource;
    this.socket.on("close", () => this.emit("disconnect"));
  }

  async start() {
    await this.bind("first");
  }

  async stop() {}

  async send(stanza: Element) {
    this.written.push(stanza);
  }

  /** A session bound with the resource we ask for, or `assigned` when we ask for none. */
  async bind(assigned: string) {
    if (typeof this.resource === "function") this.resource = this.resource();
    const request = await this.iqCaller.set(xml("bind", { xmlns: NS_BIND }, this.resource ? xml("resource", {}, this.resource) : undefined));
    const asked = request.getChildText("resource") ?? undefined;
    this.jid = { toString: () => `alice@localhost/${asked ?? assigned}` };
    this.emit("online");
  }
}

let fake: FakeClient;
vi.mock("@xmpp/client", () => ({
  client: (options: { resource?: ResourceOption }) => {
    fake = new FakeClient(options);
    return fake;
  },
}));

const { XmppConnection } = await import("../../../client/src/xmpp/connection.js");

async function connected(attemptTimeoutMs?: number) {
  const connection = await XmppConnection.connect({
    service: "ws://localhost/ws",
    jid: "alice@localhost",
    password: "x",
    backoff: { baseMs: 1, capMs: 1, floorMs: 1 },
    attemptTimeoutMs,
  });
  return connection;
}

const jmi = (action: string) => xml("message", { to: "bob@localhost", type: "chat", id: `jmi-${action}` }, xml(action, { xmlns: "urn:xmpp:jingle-message:0", id: "call-1" }));
/** An iq written, then the stream dropped and XEP-0198 resumption failed with it unacked. */
async function iqLostInDrop() {
  const connection = await connected();
  const iq = jingleIq();
  const answered = connection.request(iq);
  await vi.waitFor(() => expect(fake.written).toHaveLength(1));
  fake.emit("disconnect");
  fake.streamManagement.emit("fail", iq);
  return { connection, iq, answered };
}

const jingleIq = () => xml("iq", { type: "set", to: "bob@localhost/phone" }, xml("jingle", { xmlns: "urn:xmpp:jingle:1", action: "session-terminate", sid: "s1" }));

describe("XmppConnection while the WebSocket is down", () => {
  it("an iq requested while reconnecting is written only once the session is back, and its caller gets the answer", async () => {
    const connection = await connected();
    fake.emit("disconnect");
    expect(connection.state).toBe("reconnecting");
    const answered = connection.request(jingleIq());
    await new Promise((r) => setTimeout(r, 10));
    expect(fake.written).toEqual([]);
    fake.streamManagement.emit("resumed");
    await vi.waitFor(() => expect(fake.written).toHaveLength(1));
    const id = fake.written[0]!.attrs.id!;
    fake.answers.get(id)!(xml("iq", { type: "result", id }));
    await expect(answered).resolves.toMatchObject({ attrs: { type: "result" } });
  });

  it("a fresh session re-sends, with the same id, the pending iqs XEP-0198 could not deliver", async () => {
    const { connection, iq, answered } = await iqLostInDrop();
    await fake.bind("other");
    expect(fake.written).toHaveLength(2);
    expect(fake.written[1]).toBe(iq);
    fake.answers.get(iq.attrs.id!)!(xml("iq", { type: "result", id: iq.attrs.id }));
    await expect(answered).resolves.toBeDefined();
    expect(connection.state).toBe("online");
  });

  it("a fresh session asks the server for the resource it bound the first time, so the peer's full JID for us stays valid", async () => {
    const connection = await connected();
    fake.emit("disconnect");
    await fake.bind("other");
    expect(fake.binds).toEqual([undefined, "first"]);
    expect(connection.jid).toBe("alice@localhost/first");
  });

  it("each refused reconnection attempt counts once in the backoff", async () => {
    const connection = await connected();
    fake.reconnect.reconnect.mockImplementation(async () => {
      fake.emit("disconnect");
      throw new Error("connection refused");
    });
    const attempts: number[] = [];
    connection.on("retry", ({ attempt }) => attempts.push(attempt));
    fake.emit("disconnect");
    await vi.waitFor(() => expect(attempts.length).toBeGreaterThanOrEqual(3));
    expect(attempts.slice(0, 3)).toEqual([1, 2, 3]);
    await connection.stop();
  });

  it("a send waiting for the session is rejected when the connection is stopped", async () => {
    const connection = await connected();
    fake.emit("disconnect");
    const sent = connection.send(xml("message", { to: "bob@localhost" }));
    await connection.stop();
    await expect(sent).rejects.toThrow("connection stopped");
  });

  it("a reconnection attempt that never settles is dropped after its time limit and another is made", async () => {
    const connection = await connected(30);
    fake.reconnect.reconnect.mockImplementation(() => new Promise<undefined>(() => undefined));
    const retries: Error[] = [];
    connection.on("retry", ({ error }) => retries.push(error));
    fake.emit("disconnect");
    await vi.waitFor(() => expect(fake.reconnect.reconnect.mock.calls.length).toBeGreaterThanOrEqual(2), { timeout: 2000 });
    expect(retries[0]?.message).toMatch(/did not finish within 30 ms/);
    fake.reconnect.reconnect.mockImplementation(async () => undefined);
    await vi.waitFor(() => expect(fake.reconnect.reconnect.mock.calls.length).toBeGreaterThanOrEqual(3), { timeout: 2000 });
    await fake.bind("first");
    expect(connection.state).toBe("online");
    await connection.stop();
  });

  it("a fresh session re-sends, in their order and with their ids, the messages XEP-0198 could not deliver, but not presence", async () => {
    const connection = await connected();
    const propose = jmi("propose");
    const chat = xml("message", { to: "bob@localhost", type: "chat", id: "chat-1" }, xml("body", {}, "hello"));
    const presence = xml("presence", {});
    const iq = jingleIq();
    for (const stanza of [propose, presence]) await connection.send(stanza);
    void connection.request(iq);
    await connection.send(chat);
    await vi.waitFor(() => expect(fake.written).toHaveLength(4));
    fake.emit("disconnect");
    for (const stanza of [propose, presence, iq, chat]) fake.streamManagement.emit("fail", stanza);
    await fake.bind("other");
    expect(fake.written.slice(4)).toEqual([propose, iq, chat]);
    expect(fake.written.slice(4).map((s) => s.attrs.id)).toEqual(["jmi-propose", iq.attrs.id, "chat-1"]);
  });

  it("messages sent while reconnecting go out after the re-sent ones, in the order they were sent", async () => {
    const connection = await connected();
    const propose = jmi("propose");
    await connection.send(propose);
    fake.emit("disconnect");
    const retract = connection.send(jmi("retract"));
    fake.streamManagement.emit("fail", propose);
    await fake.bind("other");
    await retract;
    expect(fake.written.slice(1).map((s) => s.attrs.id)).toEqual(["jmi-propose", "jmi-retract"]);
  });

  it("a resumed session re-sends nothing itself (XEP-0198 resumption already did)", async () => {
    const connection = await connected();
    await connection.send(jmi("proceed"));
    fake.emit("disconnect");
    fake.streamManagement.emit("resumed");
    await vi.waitFor(() => expect(connection.state).toBe("online"));
    expect(fake.written).toHaveLength(1);
  });

  it("an iq whose caller already gave up is not re-sent by a fresh session", async () => {
    const { iq, answered } = await iqLostInDrop();
    fake.timeouts.get(iq.attrs.id!)!(new Error("timeout"));
    await expect(answered).rejects.toThrow();
    await fake.bind("other");
    expect(fake.written).toEqual([iq]);
  });
});

describe("XmppConnection when the network path goes away under an open socket", () => {
  const timeout = () => Object.assign(new Error("request timed out"), { name: "TimeoutError" });

  it("checkAlive: an answered XEP-0199 ping leaves the connection as it is", async () => {
    const connection = await connected();
    const alive = connection.checkAlive(1_000);
    await vi.waitFor(() => expect(fake.written).toHaveLength(1));
    const ping = fake.written[0]!;
    expect(ping.attrs).toMatchObject({ type: "get", to: "localhost" });
    expect(ping.getChild("ping", "urn:xmpp:ping")).toBeTruthy();
    fake.answers.get(ping.attrs.id!)!(xml("iq", { type: "result", id: ping.attrs.id }));
    expect(await alive).toBe(true);
    expect(fake.socket.end).not.toHaveBeenCalled();
    expect(connection.state).toBe("online");
  });

  it("checkAlive: no answer in time drops the socket at once, without waiting for its close, and the connection reconnects", async () => {
    const connection = await connected();
    const alive = connection.checkAlive(1_000);
    // A second check meanwhile is the same check: one ping on the wire.
    void connection.checkAlive(1_000);
    await vi.waitFor(() => expect(fake.written).toHaveLength(1));
    fake.timeouts.get(fake.written[0]!.attrs.id!)!(timeout());
    expect(await alive).toBe(false);
    expect(fake.socket.end).toHaveBeenCalledOnce();
    expect(connection.state).toBe("reconnecting");
    await vi.waitFor(() => expect(fake.reconnect.reconnect).toHaveBeenCalled());
  });
});

describe("XmppConnection when the network comes back", () => {
  it("interrupt() while waiting out a long backoff makes the next attempt at once (the browser's online event)", async () => {
    const connection = await XmppConnection.connect({ service: "ws://localhost/ws", jid: "alice@localhost", password: "x", backoff: { baseMs: 60_000, capMs: 60_000, floorMs: 60_000 } });
    fake.emit("disconnect");
    expect(connection.state).toBe("reconnecting");
    await new Promise((r) => setTimeout(r, 20));
    expect(fake.reconnect.reconnect).not.toHaveBeenCalled();
    fake.socket = null as unknown as typeof fake.socket;
    connection.interrupt();
    await vi.waitFor(() => expect(fake.reconnect.reconnect).toHaveBeenCalledOnce());
    await connection.stop();
  });
});

describe("XmppConnection's iq error replies", () => {
  it("carry the error only, not the request @xmpp/iq's callee appends (a flood of refused iqs is not echoed back)", async () => {
    await connected();
    const request = xml("jingle", { xmlns: "urn:xmpp:jingle:1", action: "transport-info", sid: "x".repeat(10_000) });
    const error = xml("error", { type: "cancel" }, xml("item-not-found", { xmlns: "urn:ietf:params:xml:ns:xmpp-stanzas" }));
    // As the callee's middleware sends it: entity.send(reply).
    await fake.send(xml("iq", { type: "error", id: "1", to: "eve@localhost/x" }, request, error));
    await fake.send(xml("iq", { type: "result", id: "2", to: "eve@localhost/x" }, xml("query", { xmlns: "urn:example" })));
    expect(fake.written.map((s) => s.getChildElements().map((c) => c.name))).toEqual([["error"], ["query"]]);
  });
});

import { describe, expect, it } from "vitest";
import parse from "@xmpp/xml/lib/parse.js";
import type { Element } from "@xmpp/xml";
import { xml } from "@xmpp/xml";
import {
  callability,
  capsHash,
  capsVerificationString,
  Disco,
  mayDiscover,
  OWN_INFO,
  readDiscoInfo,
  type DiscoPort,
} from "../../../client/src/xmpp/disco.js";
import { StanzaError } from "../../../client/src/xmpp/errors.js";

describe("XEP-0115 entity capabilities", () => {
  // XEP-0115 §5.2 "Simple Generation Example".
  const exodus = {
    identities: [{ category: "client", type: "pc", name: "Exodus 0.9.1" }],
    features: [
      "http://jabber.org/protocol/disco#info",
      "http://jabber.org/protocol/disco#items",
      "http://jabber.org/protocol/muc",
      "http://jabber.org/protocol/caps",
    ],
  };

  it("builds the verification string of XEP-0115 §5.2", () => {
    expect(capsVerificationString(exodus)).toBe(
      "client/pc//Exodus 0.9.1<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<",
    );
  });

  it("hashes it to the ver of XEP-0115 §5.2", async () => {
    expect(await capsHash(exodus)).toBe("QgayPKawpkPSDYmwT/WM94uAlu0=");
  });
});

describe("what makes a peer callable", () => {
  it("our own features satisfy Conversations' checks for audio and video calls with JMI", () => {
    expect(callability(OWN_INFO.features)).toEqual({ audio: true, video: true, jmi: true, groups: true });
  });

  it("we do not advertise urn:ietf:rfc:3264, so peers keep trickling", () => {
    expect(OWN_INFO.features).not.toContain("urn:ietf:rfc:3264");
  });

  it("a peer without DTLS cannot be called", () => {
    const features = OWN_INFO.features.filter((f) => f !== "urn:xmpp:jingle:apps:dtls:0");
    expect(callability(features)).toMatchObject({ audio: false, video: false });
  });

  it("a peer with audio but no video can be called with audio only", () => {
    const features = OWN_INFO.features.filter((f) => f !== "urn:xmpp:jingle:apps:rtp:video");
    expect(callability(features)).toMatchObject({ audio: true, video: false });
  });
});

type Handler = (r: { element: Element; from: string }) => Element | undefined;

function fakePort(answer: (query: Element, to?: string) => Element | undefined | Promise<Element | undefined>) {
  const handlers: Handler[] = [];
  const queries: Array<{ to?: string; node?: string }> = [];
  const port: DiscoPort = {
    async iqGet(child, to) {
      queries.push({ to, node: child.attrs.node });
      return answer(child, to);
    },
    handleIq(_type, _ns, _name, handler) {
      handlers.push(handler);
    },
  };
  return { port, queries, ask: (el: Element, from = "bob@x/1") => handlers[0]!({ element: el, from }) };
}

const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
};

describe("disco#info responder", () => {
  it("answers a query without node (as Dino sends it) with the full feature list", () => {
    const { port, ask } = fakePort(() => undefined);
    new Disco(port);
    const reply = ask(xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }))!;
    expect(readDiscoInfo(reply).features).toEqual(OWN_INFO.features);
  });

  it("answers the node#ver of its caps, echoing the node", async () => {
    const { port, ask } = fakePort(() => undefined);
    const disco = new Disco(port);
    const c = await disco.capsElement();
    const node = `${c.attrs.node}#${c.attrs.ver}`;
    const reply = ask(xml("query", { xmlns: "http://jabber.org/protocol/disco#info", node }))!;
    expect(reply.attrs.node).toBe(node);
    expect(await capsHash(readDiscoInfo(reply))).toBe(c.attrs.ver);
  });

  it("refuses a node that is not its own with item-not-found (XEP-0030 §7), not an empty result", () => {
    const { port, ask } = fakePort(() => undefined);
    new Disco(port);
    const error = refusal(() => ask(xml("query", { xmlns: "http://jabber.org/protocol/disco#info", node: "other#x" })));
    expect(error).toBeInstanceOf(StanzaError);
    expect(error).toMatchObject({ condition: "item-not-found", type: "cancel" });
  });

  it("refuses a stranger with service-unavailable, for the plain query and its caps node alike", async () => {
    const { port, ask } = fakePort(() => undefined);
    const disco = new Disco(port, { mayQuery: (from) => from.startsWith("bob@") });
    const c = await disco.capsElement();
    for (const node of [undefined, `${c.attrs.node}#${c.attrs.ver}`, "other#x"]) {
      const error = refusal(() => ask(xml("query", { xmlns: "http://jabber.org/protocol/disco#info", node }), "mallory@evil/x"));
      expect(error).toMatchObject({ condition: "service-unavailable", type: "cancel" });
    }
    expect(readDiscoInfo(ask(xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }), "bob@x/1")!).features).toEqual(OWN_INFO.features);
  });
});

describe("who may read our disco#info (XEP-0030 §8)", () => {
  const access = (subscriptions: Record<string, string>, allowStrangers = false) => ({
    ownJid: "alice@example.org/web",
    subscriptionOf: (bare: string) => subscriptions[bare],
    allowStrangers: () => allowStrangers,
  });

  it.each([
    ["a contact who receives our presence (both)", "bob@example.org/phone", { "bob@example.org": "both" }, true],
    ["a contact who receives our presence (from)", "bob@example.org/phone", { "bob@example.org": "from" }, true],
    ["a contact we follow who does not see our presence (to)", "bob@example.org/phone", { "bob@example.org": "to" }, false],
    ["a roster entry without subscription (none)", "bob@example.org/phone", { "bob@example.org": "none" }, false],
    ["a stranger", "mallory@evil.example/x", {}, false],
    ["our own other device", "alice@example.org/phone", {}, true],
    ["our server", "example.org", {}, true],
    ["a request without from (the server on our behalf)", "", {}, true],
  ] as const)("%s: %s", (_what, from, subscriptions, allowed) => {
    expect(mayDiscover(from, access(subscriptions))).toBe(allowed);
  });

  it("lets a stranger in when the user allows calls from strangers", () => {
    expect(mayDiscover("mallory@evil.example/x", access({}, true))).toBe(true);
  });
});

describe("learning contacts' features", () => {
  const info = readDiscoInfo(parse(
    `<query xmlns='http://jabber.org/protocol/disco#info'><identity category='client' type='phone' name='C'/>${OWN_INFO.features.map((f) => `<feature var='${f}'/>`).join("")}</query>`,
  ));
  const answerWith = (node?: string, features = info.features) => parse(
    `<query xmlns='http://jabber.org/protocol/disco#info' ${node ? `node='${node}'` : ""}><identity category='client' type='phone' name='C'/>${features.map((f) => `<feature var='${f}'/>`).join("")}</query>`,
  );
  const timeout = () => Promise.reject(Object.assign(new Error("timeout"), { name: "TimeoutError" }));

  it("asks each verified caps ver once, however many resources share it", async () => {
    const ver = await capsHash(info);
    const { port, queries } = fakePort((q) => answerWith(q.attrs.node));
    const disco = new Disco(port);
    await disco.learn("bob@x/1", { node: "n", ver, hash: "sha-1" });
    await disco.learn("carol@x/2", { node: "n", ver, hash: "sha-1" });
    expect(queries).toEqual([{ to: "bob@x/1", node: `n#${ver}` }]);
    expect(callability(disco.featuresOf("carol@x/2") ?? [])).toMatchObject({ audio: true, video: true });
  });

  it("asks another resource with the same ver when the first times out, and both become callable", async () => {
    const ver = await capsHash(info);
    const { port, queries } = fakePort((q, to) => (to === "bob@x/stale" ? timeout() : answerWith(q.attrs.node)));
    const disco = new Disco(port);
    const caps = { node: "n", ver, hash: "sha-1" };
    const stale = disco.learn("bob@x/stale", caps);
    const live = disco.learn("bob@x/live", caps);
    expect(await live).toEqual(info.features);
    expect(await stale).toEqual(info.features);
    expect(queries.map((q) => q.to)).toEqual(["bob@x/stale", "bob@x/live"]);
    expect(callability(disco.featuresOf("bob@x/live") ?? [])).toMatchObject({ audio: true, video: true });
  });

  it("falls back on an error reply as on a timeout", async () => {
    const ver = await capsHash(info);
    const { port, queries } = fakePort((q, to) => (to === "bob@x/1" ? Promise.reject(new StanzaError("service-unavailable", "cancel", "")) : answerWith(q.attrs.node)));
    const disco = new Disco(port);
    const caps = { node: "n", ver, hash: "sha-1" };
    void disco.learn("bob@x/1", caps);
    expect(await disco.learn("bob@x/2", caps)).toEqual(info.features);
    expect(queries).toHaveLength(2);
  });

  it("does not lock a ver out after every resource failed: the next presence asks again", async () => {
    const ver = await capsHash(info);
    let up = false;
    const { port, queries } = fakePort((q) => (up ? answerWith(q.attrs.node) : timeout()));
    const disco = new Disco(port);
    const caps = { node: "n", ver, hash: "sha-1" };
    expect(await disco.learn("bob@x/1", caps)).toBeUndefined();
    up = true;
    expect(await disco.learn("bob@x/1", caps)).toEqual(info.features);
    expect(queries).toHaveLength(2);
  });

  it("does not cache a ver whose hash does not verify (poisoning)", async () => {
    const { port, queries } = fakePort((q) => answerWith(q.attrs.node));
    const disco = new Disco(port);
    await disco.learn("bob@x/1", { node: "n", ver: "forged=", hash: "sha-1" });
    await disco.learn("eve@x/1", { node: "n", ver: "forged=", hash: "sha-1" });
    expect(queries).toHaveLength(2);
  });

  it("gives a forged answer only to the resource that sent it, while another waits on the same ver", async () => {
    const ver = await capsHash(info);
    const { port, queries } = fakePort((q, to) => (to === "eve@x/1" ? answerWith(q.attrs.node, ["urn:example:evil"]) : answerWith(q.attrs.node)));
    const disco = new Disco(port);
    const caps = { node: "n", ver, hash: "sha-1" };
    const eve = disco.learn("eve@x/1", caps);
    const carol = disco.learn("carol@x/2", caps);
    expect(await eve).toEqual(["urn:example:evil"]);
    expect(await carol).toEqual(info.features);
    expect(queries.map((q) => q.to)).toEqual(["eve@x/1", "carol@x/2"]);
  });

  it("an answer that does not verify counts for that resource only, and the next resource is asked", async () => {
    const ver = await capsHash(info);
    const { port, queries } = fakePort((q, to) => (to === "eve@x/1" ? answerWith(q.attrs.node, ["urn:example:evil"]) : answerWith(q.attrs.node)));
    const disco = new Disco(port);
    const caps = { node: "n", ver, hash: "sha-1" };
    expect(await disco.learn("eve@x/1", caps)).toEqual(["urn:example:evil"]);
    expect(await disco.learn("carol@x/2", caps)).toEqual(info.features);
    expect(queries.map((q) => q.to)).toEqual(["eve@x/1", "carol@x/2"]);
  });

  it("records nothing for a resource that went offline while it was being asked", async () => {
    const ver = await capsHash(info);
    let release: () => void = () => undefined;
    const { port } = fakePort((q) => new Promise((resolve) => (release = () => resolve(answerWith(q.attrs.node)))));
    const disco = new Disco(port);
    const learning = disco.learn("bob@x/1", { node: "n", ver, hash: "sha-1" });
    disco.forget("bob@x/1");
    release();
    expect(await learning).toBeUndefined();
    expect(disco.featuresOf("bob@x/1")).toBeUndefined();
  });

  it("asks the next resource at once when the one being asked goes offline, without waiting for the timeout", async () => {
    const ver = await capsHash(info);
    const { port, queries } = fakePort((q, to) => (to === "bob@x/old" ? new Promise<undefined>(() => undefined) : answerWith(q.attrs.node)));
    const disco = new Disco(port);
    const caps = { node: "n", ver, hash: "sha-1" };
    void disco.learn("bob@x/old", caps);
    const live = disco.learn("bob@x/new", caps);
    disco.forget("bob@x/old");
    expect(await live).toEqual(info.features);
    expect(queries.map((q) => q.to)).toEqual(["bob@x/old", "bob@x/new"]);
    expect(disco.featuresOf("bob@x/old")).toBeUndefined();
  });

  it("queries plain disco#info for a resource without caps", async () => {
    const { port, queries } = fakePort(() => answerWith());
    const disco = new Disco(port);
    await disco.learn("dino@x/d", undefined);
    expect(queries).toEqual([{ to: "dino@x/d", node: undefined }]);
    expect(disco.featuresOf("dino@x/d")).toEqual(info.features);
  });

  it("knows nothing of a resource whose disco#info fails", async () => {
    const port: DiscoPort = { iqGet: () => Promise.reject(new Error("service-unavailable")), handleIq() {} };
    const disco = new Disco(port);
    expect(await disco.learn("x@x/1", undefined)).toBeUndefined();
    expect(disco.featuresOf("x@x/1")).toBeUndefined();
  });
});

import { describe, expect, it } from "vitest";
import parse from "@xmpp/xml/lib/parse.js";
import type { Element } from "@xmpp/xml";
import { xml } from "@xmpp/xml";
import {
  callability,
  capsHash,
  capsVerificationString,
  Disco,
  OWN_INFO,
  readDiscoInfo,
  type DiscoPort,
} from "../../../client/src/xmpp/disco.js";

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
    expect(callability(OWN_INFO.features)).toEqual({ audio: true, video: true, jmi: true });
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

type Handler = (r: { element: Element }) => Element | undefined;

function fakePort(answer: (query: Element, to?: string) => Element | undefined) {
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
  return { port, queries, ask: (el: Element) => handlers[0]!({ element: el }) };
}

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

  it("refuses a node that is not its own (service-unavailable by the iq layer)", () => {
    const { port, ask } = fakePort(() => undefined);
    new Disco(port);
    expect(ask(xml("query", { xmlns: "http://jabber.org/protocol/disco#info", node: "other#x" }))).toBeUndefined();
  });
});

describe("learning contacts' features", () => {
  const info = readDiscoInfo(parse(
    `<query xmlns='http://jabber.org/protocol/disco#info'><identity category='client' type='phone' name='C'/>${OWN_INFO.features.map((f) => `<feature var='${f}'/>`).join("")}</query>`,
  ));
  const answerWith = (node?: string) => parse(
    `<query xmlns='http://jabber.org/protocol/disco#info' ${node ? `node='${node}'` : ""}><identity category='client' type='phone' name='C'/>${info.features.map((f) => `<feature var='${f}'/>`).join("")}</query>`,
  );

  it("asks each verified caps ver once, however many resources share it", async () => {
    const ver = await capsHash(info);
    const { port, queries } = fakePort((q) => answerWith(q.attrs.node));
    const disco = new Disco(port);
    await disco.learn("bob@x/1", { node: "n", ver, hash: "sha-1" });
    await disco.learn("carol@x/2", { node: "n", ver, hash: "sha-1" });
    expect(queries).toEqual([{ to: "bob@x/1", node: `n#${ver}` }]);
    expect(callability(disco.featuresOf("carol@x/2") ?? [])).toMatchObject({ audio: true, video: true });
  });

  it("does not cache a ver whose hash does not verify (poisoning)", async () => {
    const { port, queries } = fakePort((q) => answerWith(q.attrs.node));
    const disco = new Disco(port);
    await disco.learn("bob@x/1", { node: "n", ver: "forged=", hash: "sha-1" });
    await disco.learn("eve@x/1", { node: "n", ver: "forged=", hash: "sha-1" });
    expect(queries).toHaveLength(2);
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

// An in-memory XMPP router in front of CallManagers with fake peers, so whole JMI + Jingle flows
// run in Node. The router delivers like ejabberd: a chat message to a bare JID reaches every
// resource, and XEP-0280 carbons copy messages to the sender's and recipient's other devices.
import type { Element } from "@xmpp/xml";
import { xml } from "@xmpp/xml";
import parse from "@xmpp/xml/lib/parse.js";
import { CallManager, type CallPolicy } from "../../client/src/call/manager.js";
import type { CallSignaling, CallTimeouts } from "../../client/src/call/session.js";
import { bareJid } from "../../client/src/xmpp/connection.js";
import { StanzaError } from "../../client/src/xmpp/errors.js";
import { deliverJingle, deliverMessage, stanzaSignaling } from "../../client/src/app/call-stanzas.js";
import { FakePeer, type FakePeerOptions } from "./fake-peer.js";
import { until } from "./until.js";

export interface Sent {
  from: string;
  stanza: Element;
}

export class FakeNetwork {
  readonly log: Sent[] = [];
  readonly devices = new Map<string, Device>();

  device(jid: string, options: DeviceOptions = {}): Device {
    const device = new Device(this, jid, options);
    this.devices.set(jid, device);
    return device;
  }

  resourcesOf(bare: string): Device[] {
    return [...this.devices.values()].filter((d) => bareJid(d.jid) === bare && d.online);
  }

  routeMessage(from: string, message: Element) {
    this.log.push({ from, stanza: message });
    const to = message.attrs.to ?? "";
    const stamped = parse(message.toString());
    stamped.attrs.from = from;
    const targets = to.includes("/") ? [this.devices.get(to)].filter((d): d is Device => !!d?.online) : this.resourcesOf(to);
    const deliver = (device: Device, el: Element) => setTimeout(() => deliverMessage(device.manager, el), 0);
    for (const t of targets) deliver(t, stamped);
    // XEP-0280: sent carbons to the sender's other devices; received carbons to the recipient's others.
    for (const d of this.resourcesOf(bareJid(from))) {
      if (d.jid !== from && !targets.includes(d)) deliver(d, carbon("sent", bareJid(from), d.jid, stamped));
    }
    if (to.includes("/")) {
      for (const d of this.resourcesOf(bareJid(to))) {
        if (!targets.includes(d) && d.jid !== from) deliver(d, carbon("received", bareJid(to), d.jid, stamped));
      }
    }
  }

  async routeIq(from: string, iq: Element): Promise<Element> {
    this.log.push({ from, stanza: iq });
    await new Promise((r) => setTimeout(r, 0));
    const target = this.devices.get(iq.attrs.to ?? "");
    if (!target?.online) throw new StanzaError("service-unavailable", "cancel", "");
    const jingle = iq.getChild("jingle", "urn:xmpp:jingle:1");
    if (!jingle) throw new StanzaError("bad-request", "modify", "");
    try {
      deliverJingle(target.manager, from, jingle);
      const result = xml("iq", { type: "result", id: iq.attrs.id, from: target.jid, to: from });
      this.log.push({ from: target.jid, stanza: result });
      return result;
    } catch (error) {
      if (error instanceof StanzaError) this.log.push({ from: target.jid, stanza: xml("iq", { type: "error", to: from }) });
      throw error;
    }
  }

  /** Jingle actions sent by `from` (or by anyone), in order. */
  jingleActions(from?: string): string[] {
    return this.log
      .filter((s) => (!from || s.from === from) && s.stanza.name === "iq" && s.stanza.attrs.type === "set")
      .map((s) => s.stanza.getChild("jingle", "urn:xmpp:jingle:1")?.attrs.action ?? "");
  }

  jmiActions(from?: string): string[] {
    return this.log
      .filter((s) => (!from || s.from === from) && s.stanza.name === "message")
      .map((s) => s.stanza.getChildElements().find((c) => c.getNS() === "urn:xmpp:jingle-message:0")?.name ?? "");
  }
}

function carbon(kind: "sent" | "received", ownBare: string, to: string, message: Element): Element {
  return xml("message", { from: ownBare, to, type: "chat" }, xml(kind, { xmlns: "urn:xmpp:carbons:2" }, xml("forwarded", { xmlns: "urn:xmpp:forward:0" }, parse(message.toString()))));
}

export interface DeviceOptions {
  trusted?: string[];
  allowStrangers?: boolean;
  timeouts?: Partial<CallTimeouts>;
  /** How the device's browser behaves (candidates, media sent, codecs negotiated). */
  peer?: FakePeerOptions;
}

export class Device {
  readonly manager: CallManager;
  readonly peers: FakePeer[] = [];
  online = true;
  constructor(network: FakeNetwork, readonly jid: string, options: DeviceOptions) {
    const signaling: CallSignaling = stanzaSignaling({
      jid,
      send: async (m) => network.routeMessage(jid, m),
      request: (iq) => network.routeIq(jid, iq),
    });
    const policy: CallPolicy = { isTrusted: (b) => (options.trusted ?? []).includes(b), allowStrangers: options.allowStrangers ?? false };
    let n = 0;
    this.manager = new CallManager({
      signaling,
      policy,
      iceServers: () => [],
      timeouts: { trickleBatchMs: 5, ...options.timeouts },
      newId: () => `${bareJid(jid).split("@")[0]}-call-${++n}`,
      createPeer: async (o) => {
        const peer = new FakePeer(o, options.peer);
        this.peers.push(peer);
        return peer;
      },
    });
  }
}

/** Alice calls bob (audio, one device each, contacts), bob accepts; resolves once ICE is connected and both are active. */
export async function audioCall() {
  const net = new FakeNetwork();
  const alice = net.device("alice@x/web", { trusted: ["bob@x"] });
  const bob = net.device("bob@x/web", { trusted: ["alice@x"] });
  const call = await alice.manager.call("bob@x", ["audio"]);
  await until(() => bob.manager.calls[0]?.state === "incoming", "bob rings");
  const theirs = bob.manager.calls[0]!;
  await theirs.accept();
  await until(() => call.iceState === "connected" && theirs.state === "active", "connected");
  return { net, alice, bob, call, theirs };
}

/** What a device answers a Jingle iq with: the StanzaError it throws (the iq error), or undefined for an ack. */
export function jingleAnswer(device: Device, from: string, jingle: Element): StanzaError | undefined {
  try {
    deliverJingle(device.manager, from, jingle);
    return undefined;
  } catch (error) {
    if (!(error instanceof StanzaError)) throw error;
    return error;
  }
}

/** A content `0` whose transport carries `count` host candidates (ports from 40 000 + `first`). */
export function candidatesContent(count: number, options: { first?: number; ufrag?: string; pwd?: string; ns?: string } = {}): Element {
  const { first = 0, ufrag = "u", pwd = "p", ns = "urn:xmpp:jingle:transports:ice-udp:1" } = options;
  return xml("content", { creator: "initiator", name: "0" },
    xml("transport", { xmlns: ns, ufrag, pwd },
      ...Array.from({ length: count }, (_, i) => xml("candidate", {
        component: "1", foundation: "1", generation: "0", id: `c${first + i}`, ip: "192.0.2.7", network: "0",
        port: String(40_000 + first + i), priority: "1", protocol: "udp", type: "host",
      }))));
}

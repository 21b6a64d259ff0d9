// Our call layer facing one foreign client: its stanzas (test/fixtures/interop/<client>/) are
// fed in as ejabberd would deliver them, and everything our client sends is recorded, so tests
// can check both directions against what that client sends and requires (docs/interop.md).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Element } from "@xmpp/xml";
import { xml } from "@xmpp/xml";
import parse from "@xmpp/xml/lib/parse.js";
import { parse as parseSdp } from "sdp-transform";
import { CallManager } from "../../../client/src/call/manager.js";
import type { CallSession, CallTimeouts } from "../../../client/src/call/session.js";
import { StanzaError } from "../../../client/src/xmpp/errors.js";
import { deliverJingle, deliverMessage, stanzaSignaling } from "../../../client/src/app/call-stanzas.js";
import { FakePeer, type FakePeerOptions } from "../../support/fake-peer.js";
import { NS_JINGLE, NS_JINGLE_DTLS, NS_JINGLE_ICE_UDP, NS_JINGLE_RTP, NS_JMI } from "../../../client/src/namespaces.js";
export { NS_JINGLE, NS_JMI };

const FIXTURES = join(import.meta.dirname, "..", "..", "fixtures");
export const OUR_JID = "romeo@example.net/web";

/**
 * A foreign client's stanza from test/fixtures/interop/<client>/<file>. `id` replaces the session
 * id (Jingle sid, JMI id) when our side chose it, as the foreign client would echo ours.
 */
export function interopFixture(client: string, file: string, id?: string): Element {
  const el = parse(readFileSync(join(FIXTURES, "interop", client, file), "utf8").trim()) as Element;
  if (id !== undefined) {
    const jingle = el.getChild("jingle", NS_JINGLE);
    if (jingle) jingle.attrs.sid = id;
    for (const c of el.getChildElements()) if (c.getNS() === NS_JMI) c.attrs.id = id;
  }
  return el;
}

/**
 * The candidates a browser gathers: host UDP, but also TCP and an mDNS name, which must never
 * reach a Jingle peer (INTEROP).
 */
export const BROWSER_CANDIDATES = [
  "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0 network-id 1",
  "candidate:2 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0 network-id 1",
  "candidate:3 1 udp 2122194687 3f1c9a52-6d0e-4b7a-9e21-8c5d4f0a1b23.local 50002 typ host generation 0",
];

/** Our client (one CallManager) with a recording signaling port; the foreign client is scripted by the test. */
export class InteropHarness {
  readonly sent: Element[] = [];
  readonly peers: FakePeer[] = [];
  readonly manager: CallManager;

  constructor(opts: { trusted?: string[]; peer?: FakePeerOptions; jid?: string; timeouts?: Partial<CallTimeouts>; refuse?: (jingle: Element) => StanzaError | undefined } = {}) {
    const jid = opts.jid ?? OUR_JID;
    this.manager = new CallManager({
      signaling: stanzaSignaling({
        jid,
        send: async (m) => {
          this.sent.push(m);
        },
        request: async (iq) => {
          this.sent.push(iq);
          const jingle = iq.getChild("jingle", NS_JINGLE);
          const refusal = jingle && opts.refuse?.(jingle);
          if (refusal) throw refusal;
          return xml("iq", { type: "result", id: iq.attrs.id });
        },
      }),
      policy: { isTrusted: (bare) => (opts.trusted ?? ["juliet@example.org"]).includes(bare), allowStrangers: false },
      iceServers: () => [],
      timeouts: { trickleBatchMs: 5, ...opts.timeouts },
      newId: () => "our-call-1",
      createPeer: async (o) => {
        const peer = new FakePeer(o, { candidates: BROWSER_CANDIDATES, ...opts.peer });
        this.peers.push(peer);
        return peer;
      },
    });
  }

  get call(): CallSession {
    const call = this.manager.calls[0];
    if (!call) throw new Error("no call yet");
    return call;
  }

  get peer(): FakePeer {
    const peer = this.peers[0];
    if (!peer) throw new Error("no peer connection yet");
    return peer;
  }

  /** Delivers a message stanza as ejabberd would. */
  message(stanza: Element): void {
    deliverMessage(this.manager, stanza);
  }

  /** Delivers an iq set; returns the XEP-0166 error our client answered with, or undefined for a result. */
  iq(stanza: Element): StanzaError | undefined {
    const jingle = stanza.getChild("jingle", NS_JINGLE);
    if (!jingle) throw new Error("fixture has no <jingle/>");
    try {
      deliverJingle(this.manager, stanza.attrs.from ?? "", jingle);
      return undefined;
    } catch (error) {
      if (error instanceof StanzaError) return error;
      throw error;
    }
  }

  /** JMI messages we sent with this action. */
  jmi(action: string): Element[] {
    return this.sent.filter((s) => s.name === "message" && s.getChild(action, NS_JMI));
  }

  /** <jingle/> elements we sent with this action, with the iq's `to`. */
  jingle(action: string): Array<{ to: string; jingle: Element }> {
    return this.sent
      .filter((s) => s.name === "iq" && s.getChild("jingle", NS_JINGLE)?.attrs.action === action)
      .map((s) => ({ to: s.attrs.to ?? "", jingle: s.getChild("jingle", NS_JINGLE)! }));
  }
}

/** Every <transport/> under a <jingle/>, with its content. */
export function transports(jingle: Element): Array<{ content: Element; transport: Element }> {
  return jingle.getChildren("content").flatMap((content) => content.getChildren("transport", NS_JINGLE_ICE_UDP).map((transport) => ({ content, transport })));
}

export function candidates(jingle: Element): Element[] {
  return transports(jingle).flatMap(({ transport }) => transport.getChildren("candidate"));
}

/** What a browser needs in a remote description and what Jingle peers rely on, checked on SDP text. */
export function checkRemoteSdp(sdp: string, expect: { mids: string[]; bundle: boolean; type: "offer" | "answer" }): string[] {
  const problems: string[] = [];
  const parsed = parseSdp(sdp);
  const mids = parsed.media.map((m) => String(m.mid));
  if (JSON.stringify(mids) !== JSON.stringify(expect.mids)) problems.push(`mids ${mids.join(",")} ≠ ${expect.mids.join(",")}`);
  const bundle = (parsed.groups ?? []).some((g) => g.type === "BUNDLE");
  if (bundle !== expect.bundle) problems.push(`BUNDLE group ${bundle ? "present" : "absent"}`);
  for (const m of parsed.media) {
    const where = `m=${m.type} mid ${String(m.mid)}`;
    if (!m.iceUfrag || !m.icePwd) problems.push(`${where}: no ice-ufrag/ice-pwd`);
    if (!m.fingerprint && !parsed.fingerprint) problems.push(`${where}: no fingerprint`);
    const setup = m.setup ?? parsed.setup;
    if (expect.type === "offer" && setup !== "actpass") problems.push(`${where}: offer with setup ${String(setup)}`);
    if (expect.type === "answer" && setup !== "active" && setup !== "passive") problems.push(`${where}: answer with setup ${String(setup)}`);
    if (!m.rtcpMux) problems.push(`${where}: no rtcp-mux`);
    if (m.crypto?.length) problems.push(`${where}: SDES a=crypto beside DTLS`);
    if ((m.candidates ?? []).some((c) => c.component !== 1)) problems.push(`${where}: component-2 candidate`);
    for (const rtp of m.rtp ?? []) if (rtp.codec.toLowerCase() === "opus" && String(rtp.encoding) !== "2") problems.push(`${where}: opus without /2`);
    if (!m.direction) problems.push(`${where}: no direction`);
  }
  return problems;
}

/**
 * What Jingle peers require of a session-initiate/accept we send (INTEROP): contents with short
 * names, RTP descriptions with rtcp-mux and Opus/2, ICE transports with ufrag, pwd and a DTLS
 * fingerprint whose setup is actpass in an offer and never actpass in an answer; no TCP or mDNS
 * candidates.
 */
export function checkSentDescription(jingle: Element, kind: "offer" | "answer"): string[] {
  const problems: string[] = [];
  const contents = jingle.getChildren("content");
  if (contents.length === 0) problems.push("no content");
  for (const content of contents) {
    const name = content.attrs.name ?? "";
    const where = `content '${name}'`;
    if (!name || /\s/.test(name) || name.length > 16) problems.push(`${where}: name Conversations refuses`);
    const senders = content.attrs.senders ?? "both";
    if (!["both", "initiator", "responder", "none"].includes(senders)) problems.push(`${where}: senders '${senders}'`);
    const description = content.getChild("description", NS_JINGLE_RTP);
    if (!description) problems.push(`${where}: no RTP description`);
    else {
      if (!description.getChild("rtcp-mux", NS_JINGLE_RTP)) problems.push(`${where}: no <rtcp-mux/>`);
      for (const pt of description.getChildren("payload-type")) {
        if (pt.attrs.name?.toLowerCase() === "opus" && pt.attrs.channels !== "2") problems.push(`${where}: opus without channels='2'`);
        // Conversations (SessionDescription.java l. 225-231): a lone parameter needs only a value
        // (RED's `111/111`, DTMF's `0-15`); among several, each needs a name and a value.
        const params = pt.getChildren("parameter");
        for (const p of params) {
          const nameless = params.length === 1 && p.attrs.name === undefined;
          if ((!nameless && !p.attrs.name) || /\s/.test(p.attrs.name ?? "") || p.attrs.value === undefined || /\s/.test(p.attrs.value)) {
            problems.push(`${where}: parameter Conversations throws on (${p.toString()})`);
          }
        }
      }
    }
    const transport = content.getChild("transport", NS_JINGLE_ICE_UDP);
    if (!transport) {
      problems.push(`${where}: no ICE-UDP transport`);
      continue;
    }
    if (!transport.attrs.ufrag || !transport.attrs.pwd) problems.push(`${where}: transport without ufrag/pwd`);
    const fp = transport.getChild("fingerprint", NS_JINGLE_DTLS);
    if (!fp?.attrs.hash || !fp.getText().trim()) problems.push(`${where}: no DTLS fingerprint`);
    else if (kind === "offer" && fp.attrs.setup !== "actpass") problems.push(`${where}: offer setup '${String(fp.attrs.setup)}' (Conversations requires actpass)`);
    else if (kind === "answer" && fp.attrs.setup !== "active" && fp.attrs.setup !== "passive") problems.push(`${where}: answer setup '${String(fp.attrs.setup)}'`);
    if (fp && fp.getText() !== fp.getText().trim()) problems.push(`${where}: fingerprint with whitespace`);
  }
  problems.push(...checkSentCandidates(jingle));
  return problems;
}

export function checkSentCandidates(jingle: Element): string[] {
  const problems: string[] = [];
  for (const c of candidates(jingle)) {
    if (c.attrs.protocol !== "udp") problems.push(`candidate with protocol ${String(c.attrs.protocol)}`);
    if (String(c.attrs.ip).endsWith(".local")) problems.push(`mDNS candidate ${String(c.attrs.ip)}`);
    for (const a of ["component", "foundation", "generation", "id", "ip", "port", "priority", "protocol", "type"]) {
      if (c.attrs[a] === undefined) problems.push(`candidate without ${a}`);
    }
  }
  return problems;
}

/** The media of a <jingle/>'s contents, sorted. */
export function mediaOf(jingle: Element): string[] {
  return jingle.getChildren("content").map((c) => c.getChild("description", NS_JINGLE_RTP)?.attrs.media ?? "").sort();
}

import type { Element } from "@xmpp/xml";
import { xml } from "@xmpp/xml";
import { TypedEmitter } from "./emitter.js";
import {
  NS_CAPS,
  NS_DISCO_INFO,
  NS_JINGLE,
  NS_JINGLE_DTLS,
  NS_JINGLE_GROUPING,
  NS_JINGLE_ICE_UDP,
  NS_JINGLE_RTCP_FB,
  NS_JINGLE_RTP,
  NS_JINGLE_RTP_AUDIO,
  NS_JINGLE_RTP_HDREXT,
  NS_JINGLE_RTP_VIDEO,
  NS_JINGLE_SSMA,
  NS_JMI,
  NS_PING,
} from "./ns.js";
import type { CapsInfo } from "./presence.js";

export interface Identity {
  category: string;
  type: string;
  name?: string;
  lang?: string;
}

export interface DiscoInfo {
  identities: Identity[];
  features: string[];
}

/** XEP-0115 §1.2: our caps node (a URL for the software). */
export const CAPS_NODE = "https://github.com/xmpp-webrtc-calls";

/**
 * What we tell peers we can do. The Jingle set is exactly what Conversations checks before
 * showing a call button (INTEROP.md); `urn:ietf:rfc:3264` is deliberately absent, so peers
 * keep trickling candidates.
 */
export const OWN_INFO: DiscoInfo = {
  identities: [{ category: "client", type: "web", name: "XMPP WebRTC Calls" }],
  features: [
    NS_DISCO_INFO,
    NS_CAPS,
    NS_PING,
    NS_JINGLE,
    NS_JINGLE_ICE_UDP,
    NS_JINGLE_RTP,
    NS_JINGLE_DTLS,
    NS_JINGLE_RTP_AUDIO,
    NS_JINGLE_RTP_VIDEO,
    NS_JINGLE_RTCP_FB,
    NS_JINGLE_RTP_HDREXT,
    NS_JINGLE_GROUPING,
    NS_JINGLE_SSMA,
    NS_JMI,
  ],
};

/** Features a peer needs for each kind of call (XEP-0167 §11, XEP-0320, XEP-0176). */
export const AUDIO_CALL_FEATURES = [NS_JINGLE, NS_JINGLE_ICE_UDP, NS_JINGLE_RTP, NS_JINGLE_DTLS, NS_JINGLE_RTP_AUDIO];
export const VIDEO_CALL_FEATURES = [...AUDIO_CALL_FEATURES, NS_JINGLE_RTP_VIDEO];

export interface Callability {
  audio: boolean;
  video: boolean;
  /** The peer rings through XEP-0353 (otherwise a direct session-initiate is needed). */
  jmi: boolean;
}

export function callability(features: readonly string[]): Callability {
  const has = (f: string) => features.includes(f);
  return { audio: AUDIO_CALL_FEATURES.every(has), video: VIDEO_CALL_FEATURES.every(has), jmi: has(NS_JMI) };
}

/** XEP-0115 §5.1: the verification string (no data forms in our use). */
export function capsVerificationString(info: DiscoInfo): string {
  const identities = info.identities
    .map((i) => `${i.category}/${i.type}/${i.lang ?? ""}/${i.name ?? ""}`)
    .sort();
  const features = [...new Set(info.features)].sort();
  return [...identities, ...features].map((s) => `${s}<`).join("");
}

/** XEP-0115 §5.1: base64(SHA-1(S)); WebCrypto works in browsers and Node. */
export async function capsHash(info: DiscoInfo): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(capsVerificationString(info)));
  let binary = "";
  for (const byte of new Uint8Array(digest)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

export function discoInfoElement(info: DiscoInfo, node?: string): Element {
  return xml(
    "query",
    { xmlns: NS_DISCO_INFO, node },
    ...info.identities.map((i) =>
      xml("identity", { category: i.category, type: i.type, name: i.name, "xml:lang": i.lang }),
    ),
    ...info.features.map((f) => xml("feature", { var: f })),
  );
}

export function readDiscoInfo(query: Element): DiscoInfo & { hasForms: boolean } {
  return {
    identities: query.getChildren("identity").map((i) => ({
      category: i.attrs.category ?? "",
      type: i.attrs.type ?? "",
      name: i.attrs.name,
      lang: i.attrs["xml:lang"],
    })),
    features: query
      .getChildren("feature")
      .map((f) => f.attrs.var)
      .filter((v): v is string => !!v),
    hasForms: query.getChildren("x", "jabber:x:data").length > 0,
  };
}

export interface DiscoPort {
  iqGet(child: Element, to?: string, timeoutMs?: number): Promise<Element | undefined>;
  handleIq(
    type: "get",
    ns: string,
    name: string,
    handler: (request: { element: Element }) => Element | undefined,
  ): void;
}

export interface DiscoEvents {
  [event: string]: readonly unknown[];
  /** The features of a full JID became known. */
  features: [jid: string, features: readonly string[]];
}

/**
 * Answers disco#info about us (with or without the caps node: Dino asks without it) and
 * learns contacts' features, through caps (cached per verification string, checked against
 * the hash) or plain disco#info for entities that send no caps.
 */
export class Disco extends TypedEmitter<DiscoEvents> {
  readonly #port: DiscoPort;
  readonly #info: DiscoInfo;
  readonly #byVer = new Map<string, readonly string[]>();
  readonly #byJid = new Map<string, readonly string[]>();
  readonly #inflight = new Map<string, Promise<readonly string[] | undefined>>();
  #ver = "";

  constructor(port: DiscoPort, info: DiscoInfo = OWN_INFO) {
    super();
    this.#port = port;
    this.#info = info;
    port.handleIq("get", NS_DISCO_INFO, "query", ({ element }) => {
      const node = element.attrs.node;
      // XEP-0115 §6.2: answer for node#ver; any other node is not ours.
      if (node !== undefined && node !== `${CAPS_NODE}#${this.#ver}`) return undefined;
      return discoInfoElement(this.#info, node);
    });
  }

  /** The `<c/>` element to put in every available presence (XEP-0115 §4). */
  async capsElement(): Promise<Element> {
    this.#ver ||= await capsHash(this.#info);
    return xml("c", { xmlns: NS_CAPS, hash: "sha-1", node: CAPS_NODE, ver: this.#ver });
  }

  /** Features of a full JID, if known. */
  featuresOf(jid: string): readonly string[] | undefined {
    return this.#byJid.get(jid);
  }

  forget(jid: string): void {
    this.#byJid.delete(jid);
  }

  /** Learns the features of a resource that just sent available presence. */
  async learn(jid: string, caps: CapsInfo | undefined): Promise<readonly string[] | undefined> {
    const cached = caps && caps.hash === "sha-1" ? this.#byVer.get(caps.ver) : undefined;
    if (cached) return this.#record(jid, cached);
    const key = caps ? `ver:${caps.ver}` : `jid:${jid}`;
    let pending = this.#inflight.get(key);
    if (!pending) {
      pending = this.#query(jid, caps).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, pending);
    }
    const features = await pending;
    return features && this.#record(jid, features);
  }

  async #query(jid: string, caps: CapsInfo | undefined): Promise<readonly string[] | undefined> {
    try {
      const node = caps ? `${caps.node}#${caps.ver}` : undefined;
      const query = await this.#port.iqGet(xml("query", { xmlns: NS_DISCO_INFO, node }), jid, 10_000);
      if (!query) return undefined;
      const info = readDiscoInfo(query);
      // Only cache by ver if the hash verifies (XEP-0115 §5.4); forms would need the full algorithm.
      if (caps && caps.hash === "sha-1" && !info.hasForms && (await capsHash(info)) === caps.ver) {
        this.#byVer.set(caps.ver, info.features);
      }
      return info.features;
    } catch {
      return undefined;
    }
  }

  #record(jid: string, features: readonly string[]) {
    this.#byJid.set(jid, features);
    this.emit("features", jid, features);
    return features;
  }
}

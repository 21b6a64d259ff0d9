// The load generator's XMPP client: the parts @xmpp/client 0.14 wires (WebSocket, SASL,
// resource binding, iq caller/callee, XEP-0198 stream management), composed here with one
// difference: the SASL mechanism is chosen by the caller, and SCRAM-SHA-1 runs PBKDF2 in
// Node's native crypto (off the event loop) instead of @xmpp/client's pure-JS one, which
// costs ≈ 400 ms of CPU per sign-in (EJABBERD.md) and would make the generator, not the
// server, the bottleneck.
import { createHash, createHmac, pbkdf2, randomBytes } from "node:crypto";
import { promisify } from "node:util";
import type { IqCaller, IqCallee } from "@xmpp/client";
import { Client, type Entity } from "@xmpp/client-core";
import iqCallee from "@xmpp/iq/callee.js";
import iqCaller from "@xmpp/iq/caller.js";
import middleware from "@xmpp/middleware";
import resourceBinding from "@xmpp/resource-binding";
import sasl from "@xmpp/sasl";
import streamFeatures from "@xmpp/stream-features";
import streamManagement from "@xmpp/stream-management";
import websocket from "@xmpp/websocket";
import SaslFactory, { type SaslCredentials, type SaslMechanism } from "saslmechanisms";

const pbkdf2Async = promisify(pbkdf2);
const hmac = (key: Buffer, data: string) => createHmac("sha1", key).update(data).digest();

/** RFC 5802 §5.1: "=" and "," in a SCRAM username are escaped. */
const saslName = (name: string) => name.replace(/=/g, "=3D").replace(/,/g, "=2C");

/**
 * SCRAM-SHA-1 (RFC 5802) without channel binding, PBKDF2 by node:crypto. A load generator:
 * the server's signature is not checked (@xmpp/sasl does not hand over the success data).
 */
export class NativeScramSha1 implements SaslMechanism {
  readonly name = "SCRAM-SHA-1";
  readonly clientFirst = true;
  #clientFirstBare = "";
  #serverFirst = "";
  #clientNonce = randomBytes(18).toString("base64");

  response(credentials: SaslCredentials): string | Promise<string> {
    if (!this.#serverFirst) {
      this.#clientFirstBare = `n=${saslName(credentials.username)},r=${this.#clientNonce}`;
      return `n,,${this.#clientFirstBare}`;
    }
    return this.#final(credentials.password);
  }

  challenge(challenge: string): void {
    this.#serverFirst = challenge;
  }

  async #final(password: string): Promise<string> {
    const fields = new Map(this.#serverFirst.split(",").map((kv) => [kv[0], kv.slice(2)] as const));
    const nonce = fields.get("r") ?? "";
    if (!nonce.startsWith(this.#clientNonce)) throw new Error("SCRAM: the server nonce does not extend ours");
    const salted = await pbkdf2Async(password, Buffer.from(fields.get("s") ?? "", "base64"), Number(fields.get("i")), 20, "sha1");
    const clientKey = hmac(salted, "Client Key");
    const storedKey = createHash("sha1").update(clientKey).digest();
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.#clientFirstBare},${this.#serverFirst},${withoutProof}`;
    const signature = hmac(storedKey, authMessage);
    const proof = Buffer.from(clientKey.map((byte, i) => byte ^ signature[i]!)).toString("base64");
    return `${withoutProof},p=${proof}`;
  }
}

/** SASL PLAIN (RFC 4616): only ever inside TLS. */
export class Plain implements SaslMechanism {
  readonly name = "PLAIN";
  readonly clientFirst = true;

  response(credentials: SaslCredentials): string {
    return `\0${credentials.username}\0${credentials.password}`;
  }

  challenge(): void {}
}

export type SaslMechanismName = "PLAIN" | "SCRAM-SHA-1";

export type LoadClient = Entity & { iqCaller: IqCaller; iqCallee: IqCallee };

export interface LoadClientOptions {
  service: string;
  domain: string;
  username: string;
  password: string;
  resource: string;
  mechanism: SaslMechanismName;
  timeoutMs?: number;
}

/** An XMPP-over-WebSocket client that signs in with the given mechanism only. Call start(). */
export function loadClient(options: LoadClientOptions): LoadClient {
  const entity = new Client({ service: options.service, domain: options.domain, timeout: options.timeoutMs });
  websocket({ entity });
  const mw = middleware({ entity });
  const features = streamFeatures({ middleware: mw });
  const caller = iqCaller({ middleware: mw, entity });
  const callee = iqCallee({ middleware: mw, entity });
  const factory = new SaslFactory().use(options.mechanism, options.mechanism === "PLAIN" ? Plain : NativeScramSha1);
  sasl({ streamFeatures: features, saslFactory: factory }, (authenticate) =>
    authenticate({ username: options.username, password: options.password }, options.mechanism));
  streamManagement({ streamFeatures: features, entity, middleware: mw });
  resourceBinding({ iqCaller: caller, streamFeatures: features }, options.resource);
  return Object.assign(entity, { iqCaller: caller, iqCallee: callee });
}

// A hostile XMPP client for browser tests: a Node connection to the test ejabberd that sends raw
// stanzas (the server stamps their 'from', as it would for any client) and records everything it
// gets back, so a test can correlate iq answers by id and see whatever else came its way.
import type { Client } from "@xmpp/client";
import { xml, type Element } from "@xmpp/xml";
import { StanzaError } from "../../client/src/xmpp/errors.ts";
import type { Answer } from "../unit/call/fuzz-oracle.ts";
import { NOT_XML_CHAR } from "./fuzz/codec-cases.ts";
import type { TestAccount, TestServer } from "./ejabberd.ts";
import { connectTestClient } from "./xmpp.ts";

/** Why a generated stanza cannot go through ejabberd as it is (null: it can). */
export function unsendable(stanza: Element, maxBytes: number): "not-xml" | "too-big" | null {
  const text = stanza.toString();
  // ejabberd closes the sender's stream on characters XML 1.0 forbids (not-well-formed).
  if (NOT_XML_CHAR.test(text)) return "not-xml";
  return Buffer.byteLength(text) > maxBytes ? "too-big" : null;
}

/** The answer an iq result or error stands for, as the fuzz oracle writes it. */
export function answerOf(iq: Element): Answer {
  if (iq.attrs["type"] === "result") return { type: "result" };
  const error = StanzaError.fromElement(iq.getChild("error") ?? xml("error"));
  return { type: "error", condition: error.condition, ...(error.application ? { application: error.application.name } : {}) };
}

export class Attacker {
  /** Every stanza received, in order. */
  readonly received: Element[] = [];
  /** Answers (iq result/error) to the iqs this attacker sent, by id. */
  readonly answers = new Map<string, Element[]>();
  readonly #sent = new Set<string>();
  #n = 0;
  /** Stanza ids: unique to this sender, so answers and deliveries correlate across senders. */
  readonly #idPrefix: string;

  private constructor(readonly jid: string, readonly client: Client) {
    this.#idPrefix = jid.replace(/@[^/]*\//, ".");
    client.on("stanza", (stanza: Element) => {
      this.received.push(stanza);
      const id = stanza.attrs["id"];
      if (stanza.name !== "iq" || !["result", "error"].includes(stanza.attrs["type"] ?? "") || !this.#sent.has(id ?? "")) return;
      this.answers.set(id!, [...(this.answers.get(id!) ?? []), stanza]);
    });
  }

  /** Signs `account` in on `resource` (no presence: the attacker needs none to send). */
  static async connect(server: TestServer, account: TestAccount, resource: string): Promise<Attacker> {
    const client = await connectTestClient(server, { username: account.username, password: account.password, resource });
    return new Attacker(client.jid?.toString() ?? `${account.jid}/${resource}`, client);
  }

  /** Sends `<iq type='set'>` with `payload` to `to`; returns its id. */
  async sendIq(to: string, payload: Element): Promise<string> {
    const id = `${this.#idPrefix}-iq-${++this.#n}`;
    this.#sent.add(id);
    await this.client.send(xml("iq", { type: "set", to, id }, payload));
    return id;
  }

  /** Sends a message as it is but for its 'to' and 'id' (and no 'from': the server sets it); returns its id. */
  async sendMessage(to: string, message: Element): Promise<string> {
    const id = `${this.#idPrefix}-msg-${++this.#n}`;
    delete message.attrs["from"];
    Object.assign(message.attrs, { to, id });
    await this.client.send(message);
    return id;
  }

  /** Ids of the iqs sent that have no answer yet. */
  unanswered(): string[] {
    return [...this.#sent].filter((id) => !this.answers.has(id));
  }

  /** What came in that is neither an answer to our iqs nor an error bounced back by the server. */
  unsolicited(): Element[] {
    return this.received.filter((s) => s.attrs["type"] !== "error" && !(s.name === "iq" && s.attrs["type"] === "result" && this.#sent.has(s.attrs["id"] ?? "")));
  }

  stop(): Promise<void> {
    return this.client.stop().then(() => undefined, () => undefined);
  }
}

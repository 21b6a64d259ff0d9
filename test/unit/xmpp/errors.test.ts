import { describe, expect, it } from "vitest";
import parse from "@xmpp/xml/lib/parse.js";
import { StanzaError } from "../../../client/src/xmpp/errors.js";
import { stanzaErrorElement } from "../../../client/src/xmpp/connection.js";

describe("stanza errors", () => {
  it("reads condition, type, text and an application condition (XEP-0166 §10 example)", () => {
    const e = StanzaError.fromElement(parse(`<error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
      <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>no such session</text><unknown-session xmlns='urn:xmpp:jingle:errors:1'/></error>`));
    expect(e).toMatchObject({ condition: "item-not-found", type: "cancel", text: "no such session", application: { name: "unknown-session", xmlns: "urn:xmpp:jingle:errors:1" } });
  });

  it("writes the same error back, condition first (RFC 6120 §8.3.2)", () => {
    const e = new StanzaError("unexpected-request", "wait", "", { name: "out-of-order", xmlns: "urn:xmpp:jingle:errors:1" });
    expect(stanzaErrorElement(e).toString()).toBe(
      `<error type="wait"><unexpected-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><out-of-order xmlns="urn:xmpp:jingle:errors:1"/></error>`,
    );
    expect(StanzaError.fromElement(stanzaErrorElement(e))).toMatchObject({ condition: "unexpected-request", application: { name: "out-of-order" } });
  });
});

import { describe, expect, it } from "vitest";
import { sdpToSession, writeJingleRequest, type JingleBody } from "../../../client/src/jingle/index.js";
import { fixture } from "./helpers.js";

const { session } = sdpToSession(fixture("sdp/chromium-audio-video-offer.sdp"), { role: "initiator" });
const addressing = { sid: "s1", initiator: "romeo@example.net/orchard", responder: "juliet@example.org/balcony" };
const write = (body: JingleBody) => writeJingleRequest({ ...body, ...addressing });

describe("writeJingleRequest addressing (XEP-0166 §7.1)", () => {
  it("names the initiator on session-initiate only, and the responder on session-accept only", () => {
    const initiate = write({ action: "session-initiate", session }).toString();
    expect(initiate).toContain(`initiator="${addressing.initiator}"`);
    expect(initiate).not.toContain("responder=");
    const accept = write({ action: "session-accept", session }).toString();
    expect(accept).toContain(`responder="${addressing.responder}"`);
    expect(accept).not.toContain("initiator=");
  });

  it("puts neither full JID on the other actions, whose peer finds the session by its sid", () => {
    const others = [
      write({ action: "transport-info", session }),
      write({ action: "content-add", session }),
      write({ action: "content-modify", stubs: [{ name: "1", creator: "initiator", senders: "initiator" }] }),
      write({ action: "session-info", info: { kind: "ringing" } }),
      write({ action: "session-terminate", reason: "success" }),
    ];
    for (const el of others) {
      expect(el.attrs["sid"]).toBe("s1");
      expect(el.toString()).not.toMatch(/initiator=|responder=/);
    }
  });
});

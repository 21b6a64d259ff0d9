// A bare JID is no device: it is no party to a Jingle session (XEP-0166 §7.1: initiator and
// responder are full JIDs) and sends no XEP-0353 message (a client's stanzas carry its full JID,
// RFC 6120 §8.1.2.1; only a server sends from a bare one). Until a device proceeds, an outgoing
// call knows only the callee's bare JID, so such stanzas used to pass for the peer's: found by
// the caller-side fuzz run (caller-fuzz.test.ts).
import { describe, expect, it } from "vitest";
import { xml } from "@xmpp/xml";
import { jmiMessage } from "../../../client/src/xmpp/jmi.js";
import { StanzaError } from "../../../client/src/xmpp/errors.js";
import { FakeNetwork } from "../../support/fake-network.js";
import { until } from "../../support/until.js";
import { deliverJingle, deliverMessage } from "../../../client/src/app/call-stanzas.js";
import { NS_JINGLE } from "../../../client/src/namespaces.js";


/** Alice calls bob, whose device is offline: the call stays proposed. */
async function proposed() {
  const net = new FakeNetwork();
  const alice = net.device("alice@x/web", { trusted: ["bob@x"] });
  net.device("bob@x/dev1").online = false;
  const call = await alice.manager.call("bob@x", ["audio"]);
  return { net, alice, call };
}

function answer(handle: () => void): string {
  try {
    handle();
    return "result";
  } catch (error) {
    if (!(error instanceof StanzaError)) throw error;
    return `${error.condition}${error.application ? `/${error.application.name}` : ""}`;
  }
}

const fromBare = (action: "ringing" | "proceed" | "reject" | "finish", id: string) => {
  const message = jmiMessage("alice@x/web", action, id, action === "reject" ? { reason: "busy" } : {});
  message.attrs.from = "bob@x";
  return message;
};

describe("stanzas from the callee's bare JID before a device proceeds", () => {
  it.each(["session-info", "transport-info", "session-accept", "session-terminate"])("a %s for the call gets unknown-session (was a result or out-of-order)", async (action) => {
    const { alice, call } = await proposed();
    const jingle = xml("jingle", { xmlns: NS_JINGLE, action, sid: call.id });
    expect(answer(() => deliverJingle(alice.manager, "bob@x", jingle))).toBe("item-not-found/unknown-session");
    expect(call.state).toBe("proposed");
  });

  it("a JMI reject does not end the call (was: rejected with busy)", async () => {
    const { alice, call } = await proposed();
    deliverMessage(alice.manager, fromBare("reject", call.id));
    expect(call.state).toBe("proposed");
  });

  it("a JMI proceed does not send our offer to the bare JID (was: session-initiate to bob@x)", async () => {
    const { net, alice, call } = await proposed();
    deliverMessage(alice.manager, fromBare("proceed", call.id));
    await new Promise((r) => setTimeout(r, 30));
    expect(call.state).toBe("proposed");
    expect(net.jingleActions("alice@x/web")).toEqual([]);
  });

  it("the callee's device still moves the call: its ringing and proceed are taken", async () => {
    const { net, alice, call } = await proposed();
    const ringing = jmiMessage("alice@x/web", "ringing", call.id);
    ringing.attrs.from = "bob@x/dev1";
    deliverMessage(alice.manager, ringing);
    expect(call.state).toBe("ringing");
    const proceed = jmiMessage("alice@x/web", "proceed", call.id);
    proceed.attrs.from = "bob@x/dev1";
    deliverMessage(alice.manager, proceed);
    await until(() => net.jingleActions("alice@x/web").includes("session-initiate"), "session-initiate sent");
    expect(call.peerJid).toBe("bob@x/dev1");
  });
});

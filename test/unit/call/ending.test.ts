// Ending a call and its session-info messages, each through its port alone: a call whose state
// follows the real transition table, and a record of what was sent.
import { describe, expect, it } from "vitest";
import { Ending } from "../../../client/src/call/ending.ts";
import { InfoMessages } from "../../../client/src/call/info-messages.ts";
import { NegotiationState } from "../../../client/src/call/negotiation.ts";
import { Ringing } from "../../../client/src/call/ringing.ts";
import { canTransition, type CallState, type JingleReason } from "../../../client/src/call/states.ts";
import type { JingleBody, JingleRequest, JingleSession, SessionInfo } from "../../../client/src/jingle/index.ts";
import { StanzaError } from "../../../client/src/xmpp/errors.ts";

const PEER = "alice@example.org/laptop";

function call(state: CallState, jmi = true) {
  const sent: string[] = [];
  const c = { state };
  const transition = (to: CallState) => {
    if (!canTransition(c.state, to)) throw new Error(`${c.state} → ${to}`);
    c.state = to;
  };
  const end = (to: CallState, reason: JingleReason) => {
    transition(to);
    sent.push(`(ended ${to} ${reason})`);
  };
  const sendJingle = async (jingle: JingleBody) => void sent.push(jingle.action === "session-terminate" ? `session-terminate ${jingle.reason}` : jingle.action);
  const ringing = new Ringing({
    id: "s1",
    media: ["audio"],
    timeouts: { ringMs: 1000, incomingMs: 1000, proceedMs: 1000 },
    ownJid: () => "bob@example.org/phone",
    state: () => c.state,
    peer: () => (c.state === "proposed" || c.state === "ringing" ? "alice@example.org" : PEER),
    sendJmi: async (to, m) => void sent.push(`jmi ${m.action}${m.reason ? ` ${m.reason}` : ""} → ${to}`),
    transition,
    end,
    terminate: () => undefined,
    ringInSession: async () => undefined,
    proceeded: () => undefined,
  }, jmi);
  const ending = new Ending({ state: () => c.state, end, sendJingle, iqFailed: (action) => sent.push(`refused ${action}`) }, ringing);
  return { c, ending, sent };
}

const terminate = (reason?: JingleReason) => ({ action: "session-terminate", sid: "s1", reason }) as unknown as JingleRequest;

describe("Ending through its port", () => {
  it.each([
    ["proposed", ["(ended retracted cancel)", "jmi retract cancel → alice@example.org"]],
    ["incoming", ["(ended rejected decline)", `jmi reject decline → ${PEER}`, "jmi reject decline → bob@example.org"]],
    ["initiated", ["(ended finished cancel)", "session-terminate cancel", `jmi finish cancel → ${PEER}`]],
    ["active", ["(ended finished success)", "session-terminate success", `jmi finish success → ${PEER}`]],
    ["proceeded", ["(ended finished cancel)", `jmi finish cancel → ${PEER}`]],
  ] as const)("hanging up in %s sends what that phase needs", async (state, expected) => {
    const { ending, sent } = call(state);
    await ending.hangUp();
    expect(sent).toEqual(expected);
  });

  it("a call started without JMI ends with session-terminate only, and a direct caller is declined the same way", async () => {
    const active = call("active", false);
    await active.ending.hangUp();
    expect(active.sent).toEqual(["(ended finished success)", "session-terminate success"]);
    const ringingHere = call("incoming-session", false);
    await ringingHere.ending.decline();
    expect(ringingHere.sent).toEqual(["(ended rejected decline)", "session-terminate decline"]);
  });

  it("hanging up an ended call sends nothing", async () => {
    const { ending, sent } = call("finished");
    await ending.hangUp();
    await ending.terminate("success", "finished");
    expect(sent).toEqual([]);
  });

  it("the peer's session-terminate: decline or busy before its accept is a rejected call, a failure reason a failed one, anything else finished", () => {
    const declined = call("initiated");
    declined.ending.receive(terminate("busy"));
    expect(declined.c.state).toBe("rejected");
    const broken = call("active");
    broken.ending.receive(terminate("connectivity-error"));
    expect(broken.c.state).toBe("failed");
    const done = call("active");
    done.ending.receive(terminate());
    expect(done.sent).toEqual(["(ended finished success)"]);
  });

  it("a session-terminate the table does not allow is out-of-order (XEP-0166 §10)", () => {
    const { ending, c } = call("incoming");
    let error: unknown;
    try {
      ending.receive(terminate("success"));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StanzaError);
    expect((error as StanzaError).application?.name).toBe("out-of-order");
    expect(c.state).toBe("incoming");
  });
});

const audioVideo: JingleSession = {
  groups: [],
  contents: [
    { creator: "initiator", name: "a0", senders: "both", description: { media: "audio", payloadTypes: [], feedback: [], headerExtensions: [], sources: [], sourceGroups: [] } },
    { creator: "initiator", name: "v1", senders: "both", description: { media: "video", payloadTypes: [], feedback: [], headerExtensions: [], sources: [], sourceGroups: [] } },
  ],
} as unknown as JingleSession;

function infoCall(state: CallState, signalled: boolean) {
  const sent: JingleBody[] = [];
  const events: boolean[] = [];
  const c = { state };
  const negotiation = new NegotiationState({ role: "initiator", sid: "s1", onSendable: () => undefined, onAgreed: () => undefined });
  negotiation.setLocal(audioVideo.contents);
  negotiation.agree(audioVideo);
  const info = new InfoMessages({
    negotiation,
    state: () => c.state,
    ended: () => false,
    transition: (to) => void (c.state = to),
    signalled: () => signalled,
    sendJingle: async (jingle) => void sent.push(jingle),
    iqFailed: () => undefined,
    remoteMute: (muted) => void events.push(muted),
  });
  return { c, info, sent, events };
}

const sessionInfo = (info: SessionInfo | undefined) => ({ action: "session-info", sid: "s1", info }) as unknown as JingleRequest;

describe("InfoMessages (XEP-0167 §7.2) through its port", () => {
  it("our mute names the content of that medium, with our role as creator; nothing is said before our session-initiate/accept is out", async () => {
    const before = infoCall("initiated", false);
    await before.info.muted("video", true);
    expect(before.sent).toEqual([]);
    const during = infoCall("active", true);
    await during.info.muted("video", true);
    expect(during.sent).toEqual([{ action: "session-info", info: { kind: "mute", creator: "initiator", name: "v1" } }]);
  });

  it("the peer muting its video is shown but does not explain silence; muting its audio (or everything) does", () => {
    const { info, events } = infoCall("active", true);
    info.receive(sessionInfo({ kind: "mute", name: "v1" }));
    expect([events, info.peerMutedAudio]).toEqual([[true], false]);
    info.receive(sessionInfo({ kind: "mute", name: "a0" }));
    expect(info.peerMutedAudio).toBe(true);
    info.receive(sessionInfo({ kind: "unmute" }));
    expect([events, info.peerMutedAudio]).toEqual([[true, true, false], false]);
  });

  it("the callee's <ringing/> makes a direct call alerting; a session-info this client does not understand is refused (XEP-0166 §6.8)", () => {
    const { c, info } = infoCall("initiating", true);
    info.receive(sessionInfo({ kind: "ringing" }));
    expect(c.state).toBe("alerting");
    expect(() => info.receive(sessionInfo(undefined))).toThrowError(StanzaError);
  });
});

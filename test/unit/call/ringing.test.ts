// Ringing (XEP-0353) through its port alone: a call whose state follows the real transition table,
// and a record of the JMI messages sent and of what was handed back to the session.
import { afterEach, describe, expect, it, vi } from "vitest";
import { Ringing, type RingingPort } from "../../../client/src/call/ringing.ts";
import { canTransition, isTerminal, type CallState, type JingleReason } from "../../../client/src/call/states.ts";
import type { JmiAction, JmiMessage, OutgoingJmi } from "../../../client/src/xmpp/jmi.ts";

const ME = "bob@example.org/phone";
const CALLER = "alice@example.org/laptop";
const TIMEOUTS = { ringMs: 45_000, incomingMs: 60_000, proceedMs: 15_000 };

function call(state: CallState, peer: string, jmi = true, offline = false) {
  const sent: { to: string; jmi: OutgoingJmi }[] = [];
  const log: string[] = [];
  const c = { state, peer };
  const port: RingingPort = {
    id: "call-1",
    media: ["audio", "video"],
    timeouts: TIMEOUTS,
    ownJid: () => ME,
    state: () => c.state,
    peer: () => c.peer,
    sendJmi: async (to, message) => {
      if (offline) throw new Error("offline");
      sent.push({ to, jmi: message });
    },
    transition: (to) => {
      if (!canTransition(c.state, to)) throw new Error(`${c.state} → ${to}`);
      c.state = to;
      ringing.changed(to);
    },
    end: (to, reason: JingleReason) => {
      port.transition(to);
      log.push(`end ${to} ${reason}`);
    },
    terminate: (reason) => log.push(`terminate ${reason}`),
    ringInSession: async () => void log.push("session-info ringing"),
    proceeded: (device) => {
      c.peer = device;
      port.transition("proceeded");
      log.push(`proceeded ${device}`);
    },
  };
  const ringing = new Ringing(port, jmi);
  const sentAs = () => sent.map(({ to, jmi: m }) => `${m.action}${m.reason ? `(${m.reason})` : ""} → ${to}`);
  return { c, ringing, log, sent, sentAs };
}

const message = (action: JmiAction, from: string, reason?: JingleReason): JmiMessage => ({ action, id: "call-1", from, to: ME, media: [], reason, sentCarbon: false });

describe("Ringing (XEP-0353) through its port", () => {
  afterEach(() => vi.useRealTimers());

  it("propose goes to the callee's bare JID with the call's media; unanswered for ringMs, it is retracted with <timeout/>", async () => {
    vi.useFakeTimers();
    const { c, ringing, sent, sentAs } = call("proposed", "carol@example.org");
    await ringing.propose();
    expect(sent[0]).toEqual({ to: "carol@example.org", jmi: { action: "propose", id: "call-1", media: ["audio", "video"] } });
    await vi.advanceTimersByTimeAsync(TIMEOUTS.ringMs - 1);
    expect(c.state).toBe("proposed");
    await vi.advanceTimersByTimeAsync(1);
    expect(c.state).toBe("retracted");
    expect(sentAs().at(-1)).toBe("retract(timeout) → carol@example.org");
  });

  it("the callee's <ringing/> moves the call to ringing; its proceed hands the call to that device, which then has ringMs to accept", async () => {
    vi.useFakeTimers();
    const { c, ringing, log } = call("proposed", "carol@example.org");
    await ringing.propose();
    ringing.handle(message("ringing", "carol@example.org/tablet"), false);
    expect(c.state).toBe("ringing");
    await vi.advanceTimersByTimeAsync(30_000);
    ringing.handle(message("proceed", "carol@example.org/tablet"), false);
    expect(log).toEqual(["proceeded carol@example.org/tablet"]);
    // The ring time starts again at proceed (the device may still be opening its camera).
    await vi.advanceTimersByTimeAsync(TIMEOUTS.ringMs - 1);
    expect(log).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(log.at(-1)).toBe("terminate timeout");
  });

  it("a proceed crossing our retract gets the retract again, at the device that answered", async () => {
    const { c, ringing, sentAs } = call("proposed", "carol@example.org");
    await ringing.retract("cancel");
    expect(c.state).toBe("retracted");
    ringing.handle(message("proceed", "carol@example.org/tablet"), false);
    await Promise.resolve();
    expect(sentAs()).toEqual(["retract(cancel) → carol@example.org", "retract(cancel) → carol@example.org/tablet"]);
  });

  it("the callee's reject ends the call as rejected, with its reason or decline", () => {
    const busy = call("ringing", "carol@example.org");
    busy.ringing.handle(message("reject", "carol@example.org/tablet", "busy"), false);
    expect(busy.log).toEqual(["end rejected busy"]);
    const plain = call("proposed", "carol@example.org");
    plain.ringing.handle(message("reject", "carol@example.org/tablet"), false);
    expect(plain.log).toEqual(["end rejected decline"]);
  });

  it("messages from another account, and finish from a resource of the peer not in the call, change nothing", () => {
    const outgoing = call("proposed", "carol@example.org");
    outgoing.ringing.handle(message("proceed", "mallory@example.org/x"), false);
    outgoing.ringing.handle(message("reject", "mallory@example.org/x"), false);
    expect(outgoing.c.state).toBe("proposed");
    const inCall = call("initiated", "carol@example.org/tablet");
    inCall.ringing.handle(message("finish", "carol@example.org/other"), false);
    expect(inCall.c.state).toBe("initiated");
    inCall.ringing.handle(message("finish", "carol@example.org/tablet", "success"), false);
    expect(inCall.log).toEqual(["end finished success"]);
  });

  it("incoming by JMI: ring says <ringing/> to the caller; nobody answering for incomingMs makes it a missed call (failed, timeout)", async () => {
    vi.useFakeTimers();
    const { c, ringing, log, sentAs } = call("incoming", CALLER);
    await ringing.ring();
    expect(sentAs()).toEqual([`ringing → ${CALLER}`]);
    await vi.advanceTimersByTimeAsync(TIMEOUTS.incomingMs);
    expect(c.state).toBe("failed");
    expect(log).toEqual(["end failed timeout"]);
  });

  it("incoming without JMI: ring is said in the Jingle session, not as a JMI message", async () => {
    const { ringing, log, sent } = call("incoming-session", CALLER, false);
    await ringing.ring();
    expect(sent).toEqual([]);
    expect(log).toEqual(["session-info ringing"]);
  });

  it("answering sends accept to our own bare JID (our other devices stop) before proceed to the caller; no session-initiate within proceedMs ends the call", async () => {
    vi.useFakeTimers();
    const { c, ringing, log, sentAs } = call("incoming", CALLER);
    await ringing.ring();
    c.state = "proceeding";
    await ringing.accept();
    expect(sentAs().slice(1)).toEqual(["accept → bob@example.org", `proceed → ${CALLER}`]);
    await vi.advanceTimersByTimeAsync(TIMEOUTS.proceedMs);
    expect(log).toEqual(["end failed timeout"]);
  });

  it("declining sends reject to the caller and to our own bare JID", async () => {
    const { c, ringing, sentAs } = call("incoming", CALLER);
    await ringing.decline();
    expect(c.state).toBe("rejected");
    expect(sentAs()).toEqual([`reject(decline) → ${CALLER}`, "reject(decline) → bob@example.org"]);
  });

  it("our other device answering or declining ends a ringing call here as answered/rejected elsewhere; once we answered here it changes nothing", () => {
    const answered = call("incoming", CALLER);
    answered.ringing.handle(message("accept", "bob@example.org/desk"), true);
    expect(answered.c.state).toBe("answered-elsewhere");
    const declined = call("incoming", CALLER);
    declined.ringing.handle(message("reject", "bob@example.org/desk"), true);
    expect(declined.c.state).toBe("rejected-elsewhere");
    const here = call("proceeding", CALLER);
    here.ringing.handle(message("accept", "bob@example.org/desk"), true);
    expect(here.c.state).toBe("proceeding");
  });

  it("the no-answer timer stops once the call is answered", async () => {
    vi.useFakeTimers();
    const { c, ringing, log } = call("incoming", CALLER);
    await ringing.ring();
    c.state = "proceeding";
    await ringing.accept();
    ringing.changed("accepting");
    await vi.advanceTimersByTimeAsync(TIMEOUTS.incomingMs + TIMEOUTS.proceedMs);
    expect(log).toEqual([]);
  });

  it("finish goes to the device in a JMI call, and never in a call started without JMI", async () => {
    const jmi = call("active", CALLER);
    await jmi.ringing.finish("success");
    expect(jmi.sentAs()).toEqual([`finish(success) → ${CALLER}`]);
    const direct = call("active", CALLER, false);
    await direct.ringing.finish("success");
    expect(direct.sent).toEqual([]);
  });

  it("a JMI message that cannot be sent is not an error of the call (the connection re-sends what it can)", async () => {
    const { ringing, c } = call("incoming", CALLER, true, true);
    await expect(ringing.decline()).resolves.toBeUndefined();
    expect(isTerminal(c.state)).toBe(true);
  });
});


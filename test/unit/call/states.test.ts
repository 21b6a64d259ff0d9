import { describe, expect, it } from "vitest";
import { canTransition, isTerminal, TERMINAL_STATES, VALID_TRANSITIONS, type CallState } from "../../../client/src/call/states.js";
import { deriveCallPhase } from "../../../client/src/call/view.js";

const ALL = Object.keys(VALID_TRANSITIONS) as CallState[];

describe("call transition table", () => {
  it.each(TERMINAL_STATES)("nothing leaves the terminal state %s", (state) => {
    expect(ALL.filter((to) => canTransition(state, to))).toEqual([]);
    expect(isTerminal(state)).toBe(true);
  });

  it("every state is reachable from proposed, initiating, incoming or incoming-session", () => {
    const seen = new Set<CallState>(["proposed", "initiating", "incoming", "incoming-session"]);
    for (let changed = true; changed; ) {
      changed = false;
      for (const from of [...seen]) for (const to of VALID_TRANSITIONS[from]) if (!seen.has(to)) { seen.add(to); changed = true; }
    }
    expect([...seen].sort()).toEqual([...ALL].sort());
  });

  it("every non-terminal state can fail", () => {
    for (const state of ALL.filter((s) => !isTerminal(s))) expect(canTransition(state, "failed")).toBe(true);
  });

  it("an outgoing call cannot become active without session-initiate", () => {
    expect(canTransition("ringing", "active")).toBe(false);
    expect(canTransition("proceeded", "active")).toBe(false);
  });

  it("a retract may cross the callee's proceed", () => {
    expect(canTransition("proceeding", "retracted")).toBe(true);
  });
});

describe("what the user sees", () => {
  it.each([
    ["proposed", "outgoing", "new", undefined, "finding-device"],
    ["ringing", "outgoing", "new", undefined, "ringing-remote"],
    ["incoming", "incoming", "new", undefined, "ringing-local"],
    ["active", "outgoing", "checking", undefined, "connecting"],
    ["active", "outgoing", "connected", undefined, "connected"],
    ["active", "incoming", "disconnected", undefined, "reconnecting"],
    ["retracted", "incoming", "new", "cancel", "missed"],
    ["retracted", "outgoing", "new", "timeout", "no-answer"],
    ["initiating", "outgoing", "new", undefined, "finding-device"],
    ["alerting", "outgoing", "new", undefined, "ringing-remote"],
    ["finished", "outgoing", "new", "timeout", "no-answer"],
    ["retracted", "outgoing", "new", "cancel", "ended"],
    ["failed", "incoming", "new", "timeout", "missed"],
    ["rejected", "outgoing", "new", "busy", "declined"],
    ["answered-elsewhere", "incoming", "new", "success", "answered-elsewhere"],
    ["failed", "outgoing", "failed", "connectivity-error", "failed"],
  ] as const)("%s (%s, ICE %s, %s) shows as %s", (state, direction, ice, reason, phase) => {
    expect(deriveCallPhase({ state, direction, iceState: ice, reason })).toBe(phase);
  });

  it.each([
    ["active", "connected", "reconnecting"],
    ["active", "checking", "reconnecting"],
    ["incoming", "new", "ringing-local"],
    ["finished", "connected", "ended"],
  ] as const)("with our XMPP session down, %s (ICE %s) shows as %s: media still flows, the call is not over", (state, ice, phase) => {
    expect(deriveCallPhase({ state, direction: "outgoing", iceState: ice, signalingUp: false })).toBe(phase);
  });
});

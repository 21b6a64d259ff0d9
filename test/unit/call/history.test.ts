import { describe, expect, it } from "vitest";
import { historyFromJmi } from "../../../client/src/call/history.js";
import type { JmiMessage } from "../../../client/src/xmpp/jmi.js";

const m = (action: JmiMessage["action"], id: string, from: string, to: string, extra: Partial<JmiMessage> = {}): JmiMessage => ({
  action, id, from, to, media: [], sentCarbon: false, ...extra,
});

describe("call history from JMI messages", () => {
  it("records a placed call that was answered, a received call that was missed and one declined", () => {
    const history = historyFromJmi([
      { message: m("propose", "a", "me@x/web", "bob@x", { media: ["audio", "video"] }), outgoing: true, at: 1 },
      { message: m("proceed", "a", "bob@x/phone", "me@x/web"), outgoing: false, at: 2 },
      { message: m("propose", "b", "carol@x/pc", "me@x", { media: ["audio"] }), outgoing: false, at: 3 },
      { message: m("retract", "b", "carol@x/pc", "me@x"), outgoing: false, at: 4 },
      { message: m("propose", "c", "dave@x/pc", "me@x"), outgoing: false, at: 5 },
      { message: m("reject", "c", "me@x/web", "dave@x/pc"), outgoing: true, at: 6 },
    ]);
    expect(history.map((r) => [r.id, r.direction, r.peer, r.outcome])).toEqual([
      ["c", "received", "dave@x", "declined"],
      ["b", "received", "carol@x", "missed"],
      ["a", "placed", "bob@x", "answered"],
    ]);
    expect(history[2]!.media).toEqual(["audio", "video"]);
  });

  it("a received call answered on another device counts as answered", () => {
    const [record] = historyFromJmi([
      { message: m("propose", "a", "bob@x/pc", "me@x"), outgoing: false, at: 1 },
      { message: m("accept", "a", "me@x/phone", "me@x", { sentCarbon: false }), outgoing: true, at: 2 },
    ]);
    expect(record!.outcome).toBe("answered");
  });

  it("a placed call refused as busy says busy", () => {
    const [record] = historyFromJmi([
      { message: m("propose", "a", "me@x/web", "bob@x"), outgoing: true, at: 1 },
      { message: m("reject", "a", "bob@x/pc", "me@x/web", { reason: "busy" }), outgoing: false, at: 2 },
    ]);
    expect(record!.outcome).toBe("busy");
  });

  it("uses the archive's delay stamp as the call time", () => {
    const [record] = historyFromJmi([{ message: m("propose", "a", "bob@x/pc", "me@x", { delayedAt: 42 }), outgoing: false, at: 1000 }]);
    expect(record!.at).toBe(42);
  });
});

// Movim (movim/movim: src/Moxl/Stanza/Jingle.php) JMI and session-info against our call layer.
import { describe, expect, it } from "vitest";
import { until } from "../../support/until.js";
import { InteropHarness, NS_JMI, interopFixture } from "./harness.js";

const MOVIM = "juliet@example.org/movim";
const fx = (file: string, id?: string) => interopFixture("movim", file, id);

describe("Movim calls us (XEP-0353)", () => {
  async function incoming() {
    const h = new InteropHarness();
    h.message(fx("propose-video.xml"));
    await until(() => h.manager.calls[0]?.state === "incoming", "we ring");
    return h;
  }

  it("its propose lists video before audio and has no store hint: we ring for audio+video and send ringing to its full JID", async () => {
    const h = await incoming();
    expect([...h.call.media].sort()).toEqual(["audio", "video"]);
    expect(h.jmi("ringing")[0]?.attrs.to).toBe(MOVIM);
  });

  it("its retract with <cancel/> and a <text/> stops our ringing", async () => {
    const h = await incoming();
    h.message(fx("retract.xml"));
    expect(h.call.state).toBe("retracted");
    expect(h.call.reason).toBe("cancel");
  });

  it("answering sends proceed to its full JID", async () => {
    const h = await incoming();
    await h.call.accept();
    expect(h.jmi("proceed")[0]?.attrs.to).toBe(MOVIM);
    expect(h.jmi("proceed")[0]?.getChild("proceed", NS_JMI)?.attrs.id).toBe("d2f9a0c4e1b7");
  });
});

describe("we call Movim", () => {
  const ID = "our-call-1";
  async function active() {
    const h = new InteropHarness();
    const call = await h.manager.call("juliet@example.org", ["audio", "video"]);
    h.message(fx("ringing.xml", ID));
    expect(call.state).toBe("ringing");
    h.message(fx("proceed.xml", ID));
    await until(() => h.jingle("session-initiate").length === 1, "session-initiate sent");
    expect(h.jingle("session-initiate")[0]!.to).toBe(MOVIM);
    // Movim's answer is its browser's SDP through SDPtoJingle.php; StanzaJS's rendering of Chromium's answer stands in for it.
    const accept = interopFixture("stanza", "session-accept-audio-video.xml", ID);
    accept.attrs.from = MOVIM;
    expect(h.iq(accept)).toBeUndefined();
    await until(() => call.state === "active", "active");
    return { h, call };
  }

  it("its session-info <mute name='1'/> (no creator) shows as the peer muting", async () => {
    const { h, call } = await active();
    const muted = new Promise<boolean>((resolve) => call.on("remoteMute", resolve));
    expect(h.iq(fx("session-info-mute.xml", ID))).toBeUndefined();
    expect(await muted).toBe(true);
  });

  it("its <finish/> with <success/> and a <text/> ends our call as finished", async () => {
    const { h, call } = await active();
    h.message(fx("finish.xml", ID));
    expect(call.state).toBe("finished");
    expect(call.reason).toBe("success");
  });

  it("its session-terminate alone also ends our call", async () => {
    const { h, call } = await active();
    expect(h.iq(fx("session-terminate-success.xml", ID))).toBeUndefined();
    expect(call.state).toBe("finished");
  });
});

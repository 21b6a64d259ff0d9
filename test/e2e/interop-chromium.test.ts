// Chromium accepts (setRemoteDescription) the SDP our codec makes from each foreign client's
// session-initiate (as an offer) and session-accept (as the answer to our own Chromium offer),
// with a balanced bundle policy because Dino bundles nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { parse } from "sdp-transform";
import { jingleToSdp } from "../../client/src/jingle/index.js";
import { openBlankPage, type BlankPage } from "../support/chromium.js";
import { interopFixture } from "../unit/interop/harness.js";

const OFFERS = [
  { client: "conversations", file: "session-initiate-audio.xml", media: ["audio"] },
  { client: "dino", file: "session-initiate-audio-video.xml", media: ["audio", "video"] },
  { client: "stanza", file: "session-initiate-audio-video.xml", media: ["audio", "video"] },
] as const;

const ANSWERS = [
  { client: "conversations", file: "session-accept-audio-video.xml" },
  { client: "dino", file: "session-accept-audio-video.xml" },
  { client: "stanza", file: "session-accept-audio-video.xml" },
] as const;

let blank: BlankPage | undefined;
let page: Page;

beforeAll(async () => {
  blank = await openBlankPage();
  page = blank.page;
});

afterAll(async () => {
  await blank?.close();
});

interface Outcome {
  error?: string;
  answer?: string;
}

/** As the callee: setRemoteDescription(offer), then create and apply an answer. */
function answerOffer(sdp: string): Promise<Outcome> {
  return page.evaluate(async (offer: string): Promise<Outcome> => {
    const pc = new RTCPeerConnection({ bundlePolicy: "balanced" });
    ((globalThis as { __peerConnections?: RTCPeerConnection[] }).__peerConnections ??= []).push(pc);
    try {
      await pc.setRemoteDescription({ type: "offer", sdp: offer });
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      return { answer: answer.sdp ?? "" };
    } catch (err) {
      return { error: String(err) };
    } finally {
      pc.close();
    }
  }, sdp);
}

/** As the caller: an audio+video offer (mids 0 and 1, as our app makes), then setRemoteDescription(answer). */
function applyAnswer(sdp: string): Promise<Outcome> {
  return page.evaluate(async (answer: string): Promise<Outcome> => {
    const pc = new RTCPeerConnection({ bundlePolicy: "balanced" });
    ((globalThis as { __peerConnections?: RTCPeerConnection[] }).__peerConnections ??= []).push(pc);
    try {
      pc.addTransceiver("audio");
      pc.addTransceiver("video");
      await pc.setLocalDescription(await pc.createOffer());
      await pc.setRemoteDescription({ type: "answer", sdp: answer });
      return { answer: pc.remoteDescription?.sdp ?? "" };
    } catch (err) {
      return { error: String(err) };
    } finally {
      pc.close();
    }
  }, sdp);
}

describe("Chromium accepts what our codec makes of other clients' descriptions", () => {
  it.each(OFFERS)("$client session-initiate becomes an offer Chromium answers with every medium accepted and Opus", async ({ client, file, media }) => {
    const jingle = interopFixture(client, file).getChild("jingle", "urn:xmpp:jingle:1")!;
    const outcome = await answerOffer(jingleToSdp(jingle, { role: "responder" }));
    expect(outcome.error).toBeUndefined();
    const answer = parse(outcome.answer!);
    expect(answer.media.map((m) => m.type)).toEqual([...media]);
    expect(answer.media.every((m) => m.port !== 0)).toBe(true);
    expect(answer.media.find((m) => m.type === "audio")?.rtp[0]).toMatchObject({ codec: "opus", rate: 48000, encoding: 2 });
  });

  it.each(ANSWERS)("$client session-accept becomes an answer Chromium applies to its own audio+video offer", async ({ client, file }) => {
    const jingle = interopFixture(client, file).getChild("jingle", "urn:xmpp:jingle:1")!;
    const sdp = jingleToSdp(jingle, { role: "initiator" });
    const outcome = await applyAnswer(sdp);
    expect(outcome.error).toBeUndefined();
    expect(parse(outcome.answer!).media.map((m) => String(m.mid))).toEqual(["0", "1"]);
  });
});

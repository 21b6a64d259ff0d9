import { copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { callStatus } from "../support/call-page.ts";
import { dinoMedia, inboundPackets } from "../support/dino/media.ts";
import type { Capture } from "../support/dino/rtp-capture.ts";
import { dinoUnavailableReason, startDinoWorld, type DinoWorld } from "../support/dino/world.ts";

// Dino 0.4.2 (Debian's dino-im) as a live peer of the web app, both in one network namespace
// with the project's ejabberd (test/support/dino/). Dino's side is checked on the wire (RTP
// counted by tcpdump on its ports) and in its --print-xmpp log; the browser's with getStats.
// Longer loops: `npm run bench:dino`.

const unavailable = dinoUnavailableReason();
if (unavailable) console.log(`skipping the Dino interop tests: ${unavailable}`);

let world: DinoWorld;
let web: Page;

beforeAll(async () => {
  world = await startDinoWorld();
  web = await world.openWeb();
  console.log(`Dino world up: ${JSON.stringify(world.timings)}`);
}, 240_000);

afterAll(async () => {
  await world?.close();
});

afterEach(async (context) => {
  if (context.task.result?.state === "fail" && world) {
    // Kept for the report: the world's folders go when it closes.
    const base = join(tmpdir(), `dino-failure-${Date.now()}`);
    try {
      copyFileSync(world.dino.logFile, `${base}.log`);
      world.dino.screenshot(`${base}.png`);
      console.log(`Dino's log and screen: ${base}.log, ${base}.png`);
    } catch {
      /* no screen */
    }
  }
  // Back to the contact list: end whatever call a failed test left, on both sides.
  if (web.isClosed()) return;
  for (const name of ["Hang up", "Cancel", "Decline", "Close"]) {
    await web.getByRole("button", { name, exact: true }).click({ timeout: 1_000 }).catch(() => undefined);
  }
  if (context.task.result?.state === "fail" && world) {
    // A Dino call never ended keeps Dino's call button disabled (INTEROP.md).
    await world.restartDino();
    await world.waitUntilCallable();
  }
});

const callButton = (video: boolean) => web.getByRole("button", { name: new RegExp(`^${video ? "Video" : "Audio"} call ${world.dinoAccount.username}`) });

/** Waits until RTP flows both ways between Dino and the browser, on the wire and in getStats. */
async function expectMediaBothWays(capture: Capture, kinds: Array<"audio" | "video"> = ["audio"]): Promise<void> {
  const before = await inboundPackets(web);
  await expect.poll(async () => dinoMedia(capture, world.dino).fromDino.rtp, { timeout: 20_000, message: "RTP from Dino on the wire" }).toBeGreaterThan(50);
  await expect.poll(async () => dinoMedia(capture, world.dino).toDino.rtp, { timeout: 20_000, message: "RTP to Dino on the wire" }).toBeGreaterThan(50);
  await expect.poll(async () => (await inboundPackets(web)).audio, { timeout: 10_000, message: "audio packets received by the browser" }).toBeGreaterThan(before.audio + 50);
  if (kinds.includes("video")) {
    // Dino has no camera here: video flows from the browser to Dino only, as VP8 with the id agreed.
    const vp8 = videoPayloadType();
    expect(vp8, "a VP8 payload type in Dino's session-accept/initiate").toBeDefined();
    await expect.poll(async () => dinoMedia(capture, world.dino).toDino.payloadTypes[vp8!] ?? 0, { timeout: 20_000, message: "VP8 to Dino" }).toBeGreaterThan(20);
  }
}

/** The VP8 payload type Dino agreed to in this call (its session-accept or session-initiate). */
function videoPayloadType(): number | undefined {
  const own = world.dino.jingle().find((e) => e.dir === "out" && (e.action === "session-accept" || e.action === "session-initiate"));
  const id = own && /<payload-type id='(\d+)'[^>]*name='VP8'/.exec(own.xml)?.[1];
  return id ? Number(id) : undefined;
}

/** The Opus payload type's parameters in a Jingle description, sorted "name=value" strings. */
function opusParameters(xml: string): string[] {
  const opus = /<payload-type [^>]*name='opus'[^>]*>(.*?)<\/payload-type>/.exec(xml)?.[1] ?? "";
  return [...opus.matchAll(/<parameter [^>]*?name='([^']*)'[^>]*?value='([^']*)'/g)].map((m) => `${m[1]}=${m[2]}`).sort();
}

/** Dino's incoming Jingle iqs answered with an error since its last mark. */
function dinoErrors(): string[] {
  return world.dino.jingle().filter((e) => e.dir === "out" && e.action === "error").map((e) => e.xml);
}

describe.skipIf(unavailable)("Dino 0.4.2 as a live peer", () => {
  it("we call Dino (audio), Dino accepts: RTP flows both ways, and Dino's hang-up ends the call in the app", async () => {
    const capture = await world.capture("we-call-audio");
    world.dino.mark();
    const last = world.dino.latestCall(world.webAccount.jid)?.callId ?? 0;
    await callButton(false).click();
    const call = await world.dino.waitForCall(world.webAccount.jid, last);
    world.dino.accept(call);
    await expect.poll(() => callStatus(web), { timeout: 20_000 }).toBe("Connected");
    await expectMediaBothWays(capture);
    expect(dinoErrors()).toEqual([]);
    world.dino.hangUp();
    await expect.poll(() => callStatus(web), { timeout: 15_000 }).toBe("Call ended");
    const terminate = world.dino.jingle().find((e) => e.dir === "out" && e.action === "session-terminate");
    expect(terminate?.xml).toContain("<success");
  });

  it("Dino calls us (audio), we accept: RTP flows both ways, and our hang-up ends Dino's call and its RTP", async () => {
    // Dino 0.4.2's capture branch sometimes never starts under CPU load: it then sends no RTP at
    // all while everything else works (docs/interop.md, "one-way audio — cause"). That is Dino's
    // bug, not ours: one more call is allowed for it, and only when Dino sent RTCP but no RTP.
    let capture = await world.capture("dino-calls-audio");
    for (let attempt = 1; ; attempt++) {
      world.dino.mark();
      await world.dino.call(world.webAccount.jid, false);
      await expect.poll(() => callStatus(web), { timeout: 20_000 }).toBe("Incoming audio call");
      await web.getByRole("button", { name: "Accept", exact: true }).click();
      await expect.poll(() => callStatus(web), { timeout: 20_000 }).toBe("Connected");
      for (let waited = 0; waited < 5_000 && dinoMedia(capture, world.dino).fromDino.rtp === 0; waited += 250) await sleep(250);
      const media = dinoMedia(capture, world.dino);
      if (attempt === 1 && media.fromDino.rtp === 0 && media.fromDino.rtcp > 0 && media.toDino.rtp > 50) {
        console.log("Dino sent RTCP but no RTP (its capture stall, docs/interop.md): calling again once");
        await web.getByRole("button", { name: "Hang up" }).click();
        await world.dino.waitForJingle("in", "session-terminate", 10_000);
        await web.getByRole("button", { name: "Close" }).click();
        capture = await world.capture("dino-calls-audio-again");
        continue;
      }
      break;
    }
    await expectMediaBothWays(capture);
    expect(dinoErrors()).toEqual([]);
    // Our session-accept restates the Opus parameters Dino offered (no minptime=10 added), so Dino
    // does not log "Counterpart's preferred content type doesn't match any of our sent ones".
    const offered = opusParameters(world.dino.jingle().find((e) => e.dir === "out" && e.action === "session-initiate")!.xml);
    const answered = opusParameters(world.dino.jingle().find((e) => e.dir === "in" && e.action === "session-accept")!.xml);
    expect(answered).toEqual(offered);
    expect(world.dino.messagesSinceMark()).not.toContain("preferred content type doesn't match");
    await web.getByRole("button", { name: "Hang up" }).click();
    await world.dino.waitForJingle("in", "session-terminate", 10_000);
    // Dino stops sending once it has the session-terminate.
    const sent = () => dinoMedia(capture, world.dino).fromDino.rtp;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const afterHangUp = sent();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(sent() - afterHangUp).toBeLessThan(5);
  });

  it("we video-call Dino, Dino accepts: our video reaches Dino and audio flows both ways (Dino has no camera)", async () => {
    const capture = await world.capture("we-call-video");
    world.dino.mark();
    const last = world.dino.latestCall(world.webAccount.jid)?.callId ?? 0;
    await callButton(true).click();
    world.dino.accept(await world.dino.waitForCall(world.webAccount.jid, last));
    await expect.poll(() => callStatus(web), { timeout: 20_000 }).toBe("Connected");
    await expectMediaBothWays(capture, ["audio", "video"]);
    // One content per transport-info: Dino answers two-content ones with feature-not-implemented.
    expect(dinoErrors()).toEqual([]);
    await web.getByRole("button", { name: "Hang up" }).click();
    await world.dino.waitForJingle("in", "session-terminate", 10_000);
  });

  it("Dino declines our call: the app shows the call declined", async () => {
    world.dino.mark();
    const last = world.dino.latestCall(world.webAccount.jid)?.callId ?? 0;
    await callButton(false).click();
    world.dino.reject(await world.dino.waitForCall(world.webAccount.jid, last));
    await expect.poll(() => callStatus(web), { timeout: 15_000 }).toBe("Call declined");
    expect(world.dino.jmi().some((e) => e.dir === "out" && e.kind === "reject")).toBe(true);
  });

  it("we cancel before Dino answers: Dino gets the JMI retract", async () => {
    world.dino.mark();
    const last = world.dino.latestCall(world.webAccount.jid)?.callId ?? 0;
    await callButton(false).click();
    await world.dino.waitForCall(world.webAccount.jid, last);
    await web.getByRole("button", { name: "Cancel" }).click();
    await world.dino.waitFor("incoming retract", (s) => s.some((e) => e.dir === "in" && e.raw.includes("{urn:xmpp:jingle-message:0}:retract")), 10_000);
  });

  it("Dino cancels before we answer: the app shows a missed call", async () => {
    world.dino.mark();
    await world.dino.call(world.webAccount.jid, false);
    await expect.poll(() => callStatus(web), { timeout: 20_000 }).toBe("Incoming audio call");
    world.dino.hangUp();
    await expect.poll(() => callStatus(web), { timeout: 15_000 }).toBe("Missed call");
  });

  it("we decline Dino's call: Dino gets the JMI reject", async () => {
    world.dino.mark();
    await world.dino.call(world.webAccount.jid, false);
    await web.getByRole("button", { name: "Decline" }).click({ timeout: 20_000 });
    await world.dino.waitFor("incoming reject", (s) => s.some((e) => e.dir === "in" && e.raw.includes("{urn:xmpp:jingle-message:0}:reject")), 10_000);
  });

  it("we turn our camera on and off in an audio call with Dino: our video reaches Dino, and 'off' is said as session-info mute, which Dino takes", async () => {
    const capture = await world.capture("camera-on-off");
    world.dino.mark();
    const last = world.dino.latestCall(world.webAccount.jid)?.callId ?? 0;
    await callButton(false).click();
    world.dino.accept(await world.dino.waitForCall(world.webAccount.jid, last));
    await expect.poll(() => callStatus(web), { timeout: 20_000 }).toBe("Connected");
    await web.getByRole("button", { name: "Add video" }).click();
    await world.dino.waitForJingle("out", "content-accept", 20_000);
    const vp8 = Number(/<payload-type id='(\d+)'[^>]*name='VP8'/.exec(world.dino.jingle().find((e) => e.dir === "out" && e.action === "content-accept")!.xml)?.[1]);
    await expect.poll(() => dinoMedia(capture, world.dino).toDino.payloadTypes[vp8] ?? 0, { timeout: 20_000, message: "VP8 to Dino" }).toBeGreaterThan(20);
    await web.getByRole("button", { name: "Stop video" }).click();
    // Dino refuses content-modify senders='none' ("invalid role none"); the app falls back to mute.
    await world.dino.waitFor("incoming session-info mute", (s) => s.some((e) => e.dir === "in" && e.raw.includes("{urn:xmpp:jingle:apps:rtp:info:1}:mute")), 10_000);
    expect(await callStatus(web)).toBe("Connected");
    await web.getByRole("button", { name: "Hang up" }).click();
    await world.dino.waitForJingle("in", "session-terminate", 10_000);
  });

  // Last: it closes the page.
  it("closing the page mid-call ends Dino's call at once (session-terminate on pagehide)", async () => {
    world.dino.mark();
    const last = world.dino.latestCall(world.webAccount.jid)?.callId ?? 0;
    await callButton(false).click();
    world.dino.accept(await world.dino.waitForCall(world.webAccount.jid, last));
    await expect.poll(() => callStatus(web), { timeout: 20_000 }).toBe("Connected");
    await world.dino.waitForJingle("out", "session-accept");
    await web.close({ runBeforeUnload: true });
    const terminate = await world.dino.waitForJingle("in", "session-terminate", 5_000);
    expect(terminate.xml).toMatch(/<(success|gone)\b/);
  });
});

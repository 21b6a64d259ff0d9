// Mid-call video turned on again (issue 16, item 3): in an audio call upgraded to video, the
// caller turns the camera off (content-modify senders) and on again; measured from the click to
// the first new frame at the peer (requestVideoFrameCallback), against two bare pages that do
// the same on their video m-line (replaceTrack + direction + offer/answer through a JSON relay),
// in an audio call upgraded to video like the app's, and in a call with video from the start.
// Then the first video of an audio call (content-add, accepted by the peer at once) against a
// bare page that adds its camera on a new m-line (addTrack + offer/answer), one call each time.
import type { Page } from "playwright-core";
import { startTestServer, type TestServer } from "../test/support/ejabberd.ts";
import { startAppServer, wireFrames, type AppServer } from "../test/support/app-server.ts";
import type { LaunchedBrowser } from "../test/support/chromium.ts";
import { appPage, barePage, callStatus, median, met, row, startRelay, waitFor, type Relay } from "./call-setup.ts";
import { takeTimeline } from "./call-timeline.ts";

const TIMES = Math.max(1, Number(process.env.BENCH_CALLS ?? 10) || 10);
const GOAL_RATIO = 1.2;

/** Records when "Turn on camera" (aria-label "Add video") is clicked, in the page's clock. */
const CLICK_CLOCK = `(() => {
  window.__videoOnAt = 0;
  document.addEventListener("click", (e) => {
    const b = e.target instanceof Element ? e.target.closest("button") : null;
    if (b && b.getAttribute("aria-label") === "Add video") window.__videoOnAt = performance.timeOrigin + performance.now();
  }, true);
  return true;
})()`;

const ARM_REMOTE_FRAME = `(() => {
  window.__firstFrame = 0;
  const v = document.querySelector("video.remote");
  if (!v) return false;
  v.requestVideoFrameCallback((now, meta) => { window.__firstFrame = performance.timeOrigin + meta.presentationTime; });
  return true;
})()`;

/** BENCH_TRACE: the video m-line's direction and RTP counters, to see where the time goes. */
const VIDEO_STATS = `(async () => {
  const pc = (globalThis.__peerConnections ?? []).find((p) => p.connectionState !== "closed");
  if (!pc) return "no pc";
  const t = pc.getTransceivers().find((x) => x.receiver.track.kind === "video");
  const out = [];
  const stats = await pc.getStats();
  const pair = [...stats.values()].find((r) => r.type === "transport")?.selectedCandidatePairId;
  stats.forEach((r) => {
    if (r.id === pair) out.push("estimate " + Math.round((r.availableOutgoingBitrate ?? 0) / 1000) + "k");
    if (r.kind !== "video") return;
    if (r.type === "outbound-rtp") out.push("out enc " + r.framesEncoded + " key " + r.keyFramesEncoded + " pli " + r.pliCount + " fir " + r.firCount + " active " + r.active + " target " + Math.round((r.targetBitrate ?? 0) / 1000) + "k limit " + r.qualityLimitationReason + " sent " + r.packetsSent + " pkts " + r.bytesSent + " B");
    if (r.type === "media-source") out.push("source frames " + r.frames);
    if (r.type === "inbound-rtp") out.push("in pkts " + r.packetsReceived + " " + r.bytesReceived + " B recv " + r.framesReceived + " dec " + r.framesDecoded + " key " + r.keyFramesDecoded + " pli " + r.pliCount + " fir " + r.firCount + " drop " + r.framesDropped);
  });
  return Math.round(performance.now()) + " " + (t ? t.currentDirection : "-") + " " + out.join("; ");
})()`;

/** VIDEO_STATS, its time given from `zero` (a timeOrigin-based clock, as the pages' events). */
const videoStatsSince = (zero: number) => VIDEO_STATS.replace("Math.round(performance.now())", `"+" + Math.round(performance.timeOrigin + performance.now() - ${zero})`);

/**
 * The path media takes as a video is added: the congestion controller's estimate for what we
 * send, kbps (the selected candidate pair's availableOutgoingBitrate; the video starts from it),
 * and how often the browser has switched candidate pairs so far (each switch restarts that
 * estimate).
 */
const SEND_PATH = `(async () => {
  const pc = (globalThis.__peerConnections ?? []).find((p) => p.connectionState !== "closed");
  const stats = pc ? [...(await pc.getStats()).values()] : [];
  const transport = stats.find((r) => r.type === "transport");
  const pair = stats.find((r) => r.id === transport?.selectedCandidatePairId);
  return { estimate: Math.round((pair?.availableOutgoingBitrate ?? 0) / 1000), pairChanges: transport?.selectedCandidatePairChanges ?? 0 };
})()`;

/**
 * The peer's user accepting video the moment the prompt is drawn (XEP-0166 §7.2 content-add
 * waits for them; a person would take longer, and that is not the app's time). Once per call:
 * a re-render may draw the button again before the click's effect.
 */
const AUTO_ACCEPT_VIDEO = `(() => {
  window.__videoPromptAt = 0;
  if (window.__autoAcceptVideo) return true;
  window.__autoAcceptVideo = true;
  new MutationObserver(() => {
    if (window.__videoPromptAt) return;
    const button = [...document.querySelectorAll("button")].find((b) => b.textContent === "Accept video");
    if (!button) return;
    window.__videoPromptAt = performance.timeOrigin + performance.now();
    button.click();
  }).observe(document.body, { childList: true, subtree: true });
  return true;
})()`;

/** Notes in the page's timeline when the remote <video> is shown or hidden. */
const SHOWN_CLOCK = `(() => {
  const v = document.querySelector("video.remote");
  if (!v) return false;
  new MutationObserver(() => (window.__timeline ??= []).push({ name: v.hidden ? "remote video hidden" : "remote video shown", at: performance.timeOrigin + performance.now() }))
    .observe(v, { attributes: true, attributeFilter: ["hidden"] });
  return true;
})()`;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** BENCH_TRACE=1: each turn's events on both pages in one order; =full also polls the RTP counters. */
const TRACE = process.env.BENCH_TRACE;

/** Jingle actions, their iq results and the pages' peer-connection events since `zero`, as "who what +ms". */
async function eventsSince(zero: number, pages: Record<string, Page>): Promise<string[]> {
  const events: Array<{ at: number; text: string }> = [];
  for (const [who, page] of Object.entries(pages)) {
    for (const frame of await wireFrames(page, true)) {
      const action = /<jingle[^>]*action=["']([a-z-]+)/.exec(frame.data)?.[1];
      const result = /^<iq[^>]*type=["']result/.test(frame.data);
      if (action || result) events.push({ at: frame.at, text: `${who} ${frame.dir === "out" ? "sent" : "recv"} ${action ?? "iq result"}` });
    }
    for (const entry of await takeTimeline(page)) events.push({ at: entry.at, text: `${who} ${entry.name}${entry.ms ? ` (${entry.ms.toFixed(0)} ms)` : ""}` });
  }
  return events.filter((e) => e.at >= zero).sort((a, b) => a.at - b.at).map((e) => `${e.text} +${(e.at - zero).toFixed(0)}`);
}

/** Video sent on alice's open peer connections (the same check as the e2e test). */
const videoSending = (page: Page) =>
  page.evaluate<boolean>(`(globalThis.__peerConnections ?? []).some((pc) => pc.connectionState !== "closed" && pc.getTransceivers().some((t) => t.sender.track?.kind === "video" && t.sender.track.readyState === "live" && (t.currentDirection === "sendrecv" || t.currentDirection === "sendonly")))`);

interface Times {
  /** The peer still sends its camera (its video element stays on screen). */
  peerSending: number[];
  /** The peer's camera is off too: the video content goes from inactive to receiving. */
  peerOff: number[];
}

async function appTimes(alice: Page, bob: Page, bobName: string): Promise<Times> {
  await alice.evaluate(CLICK_CLOCK);
  await alice.getByRole("button", { name: new RegExp(`^Audio call ${bobName}`) }).click();
  await bob.getByRole("button", { name: "Accept", exact: true }).click({ timeout: 15_000 });
  await waitFor("connected", async () => (await callStatus(alice)) === "Connected" && (await callStatus(bob)) === "Connected");
  await alice.getByRole("button", { name: "Add video" }).click();
  await bob.getByRole("button", { name: "Accept video" }).click({ timeout: 10_000 });
  await waitFor("alice's video sent", () => videoSending(alice));
  const peerSending = await appLoop(alice, bob);
  await bob.getByRole("button", { name: "Stop video" }).click({ timeout: 10_000 });
  await waitFor("bob's video stopped", async () => !(await videoSending(bob)));
  const peerOff = await appLoop(alice, bob);
  await alice.getByRole("button", { name: "Hang up" }).click();
  await waitFor("the end on both sides", async () => (await callStatus(bob)) === "Call ended" && (await callStatus(alice)) === "Call ended");
  for (const p of [alice, bob]) await p.getByRole("button", { name: "Close" }).click();
  return { peerSending, peerOff };
}

/** Alice's camera off and on again, TIMES times: click → bob's first frame, ms. */
async function appLoop(alice: Page, bob: Page): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < TIMES; i++) {
    await alice.getByRole("button", { name: "Stop video" }).click({ timeout: 10_000 });
    await waitFor("alice's video stopped", async () => !(await videoSending(alice)));
    // Frames already on their way are not the ones measured.
    await pause(300);
    if (!(await bob.evaluate<boolean>(ARM_REMOTE_FRAME))) throw new Error("no remote <video> at bob");
    if (TRACE) await Promise.all([alice, bob].flatMap((p) => [wireFrames(p, true), takeTimeline(p)]));
    await alice.getByRole("button", { name: "Add video" }).click({ timeout: 10_000 });
    await waitFor("bob's first frame of alice's camera again", async () => {
      if (TRACE === "full") console.log(`  trace ${i}: alice ${await alice.evaluate<string>(VIDEO_STATS)} | bob ${await bob.evaluate<string>(VIDEO_STATS)}`);
      return (await bob.evaluate<number>("window.__firstFrame || 0")) > 0;
    });
    const [clicked, firstFrame] = [await alice.evaluate<number>("window.__videoOnAt"), await bob.evaluate<number>("window.__firstFrame")];
    times.push(firstFrame - clicked);
    if (TRACE) console.log(`  trace ${i}: ${(await eventsSince(clicked, { alice, bob })).concat(`bob first frame +${(firstFrame - clicked).toFixed(0)}`).join(", ")}`);
  }
  return times;
}

interface FirstVideo {
  /** Click → the peer's first frame of our camera, ms. */
  total: number;
  /** Of which until the peer's prompt was drawn (the app), ms; 0 for the bare pages (no prompt). */
  prompt: number;
  /** Our bandwidth estimate at the click, kbps, and the candidate pair switches until then (SEND_PATH). */
  path: { estimate: number; pairChanges: number };
}

/**
 * An audio call upgraded once: "Add video" (content-add) → the peer accepts at once → the
 * peer's first frame of our camera. A new call each time: only the first content-add of a call
 * opens a new m-line.
 */
async function appFirstVideo(alice: Page, bob: Page, bobName: string, turn: number): Promise<FirstVideo> {
  await alice.getByRole("button", { name: new RegExp(`^Audio call ${bobName}`) }).click({ timeout: 10_000 });
  await bob.getByRole("button", { name: "Accept", exact: true }).click({ timeout: 15_000 });
  await waitFor("connected", async () => (await callStatus(alice)) === "Connected" && (await callStatus(bob)) === "Connected");
  await bob.evaluate(AUTO_ACCEPT_VIDEO);
  if (!(await bob.evaluate<boolean>(ARM_REMOTE_FRAME))) throw new Error("no remote <video> at bob");
  // BENCH_TRACE: when the call screen shows bob's remote <video> (hidden during the audio call).
  if (TRACE) await bob.evaluate(SHOWN_CLOCK);
  // The call's start settles (the bare pages wait as long).
  await pause(500);
  // The pages' records of frames and events, from here on only (they grow with every call).
  await Promise.all([alice, bob].flatMap((p) => [wireFrames(p, true), takeTimeline(p)]));
  const path = await alice.evaluate<FirstVideo["path"]>(SEND_PATH);
  await alice.getByRole("button", { name: "Add video" }).click({ timeout: 10_000 });
  await waitFor("bob's first frame of alice's camera", async () => {
    if (TRACE === "full") {
      const zero = await alice.evaluate<number>("window.__videoOnAt");
      console.log(`  first video ${turn} stats: alice ${await alice.evaluate<string>(videoStatsSince(zero))} | bob ${await bob.evaluate<string>(videoStatsSince(zero))}`);
    }
    return (await bob.evaluate<number>("window.__firstFrame || 0")) > 0;
  });
  const [clicked, prompted, firstFrame] = [await alice.evaluate<number>("window.__videoOnAt"), await bob.evaluate<number>("window.__videoPromptAt"), await bob.evaluate<number>("window.__firstFrame")];
  if (TRACE) console.log(`  first video ${turn}: ${(await eventsSince(clicked, { alice, bob })).concat(`bob first frame +${(firstFrame - clicked).toFixed(0)}`).join(", ")}`);
  await alice.getByRole("button", { name: "Hang up" }).click();
  await waitFor("the end on both sides", async () => (await callStatus(bob)) === "Call ended" && (await callStatus(alice)) === "Call ended");
  for (const p of [alice, bob]) await p.getByRole("button", { name: "Close" }).click();
  return { total: firstFrame - clicked, prompt: prompted - clicked, path };
}

/** The bare pages' audio call, upgraded once: addTrack on a new m-line, offer/answer, the peer's camera back. */
async function bareFirstVideo(caller: Page, callee: Page, iceServers: unknown, turn: number, costless = false): Promise<FirstVideo> {
  const state = (p: Page) => p.evaluate<BareState>("window.bare.state()");
  for (const p of [caller, callee]) await p.evaluate(`window.bare.reset(${JSON.stringify(iceServers)}, true, ${costless})`);
  await caller.evaluate("window.bare.dial()");
  await waitFor("the ring", async () => (await state(callee)).rang);
  await callee.evaluate("window.bare.accept()");
  await waitFor("the audio call connected (bare)", async () => (await state(callee)).connected && (await state(caller)).connected);
  await pause(500);
  await Promise.all([caller, callee].flatMap((p) => [wireFrames(p, true), takeTimeline(p)]));
  const path = await caller.evaluate<FirstVideo["path"]>(SEND_PATH);
  await caller.evaluate("window.bare.addVideo()");
  await waitFor("the callee's first frame (bare)", async () => {
    if (TRACE === "full") {
      const zero = (await state(caller)).videoAddedAt;
      console.log(`  bare first video ${turn} stats: caller ${await caller.evaluate<string>(videoStatsSince(zero))} | callee ${await callee.evaluate<string>(videoStatsSince(zero))}`);
    }
    const [a, b] = [await state(caller), await state(callee)];
    if (a.error || b.error) throw new Error(`bare WebRTC page failed: ${a.error || b.error}`);
    return b.firstFrame > 0;
  });
  const [added, firstFrame] = [(await state(caller)).videoAddedAt, (await state(callee)).firstFrame];
  if (TRACE) console.log(`  bare first video ${turn}: ${(await eventsSince(added, { caller, callee })).concat(`callee first frame +${(firstFrame - added).toFixed(0)}`).join(", ")}`);
  for (const p of [caller, callee]) await p.evaluate("window.bare.hangUp()");
  return { total: firstFrame - added, prompt: 0, path };
}

/** BENCH_MID=again or first: only the camera-again turns, or only the first videos (default both). */
const PARTS = process.env.BENCH_MID ?? "again,first";

type BareState = { rang: boolean; acceptAt: number; videoAddedAt: number; firstFrame: number; error: string; connected: boolean };

/**
 * The bare pages' turns. `audioFirst`: an audio call upgraded to video, as the app's call here
 * is; otherwise video from the start.
 */
async function bareTimes(caller: Page, callee: Page, iceServers: unknown, audioFirst: boolean): Promise<Times> {
  const state = (p: Page) => p.evaluate<BareState>("window.bare.state()");
  for (const p of [caller, callee]) await p.evaluate(`window.bare.reset(${JSON.stringify(iceServers)}, ${audioFirst})`);
  await caller.evaluate("window.bare.dial()");
  await waitFor("the ring", async () => (await state(callee)).rang);
  await callee.evaluate("window.bare.accept()");
  if (audioFirst) {
    await waitFor("the audio call connected (bare)", async () => (await state(callee)).connected && (await state(caller)).connected);
    await caller.evaluate("window.bare.addVideo()");
  }
  await waitFor("the first frame (bare)", async () => (await state(callee)).firstFrame > 0 && (await state(caller)).firstFrame > 0);
  const peerSending = await bareLoop(caller, callee);
  await callee.evaluate("window.bare.videoOff()");
  await pause(500);
  const peerOff = await bareLoop(caller, callee);
  for (const p of [caller, callee]) await p.evaluate("window.bare.hangUp()");
  return { peerSending, peerOff };
}

async function bareLoop(caller: Page, callee: Page): Promise<number[]> {
  const state = (p: Page) => p.evaluate<BareState>("window.bare.state()");
  const times: number[] = [];
  for (let i = 0; i < TIMES; i++) {
    await caller.evaluate("window.bare.videoOff()");
    await pause(500);
    await callee.evaluate("window.bare.armFrame()");
    await caller.evaluate("window.bare.videoOn()");
    await waitFor("the callee's first frame again (bare)", async () => {
      if (TRACE === "full") console.log(`  bare trace ${i}: caller ${await caller.evaluate<string>(VIDEO_STATS)} | callee ${await callee.evaluate<string>(VIDEO_STATS)}`);
      const [a, b] = [await state(caller), await state(callee)];
      if (a.error || b.error) throw new Error(`bare WebRTC page failed: ${a.error || b.error}`);
      return b.firstFrame > 0;
    });
    times.push((await state(callee)).firstFrame - (await state(caller)).acceptAt);
  }
  return times;
}

export default async function run(): Promise<void> {
  const browsers: LaunchedBrowser[] = [];
  let server: TestServer | undefined;
  let app: AppServer | undefined;
  let relay: Relay | undefined;
  try {
    server = await startTestServer();
    app = await startAppServer(server.wsLoopbackUrl);
    relay = await startRelay();
    const [alice, bob] = [await server.createAccount(), await server.createAccount()];
    await server.makeContacts(alice.username, bob.username);
    const pa = await appPage(app, server, alice, browsers);
    const pb = await appPage(app, server, bob, browsers);
    await waitFor("bob callable", () => pa.getByRole("button", { name: new RegExp(`^Audio call ${bob.username}`) }).isEnabled().catch(() => false));
    const [ba, bb] = [await barePage(relay, browsers), await barePage(relay, browsers)];
    if (PARTS.includes("again")) await videoAgain(pa, pb, ba, bb, bob.username);
    if (PARTS.includes("first")) await firstVideo(pa, pb, ba, bb, bob.username);
  } finally {
    for (const br of browsers) await br.close();
    await relay?.close();
    await app?.close();
    await server?.stop();
  }
}

/** The pages' STUN/TURN servers as the app got them from ejabberd (the bare pages use the same). */
const iceServersOf = (page: Page) => page.evaluate<unknown>("(globalThis.__peerConnections ?? []).at(-1)?.getConfiguration().iceServers ?? []");

async function videoAgain(pa: Page, pb: Page, ba: Page, bb: Page, bobName: string): Promise<void> {
  const apps = await appTimes(pa, pb, bobName);
  const iceServers = await iceServersOf(pa);
  const bares = await bareTimes(ba, bb, iceServers, false);
  const upgraded = await bareTimes(ba, bb, iceServers, true);
  console.log(`camera turned off and on again mid-call on the same video content, ${TIMES} times each (BENCH_CALLS); click → first new frame at the peer`);
  for (const [label, key] of [["while the peer sends its camera", "peerSending"], ["while the peer's camera is off too", "peerOff"]] as const) {
    const [a, b, u] = [median(apps[key]), median(bares[key]), median(upgraded[key])];
    const all = (xs: number[]) => `all: ${xs.map((x) => x.toFixed(0)).join(" ")}`;
    console.log(row(label, "", ""));
    console.log(row("  app (audio call upgraded; content-modify)", `${a.toFixed(0)} ms`, all(apps[key])));
    console.log(row("  bare, audio call upgraded (replaceTrack + direction + offer/answer)", `${u.toFixed(0)} ms`, all(upgraded[key])));
    console.log(row("  bare, video call from the start (the same)", `${b.toFixed(0)} ms`, all(bares[key])));
    console.log(row("  ratio app/bare, both upgraded", `${(a / u).toFixed(2)}×`, `goal ≤ ${GOAL_RATIO}×: ${met(a / u <= GOAL_RATIO)}`));
    console.log(row("  ratio app/bare video call", `${(a / b).toFixed(2)}×`));
  }
}

/** The first video of audio calls, app and bare pages taking turns (one call each per turn), so both meet the same machine. */
async function firstVideo(pa: Page, pb: Page, ba: Page, bb: Page, bobName: string): Promise<void> {
  await pa.evaluate(CLICK_CLOCK);
  // A first call gives the app its STUN/TURN servers for the bare pages.
  const firstApp = [await appFirstVideo(pa, pb, bobName, 0)];
  const iceServers = await iceServersOf(pa);
  const firstBare = [await bareFirstVideo(ba, bb, iceServers, 0)];
  const firstCostless = [await bareFirstVideo(ba, bb, iceServers, 0, true)];
  for (let i = 1; i < TIMES; i++) {
    firstApp.push(await appFirstVideo(pa, pb, bobName, i));
    firstBare.push(await bareFirstVideo(ba, bb, iceServers, i));
    firstCostless.push(await bareFirstVideo(ba, bb, iceServers, i, true));
  }
  const total = (turns: FirstVideo[]) => median(turns.map((t) => t.total));
  const all = (turns: FirstVideo[]) => `all: ${turns.map((t) => t.total.toFixed(0)).join(" ")}`;
  const path = (turns: FirstVideo[]) => `${median(turns.map((t) => t.path.estimate)).toFixed(0)} kbps, ${median(turns.map((t) => t.path.pairChanges)).toFixed(0)} switches`;
  const [fa, fb, fc] = [total(firstApp), total(firstBare), total(firstCostless)];
  console.log(`first video in an audio call, ${TIMES} calls each, app and bare taking turns; click → the peer's first frame of the camera`);
  console.log(row("  app (content-add, the peer accepting at once)", `${fa.toFixed(0)} ms`, all(firstApp)));
  console.log(row("    of which until the peer's prompt is drawn", `${median(firstApp.map((t) => t.prompt)).toFixed(0)} ms`));
  console.log(row("  bare (addTrack + offer/answer)", `${fb.toFixed(0)} ms`, all(firstBare)));
  console.log(row("  ratio app/bare", `${(fa / fb).toFixed(2)}×`, `goal ≤ ${GOAL_RATIO}×: ${met(fa / fb <= GOAL_RATIO)}`));
  console.log(row("  bare, candidates without network-cost", `${fc.toFixed(0)} ms`, `${all(firstCostless)} (what Jingle carries: XEP-0176 has no cost, so the browser cannot rank the peer's loopback candidates below its other ones)`));
  console.log(row("  ratio app/bare without network-cost", `${(fa / fc).toFixed(2)}×`));
  console.log(row("  estimate and pair switches at the click: app", path(firstApp), "(each switch of candidate pair restarts the estimate a video starts from)"));
  console.log(row("    bare / bare without network-cost", `${path(firstBare)} / ${path(firstCostless)}`));
}

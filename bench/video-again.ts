// Mid-call video turned on again (issue 16, item 3): in an audio call upgraded to video, the
// caller turns the camera off (content-modify senders) and on again; measured from the click to
// the first new frame at the peer (requestVideoFrameCallback), against two bare pages that do
// the same on their video m-line (replaceTrack + direction + offer/answer through a JSON relay).
import type { Page } from "playwright-core";
import { startTestServer, type TestServer } from "../test/support/ejabberd.ts";
import { startAppServer, type AppServer } from "../test/support/app-server.ts";
import type { LaunchedBrowser } from "../test/support/chromium.ts";
import { appPage, barePage, callStatus, median, met, row, startRelay, waitFor, type Relay } from "./call-setup.ts";

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

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Video sent on alice's open peer connections (the same check as the e2e test). */
const videoSending = (page: Page) =>
  page.evaluate<boolean>(`(globalThis.__peerConnections ?? []).some((pc) => pc.connectionState !== "closed" && pc.getTransceivers().some((t) => t.sender.track?.kind === "video" && t.sender.track.readyState === "live" && (t.currentDirection === "sendrecv" || t.currentDirection === "sendonly")))`);

async function appTimes(alice: Page, bob: Page, bobName: string): Promise<number[]> {
  await alice.evaluate(CLICK_CLOCK);
  await alice.getByRole("button", { name: new RegExp(`^Audio call ${bobName}`) }).click();
  await bob.getByRole("button", { name: "Accept", exact: true }).click({ timeout: 15_000 });
  await waitFor("connected", async () => (await callStatus(alice)) === "Connected" && (await callStatus(bob)) === "Connected");
  await alice.getByRole("button", { name: "Add video" }).click();
  await bob.getByRole("button", { name: "Accept video" }).click({ timeout: 10_000 });
  await waitFor("alice's video sent", () => videoSending(alice));
  const times: number[] = [];
  for (let i = 0; i < TIMES; i++) {
    await alice.getByRole("button", { name: "Stop video" }).click({ timeout: 10_000 });
    await waitFor("alice's video stopped", async () => !(await videoSending(alice)));
    // Frames already on their way are not the ones measured.
    await pause(300);
    if (!(await bob.evaluate<boolean>(ARM_REMOTE_FRAME))) throw new Error("no remote <video> at bob");
    await alice.getByRole("button", { name: "Add video" }).click({ timeout: 10_000 });
    await waitFor("bob's first frame of alice's camera again", async () => (await bob.evaluate<number>("window.__firstFrame || 0")) > 0);
    times.push((await bob.evaluate<number>("window.__firstFrame")) - (await alice.evaluate<number>("window.__videoOnAt")));
  }
  await alice.getByRole("button", { name: "Hang up" }).click();
  await waitFor("the end", async () => (await callStatus(bob)) === "Call ended");
  return times;
}

type BareState = { rang: boolean; acceptAt: number; firstFrame: number; error: string };

async function bareTimes(caller: Page, callee: Page, iceServers: unknown): Promise<number[]> {
  const state = (p: Page) => p.evaluate<BareState>("window.bare.state()");
  for (const p of [caller, callee]) await p.evaluate(`window.bare.reset(${JSON.stringify(iceServers)})`);
  await caller.evaluate("window.bare.dial()");
  await waitFor("the ring", async () => (await state(callee)).rang);
  await callee.evaluate("window.bare.accept()");
  await waitFor("the first frame (bare)", async () => (await state(callee)).firstFrame > 0 && (await state(caller)).firstFrame > 0);
  const times: number[] = [];
  for (let i = 0; i < TIMES; i++) {
    await caller.evaluate("window.bare.videoOff()");
    await pause(500);
    await callee.evaluate("window.bare.armFrame()");
    await caller.evaluate("window.bare.videoOn()");
    await waitFor("the callee's first frame again (bare)", async () => {
      const [a, b] = [await state(caller), await state(callee)];
      if (a.error || b.error) throw new Error(`bare WebRTC page failed: ${a.error || b.error}`);
      return b.firstFrame > 0;
    });
    times.push((await state(callee)).firstFrame - (await state(caller)).acceptAt);
  }
  for (const p of [caller, callee]) await p.evaluate("window.bare.hangUp()");
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
    const apps = await appTimes(pa, pb, bob.username);
    const iceServers = await pa.evaluate<unknown>("(globalThis.__peerConnections ?? []).at(-1)?.getConfiguration().iceServers ?? []");
    const bares = await bareTimes(ba, bb, iceServers);
    const [a, b] = [median(apps), median(bares)];
    console.log(`camera turned off and on again mid-call on the same video content, ${TIMES} times (BENCH_CALLS); click → first new frame at the peer`);
    console.log(row("  app (content-modify)", `${a.toFixed(0)} ms`, `all: ${apps.map((x) => x.toFixed(0)).join(" ")}`));
    console.log(row("  bare (replaceTrack + direction + offer/answer)", `${b.toFixed(0)} ms`, `all: ${bares.map((x) => x.toFixed(0)).join(" ")}`));
    console.log(row("  ratio app/bare", `${(a / b).toFixed(2)}×`, `goal ≤ ${GOAL_RATIO}×: ${met(a / b <= GOAL_RATIO)}`));
  } finally {
    for (const br of browsers) await br.close();
    await relay?.close();
    await app?.close();
    await server?.stop();
  }
}

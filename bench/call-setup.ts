// Call setup of the web app against bare WebRTC, measured in the same run:
// (a) from the callee's accept to the first remote video frame on both sides, for real calls
//     between two Chromium pages of the web app through a real ejabberd;
// (b) the same for two bare pages exchanging SDP and trickled candidates over a minimal
//     WebSocket relay (offer sent after accept, as the app does after <proceed/>);
// (c) signaling stanzas and bytes per audio+video call on the wire vs the bare SDP+candidates.
// The first frame is taken from requestVideoFrameCallback on the remote <video> (CONVENTIONS).
// Browser-side code is passed as strings: tsx's keepNames helpers must not leak into pages.
// BENCH_CALLS=N calls of each kind (10); BENCH_TRACE=1 (or full) prints each app call's frames and
// page events in one order; BENCH_PROFILE=1 adds V8 CPU profiles of both app pages (accept → first
// frames); BENCH_BARE_CODECS=app has them offer the app's video codecs instead of the browser's list;
// BENCH_CHROME_TRACE=PREFIX writes a Chrome trace of each app page per call, for
// chrome://tracing or Perfetto (where the main thread waited, what the compositor drew);
// BENCH_CALLEE=firefox runs every callee (app and bare) in Debian's Firefox ESR, the callers staying
// in Chromium: what a call with Firefox at one end costs, against bare pages in the same browsers.
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { cpus } from "node:os";
import type { AddressInfo } from "node:net";
import type { Element } from "@xmpp/xml";
import parse from "@xmpp/xml/lib/parse.js";
import type { Page } from "playwright-core";
import { WebSocketServer, type WebSocket } from "ws";
import { startTestServer, type TestAccount, type TestServer } from "../test/support/ejabberd.ts";
import { startAppServer, WIRE_TAP_SCRIPT, wireFrames, type AppServer, type WireFrame } from "../test/support/app-server.ts";
import { launchChromium, type LaunchedBrowser } from "../test/support/chromium.ts";
import { launchFirefox } from "../test/support/firefox.ts";
import { NS_JINGLE, NS_JMI } from "../client/src/namespaces.ts";
import { offeredVideoCodecs, type VideoCodecCapability } from "../client/src/platform/video-codecs.ts";
import { summarizeProfiles, type Profile } from "./cpu-profile.ts";
import { cpuByGroup, cpuByThread, ownBrowserRoots, sampleProcesses, sampleThreads, type ProcessTable, type ThreadTable } from "./process-cpu.ts";
import { appWireTimeline, bareWireTimeline, bytesByElement, firsts, phaseTable, takeTimeline, timelineTable, TIMELINE_SCRIPT } from "./call-timeline.ts";

const CALLS = Math.max(1, Number(process.env.BENCH_CALLS ?? 10) || 10);
/** BENCH_CALLEE=firefox: the callees' browser. */
const CALLEE_BROWSER = process.env.BENCH_CALLEE === "firefox" ? "firefox" : "chromium";
/** A fresh browser for one page: the callees' in Firefox with BENCH_CALLEE=firefox. */
const launchFor = (role: "caller" | "callee", chromiumArgs: string[] = []): Promise<LaunchedBrowser> =>
  role === "callee" && CALLEE_BROWSER === "firefox" ? launchFirefox({ acceptInsecureCerts: true }) : launchChromium({ args: chromiumArgs });
const GOALS = { timeRatio: 1.2, stanzas: 16, bytesRatio: 1.5 };

export const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

// ——— The web app ———

/** Records when "Accept with video" is clicked, in the page's clock (shared by all pages on this host). */
const ACCEPT_CLOCK_SCRIPT = `document.addEventListener("click", (e) => {
  const b = e.target instanceof Element ? e.target.closest("button") : null;
  if (b && b.textContent === "Accept with video") window.__acceptAt = performance.timeOrigin + performance.now();
}, true);`;

/** Arms requestVideoFrameCallback on the call screen's remote <video>. */
const ARM_FIRST_FRAME = `(() => {
  window.__firstFrame = 0;
  const v = document.querySelector("video.remote");
  if (!v) return false;
  v.requestVideoFrameCallback((now, meta) => { window.__firstFrame = performance.timeOrigin + meta.presentationTime; });
  return true;
})()`;

/**
 * The app's call screen drawn as the minimal bare page draws (remote video at its natural size
 * and muted, no local preview), or as itself: the same app, signaling and code, with the
 * drawing of the goal's baseline, so the two can be told apart in one run.
 */
const APP_DRAWING = (minimal: boolean) => `(() => {
  let style = document.getElementById("bench-minimal-drawing");
  if (${minimal} && !style) {
    style = document.createElement("style");
    style.id = "bench-minimal-drawing";
    style.textContent = ".call video.local { display: none !important; } .call video.remote { width: auto !important; height: auto !important; }";
    document.head.append(style);
  }
  if (!${minimal}) style?.remove();
  const remote = document.querySelector("video.remote");
  if (remote) remote.muted = ${minimal};
  return true;
})()`;
/** How the app's call screen is drawn in a measured call (APP_DRAWING). */
type AppDrawing = "app" | "minimal";

/**
 * The app signs in straight to ejabberd's secure WebSocket, as in a deployment, rather
 * than through the test app server's same-origin proxy, which would add two Node hops
 * to every stanza that the bare baseline's relay does not have. Chromium trusts exactly
 * the test server's key; Firefox (BENCH_CALLEE=firefox) accepts any certificate (WebDriver
 * BiDi's acceptInsecureCerts), which only this benchmark asks of it.
 */
export async function appPage(app: AppServer, server: TestServer, account: TestAccount, browsers: LaunchedBrowser[], role: "caller" | "callee" = "caller"): Promise<Page> {
  const browser = await launchFor(role, [`--ignore-certificate-errors-spki-list=${server.spkiHash}`]);
  browsers.push(browser);
  await browser.context.addInitScript({ content: WIRE_TAP_SCRIPT });
  await browser.context.addInitScript({ content: ACCEPT_CLOCK_SCRIPT });
  await browser.context.addInitScript({ content: TIMELINE_SCRIPT });
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  await page.goto(app.url);
  await page.getByLabel("XMPP address").fill(account.jid);
  await page.getByLabel("Password").fill(account.password);
  await page.getByText("Advanced").click();
  await page.getByLabel("WebSocket URL").fill(server.wsUrl);
  await page.getByRole("button", { name: "Sign in" }).click();
  return page;
}

export const callStatus = (page: Page) => page.getByRole("status", { name: "Call status" }).textContent();

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface Traffic {
  stanzas: number;
  bytes: number;
  /** e.g. "jmi:propose", "jingle:transport-info", "iq:result" → count. */
  kinds: Map<string, number>;
  /** Stanzas in the same window that are not about the call (presence, pings…). */
  other: number;
}

function parseFrame(data: string): Element | undefined {
  try {
    return parse(data);
  } catch {
    return undefined;
  }
}

/**
 * Counts what both clients sent for one call: JMI messages and Jingle iqs carrying its id,
 * and the iq results/errors answering those iqs. XEP-0198 <r/>/<a/> are not stanzas.
 */
export function callTraffic(sent: readonly WireFrame[], sid: string): Traffic {
  const stanzas = sent.map((f) => ({ frame: f, el: parseFrame(f.data) })).filter((s): s is { frame: WireFrame; el: Element } => !!s.el && ["message", "iq", "presence"].includes(s.el.name));
  const jingleIqIds = new Set(stanzas.filter((s) => s.el.name === "iq" && s.el.getChild("jingle", NS_JINGLE)?.attrs.sid === sid).map((s) => String(s.el.attrs.id)));
  const traffic: Traffic = { stanzas: 0, bytes: 0, kinds: new Map(), other: 0 };
  for (const { frame, el } of stanzas) {
    let kind: string | undefined;
    const jmi = el.name === "message" ? el.getChildElements().find((c) => c.getNS() === NS_JMI) : undefined;
    const jingle = el.name === "iq" ? el.getChild("jingle", NS_JINGLE) : undefined;
    if (jmi?.attrs.id === sid) kind = `jmi:${jmi.name}`;
    else if (jingle?.attrs.sid === sid) kind = `jingle:${jingle.attrs.action}`;
    else if (el.name === "iq" && (el.attrs.type === "result" || el.attrs.type === "error") && jingleIqIds.has(String(el.attrs.id))) kind = `iq:${el.attrs.type}`;
    if (!kind) {
      traffic.other += 1;
      continue;
    }
    traffic.stanzas += 1;
    traffic.bytes += Buffer.byteLength(frame.data);
    traffic.kinds.set(kind, (traffic.kinds.get(kind) ?? 0) + 1);
  }
  return traffic;
}

/** The machine's CPU time so far, busy and all (/proc/stat, all cores). */
function cpuTimes(): { busy: number; all: number } {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const all = fields.reduce((a, b) => a + b, 0);
  return { busy: all - fields[3]! - (fields[4] ?? 0), all };
}

/** How busy the machine's cores were since `from` (%, 100 = all cores): a set-up on a saturated machine waits for CPU. */
const cpuBusySince = (from: { busy: number; all: number }) => {
  const now = cpuTimes();
  return now.all > from.all ? (100 * (now.busy - from.busy)) / (now.all - from.all) : NaN;
};

/** BENCH_THREADS=1: CPU per renderer thread (CrRendererMain, WebRTC_Signaling, the codecs' workers…) as well. */
const THREADS = process.env.BENCH_THREADS === "1";

/** What a measured window starts from: processes, and with BENCH_THREADS their renderers' threads. */
function windowStart(): { processes: ProcessTable; threads: ThreadTable | undefined } {
  const processes = sampleProcesses();
  return { processes, threads: THREADS ? sampleThreads(processes, "renderer") : undefined };
}

/** CPU ms by process group (and by renderer thread) since `start`. */
function windowCpu(start: ReturnType<typeof windowStart>): { cpu: Map<string, number>; threads: Map<string, number> } {
  const now = sampleProcesses();
  const threads = start.threads ? cpuByThread(start.threads, sampleThreads(now, "renderer"), now, browserLabels) : new Map<string, number>();
  return { cpu: cpuByGroup(start.processes, now, browserLabels), threads };
}

/** Chromium main process → which page it runs ("app caller", "bare callee"…), for cpuByGroup. */
const browserLabels = new Map<number, string>();

/** Runs `launch` and labels the Chromium it started. */
async function labelled<T>(label: string, launch: () => Promise<T>): Promise<T> {
  const before = ownBrowserRoots();
  const result = await launch();
  for (const pid of ownBrowserRoots()) if (!before.has(pid)) browserLabels.set(pid, label);
  return result;
}

interface AppCall {
  /** The machine's CPU use from accept to the first frames, %. */
  cpuBusy: number;
  /** CPU ms per process group from accept to the first frames (cpuByGroup). */
  cpu: Map<string, number>;
  /** With BENCH_THREADS=1: CPU ms per renderer thread, "LABEL thread" (cpuByThread). */
  threads: Map<string, number>;
  /** Accept → first remote frame at the caller / at the callee, ms. */
  caller: number;
  callee: number;
  traffic: Traffic;
  /** Event → ms from accept, per side. */
  timeline: { caller: Map<string, number>; callee: Map<string, number> };
  /** Own bytes per Jingle/JMI element name sent for this call. */
  elementBytes: Map<string, number>;
}

/** BENCH_PROFILE=1: V8 CPU profiles of both app pages from accept to the first frames. */
const PROFILE = process.env.BENCH_PROFILE === "1";
const pageProfiles: Record<"caller" | "callee", Profile[]> = { caller: [], callee: [] };

async function startProfiling(page: Page): Promise<() => Promise<Profile>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
  await cdp.send("Profiler.start");
  return async () => {
    const { profile } = await cdp.send("Profiler.stop");
    await cdp.detach();
    return profile as unknown as Profile;
  };
}

let traceCount = 0;
/** BENCH_CHROME_TRACE=PREFIX: a Chrome trace of each app page per call (PREFIX-caller-N.json), for chrome://tracing. */
async function startTracing(page: Page): Promise<() => Promise<unknown[]>> {
  const cdp = await page.context().newCDPSession(page);
  const events: unknown[] = [];
  cdp.on("Tracing.dataCollected", (data: { value: unknown[] }) => events.push(...data.value));
  await cdp.send("Tracing.start", { categories: "devtools.timeline,toplevel,blink,v8.execute,webrtc,disabled-by-default-devtools.timeline", transferMode: "ReportEvents" });
  return async () => {
    const done = new Promise<void>((resolve) => cdp.once("Tracing.tracingComplete", () => resolve()));
    await cdp.send("Tracing.end");
    await done;
    await cdp.detach();
    return events;
  };
}

async function appCall(alice: Page, bob: Page, bobName: string, drawing: AppDrawing = "app"): Promise<AppCall> {
  await Promise.all([wireFrames(alice, true), wireFrames(bob, true), takeTimeline(alice), takeTimeline(bob)]);
  await alice.getByRole("button", { name: new RegExp(`^Video call ${bobName}`) }).click();
  const accept = bob.getByRole("button", { name: "Accept with video" });
  await accept.waitFor({ timeout: 15_000 });
  for (const page of [alice, bob]) await page.evaluate(APP_DRAWING(drawing === "minimal"));
  if (!(await alice.evaluate<boolean>(ARM_FIRST_FRAME)) || !(await bob.evaluate<boolean>(ARM_FIRST_FRAME))) throw new Error("no remote <video> on the call screen");
  // V8 profiles come over CDP: Chromium pages only (not a Firefox callee).
  const profiling = PROFILE ? await Promise.all([startProfiling(alice), CALLEE_BROWSER === "chromium" ? startProfiling(bob) : undefined]) : undefined;
  const tracing = process.env.BENCH_CHROME_TRACE ? await Promise.all([startTracing(alice), CALLEE_BROWSER === "chromium" ? startTracing(bob) : undefined]) : undefined;
  const atAccept = windowStart();
  const cpuAtAccept = cpuTimes();
  await accept.click();
  const frame = (p: Page) => p.evaluate<number>("window.__firstFrame || 0");
  await waitFor("the first remote frame on both sides", async () => (await frame(alice)) > 0 && (await frame(bob)) > 0);
  const cpuBusy = cpuBusySince(cpuAtAccept);
  const { cpu, threads } = windowCpu(atAccept);
  if (tracing) {
    const n = (traceCount += 1);
    writeFileSync(`${process.env.BENCH_CHROME_TRACE}-caller-${n}.json`, JSON.stringify(await tracing[0]()));
    if (tracing[1]) writeFileSync(`${process.env.BENCH_CHROME_TRACE}-callee-${n}.json`, JSON.stringify(await tracing[1]()));
  }
  if (profiling) {
    pageProfiles.caller.push(await profiling[0]());
    if (profiling[1]) pageProfiles.callee.push(await profiling[1]());
  }
  const acceptAt = await bob.evaluate<number>("window.__acceptAt");
  const [a, b] = [await frame(alice), await frame(bob)];
  const recorded = { alice: await takeTimeline(alice), bob: await takeTimeline(bob) };
  await alice.getByRole("button", { name: "Hang up" }).click();
  await waitFor("the end on both sides", async () => (await callStatus(bob)) === "Call ended" && (await callStatus(alice)) === "Call ended");
  // Let the last results (session-terminate's, finish) reach the wire.
  await new Promise((r) => setTimeout(r, 300));
  const frames = { alice: await wireFrames(alice, true), bob: await wireFrames(bob, true) };
  const sent = [...frames.alice, ...frames.bob].filter((f) => f.dir === "out");
  if (process.env.BENCH_TRACE) {
    console.log(`trace: accept at 0, first frame at alice ${(a - acceptAt).toFixed(0)} ms, at bob ${(b - acceptAt).toFixed(0)} ms`);
    // Frames and the pages' recorded events of this call, in one order.
    const lines = [
      ...Object.entries(frames).flatMap(([who, fs]) => fs.map((f) => ({ at: f.at, text: `${who.padEnd(5)} ${f.dir.padEnd(3)} ${String(f.data.length).padStart(6)} ${process.env.BENCH_TRACE === "full" ? f.data : f.data.slice(0, 150)}` }))),
      ...Object.entries(recorded).flatMap(([who, es]) => es.map((e) => ({ at: e.at, text: `${who.padEnd(5)} ·   ${e.name}${e.ms ? ` ${e.ms.toFixed(0)} ms` : ""}` }))),
    ].sort((x, y) => x.at - y.at);
    for (const line of lines) console.log(`  ${(line.at - acceptAt).toFixed(1).padStart(8)} ${line.text}`);
  }
  const propose = sent.map((f) => parseFrame(f.data)?.getChildElements().find((c) => c.getNS() === NS_JMI && c.name === "propose")).find(Boolean);
  if (!propose) throw new Error("no <propose/> on the caller's wire");
  for (const p of [alice, bob]) await p.getByRole("button", { name: "Close" }).click();
  const sid = propose.attrs.id as string;
  const timeline = {
    caller: firsts([...recorded.alice, ...appWireTimeline(frames.alice, sid), { name: "first frame", at: a }], acceptAt),
    callee: firsts([...recorded.bob, ...appWireTimeline(frames.bob, sid), { name: "first frame", at: b }], acceptAt),
  };
  return { cpuBusy, cpu, threads, caller: a - acceptAt, callee: b - acceptAt, traffic: callTraffic(sent, sid), timeline, elementBytes: bytesByElement(sent, sid) };
}

// ——— Bare WebRTC baseline ———

const BARE_PAGE = `<!doctype html><meta charset="utf-8"><title>bare</title><video autoplay playsinline muted></video>`;
/**
 * The second bare pair draws what the app's call screen draws (the remote video filling the
 * window, the local preview in a corner) and plays the peer's sound through it, as the app's
 * remote <video> does, so its ratio shows what the signaling and the app's code cost, drawing
 * and playing apart: with software compositing on saturated cores, each drawn video takes 4–5 %
 * of the machine (≈ 80–110 ms of CPU a second) from the set-up.
 */
const BARE_PAGE_CALL_LAYOUT = `<!doctype html><meta charset="utf-8"><title>bare</title><style>
html, body { margin: 0; height: 100%; background: #111; }
video { width: 100vw; height: 100vh; object-fit: contain; background: #000; display: block; }
video.local { position: fixed; right: 1rem; bottom: 1rem; width: 22%; height: auto; border-radius: 12px; border: 2px solid #ffffff40; background: #222; }
</style><video autoplay playsinline></video><video class="local" autoplay playsinline muted></video>`;
/** The bare page drawn: one video at its natural size, or the call screen's layout. */
export type BareLayout = "minimal" | "call-layout";
/**
 * BENCH_BARE_CODECS=app: the bare pages offer the video codecs the app offers (video-codecs.ts)
 * instead of the browser's whole list, so the bytes ratio compares the same description.
 */
const BARE_CODECS = process.env.BENCH_BARE_CODECS === "app" ? "app" : "browser";

/** Minimal bare-WebRTC peer: JSON over a WebSocket relay, trickle ICE, offer sent on accept. */
const BARE_SCRIPT = `window.bare = (() => {
  const now = () => performance.timeOrigin + performance.now();
  const video = document.querySelector("video");
  const s = { ws: null, pc: null, stream: null, remoteAudio: null, ready: Promise.resolve(), queue: Promise.resolve(), pending: [], iceServers: [], acceptAt: 0, videoAddedAt: 0, firstFrame: 0, rang: false, error: "", audioFirst: false };
  // Jingle candidates (XEP-0176) have no network cost: "costless" pages send theirs without it too.
  const costless = (m) => ({ ...m, ...(m.sdp ? { sdp: m.sdp.replace(/ network-cost \\d+/g, "") } : {}), ...(m.candidate ? { candidate: { ...m.candidate, candidate: m.candidate.candidate.replace(/ network-cost \\d+/, "") } } : {}) });
  const send = (m) => s.ws.send(JSON.stringify(s.costless ? costless(m) : m));
  const media = () => navigator.mediaDevices.getUserMedia({ audio: true, video: !s.audioFirst });
  const openCamera = async () => (await navigator.mediaDevices.getUserMedia({ video: true })).getVideoTracks()[0];
  const makePc = () => {
    const pc = new RTCPeerConnection({ iceServers: s.iceServers, bundlePolicy: "balanced" });
    for (const t of s.stream.getTracks()) pc.addTrack(t, s.stream);
    if (window.bareVideoCodecs) for (const t of pc.getTransceivers()) if (t.receiver.track.kind === "video") t.setCodecPreferences(window.bareVideoCodecs);
    const preview = document.querySelector("video.local");
    if (preview) preview.srcObject = s.stream;
    pc.onicecandidate = (e) => { if (e.candidate) send({ type: "candidate", candidate: e.candidate.toJSON() }); };
    pc.ontrack = (e) => {
      // The call-layout page (its remote <video> not muted) plays the peer's sound with its video.
      if (e.track.kind === "audio" && !video.muted) s.remoteAudio = e.track;
      if (e.track.kind !== "video") return;
      // A renegotiation that turns the peer's video on again fires "track" for the same track: a
      // new srcObject would present its last (old) frame at once and fire the callback with it.
      if (video.srcObject && video.srcObject.getTracks().includes(e.track)) return;
      video.srcObject = new MediaStream(s.remoteAudio ? [s.remoteAudio, e.track] : [e.track]);
      video.requestVideoFrameCallback((n, meta) => { s.firstFrame = performance.timeOrigin + meta.presentationTime; });
    };
    s.pc = pc;
    (globalThis.__peerConnections ??= []).push(pc);
    return pc;
  };
  const drain = async () => { for (const c of s.pending) await s.pc.addIceCandidate(c); s.pending = []; };
  // A new offer waits for the answer to the last one: on a busy machine it can take longer than the
  // pause between turns, and an offer made in have-local-offer is answered against the wrong one.
  const stable = () => new Promise((resolve) => { const check = () => (!s.pc || s.pc.signalingState === "stable" ? resolve(true) : setTimeout(check, 5)); check(); });
  const handle = async (m) => {
    if (m.type === "ring") s.rang = true;
    else if (m.type === "accept") {
      const pc = makePc();
      await pc.setLocalDescription(await pc.createOffer());
      send({ type: "offer", sdp: pc.localDescription.sdp });
    } else if (m.type === "offer") {
      await s.ready;
      await s.pc.setRemoteDescription({ type: "offer", sdp: m.sdp });
      await drain();
      // An audio call's first video offer (bench/video-again.ts): our camera goes on the new m-line, as the app's "Accept video".
      const added = s.pc.getTransceivers().find((t) => t.receiver.track.kind === "video" && !t.sender.track && t.direction === "recvonly" && !s.stream.getVideoTracks().length);
      if (added) {
        const camera = await openCamera();
        s.stream.addTrack(camera);
        await added.sender.replaceTrack(camera);
        added.sender.setStreams(s.stream);
        added.direction = "sendrecv";
      }
      await s.pc.setLocalDescription(await s.pc.createAnswer());
      send({ type: "answer", sdp: s.pc.localDescription.sdp });
    } else if (m.type === "answer") {
      await s.pc.setRemoteDescription({ type: "answer", sdp: m.sdp });
      await drain();
    } else if (m.type === "candidate") {
      if (s.pc && s.pc.remoteDescription) await s.pc.addIceCandidate(m.candidate);
      else s.pending.push(m.candidate);
    }
  };
  return {
    connect: (url) => new Promise((resolve, reject) => {
      s.ws = new WebSocket(url);
      s.ws.onopen = () => resolve(true);
      s.ws.onerror = () => reject(new Error("relay unreachable"));
      s.ws.onmessage = (e) => { const m = JSON.parse(e.data); s.queue = s.queue.then(() => handle(m)).catch((err) => { s.error = String(err); }); };
    }),
    reset: (iceServers, audioFirst = false, costless = false) => { s.iceServers = iceServers; s.audioFirst = audioFirst; s.costless = costless; s.acceptAt = 0; s.videoAddedAt = 0; s.firstFrame = 0; s.rang = false; s.pending = []; s.error = ""; },
    dial: async () => { s.stream = await media(); send({ type: "ring" }); return true; },
    accept: () => {
      s.acceptAt = now();
      send({ type: "accept" });
      s.ready = media().then((stream) => { s.stream = stream; makePc(); });
      return true;
    },
    // An audio call upgraded to video (bench/video-again.ts): our camera on a new m-line, offered.
    addVideo: async () => {
      s.videoAddedAt = now();
      const camera = await openCamera();
      s.stream.addTrack(camera);
      s.pc.addTrack(camera, s.stream);
      await s.pc.setLocalDescription(await s.pc.createOffer());
      send({ type: "offer", sdp: s.pc.localDescription.sdp });
      return true;
    },
    // Mid-call video off and on again on the same m-line (bench/video-again.ts): replaceTrack and
    // the transceiver's direction, then an offer/answer round through the relay.
    videoOff: async () => {
      await stable();
      const t = s.pc.getTransceivers().find((x) => x.receiver.track.kind === "video");
      const track = t.sender.track;
      await t.sender.replaceTrack(null);
      if (track) track.stop();
      t.direction = "recvonly";
      await s.pc.setLocalDescription(await s.pc.createOffer());
      send({ type: "offer", sdp: s.pc.localDescription.sdp });
      return true;
    },
    videoOn: async () => {
      await stable();
      s.acceptAt = now();
      const t = s.pc.getTransceivers().find((x) => x.receiver.track.kind === "video");
      const track = await openCamera();
      await t.sender.replaceTrack(track);
      t.direction = "sendrecv";
      await s.pc.setLocalDescription(await s.pc.createOffer());
      send({ type: "offer", sdp: s.pc.localDescription.sdp });
      return true;
    },
    armFrame: () => {
      s.firstFrame = 0;
      video.requestVideoFrameCallback((n, meta) => { s.firstFrame = performance.timeOrigin + meta.presentationTime; });
      return true;
    },
    state: () => ({ rang: s.rang, acceptAt: s.acceptAt, videoAddedAt: s.videoAddedAt, firstFrame: s.firstFrame, error: s.error, connected: s.pc?.connectionState === "connected" }),
    hangUp: () => { s.remoteAudio = null; if (s.pc) s.pc.close(); if (s.stream) for (const t of s.stream.getTracks()) t.stop(); video.srcObject = null; const preview = document.querySelector("video.local"); if (preview) preview.srcObject = null; s.pc = null; return true; },
  };
})();`;

export interface Relay {
  /** The pages' base URL: + "minimal" or "call-layout" (BareLayout) for a page and its relay room. */
  url: string;
  /** SDP and candidate-line bytes, and relay messages, since the last take(). */
  take(): { bareBytes: number; messages: number };
  close(): Promise<void>;
}

/**
 * A tiny HTTP page + WebSocket relay on 127.0.0.1: whatever one page sends, the other pages of
 * its room (the URL's path, one per layout) get.
 */
export async function startRelay(): Promise<Relay> {
  const http: Server = createServer((req, res) => {
    res.setHeader("content-type", "text/html");
    res.end(req.url?.endsWith("call-layout") ? BARE_PAGE_CALL_LAYOUT : BARE_PAGE);
  });
  const wss = new WebSocketServer({ server: http });
  const rooms = new Map<string, Set<WebSocket>>();
  let bareBytes = 0;
  let messages = 0;
  wss.on("connection", (ws, req) => {
    const room = req.url ?? "/";
    const peers = rooms.get(room) ?? new Set<WebSocket>();
    rooms.set(room, peers);
    peers.add(ws);
    ws.on("close", () => peers.delete(ws));
    ws.on("message", (data) => {
      const text = data.toString();
      const m = JSON.parse(text) as { type: string; sdp?: string; candidate?: { candidate?: string } };
      messages += 1;
      if (m.sdp) bareBytes += Buffer.byteLength(m.sdp);
      if (m.candidate?.candidate) bareBytes += Buffer.byteLength(m.candidate.candidate);
      for (const other of peers) if (other !== ws) other.send(text);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://localhost:${port}/`,
    take() {
      const r = { bareBytes, messages };
      bareBytes = 0;
      messages = 0;
      return r;
    },
    async close() {
      for (const peers of rooms.values()) for (const ws of peers) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

export async function barePage(relay: Relay, browsers: LaunchedBrowser[], layout: BareLayout = "minimal", role: "caller" | "callee" = "caller"): Promise<Page> {
  const browser = await launchFor(role);
  browsers.push(browser);
  await browser.context.addInitScript({ content: WIRE_TAP_SCRIPT });
  await browser.context.addInitScript({ content: TIMELINE_SCRIPT });
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  await page.goto(relay.url + layout);
  await page.addScriptTag({ content: BARE_SCRIPT });
  if (BARE_CODECS === "app") {
    const capabilities = await page.evaluate<VideoCodecCapability[]>(`RTCRtpReceiver.getCapabilities("video").codecs`);
    await page.evaluate(`window.bareVideoCodecs = ${JSON.stringify(offeredVideoCodecs(capabilities) ?? null)}`);
  }
  await page.evaluate(`window.bare.connect(${JSON.stringify(relay.url.replace("http", "ws") + layout)})`);
  return page;
}

interface BareCall {
  cpuBusy: number;
  cpu: Map<string, number>;
  threads: Map<string, number>;
  caller: number;
  callee: number;
  bareBytes: number;
  messages: number;
  timeline: { caller: Map<string, number>; callee: Map<string, number> };
}

type BareState = { rang: boolean; acceptAt: number; firstFrame: number; error: string };

/** `costless`: the pages' candidates go without their network-cost, as through Jingle (XEP-0176 has none). */
async function bareCall(caller: Page, callee: Page, relay: Relay, iceServers: unknown, costless = false): Promise<BareCall> {
  const state = (p: Page) => p.evaluate<BareState>("window.bare.state()");
  for (const p of [caller, callee]) await p.evaluate(`window.bare.reset(${JSON.stringify(iceServers)}, false, ${costless})`);
  relay.take();
  for (const p of [caller, callee]) await Promise.all([wireFrames(p, true), takeTimeline(p)]);
  await caller.evaluate("window.bare.dial()");
  await waitFor("the ring", async () => (await state(callee)).rang);
  const atAccept = windowStart();
  const cpuAtAccept = cpuTimes();
  await callee.evaluate("window.bare.accept()");
  await waitFor("the first remote frame on both sides (bare)", async () => {
    const [a, b] = [await state(caller), await state(callee)];
    if (a.error || b.error) throw new Error(`bare WebRTC page failed: ${a.error || b.error}`);
    return a.firstFrame > 0 && b.firstFrame > 0;
  });
  const cpuBusy = cpuBusySince(cpuAtAccept);
  const { cpu, threads } = windowCpu(atAccept);
  const [a, b] = [await state(caller), await state(callee)];
  const timeline = {
    caller: firsts([...(await takeTimeline(caller)), ...bareWireTimeline(await wireFrames(caller, true)), { name: "first frame", at: a.firstFrame }], b.acceptAt),
    callee: firsts([...(await takeTimeline(callee)), ...bareWireTimeline(await wireFrames(callee, true)), { name: "first frame", at: b.firstFrame }], b.acceptAt),
  };
  // Candidates keep trickling after the first frame (TCP, relay): count them all.
  await new Promise((r) => setTimeout(r, 500));
  for (const p of [caller, callee]) await p.evaluate("window.bare.hangUp()");
  return { cpuBusy, cpu, threads, caller: a.firstFrame - b.acceptAt, callee: b.firstFrame - b.acceptAt, ...relay.take(), timeline };
}

// ——— Run ———

/** The calls of one flow, and the label prefix of its browsers' processes (browserLabels). */
interface Flow {
  label: string;
  prefix: string;
  calls: readonly { cpu: Map<string, number>; threads: Map<string, number> }[];
}

/**
 * CPU per process group, flow beside flow: "caller renderer" is the app caller's renderer in an
 * app call and the bare caller's in a bare call; ejabberd, this Node process (the relay) and the
 * rest as they are. The other flows' browsers idle meanwhile: their rows are not shown, but "all
 * processes" is the whole machine's CPU in the window, theirs included.
 */
function cpuTable(flows: readonly Flow[]): string[] {
  const of = (calls: Flow["calls"], group: string) => median(calls.map((c) => c.cpu.get(group) ?? 0));
  const prefixes = flows.map((f) => `${f.prefix} `);
  const roleOf = (group: string) => prefixes.reduce((g, p) => (g.startsWith(p) ? g.slice(p.length) : g), group);
  const roles = new Set<string>();
  for (const f of flows) for (const c of f.calls) for (const g of c.cpu.keys()) roles.add(roleOf(g));
  const rows = [...roles].map((role) => {
    const active = /^(caller|callee) /.test(role);
    return { role, values: flows.map((f) => of(f.calls, active ? `${f.prefix} ${role}` : role)) };
  });
  rows.sort((x, y) => y.values.reduce((a, b) => a + b, 0) - x.values.reduce((a, b) => a + b, 0));
  const total = (calls: Flow["calls"]) => median(calls.map((c) => [...c.cpu.values()].reduce((a, b) => a + b, 0)));
  const line = (label: string, values: readonly number[]) => `  ${label.padEnd(24)}${values.map((v) => v.toFixed(0).padStart(14)).join("")}`;
  return [
    `  ${"process".padEnd(24)}${flows.map((f) => f.label.padStart(14)).join("")}`,
    ...rows.filter((r) => r.values.some((v) => v >= 1)).map((r) => line(r.role, r.values)),
    line("all processes (machine)", flows.map((f) => total(f.calls))),
  ];
}

/**
 * BENCH_THREADS=1: CPU per renderer thread, flow beside flow, as cpuTable; means (not medians),
 * as /proc counts in 10 ms ticks.
 */
function threadTable(flows: readonly Flow[]): string[] {
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const roleOf = (flow: Flow, key: string) => (key.startsWith(`${flow.prefix} `) ? key.slice(flow.prefix.length + 1) : undefined);
  const roles = new Set<string>();
  for (const f of flows) for (const c of f.calls) for (const k of c.threads.keys()) { const r = roleOf(f, k); if (r) roles.add(r); }
  const rows = [...roles].map((role) => ({ role, values: flows.map((f) => mean(f.calls.map((c) => c.threads.get(`${f.prefix} ${role}`) ?? 0))) }));
  rows.sort((x, y) => y.values.reduce((a, b) => a + b, 0) - x.values.reduce((a, b) => a + b, 0));
  const line = (label: string, values: readonly number[]) => `  ${label.padEnd(34)}${values.map((v) => v.toFixed(0).padStart(14)).join("")}`;
  return [`  ${"renderer thread".padEnd(34)}${flows.map((f) => f.label.padStart(14)).join("")}`, ...rows.filter((r) => r.values.some((v) => v >= 3)).map((r) => line(r.role, r.values))];
}

export function row(label: string, value: string, note = ""): string {
  return `  ${label.padEnd(46)} ${value.padStart(12)}   ${note}`;
}

export const met = (ok: boolean) => (ok ? "met" : "NOT MET");

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
    const pa = await labelled("app caller", () => appPage(app!, server!, alice, browsers));
    const pb = await labelled("app callee", () => appPage(app!, server!, bob, browsers, "callee"));
    await waitFor("bob callable", () => pa.getByRole("button", { name: new RegExp(`^Video call ${bob.username}`) }).isEnabled().catch(() => false));
    const ba = await labelled("bare caller", () => barePage(relay!, browsers));
    const bb = await labelled("bare callee", () => barePage(relay!, browsers, "minimal", "callee"));
    const la = await labelled("laid-out caller", () => barePage(relay!, browsers, "call-layout"));
    const lb = await labelled("laid-out callee", () => barePage(relay!, browsers, "call-layout", "callee"));

    // Warm-up (first call in a fresh browser pays codec and device start-up), then the
    // app's own ICE servers (ejabberd's STUN/TURN via XEP-0215) for the baseline too.
    await appCall(pa, pb, bob.username);
    const iceServers = await pa.evaluate<unknown>("(globalThis.__peerConnections ?? []).at(-1)?.getConfiguration().iceServers ?? []");
    await bareCall(ba, bb, relay, iceServers);
    await bareCall(la, lb, relay, iceServers);

    const apps: AppCall[] = [];
    const appsDrawnMinimally: AppCall[] = [];
    const bares: BareCall[] = [];
    const laidOut: BareCall[] = [];
    for (let i = 0; i < CALLS; i++) {
      apps.push(await appCall(pa, pb, bob.username));
      appsDrawnMinimally.push(await appCall(pa, pb, bob.username, "minimal"));
      bares.push(await bareCall(ba, bb, relay, iceServers));
      laidOut.push(await bareCall(la, lb, relay, iceServers));
    }

    const both = (c: { caller: number; callee: number }) => Math.max(c.caller, c.callee);
    const appBoth = median(apps.map(both));
    const bareBoth = median(bares.map(both));
    const laidOutBoth = median(laidOut.map(both));
    const appMinimalBoth = median(appsDrawnMinimally.map(both));
    const stanzas = median(apps.map((c) => c.traffic.stanzas));
    const bytes = median(apps.map((c) => c.traffic.bytes));
    const bareBytes = median(bares.map((c) => c.bareBytes));
    const kinds = new Map<string, number[]>();
    for (const c of apps) for (const [k, n] of c.traffic.kinds) kinds.set(k, [...(kinds.get(k) ?? []), n]);

    console.log(`audio+video calls, ${CALLEE_BROWSER === "firefox" ? "Chromium callers, Firefox ESR callees" : "Chromium"} fake devices, loopback, ejabberd's STUN/TURN offered to both; medians over ${CALLS} calls each (BENCH_CALLS); bare pages: ${BARE_CODECS === "app" ? "the app's video codecs (BENCH_BARE_CODECS=app)" : "the browser's whole codec list"}`);
    console.log(row("accept → first remote frame, both sides", "", "(app: XEP-0353 + Jingle via ejabberd; bare: JSON relay)"));
    console.log(row("  app, at the caller / at the callee", `${median(apps.map((c) => c.caller)).toFixed(0)} / ${median(apps.map((c) => c.callee)).toFixed(0)} ms`));
    console.log(row("  bare, at the caller / at the callee", `${median(bares.map((c) => c.caller)).toFixed(0)} / ${median(bares.map((c) => c.callee)).toFixed(0)} ms`));
    console.log(row("  app, both sides", `${appBoth.toFixed(0)} ms`));
    console.log(row("  bare, both sides", `${bareBoth.toFixed(0)} ms`));
    console.log(row("  ratio app/bare", `${(appBoth / bareBoth).toFixed(2)}×`, `goal ≤ ${GOALS.timeRatio}×: ${met(appBoth / bareBoth <= GOALS.timeRatio)}`));
    console.log(row("  bare drawing the call screen's layout, both", `${laidOutBoth.toFixed(0)} ms`, `(at the caller / callee ${median(laidOut.map((c) => c.caller)).toFixed(0)} / ${median(laidOut.map((c) => c.callee)).toFixed(0)} ms; the remote video fills the window, the local preview in a corner)`));
    console.log(row("  ratio app/bare, drawing alike", `${(appBoth / laidOutBoth).toFixed(2)}×`, "(what the signaling and the app's code add; not the goal's baseline)"));
    console.log(row("  app drawing as the minimal bare page, both", `${appMinimalBoth.toFixed(0)} ms`, `(at the caller / callee ${median(appsDrawnMinimally.map((c) => c.caller)).toFixed(0)} / ${median(appsDrawnMinimally.map((c) => c.callee)).toFixed(0)} ms; remote video at its natural size and muted, no local preview)`));
    console.log(row("  ratio app/bare, both drawing minimally", `${(appMinimalBoth / bareBoth).toFixed(2)}×`, "(the goal's baseline with the app drawing as it does; not the goal's ratio)"));
    console.log(row("  machine CPU busy meanwhile, app / app drawn minimally / bare / laid out", `${median(apps.map((c) => c.cpuBusy)).toFixed(0)} / ${median(appsDrawnMinimally.map((c) => c.cpuBusy)).toFixed(0)} / ${median(bares.map((c) => c.cpuBusy)).toFixed(0)} / ${median(laidOut.map((c) => c.cpuBusy)).toFixed(0)} %`, `(${cpus().length} cores; near 100 % the set-up waits for CPU)`));
    console.log(row("signaling stanzas per call (incl. iq results)", `${stanzas}`, `goal ≤ ${GOALS.stanzas}: ${met(stanzas <= GOALS.stanzas)}`));
    console.log(row("  of which", "", [...kinds].map(([k, ns]) => `${k} ${median(ns)}`).join(", ")));
    console.log(row("  other stanzas sent meanwhile (not counted)", `${median(apps.map((c) => c.traffic.other))}`));
    console.log(row("signaling bytes per call (app, stanzas above)", `${bytes.toFixed(0)} B`));
    console.log(row("bare SDP + candidate lines per call", `${bareBytes.toFixed(0)} B`, `(${median(bares.map((c) => c.messages))} relay messages)`));
    console.log(row("  ratio app/bare", `${(bytes / bareBytes).toFixed(2)}×`, `goal ≤ ${GOALS.bytesRatio}×: ${met(bytes / bareBytes <= GOALS.bytesRatio)}`));
    const elements = new Map<string, number[]>();
    for (const c of apps) for (const [k, n] of c.elementBytes) elements.set(k, [...(elements.get(k) ?? []), n]);
    const byElement = [...elements].map(([k, ns]) => [k, median(ns)] as const).sort((x, y) => y[1] - x[1]);
    console.log(row("  app bytes by element (own bytes, median)", "", byElement.slice(0, 14).map(([k, n]) => `${k} ${n.toFixed(0)}`).join(", ")));
    const flows: Flow[] = [
      { label: "app", prefix: "app", calls: apps },
      { label: "app minimal", prefix: "app", calls: appsDrawnMinimally },
      { label: "bare", prefix: "bare", calls: bares },
      { label: "bare laid out", prefix: "laid-out", calls: laidOut },
    ];
    console.log("\n  CPU ms from accept to the first frames, by process (median per call)");
    for (const line of cpuTable(flows)) console.log(line);
    if (THREADS) {
      console.log("\n  CPU ms from accept to the first frames, by renderer thread (mean per call; BENCH_THREADS)");
      for (const line of threadTable(flows)) console.log(line);
    }
    console.log("\n  timeline per call (bare: offer sent after accept; its relay messages under their Jingle names)");
    for (const line of timelineTable([
      { label: "app caller", calls: apps.map((c) => c.timeline.caller) },
      { label: "app callee", calls: apps.map((c) => c.timeline.callee) },
      { label: "bare caller", calls: bares.map((c) => c.timeline.caller) },
      { label: "bare callee", calls: bares.map((c) => c.timeline.callee) },
    ]))
      console.log(line);
    console.log("\n  critical path after accept, phase by phase");
    for (const line of phaseTable([
      { label: "app", calls: apps.map((c) => c.timeline) },
      { label: "app minimal", calls: appsDrawnMinimally.map((c) => c.timeline) },
      { label: "bare", calls: bares.map((c) => c.timeline) },
      { label: "laid out", calls: laidOut.map((c) => c.timeline) },
    ]))
      console.log(line);
    if (PROFILE) {
      for (const side of ["caller", "callee"] as const) {
        if (pageProfiles[side].length === 0) continue;
        console.log(`\n  ${side} page, accept → first frames, JavaScript CPU over ${pageProfiles[side].length} calls (BENCH_PROFILE)`);
        for (const line of summarizeProfiles(pageProfiles[side], 25)) console.log(`  ${line}`);
      }
    }
  } finally {
    for (const b of browsers) await b.close();
    await relay?.close();
    await app?.close();
    await server?.stop();
  }
}

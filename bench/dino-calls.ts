// Repeated live calls between Dino 0.4.2 and the web app (test/support/dino/), for the
// "Dino calls us: one-way audio" investigation of issue 13. Each call is placed, answered,
// kept up for DINO_SECONDS, and hung up; RTP is counted on the namespace's wire per second
// in both directions. A call passes when RTP flowed both ways in every second of the window.
//   DINO_CALLS=20        calls per run
//   DINO_DIRECTION=dino  who calls: "dino" (Dino calls us), "web", or "both" (alternating)
//   DINO_SECONDS=10      media window after "Connected"
//   DINO_LOAD=2          busy-loop workers (stress-ng --cpu N) kept running during the calls
//   DINO_DEBUG="rtp ice" GLib debug domains for Dino's log
//   DINO_GST_DEBUG=…     GStreamer debug categories for Dino's log (GST_DEBUG syntax)
//   DINO_PEER=dino       the peer is a second Dino (own X server, D-Bus and PulseAudio) instead of
//                        the web app: Dino calls Dino, to tell Dino's faults from the browser's
// Dino's log of a failed call is copied to $TMPDIR/dino-bench-<n>.log. Interrupt with Ctrl-C:
// the processes started share the terminal's process group and stop with it; the namespace left
// behind is removed by the next run (test/support/netns.ts removeStaleNamespaces).
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Page } from "playwright-core";
import { startDesktop } from "../test/support/dino/desktop.ts";
import { DinoClient } from "../test/support/dino/dino.ts";
import { dinoPorts, inboundPackets } from "../test/support/dino/media.ts";
import type { Capture, UdpPacket } from "../test/support/dino/rtp-capture.ts";
import { classify } from "../test/support/dino/rtp-capture.ts";
import { dinoUnavailableReason, startDinoWorld, type DinoWorld } from "../test/support/dino/world.ts";
import { terminate } from "../scripts/lib/processes.ts";

const CALLS = Math.max(1, Number(process.env.DINO_CALLS ?? 20) || 20);
const DIRECTION = (process.env.DINO_DIRECTION ?? "dino") as "dino" | "web" | "both";
const SECONDS = Math.max(2, Number(process.env.DINO_SECONDS ?? 10) || 10);
const LOAD = Math.max(0, Number(process.env.DINO_LOAD ?? 0) || 0);
const PEER = process.env.DINO_PEER === "dino" ? "dino" : "web";

interface CallResult {
  n: number;
  caller: "dino" | "web";
  setupMs: number;
  /** RTP packets per second of the window, from and to Dino. */
  fromDino: number[];
  toDino: number[];
  rtcpFromDino: number;
  browserAudioPackets: number;
  ok: boolean;
  note: string;
}

const status = (page: Page) => page.getByRole("status", { name: "Call status" }).textContent();

async function waitStatus(page: Page, want: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await status(page).catch(() => null);
    if (now === want) return;
    if (Date.now() > deadline) throw new Error(`call status "${now}", not "${want}", after ${timeoutMs} ms`);
    await sleep(50);
  }
}

function perSecond(packets: readonly UdpPacket[], ports: ReadonlySet<number>, from: boolean, start: number): number[] {
  const buckets = new Array<number>(SECONDS).fill(0);
  for (const p of packets) {
    if ((from ? ports.has(p.srcPort) && !ports.has(p.dstPort) : ports.has(p.dstPort) && !ports.has(p.srcPort)) && classify(p.payload) === "rtp") {
      const i = Math.floor((p.at - start) / 1000);
      if (i >= 0 && i < SECONDS) buckets[i]!++;
    }
  }
  return buckets;
}

async function oneCall(world: DinoWorld, web: Page, n: number, caller: "dino" | "web"): Promise<CallResult> {
  const capture: Capture = await world.capture(`call-${n}`);
  const dino = world.dino;
  dino.mark();
  const started = Date.now();
  let note = "";
  try {
    if (caller === "dino") {
      await dino.call(world.webAccount.jid, false);
      await web.getByRole("button", { name: "Accept", exact: true }).click({ timeout: 20_000 });
    } else {
      const last = dino.latestCall(world.webAccount.jid)?.callId ?? 0;
      await web.getByRole("button", { name: new RegExp(`^Audio call ${world.dinoAccount.username}`) }).click();
      dino.accept(await dino.waitForCall(world.webAccount.jid, last));
    }
    await waitStatus(web, "Connected", 30_000);
  } catch (error) {
    note = `setup failed: ${(error as Error).message}`;
  }
  const setupMs = Date.now() - started;
  const connectedAt = Date.now();
  // The window opens once RTP flows both ways (media follows "Connected" by up to a second);
  // a direction with no RTP at all within 10 s is the one-way failure under study.
  let firstFrom: number | undefined;
  let firstTo: number | undefined;
  while (!note && (firstFrom === undefined || firstTo === undefined) && Date.now() - connectedAt < 10_000) {
    await sleep(200);
    const ports = dinoPorts(dino);
    for (const p of capture.packets()) {
      if (classify(p.payload) !== "rtp" || p.at < started) continue;
      if (ports.has(p.srcPort) && !ports.has(p.dstPort)) firstFrom ??= p.at;
      if (ports.has(p.dstPort) && !ports.has(p.srcPort)) firstTo ??= p.at;
    }
  }
  const windowStart = Math.max(firstFrom ?? connectedAt, firstTo ?? connectedAt);
  const audioBefore = (await inboundPackets(web)).audio;
  if (!note) await sleep(Math.max(0, windowStart + SECONDS * 1000 + 300 - Date.now()));
  const browserAudioPackets = (await inboundPackets(web)).audio - audioBefore;
  const packets = capture.packets();
  const ports = dinoPorts(dino);
  const fromDino = perSecond(packets, ports, true, windowStart);
  const toDino = perSecond(packets, ports, false, windowStart);
  const rtcpFromDino = packets.filter((p) => ports.has(p.srcPort) && classify(p.payload) === "rtcp").length;
  const firstRtp = `first RTP from Dino ${firstFrom ? Math.round(firstFrom - connectedAt) : "never"} ms, to Dino ${firstTo ? Math.round(firstTo - connectedAt) : "never"} ms after "Connected"`;
  // End the call from the web side, then make sure both are idle again.
  for (const name of ["Hang up", "Cancel", "Decline"]) await web.getByRole("button", { name, exact: true }).click({ timeout: 500 }).catch(() => undefined);
  await dino.waitForJingle("in", "session-terminate", 10_000).catch(() => undefined);
  await web.getByRole("button", { name: "Close", exact: true }).click({ timeout: 3_000 }).catch(() => undefined);
  await capture.stop();
  const ok = !note && fromDino.every((c) => c > 0) && toDino.every((c) => c > 0);
  if (!ok) {
    const file = join(tmpdir(), `dino-bench-${n}.log`);
    copyFileSync(dino.logFile, file);
    note ||= `one-way: from Dino ${fromDino.join(",")}; to Dino ${toDino.join(",")}`;
    note += ` (Dino's log: ${file})`;
  }
  if (note.startsWith("setup")) {
    // A call that never connected may leave Dino's side open (its call button then stays disabled).
    await world.restartDino();
    await world.waitUntilCallable();
  }
  note = [note, firstRtp].filter(Boolean).join("; ");
  return { n, caller, setupMs, fromDino, toDino, rtcpFromDino, browserAudioPackets, ok, note };
}

/** Dino calls a second Dino, which accepts over D-Bus; RTP counted per second both ways on the caller's ports. */
async function dinoToDino(world: DinoWorld, callee: DinoClient, n: number): Promise<CallResult> {
  const capture: Capture = await world.capture(`d2d-${n}`);
  const caller = world.dino;
  caller.mark();
  callee.mark();
  const started = Date.now();
  let note = "";
  try {
    const last = callee.latestCall(caller.account.jid)?.callId ?? 0;
    await caller.call(callee.account.jid, false);
    callee.accept(await callee.waitForCall(caller.account.jid, last));
    await caller.waitForJingle("in", "session-accept", 20_000);
  } catch (error) {
    note = `setup failed: ${(error as Error).message}`;
  }
  const setupMs = Date.now() - started;
  const windowStart = Date.now() + 2_000;
  if (!note) await sleep(SECONDS * 1000 + 2_300);
  const packets = capture.packets();
  const ports = dinoPorts(caller);
  const fromDino = perSecond(packets, ports, true, windowStart);
  const toDino = perSecond(packets, ports, false, windowStart);
  const rtcpFromDino = packets.filter((p) => ports.has(p.srcPort) && classify(p.payload) === "rtcp").length;
  caller.hangUp();
  await callee.waitForJingle("in", "session-terminate", 10_000).catch(() => undefined);
  await capture.stop();
  const ok = !note && fromDino.every((c) => c > 0) && toDino.every((c) => c > 0);
  if (!ok) {
    for (const [who, d] of [["caller", caller], ["callee", callee]] as const) copyFileSync(d.logFile, join(tmpdir(), `dino-bench-${n}-${who}.log`));
    note ||= `one-way: from caller ${fromDino.join(",")}; to caller ${toDino.join(",")} (logs: ${join(tmpdir(), `dino-bench-${n}-*.log`)})`;
  }
  return { n, caller: "dino", setupMs, fromDino, toDino, rtcpFromDino, browserAudioPackets: 0, ok, note };
}

async function main(): Promise<void> {
  const unavailable = dinoUnavailableReason();
  if (unavailable) throw new Error(`cannot run: ${unavailable}`);
  const t0 = Date.now();
  const world = await startDinoWorld({ dinoDebug: process.env.DINO_DEBUG });
  let load: ChildProcess | undefined;
  const results: CallResult[] = [];
  const stopPeer: Array<() => Promise<void>> = [];
  const cleanUp = async () => {
    if (load?.pid) await terminate(load.pid, 3000);
    for (const stop of stopPeer.splice(0).reverse()) await stop().catch(() => undefined);
    await world.close();
  };
  try {
    const up = Date.now() - t0;
    let web: Page | undefined;
    let callee: DinoClient | undefined;
    if (PEER === "web") {
      web = await world.openWeb();
      console.log(`world up in ${up} ms ${JSON.stringify(world.timings)}; web signed in and Dino callable ${Date.now() - t0 - up} ms later`);
    } else {
      const desktop = await startDesktop(world.ns, mkdtempSync(join(world.dir, "peer-")));
      stopPeer.push(() => desktop.stop());
      const account = await world.server.createAccount("dino2");
      await world.server.makeContacts(world.dinoAccount.username, account.username);
      callee = await DinoClient.start({ ns: world.ns, desktop, account, caPem: world.server.caPem, debugDomains: process.env.DINO_DEBUG });
      stopPeer.push(() => callee!.dispose());
      console.log(`world up in ${up} ms ${JSON.stringify(world.timings)}; second Dino up ${Date.now() - t0 - up} ms later`);
    }
    if (LOAD > 0) {
      load = spawn("stress-ng", ["--cpu", String(LOAD), "--cpu-method", "matrixprod", "--quiet"], { stdio: "ignore" });
      console.log(`load: stress-ng --cpu ${LOAD} (pid ${load.pid})`);
      await sleep(1000);
    }
    for (let n = 1; n <= CALLS; n++) {
      const caller = DIRECTION === "both" ? (n % 2 ? "dino" : "web") : DIRECTION;
      const r = callee ? await dinoToDino(world, callee, n) : await oneCall(world, web!, n, caller);
      results.push(r);
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      console.log(`#${n} ${caller} calls: ${r.ok ? "ok " : "BAD"} setup ${r.setupMs} ms, RTP from Dino ${sum(r.fromDino)} (min ${Math.min(...r.fromDino)}/s), to Dino ${sum(r.toDino)} (min ${Math.min(...r.toDino)}/s), RTCP from Dino ${r.rtcpFromDino}, browser audio packets ${r.browserAudioPackets}${r.note ? ` — ${r.note}` : ""}`);
    }
  } finally {
    const t1 = Date.now();
    await cleanUp();
    console.log(`world down in ${Date.now() - t1} ms`);
  }
  const ok = results.filter((r) => r.ok).length;
  const setups = results.filter((r) => !r.note.startsWith("setup")).map((r) => r.setupMs).sort((a, b) => a - b);
  console.log(`\n${ok}/${results.length} calls with RTP both ways in every second of ${SECONDS} s (${PEER === "dino" ? "Dino calls Dino" : `direction ${DIRECTION}`}, load ${LOAD} workers)`);
  if (setups.length) console.log(`setup (click to "Connected"): median ${setups[Math.floor(setups.length / 2)]} ms, max ${setups.at(-1)} ms`);
  process.exitCode = ok === results.length ? 0 : 1;
}

await main();

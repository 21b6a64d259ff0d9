// One load generator process of `npm run bench:load`: holds thousands of signed-in
// XMPP-over-WebSocket sessions (RFC 7395, TLS) built with @xmpp/client, the library the
// web app uses, and drives signaling between caller/callee pairs on command from
// bench/load.ts. Several run side by side: one process may hold fewer than 20 000
// sockets (the machine's hard open-files limit) and uses one core at most.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { xml, type Element } from "@xmpp/xml";
import { jmiMessage } from "../client/src/xmpp/jmi.ts";
import { sdpToJingle } from "../client/src/jingle/index.ts";
import { NS_HINTS, NS_JINGLE, NS_JMI } from "../client/src/xmpp/ns.ts";
import { createSecureContext } from "node:tls";
import WebSocket from "ws";
import { loadClient, type LoadClient, type SaslMechanismName } from "./load-client.ts";
import type { FromWorker, LoadAccount, LoadPair, ToWorker } from "./load-protocol.ts";

/** Not a XEP: a private payload carrying the send time of a latency probe. */
const NS_PROBE = "urn:xmpp-webrtc-calls:bench:probe";
const NS_ROSTER = "jabber:iq:roster";
const STEP_TIMEOUT_MS = 10_000;
const FIXTURES = join(import.meta.dirname, "../test/fixtures/sdp");

// A real Chromium offer and answer as Jingle (a few KB each), converted once; each call
// wraps the same contents in its own <jingle/> (serialising does not change them).
const OFFER = sdpToJingle(readFileSync(join(FIXTURES, "chromium-audio-video-offer.sdp"), "utf8"), { action: "session-initiate", sid: "x", role: "initiator" });
const ANSWER = sdpToJingle(readFileSync(join(FIXTURES, "chromium-audio-video-answer.sdp"), "utf8"), { action: "session-accept", sid: "x", role: "responder" });
const withSid = (template: Element, sid: string, party: { initiator?: string; responder?: string }) =>
  xml("jingle", { ...template.attrs, sid, ...party }, ...template.getChildElements());

interface Session {
  xmpp: LoadClient;
  /** Full JID once online. */
  jid: string;
  /** Calls waiting for proceed (caller) or session-accept (caller), by sid. */
  waiting: Map<string, (from: string) => void>;
}

interface Pair {
  caller: Session;
  callee: Session;
  busy: boolean;
}

const send = (message: FromWorker) => process.send!(message);
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
const pairs: Pair[] = [];
const errors = new Set<string>();
let domain = "";
let mechanism: SaslMechanismName = "PLAIN";
let archiveJmi = true;

/** A JMI message as the web app sends it, or without its store hint (then MAM does not archive it). */
function jmi(...args: Parameters<typeof jmiMessage>): Element {
  const message = jmiMessage(...args);
  return archiveJmi ? message : message.remove("store", NS_HINTS);
}

function noteError(error: unknown): void {
  if (errors.size < 5) errors.add(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
}

/**
 * A WebSocket class for @xmpp/websocket that trusts the test CA through one TLS context
 * shared by all sessions: building a context per connection was a visible share of the
 * generator's CPU. TLS stays verified.
 */
function sharedContextWebSocket(caPem: string): typeof globalThis.WebSocket {
  const secureContext = createSecureContext({ ca: caPem });
  class SharedContextWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, { secureContext, perMessageDeflate: false } as WebSocket.ClientOptions);
    }
  }
  return SharedContextWebSocket as unknown as typeof globalThis.WebSocket;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms); }),
  ]);
}

/** Signs in, fetches the roster and sends presence, as the web app does. */
async function signIn(url: string, account: LoadAccount, role: "caller" | "callee"): Promise<Session> {
  const xmpp = loadClient({ service: url, domain, resource: role, username: account.username, password: account.password, mechanism, timeoutMs: 30_000 });
  xmpp.on("error", () => undefined);
  const session: Session = { xmpp, jid: "", waiting: new Map() };
  xmpp.on("stanza", (stanza: Element) => onStanza(session, role, stanza));
  xmpp.iqCallee.set(NS_JINGLE, "jingle", ({ element, from }) => {
    const sid = element.attrs.sid ?? "";
    if (role === "callee" && element.attrs.action === "session-initiate") {
      setImmediate(() => {
        xmpp.iqCaller.request(xml("iq", { to: from.toString(), type: "set" }, withSid(ANSWER, sid, { responder: session.jid })), STEP_TIMEOUT_MS).catch(noteError);
      });
    } else if (role === "caller" && element.attrs.action === "session-accept") {
      session.waiting.get(`accept:${sid}`)?.(from.toString());
    }
    return true;
  });
  await xmpp.start();
  session.jid = xmpp.jid!.toString();
  await xmpp.iqCaller.get(xml("query", { xmlns: NS_ROSTER }), undefined, 30_000);
  await xmpp.send(xml("presence"));
  return session;
}

const latency = { samples: [] as number[], received: 0 };

function onStanza(session: Session, role: "caller" | "callee", stanza: Element): void {
  if (!stanza.is("message")) return;
  const probe = stanza.getChild("probe", NS_PROBE);
  if (probe) {
    latency.samples.push(performance.now() - Number(probe.attrs.t));
    latency.received++;
    return;
  }
  const from = stanza.attrs.from ?? "";
  if (role === "callee") {
    const propose = stanza.getChild("propose", NS_JMI);
    if (propose) session.xmpp.send(jmi(from, "proceed", propose.attrs.id ?? "")).catch(noteError);
  } else {
    const proceed = stanza.getChild("proceed", NS_JMI);
    if (proceed) session.waiting.get(`proceed:${proceed.attrs.id}`)?.(from);
  }
}

function waitFor(session: Session, key: string): Promise<string> {
  return withTimeout(new Promise<string>((resolve) => session.waiting.set(key, resolve)), STEP_TIMEOUT_MS, key.split(":")[0]!)
    .finally(() => session.waiting.delete(key));
}

async function connect(command: Extract<ToWorker, { type: "connect" }>): Promise<void> {
  domain = command.domain;
  mechanism = command.mechanism;
  archiveJmi = command.archiveJmi;
  globalThis.WebSocket = sharedContextWebSocket(command.caPem);
  const jobs: Array<{ url: string; pair: LoadPair; index: number }> = command.pairs.map((pair, index) => ({ url: "", pair, index }));
  const caller = new Array<Session | undefined>(jobs.length);
  const callee = new Array<Session | undefined>(jobs.length);
  const loginMs: number[] = [];
  let online = 0;
  let failed = 0;
  const progress = setInterval(() => send({ type: "progress", online, failed }), 1000);
  const queue = jobs.flatMap((job) => [
    { ...job, url: command.callerUrl, role: "caller" as const },
    { ...job, url: command.calleeUrl, role: "callee" as const },
  ]);
  let next = 0;
  await Promise.all(Array.from({ length: command.concurrency }, async () => {
    while (next < queue.length) {
      const job = queue[next++]!;
      const started = performance.now();
      try {
        const session = await withTimeout(signIn(job.url, job.role === "caller" ? job.pair.caller : job.pair.callee, job.role), 60_000, "sign-in");
        (job.role === "caller" ? caller : callee)[job.index] = session;
        loginMs.push(performance.now() - started);
        online++;
      } catch (error) {
        failed++;
        noteError(error);
      }
    }
  }));
  clearInterval(progress);
  for (let i = 0; i < jobs.length; i++) {
    if (caller[i] && callee[i]) pairs.push({ caller: caller[i]!, callee: callee[i]!, busy: false });
  }
  send({ type: "connected", online, failed, loginMs, errors: [...errors] });
}

/** Probes from callers to their callee at a steady rate; latency is measured on one clock. */
async function probe(messagesPerSecond: number, seconds: number): Promise<void> {
  latency.samples = [];
  latency.received = 0;
  loopDelay.reset();
  let sent = 0;
  let credit = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end && pairs.length > 0) {
    credit += messagesPerSecond / 100;
    for (; credit >= 1; credit--) {
      const pair = pairs[Math.floor(Math.random() * pairs.length)]!;
      sent++;
      pair.caller.xmpp.send(xml("message", { to: pair.callee.jid, type: "chat" }, xml("probe", { xmlns: NS_PROBE, t: performance.now().toFixed(3) }))).catch(noteError);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, 2000));
  send({ type: "latency-done", samplesMs: latency.samples, lost: sent - latency.received, loopDelayP99Ms: loopDelay.percentile(99) / 1e6 });
}

let callSeq = 0;

/** JMI propose → proceed, then Jingle session-initiate → result, session-accept → result. */
async function setUpCall(pair: Pair): Promise<number> {
  const sid = `${process.pid}-${++callSeq}`;
  const started = performance.now();
  pair.busy = true;
  try {
    const proceeded = waitFor(pair.caller, `proceed:${sid}`);
    const accepted = waitFor(pair.caller, `accept:${sid}`);
    accepted.catch(() => undefined);
    await pair.caller.xmpp.send(jmi(pair.callee.jid.split("/")[0]!, "propose", sid, { media: ["audio", "video"] }));
    const calleeJid = await proceeded;
    await pair.caller.xmpp.iqCaller.request(xml("iq", { to: calleeJid, type: "set" }, withSid(OFFER, sid, { initiator: pair.caller.jid })), STEP_TIMEOUT_MS);
    await accepted;
    return performance.now() - started;
  } finally {
    pair.busy = false;
  }
}

function idlePair(): Pair | undefined {
  for (let tries = 0; tries < 20; tries++) {
    const pair = pairs[Math.floor(Math.random() * pairs.length)]!;
    if (!pair.busy) return pair;
  }
  return pairs.find((p) => !p.busy);
}

async function calls(command: Extract<ToWorker, { type: "calls" }>): Promise<void> {
  errors.clear();
  loopDelay.reset();
  const setupMs: number[] = [];
  let failed = 0;
  const attempt = async () => {
    const pair = idlePair();
    if (!pair) {
      failed++;
      noteError(new Error("no idle pair"));
      return;
    }
    try {
      setupMs.push(await setUpCall(pair));
    } catch (error) {
      failed++;
      noteError(error);
    }
  };
  const end = performance.now() + command.seconds * 1000;
  const running: Array<Promise<void>> = [];
  if (command.mode === "rate") {
    let credit = 0;
    while (performance.now() < end) {
      credit += command.perSecond / 100;
      for (; credit >= 1; credit--) running.push(attempt());
      await new Promise((r) => setTimeout(r, 10));
    }
  } else {
    running.push(...Array.from({ length: command.concurrency }, async () => {
      while (performance.now() < end) await attempt();
    }));
  }
  await Promise.all(running);
  send({ type: "calls-done", completed: setupMs.length, failed, setupMs, errors: [...errors], loopDelayP99Ms: loopDelay.percentile(99) / 1e6 });
}

async function stop(): Promise<void> {
  const sessions = pairs.flatMap((p) => [p.caller, p.callee]);
  let next = 0;
  await withTimeout(Promise.all(Array.from({ length: 100 }, async () => {
    while (next < sessions.length) await sessions[next++]!.xmpp.stop().catch(() => undefined);
  })), 30_000, "closing sessions").catch(() => undefined);
  send({ type: "stopped" });
  process.exit(0);
}

process.on("message", (command: ToWorker) => {
  const run = command.type === "connect" ? connect(command)
    : command.type === "latency" ? probe(command.messagesPerSecond, command.seconds)
    : command.type === "calls" ? calls(command)
    : stop();
  run.catch((error: unknown) => {
    console.error("load worker failed:", error);
    process.exit(1);
  });
});
// The orchestrator's exit closes the channel: never outlive it.
process.on("disconnect", () => process.exit(0));

// One load generator process of `npm run bench:load`: holds thousands of signed-in
// XMPP-over-WebSocket sessions (RFC 7395, TLS) built with @xmpp/client, the library the
// web app uses, and drives signaling between caller/callee pairs on command from
// bench/load.ts. Several run side by side: one process may hold fewer than 20 000
// sockets (the machine's hard open-files limit) and uses one core at most.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { xml, type Element } from "@xmpp/xml";
import parse from "@xmpp/xml/lib/parse.js";
import { NS_HINTS, NS_JINGLE, NS_JMI, NS_ROSTER } from "../client/src/namespaces.ts";
import { createSecureContext } from "node:tls";
import WebSocket from "ws";
import { loadClient, type LoadClient, type SaslMechanismName } from "./load-client.ts";
import type { FromWorker, LoadAccount, LoadPair, ToWorker } from "./load-protocol.ts";

/** Not a XEP: a private payload carrying the send time of a latency probe. */
const NS_PROBE = "urn:xmpp-webrtc-calls:bench:probe";
const STEP_TIMEOUT_MS = 10_000;

/** One stanza of the web app's own call set-up, as captured (test/fixtures/capture-app-call.ts). */
interface Scripted {
  side: "caller" | "callee";
  kind: string;
  to: "peer-bare" | "peer-full" | "own-bare" | "server" | "none";
  element: Element;
}

// What two of our web apps sent to set up an audio+video call (JMI propose, ringing, accept,
// proceed; session-initiate with its candidates; session-accept; transport-info), replayed per
// set-up with this call's addresses and id: the load is that of this app's calls, bytes and all.
const APP_CALL: Scripted[] = (JSON.parse(readFileSync(join(import.meta.dirname, "../test/fixtures/jingle/app-call-chromium.json"), "utf8")) as { stanzas: Array<Omit<Scripted, "element"> & { xml: string }> })
  .stanzas.map(({ xml: text, ...rest }) => ({ ...rest, element: parse(text) }));

/** The set-up in four steps, each sent when what starts it arrives (XEP-0353 §3, XEP-0166 §6). */
function scriptOf(stanzas: readonly Scripted[]) {
  const initiate = stanzas.findIndex((s) => s.kind === "jingle:session-initiate");
  const accept = stanzas.findIndex((s) => s.kind === "jingle:session-accept");
  const proceed = stanzas.findIndex((s) => s.kind === "jmi:proceed");
  if (initiate < 0 || accept < 0 || proceed < 0 || stanzas[0]?.kind !== "jmi:propose") throw new Error("app-call fixture: expected propose … proceed, session-initiate, session-accept");
  const of = (side: Scripted["side"], from: number, to: number) => stanzas.slice(from, to).filter((s) => s.side === side);
  return {
    /** The caller rings (propose). */
    rings: of("caller", 0, initiate),
    /** The callee, on propose: ringing, accept to its own account, proceed. */
    onPropose: of("callee", 0, accept),
    /** The caller, on proceed: session-initiate (its candidates inline), any transport-info. */
    onProceed: of("caller", initiate, stanzas.length),
    /** The callee, on session-initiate: session-accept, transport-info. */
    onInitiate: of("callee", accept, stanzas.length),
  };
}
const SCRIPT = scriptOf(APP_CALL);
/** Jingle requests the caller receives in one set-up: it is set up when all of them arrived. */
const CALLEE_JINGLE_IQS = SCRIPT.onInitiate.filter((s) => s.kind.startsWith("jingle:")).length;

/** The addresses of one call, from the sending side's point of view. */
interface CallParties {
  sid: string;
  own: string;
  peer: string;
  domain: string;
  initiator: string;
}

/** A deep copy of an element (text children are strings). */
function copy(el: Element): Element {
  return xml(el.name, { ...el.attrs }, ...el.children.map((child) => (typeof child === "string" ? child : copy(child as Element))));
}

/** A scripted stanza for this call: its addresses, id and the call's id set anew. */
function instantiate(scripted: Scripted, call: CallParties): Element {
  const el = copy(scripted.element);
  const bare = (jid: string) => jid.split("/")[0]!;
  const to = { "peer-bare": bare(call.peer), "peer-full": call.peer, "own-bare": bare(call.own), server: call.domain, none: undefined }[scripted.to];
  if (to) el.attrs.to = to;
  else delete el.attrs.to;
  // iqCaller.request gives an iq its own id; a message gets one that is unique per call.
  if (el.name === "iq") delete el.attrs.id;
  else el.attrs.id = `${scripted.kind}-${call.sid}`;
  for (const child of el.getChildElements()) {
    if (child.getNS() === NS_JMI) child.attrs.id = call.sid;
    if (child.is("jingle", NS_JINGLE)) {
      child.attrs.sid = call.sid;
      child.attrs.initiator = call.initiator;
      // Only the callee's requests name a responder: the sender itself.
      if (child.attrs.responder) child.attrs.responder = call.own;
    }
  }
  if (!archiveJmi && el.name === "message") el.remove("store", NS_HINTS);
  return el;
}

/** Sends one step of the script: messages as they are, iqs with their result awaited (an error rejects). */
function sendStep(session: Session, step: readonly Scripted[], call: CallParties): Array<Promise<unknown>> {
  return step.map((scripted) => {
    const stanza = instantiate(scripted, call);
    return stanza.name === "iq" ? session.xmpp.iqCaller.request(stanza, STEP_TIMEOUT_MS) : session.xmpp.send(stanza);
  });
}

interface Session {
  xmpp: LoadClient;
  /** Full JID once online. */
  jid: string;
  /** Calls waiting for proceed (caller), by sid. */
  waiting: Map<string, (from: string) => void>;
  /** Calls waiting for the callee's Jingle requests (caller), by sid: how many arrived, and who is told when all did. */
  jingleIn: Map<string, { count: number; done: () => void }>;
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
  const session: Session = { xmpp, jid: "", waiting: new Map(), jingleIn: new Map() };
  xmpp.on("stanza", (stanza: Element) => onStanza(session, role, stanza));
  xmpp.iqCallee.set(NS_JINGLE, "jingle", ({ element, from }) => {
    const sid = element.attrs.sid ?? "";
    if (role === "callee" && element.attrs.action === "session-initiate") {
      const call = { sid, own: session.jid, peer: from.toString(), domain, initiator: from.toString() };
      setImmediate(() => sendStep(session, SCRIPT.onInitiate, call).forEach((sent) => sent.catch(noteError)));
    } else if (role === "caller") {
      const waiting = session.jingleIn.get(sid);
      if (waiting && ++waiting.count === CALLEE_JINGLE_IQS) waiting.done();
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
  // A message bounced (a JMI message sent to the wrong address): reported with the step's errors.
  if (stanza.attrs.type === "error") {
    noteError(new Error(`message bounced from ${stanza.attrs.from ?? "?"}: ${stanza.getChild("error")?.getChildElements()[0]?.name ?? "error"}`));
    return;
  }
  const probe = stanza.getChild("probe", NS_PROBE);
  if (probe) {
    latency.samples.push(performance.now() - Number(probe.attrs.t));
    latency.received++;
    return;
  }
  const from = stanza.attrs.from ?? "";
  if (role === "callee") {
    const propose = stanza.getChild("propose", NS_JMI);
    if (propose) sendStep(session, SCRIPT.onPropose, { sid: propose.attrs.id ?? "", own: session.jid, peer: from, domain, initiator: from }).forEach((sent) => sent.catch(noteError));
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

/**
 * One set-up as the web app makes it (SCRIPT): from the propose until the caller has the results
 * of its requests and every Jingle request of the callee (session-accept, transport-info).
 */
async function setUpCall(pair: Pair): Promise<number> {
  const sid = `${process.pid}-${++callSeq}`;
  const started = performance.now();
  const { caller, callee } = pair;
  pair.busy = true;
  try {
    // Both waits begin before the propose leaves (nothing they wait for can be missed); a step that
    // fails first leaves them to time out unobserved.
    const proceeded = waitFor(caller, `proceed:${sid}`);
    proceeded.catch(() => undefined);
    const answered = withTimeout(new Promise<void>((done) => caller.jingleIn.set(sid, { count: 0, done })), STEP_TIMEOUT_MS, "the callee's Jingle requests").finally(() => caller.jingleIn.delete(sid));
    answered.catch(() => undefined);
    const call = { sid, own: caller.jid, peer: callee.jid, domain, initiator: caller.jid };
    await Promise.all(sendStep(caller, SCRIPT.rings, call));
    const calleeJid = await proceeded;
    await Promise.all([...sendStep(caller, SCRIPT.onProceed, { ...call, peer: calleeJid }), answered]);
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

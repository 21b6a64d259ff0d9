// An independent Jingle client for interop tests: StanzaJS 12 (npm `stanza`) with its own
// jingle plugin and MediaSession, fake camera/microphone from Chromium's fake devices. The test
// drives it through `window.stanzaPeer`; nothing here uses our client's code.
import * as XMPP from "stanza";
import type { MediaSession } from "stanza/jingle/index.js";

interface PeerState {
  /** Full JIDs of the other party seen online (for a direct session-initiate). */
  online: string[];
  /** Jingle session states seen, in order. */
  events: string[];
  session: MediaSession | undefined;
}

const state: PeerState = { online: [], events: [], session: undefined };
let client: XMPP.Agent | undefined;

async function localStream(video: boolean): Promise<MediaStream> {
  return navigator.mediaDevices.getUserMedia({ audio: true, video });
}

function track(session: MediaSession) {
  state.session = session;
  const pcs = ((globalThis as { __peerConnections?: RTCPeerConnection[] }).__peerConnections ??= []);
  pcs.push(session.pc);
}

async function signIn(jid: string, password: string, websocket: string): Promise<string> {
  client = XMPP.createClient({
    jid,
    password,
    resource: "stanza",
    transports: { websocket, bosh: false },
    // Loopback only: no public STUN (StanzaJS defaults to stun.l.google.com).
    jingle: { iceServers: [], trickleIce: true },
  });
  client.on("available", (p) => {
    if (p.from && !state.online.includes(p.from) && p.from !== client?.jid) state.online.push(p.from);
  });
  client.on("unavailable", (p) => {
    state.online = state.online.filter((j) => j !== p.from);
  });
  client.on("jingle:incoming", (session) => {
    state.events.push("incoming");
    const media = session as MediaSession;
    track(media);
    void (async () => {
      const stream = await localStream(media.includesVideo);
      for (const t of stream.getTracks()) await media.addTrack(t, stream);
      await media.accept();
      state.events.push("accepted-by-us");
    })();
  });
  client.on("jingle:accepted", () => state.events.push("accepted"));
  client.on("jingle:ringing", () => state.events.push("ringing"));
  client.on("jingle:terminated", (_session, reason) => state.events.push(`terminated:${reason?.condition ?? ""}`));
  const started = new Promise<void>((resolve, reject) => {
    client!.once("session:started", () => resolve());
    client!.once("stream:error", (e) => reject(new Error(String(e.condition))));
    client!.once("auth:failed", () => reject(new Error("auth failed")));
  });
  client.connect();
  await started;
  await client.getRoster();
  client.sendPresence();
  return client.jid;
}

/** StanzaJS calls `to` (a full JID) with a direct session-initiate, as it always does. */
async function call(to: string, video: boolean): Promise<string> {
  if (!client) throw new Error("not signed in");
  const stream = await localStream(video);
  const session = client.jingle.createMediaSession(to, undefined, stream);
  track(session);
  await session.start();
  return session.sid;
}

function hangUp(): void {
  state.session?.end("success");
}

/** Inbound RTP counters of the current session: video frames decoded, audio packets received. */
async function media(): Promise<{ framesDecoded: number; audioPackets: number; ice: string }> {
  const pc = state.session?.pc;
  if (!pc) return { framesDecoded: 0, audioPackets: 0, ice: "none" };
  let framesDecoded = 0;
  let audioPackets = 0;
  (await pc.getStats()).forEach((r: { type: string; kind?: string; framesDecoded?: number; packetsReceived?: number }) => {
    if (r.type !== "inbound-rtp") return;
    if (r.kind === "video") framesDecoded += r.framesDecoded ?? 0;
    if (r.kind === "audio") audioPackets += r.packetsReceived ?? 0;
  });
  return { framesDecoded, audioPackets, ice: pc.iceConnectionState };
}

const api = {
  signIn,
  call,
  hangUp,
  media,
  online: () => [...state.online],
  events: () => [...state.events],
  sessionState: () => state.session?.state ?? "none",
};

declare global {
  interface Window {
    stanzaPeer: typeof api;
  }
}
window.stanzaPeer = api;
document.getElementById("status")!.textContent = "ready";

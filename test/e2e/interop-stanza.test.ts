// Live interop with an independent Jingle implementation: StanzaJS 12 (npm `stanza`, its own
// jingle plugin and MediaSession) in a second Chromium, signed in to the same ejabberd as our
// web app. Media is Chromium's fake camera/microphone; both sides must decode what the other sends.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { startTestServer, type TestAccount, type TestServer } from "../support/ejabberd.ts";
import { launchChromium, type LaunchedBrowser } from "../support/chromium.ts";
import { startAppServer, type AppServer } from "../support/app-server.ts";
import { callStatus, signInPage } from "../support/call-page.ts";
import { startStanzaPeerServer, type StanzaPeerServer } from "../support/stanza-peer/server.ts";

let server: TestServer;
let app: AppServer;
let peerServer: StanzaPeerServer;
let browsers: LaunchedBrowser[] = [];

beforeAll(async () => {
  server = await startTestServer();
  [app, peerServer] = await Promise.all([startAppServer(server.wsLoopbackUrl), startStanzaPeerServer()]);
});
afterAll(async () => {
  await Promise.all([app?.close(), peerServer?.close()]);
  await server?.stop();
});

async function closeBrowsers() {
  await Promise.all(browsers.map((b) => b.close()));
  browsers = [];
}

async function signInApp(account: TestAccount): Promise<Page> {
  const page = await signInPage(app.url, account, browsers);
  await expect.poll(() => page.getByRole("status", { name: "Connection", exact: true }).textContent(), { timeout: 15_000 }).toMatch(/online|connected/i);
  return page;
}

async function signInStanza(account: TestAccount): Promise<Page> {
  const browser = await launchChromium();
  browsers.push(browser);
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  await page.goto(peerServer.url);
  await expect.poll(() => page.locator("#status").textContent()).toBe("ready");
  await page.evaluate(([jid, password, ws]) => window.stanzaPeer.signIn(jid, password, ws), [account.jid, account.password, server.wsLoopbackUrl] as const);
  return page;
}

async function pair() {
  const [us, them] = [await server.createAccount(), await server.createAccount()];
  await server.makeContacts(us.username, them.username);
  return { us, them };
}

/** Our peer connections' states, remote description and candidate pairs, for a call that did not connect. */
function peerDiagnosis(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const out: string[] = [];
    for (const pc of globalThis.__peerConnections ?? []) {
      out.push(`connection ${pc.connectionState}, ICE ${pc.iceConnectionState}, signaling ${pc.signalingState}, gathering ${pc.iceGatheringState}`);
      const { iceTransportPolicy, iceCandidatePoolSize, bundlePolicy, iceServers } = pc.getConfiguration();
      out.push(`configuration: ${JSON.stringify({ iceTransportPolicy, iceCandidatePoolSize, bundlePolicy, iceServers: iceServers?.map((s) => s.urls) })}`);
      out.push(`local candidates in the local description: ${pc.localDescription?.sdp.match(/^a=candidate:.*$/gm)?.join(" | ") ?? "(none)"}`);
      out.push(`remote description:\n${pc.remoteDescription?.sdp ?? "(none)"}`);
      (await pc.getStats()).forEach((r: { type: string }) => {
        if (r.type === "candidate-pair" || r.type === "remote-candidate" || r.type === "local-candidate") out.push(JSON.stringify(r));
      });
    }
    return out.join("\n");
  });
}

/** Our app's inbound RTP (all its peer connections). */
async function appMedia(page: Page) {
  return page.evaluate(async () => {
    let framesDecoded = 0;
    let audioPackets = 0;
    for (const pc of globalThis.__peerConnections ?? []) {
      if (pc.connectionState === "closed") continue;
      (await pc.getStats()).forEach((r: { type: string; kind?: string; framesDecoded?: number; packetsReceived?: number }) => {
        if (r.type !== "inbound-rtp") return;
        if (r.kind === "video") framesDecoded += r.framesDecoded ?? 0;
        if (r.kind === "audio") audioPackets += r.packetsReceived ?? 0;
      });
    }
    return { framesDecoded, audioPackets };
  });
}

const stanzaMedia = (page: Page) => page.evaluate(() => window.stanzaPeer.media());

/** The app's full JID as the StanzaJS peer saw it in presence. */
async function appFullJid(peer: Page, bare: string): Promise<string> {
  let found = "";
  await expect.poll(async () => {
    found = (await peer.evaluate(() => window.stanzaPeer.online())).find((j) => j.startsWith(`${bare}/`)) ?? "";
    return found;
  }, { timeout: 15_000 }).not.toBe("");
  return found;
}

async function expectMediaFlowing(ours: Page, theirs: Page, video: boolean) {
  const [a, s] = [await appMedia(ours), await stanzaMedia(theirs)];
  await expect.poll(async () => (await appMedia(ours)).audioPackets, { timeout: 10_000 }).toBeGreaterThan(a.audioPackets + 20);
  await expect.poll(async () => (await stanzaMedia(theirs)).audioPackets, { timeout: 10_000 }).toBeGreaterThan(s.audioPackets + 20);
  if (video) {
    await expect.poll(async () => (await appMedia(ours)).framesDecoded, { timeout: 10_000 }).toBeGreaterThan(a.framesDecoded + 10);
    await expect.poll(async () => (await stanzaMedia(theirs)).framesDecoded, { timeout: 10_000 }).toBeGreaterThan(s.framesDecoded + 10);
  }
}

type Medium = "audio" | "video";
type Side = "us" | "StanzaJS";

/** One call that connects, carries media and is hung up by `hangsUp`. */
interface CallCase {
  medium: Medium;
  hangsUp: Side;
  /** After our hang-up, also check StanzaJS saw <success/> as the reason and our screen says the call ended. */
  checkReason?: boolean;
}

/** Each case with its test name: "<medium>: <accepted>, <what flows> both ways; <what the hang-up ends>". */
function named(accepted: string, calls: CallCase[]): Array<[string, CallCase]> {
  return calls.map((call) => {
    const flows = call.medium === "video" ? "frames and audio flow" : "audio flows";
    const ending = call.hangsUp === "us" ? "our hang-up ends the StanzaJS session" : "the StanzaJS hang-up ends our call";
    return [`${call.medium}: ${accepted}, ${flows} both ways; ${ending}`, call];
  });
}

/** Ends the call from one side and waits until the other side has ended it too. */
async function hangUp(ours: Page, theirs: Page, { hangsUp, checkReason }: Pick<CallCase, "hangsUp" | "checkReason">) {
  if (hangsUp === "StanzaJS") {
    await theirs.evaluate(() => window.stanzaPeer.hangUp());
    await expect.poll(() => callStatus(ours), { timeout: 10_000 }).toBe("Call ended");
    return;
  }
  await ours.getByRole("button", { name: "Hang up" }).click();
  await expect.poll(() => theirs.evaluate(() => window.stanzaPeer.sessionState()), { timeout: 10_000 }).toBe("ended");
  if (checkReason) {
    expect(await theirs.evaluate(() => window.stanzaPeer.events())).toContain("terminated:success");
    expect(await callStatus(ours)).toBe("Call ended");
  }
}

/** Our app calls `them` (signed in to StanzaJS) from its contact list, and waits for the call to connect. */
async function callStanza(ours: Page, them: TestAccount, medium: Medium) {
  const button = ours.getByRole("button", { name: new RegExp(`^${medium === "video" ? "Video" : "Audio"} call ${them.username}`) });
  await expect.poll(() => button.isEnabled().catch(() => false), { timeout: 20_000 }).toBe(true);
  await button.click();
  await expect.poll(() => callStatus(ours), { timeout: 20_000 }).toBe("Connected");
}

describe("StanzaJS calls our web app (direct session-initiate, no JMI)", () => {
  it.each(named("we accept, both reach ICE connected", [
    { medium: "video", hangsUp: "us", checkReason: true },
    { medium: "audio", hangsUp: "StanzaJS" },
  ]))("%s", async (_name, call) => {
    const video = call.medium === "video";
    const { us, them } = await pair();
    try {
      const ours = await signInApp(us);
      const theirs = await signInStanza(them);
      const target = await appFullJid(theirs, us.jid);
      await theirs.evaluate(([to, withVideo]) => window.stanzaPeer.call(to, withVideo), [target, video] as const);
      const accept = video ? ours.getByRole("button", { name: "Accept with video" }) : ours.getByRole("button", { name: "Accept", exact: true });
      await accept.click({ timeout: 15_000 });
      await expect.poll(() => callStatus(ours), { timeout: 20_000 }).toBe("Connected").catch(async (error: unknown) => {
        // Our side stayed "Connecting…" in 2 of 4 full CI runs (and 1 of 4 interop-firefox →
        // interop-stanza loops) while our peer connection had a candidate pool: no local candidate
        // at all, gathering for ever. None in 6 loops since the pool went (peer-browser.ts). Say what ICE saw.
        console.log(`our peer connection, not connected:\n${await peerDiagnosis(ours)}\nStanzaJS: ${JSON.stringify(await stanzaMedia(theirs))}`);
        throw error;
      });
      await expect.poll(async () => (await stanzaMedia(theirs)).ice, { timeout: 20_000 }).toMatch(/connected|completed/);
      await expectMediaFlowing(ours, theirs, video);
      await hangUp(ours, theirs, call);
    } finally {
      await closeBrowsers();
    }
  });
});

// StanzaJS has no JMI (no urn:xmpp:jingle-message:0 in its disco#info), so the app calls its full
// JID with session-initiate directly, as Conversations' ConversationFragment.triggerRtpSession and
// Dino's PeerState.initiate_call do (docs/interop.md, "Ringing").
describe("our web app calls StanzaJS (direct session-initiate to its full JID)", () => {
  it.each(named("StanzaJS accepts", [
    { medium: "video", hangsUp: "StanzaJS" },
    { medium: "audio", hangsUp: "us" },
  ]))("%s", async (_name, call) => {
    const { us, them } = await pair();
    try {
      const theirs = await signInStanza(them);
      const ours = await signInApp(us);
      await callStanza(ours, them, call.medium);
      await expectMediaFlowing(ours, theirs, call.medium === "video");
      await hangUp(ours, theirs, call);
    } finally {
      await closeBrowsers();
    }
  });

  it("video upgrade: StanzaJS refuses our content-add; the call goes on as audio and our screen says video was refused", async () => {
    const { us, them } = await pair();
    try {
      const theirs = await signInStanza(them);
      const ours = await signInApp(us);
      await callStanza(ours, them, "audio");
      await ours.getByRole("button", { name: "Add video" }).click();
      await expect.poll(() => ours.getByRole("status", { name: "Call notice" }).textContent(), { timeout: 10_000 }).toMatch(/did not accept video/);
      expect(await callStatus(ours)).toBe("Connected");
      expect(await theirs.evaluate(() => window.stanzaPeer.sessionState())).toBe("active");
      await expectMediaFlowing(ours, theirs, false);
      expect(await ours.getByRole("button", { name: "Add video" }).isVisible()).toBe(true);
      await hangUp(ours, theirs, { hangsUp: "us" });
    } finally {
      await closeBrowsers();
    }
  });
});

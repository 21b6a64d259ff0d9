// The web app in Debian's Firefox ESR (driven over WebDriver BiDi, fake media) calling and called
// by the app in Debian's Chromium, and by itself, through the test ejabberd. After every step of a
// call both sides must be ICE-connected and receive audio, and video frames must be decoded
// wherever the peer sends its camera. Cross-browser pairs catch what same-browser pairs hide
// (a renegotiated answer built from the peer's offer: CONVENTIONS, "Pitfalls found by live trials").
//
// `npm test` runs a sample; FIREFOX_MATRIX=1 runs every pairing × who adds video first.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import type { BrowserKind } from "../support/chromium.ts";
import { callStatus, startCallWorld, type CallWorld } from "../support/call-page.ts";
import { armNextFrame, audioEnergyOver, explained, mediaFlows, msToArmedFrame, pageClock, videoSending } from "../support/call-media.ts";

let world: CallWorld;

beforeAll(async () => {
  world = await startCallWorld();
});
afterAll(() => world?.close());

interface Pair {
  a: Page;
  b: Page;
  alice: { username: string };
  bob: { username: string };
}

/** What Firefox's console said about the app (warnings and errors, each once), printed at the end. */
const firefoxConsole = new Set<string>();
afterAll(() => {
  if (firefoxConsole.size) console.log(`Firefox console, warnings and errors:\n  ${[...firefoxConsole].join("\n  ")}`);
});

/** Alice in `caller`'s browser and Bob in `callee`'s, signed in and able to call each other. */
async function pairIn(caller: BrowserKind, callee: BrowserKind): Promise<Pair> {
  const { alice, bob } = await world.pair();
  const [a, b] = await world.signInPair(alice, bob, { alice: { browser: caller }, bob: { browser: callee } });
  for (const [page, kind] of [[a, caller], [b, callee]] as const) {
    if (kind !== "firefox") continue;
    page.on("console", (m) => {
      if (m.type() === "warning" || m.type() === "error") firefoxConsole.add(`${m.type()}: ${m.text().replace(/user\d+-[0-9a-f]+/g, "<user>")}`);
    });
  }
  return { a, b, alice, bob };
}

const callButton = (page: Page, kind: "Audio" | "Video", contact: string) => page.getByRole("button", { name: new RegExp(`^${kind} call ${contact}`) });

/** Alice audio-calls Bob, who accepts; both connect with audio both ways. */
async function audioCall({ a, b, bob }: Pair): Promise<void> {
  await callButton(a, "Audio", bob.username).click();
  await b.getByRole("button", { name: "Accept", exact: true }).click({ timeout: 15_000 });
  await explained("audio call", { alice: a, bob: b }, async () => {
    await expect.poll(() => callStatus(a), { timeout: 20_000 }).toBe("Connected");
    await expect.poll(() => callStatus(b), { timeout: 20_000 }).toBe("Connected");
  });
  await mediaFlows("audio call connected", { alice: a, bob: b });
}

const figures: string[] = [];
afterAll(() => {
  if (figures.length) console.log(`First video frame presented by the peer (requestVideoFrameCallback), ms:\n  ${figures.join("\n  ")}`);
});

/**
 * The upgrade sequence of an audio call: `adder` turns its camera on first (content-add) and
 * the other accepts; `adder` stops and re-adds it (content-modify on the existing content),
 * then the other does the same. Media checked on both sides after every step.
 */
async function upgradeSequence(label: string, pair: Pair, adderIs: "alice" | "bob"): Promise<void> {
  const pages = { alice: pair.a, bob: pair.b };
  const adder = adderIs === "alice" ? pair.a : pair.b;
  const other = adderIs === "alice" ? pair.b : pair.a;
  const otherIs = adderIs === "alice" ? "bob" : "alice";
  await audioCall(pair);

  await adder.getByRole("button", { name: "Add video" }).click();
  await explained(`${adderIs} adds video`, pages, async () => {
    await expect.poll(() => other.getByRole("status", { name: "Call notice" }).textContent(), { timeout: 10_000 }).toMatch(/wants to turn on video/);
  });
  await armNextFrame(other);
  let since = await pageClock(other);
  await other.getByRole("button", { name: "Accept video" }).click();
  const firstAdd = await explained(`${otherIs} accepts ${adderIs}'s video`, pages, () => msToArmedFrame(other, since));
  figures.push(`${label}: ${adderIs}'s content-add, from ${otherIs}'s accept to ${otherIs}'s first frame: ${firstAdd}`);
  await mediaFlows(`${otherIs} accepted ${adderIs}'s video`, pages, ["alice", "bob"]);

  for (const [who, page, peer, peerIs] of [[adderIs, adder, other, otherIs], [otherIs, other, adder, adderIs]] as const) {
    await page.getByRole("button", { name: "Stop video" }).click();
    await explained(`${who} stops video`, pages, () => expect.poll(() => videoSending(page), { timeout: 10_000 }).toBe(false));
    // The peer still sends its camera: only `who` goes on decoding frames.
    await mediaFlows(`${who} stopped video`, pages, [who]);
    await armNextFrame(peer);
    since = await pageClock(page);
    await page.getByRole("button", { name: "Add video" }).click();
    const again = await explained(`${who} re-adds video`, pages, () => msToArmedFrame(peer, since));
    figures.push(`${label}: ${who} re-adds video, from the click to ${peerIs}'s first frame: ${again}`);
    await mediaFlows(`${who} re-added video`, pages, ["alice", "bob"]);
  }

  await pair.a.getByRole("button", { name: "Hang up" }).click();
  await expect.poll(() => callStatus(pair.b), { timeout: 10_000 }).toBe("Call ended");
}

type Case = [caller: BrowserKind, callee: BrowserKind, adder: "alice" | "bob"];
const MATRIX: Case[] = (["chromium", "firefox"] as const).flatMap((caller) =>
  (["chromium", "firefox"] as const).flatMap((callee) => (caller === "chromium" && callee === "chromium" ? [] : (["alice", "bob"] as const).map((adder): Case => [caller, callee, adder]))),
);
// The sample in npm test: the callee renegotiating in each mixed direction, and Firefox⇄Firefox.
const SAMPLE: Case[] = [
  ["chromium", "firefox", "bob"],
  ["firefox", "chromium", "bob"],
  ["firefox", "firefox", "bob"],
];
const CASES = process.env.FIREFOX_MATRIX === "1" ? MATRIX : SAMPLE;

describe("the app in Firefox ESR calls and is called by the app in Chromium and in Firefox", () => {
  it.each(CASES)("%s calls %s, audio; %s turns the camera on first, the other accepts; each stops and re-adds it: media flows both ways after every step", async (caller, callee, adder) => {
    try {
      await upgradeSequence(`${caller}→${callee}, ${adder} first`, await pairIn(caller, callee), adder);
    } finally {
      await world.closeBrowsers();
    }
  }, 150_000);

  it("Firefox video-calls Chromium: media both ways; a muted microphone sends silence until unmuted, on each side", async () => {
    const pair = await pairIn("firefox", "chromium");
    const { a, b, bob } = pair;
    const pages = { alice: a, bob: b };
    try {
      await callButton(a, "Video", bob.username).click();
      await b.getByRole("button", { name: "Accept with video" }).click({ timeout: 15_000 });
      await mediaFlows("video call", pages, ["alice", "bob"]);
      for (const [who, page, peer] of [["alice", a, b], ["bob", b, a]] as const) {
        // Energy over 1.5 s: both fake microphones (Chromium's beeps, Firefox's tone) fill such a window.
        const heard = await audioEnergyOver(peer, 1_500);
        expect(heard).toBeGreaterThan(0);
        await page.getByRole("button", { name: "Mute microphone" }).click();
        await expect.poll(() => page.getByRole("button", { name: "Mute microphone" }).getAttribute("aria-pressed")).toBe("true");
        // Silence (comfort noise at most) once the audio already in flight has played out.
        await explained(`${who} muted`, pages, () => expect.poll(() => audioEnergyOver(peer, 1_500), { timeout: 10_000 }).toBeLessThan(heard / 100));
        await mediaFlows(`${who} muted (packets still flow)`, pages, ["alice", "bob"]);
        await page.getByRole("button", { name: "Mute microphone" }).click();
        await explained(`${who} unmuted`, pages, () => expect.poll(() => audioEnergyOver(peer, 1_500), { timeout: 10_000 }).toBeGreaterThan(heard / 10));
      }
      await b.getByRole("button", { name: "Hang up" }).click();
      await expect.poll(() => callStatus(a), { timeout: 10_000 }).toBe("Call ended");
    } finally {
      await world.closeBrowsers();
    }
  }, 120_000);

  it("Chromium and Firefox forced through TURN (relay-only) connect, and media flows both ways over relay candidates", async () => {
    const pair = await pairIn("chromium", "firefox");
    const { a, b, bob } = pair;
    try {
      for (const p of [a, b]) await p.getByLabel(/Use relay only/).check();
      await callButton(a, "Video", bob.username).click();
      await b.getByRole("button", { name: "Accept with video" }).click({ timeout: 15_000 });
      await mediaFlows("relay-only video call", { alice: a, bob: b }, ["alice", "bob"]);
      for (const page of [a, b]) {
        const nominatedLocalTypes = () =>
          page.evaluate(async () => {
            const types: string[] = [];
            for (const pc of globalThis.__peerConnections ?? []) {
              if (pc.connectionState === "closed") continue;
              const stats = await pc.getStats();
              stats.forEach((r: { type: string; state?: string; nominated?: boolean; localCandidateId?: string }) => {
                if (r.type === "candidate-pair" && r.state === "succeeded" && r.nominated && r.localCandidateId) {
                  types.push((stats.get(r.localCandidateId) as { candidateType?: string } | undefined)?.candidateType ?? "");
                }
              });
            }
            return types;
          });
        await expect.poll(async () => (await nominatedLocalTypes()).length, { timeout: 5_000 }).toBeGreaterThan(0);
        expect(await nominatedLocalTypes()).toEqual(expect.arrayContaining(["relay"]));
        expect((await nominatedLocalTypes()).every((t) => t === "relay")).toBe(true);
      }
    } finally {
      await world.closeBrowsers();
    }
  }, 120_000);

  it("Firefox declines Chromium's call, and Firefox cancels its own call to Chromium before an answer", async () => {
    const pair = await pairIn("chromium", "firefox");
    const { a, b, alice, bob } = pair;
    try {
      await callButton(a, "Audio", bob.username).click();
      await b.getByRole("button", { name: "Decline" }).click({ timeout: 15_000 });
      await expect.poll(() => callStatus(a), { timeout: 10_000 }).toBe("Call declined");
      await a.getByRole("button", { name: "Close" }).click();
      await b.getByRole("button", { name: "Close" }).click();

      await callButton(b, "Audio", alice.username).click();
      await expect.poll(() => callStatus(a), { timeout: 15_000 }).toBe("Incoming audio call");
      await b.getByRole("button", { name: "Cancel" }).click();
      await expect.poll(() => callStatus(a), { timeout: 10_000 }).toBe("Missed call");
    } finally {
      await world.closeBrowsers();
    }
  }, 90_000);
});

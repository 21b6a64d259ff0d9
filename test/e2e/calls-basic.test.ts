import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callStatus, framesDecoded, startCallWorld, videoCallConnected, type CallWorld } from "../support/call-page.ts";

let world: CallWorld;

beforeAll(async () => {
  world = await startCallWorld();
});
afterAll(() => world?.close());

describe("calls between two browsers", () => {
  it("alice calls bob with video, bob accepts: both connect, video frames are decoded on both sides, the controls stay the same buttons while nothing they show changes, hang-up ends both", async () => {
    const { alice, bob } = await world.pair();
    const [pa, pb] = await world.signInPair(alice, bob);
    // Counts the call controls' replaced children from now on, and keeps the "Hang up" button seen now.
    const watchControls = (p: typeof pa) =>
      p.evaluate(() => {
        const controls = document.querySelector(".call .controls");
        const seen = window as unknown as { __controlsReplaced: number; __hangUp: Element | undefined };
        seen.__controlsReplaced = 0;
        seen.__hangUp = [...(controls?.querySelectorAll("button") ?? [])].find((b) => b.textContent === "Hang up");
        if (controls) new MutationObserver((records) => (seen.__controlsReplaced += records.length)).observe(controls, { childList: true });
        return !!seen.__hangUp;
      });
    const controlsKept = (p: typeof pa) =>
      p.evaluate(() => {
        const seen = window as unknown as { __controlsReplaced: number; __hangUp: Element | undefined };
        return { replaced: seen.__controlsReplaced, sameHangUp: !!seen.__hangUp?.isConnected };
      });
    try {
      await videoCallConnected(pa, pb, bob);
      // "Connected" may come before a slow camera opens (the answer does not wait for it), and an
      // open camera brings "Share screen": what the controls show changes until then.
      for (const p of [pa, pb]) await p.getByRole("button", { name: "Share screen" }).waitFor({ timeout: 15_000 });
      for (const p of [pa, pb]) expect(await watchControls(p)).toBe(true);
      const [a1, b1] = [await framesDecoded(pa), await framesDecoded(pb)];
      await expect.poll(() => framesDecoded(pa), { timeout: 10_000 }).toBeGreaterThan(a1 + 10);
      await expect.poll(() => framesDecoded(pb), { timeout: 10_000 }).toBeGreaterThan(b1 + 10);
      // Past the silent-peer check (4 s after ICE connected): audio arrives, so neither side says otherwise.
      await pa.waitForTimeout(5_000);
      // (The notice element is hidden while empty, so it is found by its label rather than its role.)
      for (const p of [pa, pb]) expect(await p.locator('[aria-label="Call notice"]').textContent()).toBe("");
      // Frames, ICE and the silent-peer check came and went: not one button was built again.
      for (const p of [pa, pb]) expect(await controlsKept(p)).toEqual({ replaced: 0, sameHangUp: true });
      await pa.getByRole("button", { name: "Hang up" }).click();
      await expect.poll(() => callStatus(pb), { timeout: 10_000 }).toBe("Call ended");
      expect(await callStatus(pa)).toBe("Call ended");
      await pb.getByRole("button", { name: "Close" }).click();
      await expect.poll(() => pb.getByRole("listitem", { name: new RegExp(`^Incoming video call from ${alice.username}.*, answered$`) }).count()).toBe(1);
    } finally {
      await world.closeBrowsers();
    }
  });

  it("the call screen animates only while the phone rings: nothing runs on either side once an audio call is connected", async () => {
    const { alice, bob } = await world.pair();
    const [pa, pb] = await world.signInPair(alice, bob);
    // Running CSS animations of the page (a pulsing halo repaints it 60 times a second).
    const animations = (p: typeof pa) => p.evaluate(() => document.getAnimations().filter((a) => a.playState === "running").length);
    try {
      await pa.getByRole("button", { name: new RegExp(`^Audio call ${bob.username}`) }).click();
      const accept = pb.getByRole("button", { name: "Accept", exact: true });
      await accept.waitFor({ timeout: 15_000 });
      expect(await animations(pb)).toBeGreaterThan(0);
      await expect.poll(() => animations(pa), { timeout: 10_000 }).toBeGreaterThan(0);
      await accept.click();
      await expect.poll(() => callStatus(pa), { timeout: 20_000 }).toBe("Connected");
      await expect.poll(() => callStatus(pb), { timeout: 20_000 }).toBe("Connected");
      for (const p of [pa, pb]) await expect.poll(() => animations(p), { timeout: 5_000 }).toBe(0);
      await pa.getByRole("button", { name: "Hang up" }).click();
    } finally {
      await world.closeBrowsers();
    }
  });

  it("bob declines: alice sees the call declined", async () => {
    const { alice, bob } = await world.pair();
    const [pa, pb] = await world.signInPair(alice, bob);
    try {
      await pa.getByRole("button", { name: new RegExp(`^Audio call ${bob.username}`) }).click();
      await pb.getByRole("button", { name: "Decline" }).click({ timeout: 15_000 });
      await expect.poll(() => callStatus(pa), { timeout: 10_000 }).toBe("Call declined");
    } finally {
      await world.closeBrowsers();
    }
  });

  it("alice cancels before bob answers: bob's call shows as missed", async () => {
    const { alice, bob } = await world.pair();
    const [pa, pb] = await world.signInPair(alice, bob);
    try {
      await pa.getByRole("button", { name: new RegExp(`^Audio call ${bob.username}`) }).click();
      await expect.poll(() => callStatus(pb), { timeout: 15_000 }).toBe("Incoming audio call");
      await pa.getByRole("button", { name: "Cancel" }).click();
      await expect.poll(() => callStatus(pb), { timeout: 10_000 }).toBe("Missed call");
    } finally {
      await world.closeBrowsers();
    }
  });

  it("a call forced through TURN (relay-only) connects and video flows", async () => {
    const { alice, bob } = await world.pair();
    const [pa, pb] = await world.signInPair(alice, bob);
    try {
      for (const p of [pa, pb]) await p.getByLabel(/Use relay only/).check();
      await pa.getByRole("button", { name: new RegExp(`^Video call ${bob.username}`) }).click();
      await pb.getByRole("button", { name: "Accept with video" }).click({ timeout: 15_000 });
      await expect.poll(() => callStatus(pa), { timeout: 25_000 }).toBe("Connected");
      const nominatedLocalTypes = () => pa.evaluate(async () => {
        const types: string[] = [];
        for (const pc of globalThis.__peerConnections ?? []) {
          const stats = await pc.getStats();
          stats.forEach((r: { type: string; state?: string; nominated?: boolean; localCandidateId?: string }) => {
            if (r.type === "candidate-pair" && r.state === "succeeded" && r.nominated) {
              const local = stats.get(r.localCandidateId!) as { candidateType?: string } | undefined;
              types.push(local?.candidateType ?? "");
            }
          });
        }
        return types;
      });
      // getStats() is cached for up to 50 ms and the nomination can trail the
      // "connected" state: wait until a nominated pair shows up, then check them all.
      await expect.poll(async () => (await nominatedLocalTypes()).length, { timeout: 5_000 }).toBeGreaterThan(0);
      const relayed = await nominatedLocalTypes();
      expect(relayed.every((t) => t === "relay")).toBe(true);
      const b1 = await framesDecoded(pb);
      await expect.poll(() => framesDecoded(pb), { timeout: 10_000 }).toBeGreaterThan(b1 + 10);
    } finally {
      await world.closeBrowsers();
    }
  });
});

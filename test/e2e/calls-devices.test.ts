import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { mkdirSync } from "node:fs";
import type { TestAccount } from "../support/ejabberd.ts";
import { audioCallConnected, audioGrows, callStatus, framesGrow, jingleReceived, startCallWorld, videoCallConnected, waitUntilCallable, type CallWorld } from "../support/call-page.ts";
import { WIRE_TAP_SCRIPT } from "../support/app-server.ts";

let world: CallWorld;
const SHOTS = "test-results/screenshots";

beforeAll(async () => {
  world = await startCallWorld();
  mkdirSync(SHOTS, { recursive: true });
});
afterAll(() => world?.close());

/** A fresh browser window of the size the screenshots are taken at, signed in. */
const signIn = (account: TestAccount) => world.signIn(account, { viewport: { width: 1000, height: 700 } });

const callButton = (page: Page, kind: "Audio" | "Video", who: TestAccount) =>
  page.getByRole("button", { name: new RegExp(`^${kind} call ${who.username}`) });

describe("calls with several devices and busy callees", () => {
  it("bob on two devices: both ring, the one that answers gets the call, the other stops ringing", async () => {
    const { alice, bob } = await world.pair();
    const pa = await signIn(alice);
    const [pb1, pb2] = [await signIn(bob), await signIn(bob)];
    await waitUntilCallable(pa, bob);
    await waitUntilCallable(pb2, alice);
    await callButton(pa, "Video", bob).click();
    await expect.poll(() => callStatus(pb1), { timeout: 15_000 }).toBe("Incoming video call");
    await expect.poll(() => callStatus(pb2), { timeout: 15_000 }).toBe("Incoming video call");
    await pb2.screenshot({ path: `${SHOTS}/incoming.png` });
    await pb2.getByRole("button", { name: "Accept with video" }).click();
    await expect.poll(() => callStatus(pb1), { timeout: 10_000 }).toBe("Answered on another device");
    await expect.poll(() => callStatus(pb2), { timeout: 20_000 }).toBe("Connected");
    await expect.poll(() => callStatus(pa), { timeout: 20_000 }).toBe("Connected");
    await pa.waitForTimeout(1500);
    await pa.screenshot({ path: `${SHOTS}/in-call.png` });
    await pa.getByRole("button", { name: "Hang up" }).click();
    await expect.poll(() => callStatus(pb2), { timeout: 10_000 }).toBe("Call ended");
  });

  it("a callee busy with another call answers busy", async () => {
    const { alice, bob } = await world.pair();
    const carol = await world.server.createAccount();
    await world.server.makeContacts(carol.username, bob.username);
    const [pa, pb, pc] = [await signIn(alice), await signIn(bob), await signIn(carol)];
    await waitUntilCallable(pa, bob);
    await waitUntilCallable(pc, bob);
    await callButton(pa, "Audio", bob).click();
    await pb.getByRole("button", { name: "Accept" }).click({ timeout: 15_000 });
    await expect.poll(() => callStatus(pa), { timeout: 20_000 }).toBe("Connected");
    await callButton(pc, "Audio", bob).click();
    await expect.poll(() => callStatus(pc), { timeout: 10_000 }).toBe("Call declined");
    expect(await pc.getByText("The other side is busy.").count()).toBe(1);
    await pc.screenshot({ path: `${SHOTS}/busy.png` });
    expect(await callStatus(pb)).toBe("Connected");
  });

  it("a contact who is offline cannot be called", async () => {
    const { alice, bob } = await world.pair();
    const pa = await signIn(alice);
    await expect.poll(() => pa.getByRole("listitem", { name: new RegExp(`^${bob.username}.*, Offline$`) }).count(), { timeout: 15_000 }).toBe(1);
    expect(await callButton(pa, "Audio", bob).isDisabled()).toBe(true);
    expect(await callButton(pa, "Video", bob).isDisabled()).toBe(true);
  });
});

/**
 * Several cameras, microphones and speakers in Chromium's fake capture. Its second fake camera
 * (fake_device_1) delivers Y16 depth frames, which the video encoder never sends: the test uses
 * the first and third (fake_device_2, MJPEG), two ordinary cameras.
 */
const TWO_OF_EACH = { chromiumArgs: ["--use-fake-device-for-media-stream=device-count=3"], viewport: { width: 1000, height: 700 } };
const localLabel = (page: Page, kind: "audio" | "video") =>
  page.evaluate((k) => ((document.querySelector("video.local") as HTMLVideoElement).srcObject as MediaStream).getTracks().find((t) => t.kind === k)?.label ?? "", kind);
const sentLabel = (page: Page, kind: "audio" | "video") =>
  page.evaluate((k) => (globalThis.__peerConnections ?? []).filter((pc) => pc.connectionState !== "closed").flatMap((pc) => pc.getSenders()).find((s) => s.track?.kind === k)?.track?.label ?? "", kind);
/** The permission prompt's "Block" for the camera only (Chromium's fake UI grants or denies all): an init script, or run in a page. */
const BLOCK_CAMERA = `(() => {
  const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (c) => c && c.video ? Promise.reject(new DOMException("Permission denied", "NotAllowedError")) : gum(c);
})()`;

const REFUSED = "Access to the camera was refused (allow it in the site settings): the call continues without it.";

const deviceNotice = (page: Page) => page.getByRole("status", { name: "Device notice" }).textContent();

/** Alice voice-calls bob; once connected, the camera of `blocked` is refused from then on. */
async function voiceCallWithCameraBlocked(alice: TestAccount, bob: TestAccount, blocked: "alice" | "bob"): Promise<[Page, Page]> {
  const pa = await signIn(alice);
  const pb = await signIn(bob);
  await waitUntilCallable(pa, bob);
  await audioCallConnected(pa, pb, bob);
  await (blocked === "alice" ? pa : pb).evaluate(BLOCK_CAMERA);
  return [pa, pb];
}

describe("choosing devices", () => {
  it("alice switches camera, microphone and speaker mid-call without renegotiation; the choice is remembered for her next call", async () => {
    const { alice, bob } = await world.pair();
    const pa = await world.signIn(alice, TWO_OF_EACH);
    const pb = await world.signIn(bob, { initScripts: [WIRE_TAP_SCRIPT] });
    await waitUntilCallable(pa, bob);
    await waitUntilCallable(pb, alice);
    try {
      await videoCallConnected(pa, pb, bob);
      expect(await localLabel(pa, "video")).toBe("fake_device_0");
      await jingleReceived(pb, true);
      await pa.getByRole("button", { name: "Devices" }).click();
      await pa.getByLabel("Camera", { exact: true }).selectOption({ label: "fake_device_2" });
      await expect.poll(() => sentLabel(pa, "video"), { timeout: 5_000 }).toBe("fake_device_2");
      expect(await localLabel(pa, "video")).toBe("fake_device_2");
      await pa.getByLabel("Microphone", { exact: true }).selectOption({ label: "Fake Audio Input 2" });
      await expect.poll(() => sentLabel(pa, "audio"), { timeout: 5_000 }).toBe("Fake Audio Input 2");
      await pa.getByLabel("Speaker", { exact: true }).selectOption({ label: "Fake Audio Output 1" });
      const speakerId = await pa.getByLabel("Speaker", { exact: true }).inputValue();
      await expect.poll(() => pa.evaluate(() => (document.querySelector("video.remote") as HTMLVideoElement & { sinkId: string }).sinkId)).toBe(speakerId);
      await framesGrow(pb, "bob keeps receiving video from alice's second camera");
      await audioGrows(pb, "bob keeps receiving alice's audio from her other microphone");
      expect(await jingleReceived(pb), "a device switch sends no Jingle (replaceTrack, no renegotiation)").toEqual([]);
      await pa.screenshot({ path: `/tmp/devices-switched.png` });
      await pa.getByRole("button", { name: "Hang up" }).click();
      await expect.poll(() => callStatus(pb), { timeout: 10_000 }).toBe("Call ended");
      await pa.getByRole("button", { name: "Close" }).click();

      await videoCallConnected(pa, pb, bob);
      expect(await localLabel(pa, "video"), "the next call opens the camera chosen last").toBe("fake_device_2");
      expect(await localLabel(pa, "audio")).toBe("Fake Audio Input 2");
      await pa.getByRole("button", { name: "Hang up" }).click();
    } finally {
      await world.closeBrowsers();
    }
  }, 150_000);

  it("alice's camera is unplugged mid-call: the default camera takes over with a notice, and bob keeps seeing her", async () => {
    const { alice, bob } = await world.pair();
    const pa = await world.signIn(alice, TWO_OF_EACH);
    const pb = await world.signIn(bob);
    await waitUntilCallable(pa, bob);
    await waitUntilCallable(pb, alice);
    try {
      await pa.evaluate(() => localStorage.setItem("xmpp-calls.devices", "{}"));
      await videoCallConnected(pa, pb, bob);
      await pa.getByRole("button", { name: "Devices" }).click();
      await pa.getByLabel("Camera", { exact: true }).selectOption({ label: "fake_device_2" });
      await expect.poll(() => sentLabel(pa, "video"), { timeout: 5_000 }).toBe("fake_device_2");
      // What the browser does when a device goes away: the track ends (fired here by hand;
      // Chromium's fake capture cannot be unplugged).
      await pa.evaluate(() => {
        const track = ((document.querySelector("video.local") as HTMLVideoElement).srcObject as MediaStream).getVideoTracks()[0]!;
        track.stop();
        track.dispatchEvent(new Event("ended"));
      });
      await expect.poll(() => deviceNotice(pa), { timeout: 5_000 }).toBe("Your camera was disconnected: using the default camera.");
      await expect.poll(() => sentLabel(pa, "video"), { timeout: 5_000 }).toBe("fake_device_0");
      await expect.poll(() => pa.getByLabel("Camera", { exact: true }).evaluate((s: HTMLSelectElement) => s.selectedOptions[0]?.textContent)).toBe("fake_device_0");
      await framesGrow(pb, "bob sees alice through her default camera");
      await pa.screenshot({ path: `/tmp/devices-unplugged.png` });
      await pa.getByRole("button", { name: "Hang up" }).click();
    } finally {
      await world.closeBrowsers();
    }
  });

  it("alice refuses the camera: her video call goes on as voice, with a message saying why", async () => {
    const { alice, bob } = await world.pair();
    const pa = await world.signIn(alice, { initScripts: [BLOCK_CAMERA], viewport: { width: 1000, height: 700 } });
    const pb = await world.signIn(bob);
    await waitUntilCallable(pa, bob);
    await waitUntilCallable(pb, alice);
    try {
      await videoCallConnected(pa, pb, bob);
      expect(await deviceNotice(pa)).toBe(REFUSED);
      await audioGrows(pb, "bob hears alice");
      await audioGrows(pa, "alice hears bob");
      await framesGrow(pa, "alice still sees bob");
      await pa.screenshot({ path: `/tmp/devices-camera-refused.png` });
      await pa.getByRole("button", { name: "Hang up" }).click();
    } finally {
      await world.closeBrowsers();
    }
  });

  it("alice refuses the camera when she turns it on in a voice call: bob is asked all the same, she reads why, and sees his video", async () => {
    const { alice, bob } = await world.pair();
    const [pa, pb] = await voiceCallWithCameraBlocked(alice, bob, "alice");
    try {
      await pa.getByRole("button", { name: "Add video" }).click();
      await pb.getByRole("button", { name: "Accept video" }).click({ timeout: 10_000 });
      await expect.poll(() => deviceNotice(pa), { timeout: 5_000 }).toBe(REFUSED);
      await framesGrow(pa, "alice sees bob");
      await audioGrows(pb, "bob still hears alice");
      expect(await callStatus(pa)).toBe("Connected");
      await pa.screenshot({ path: `/tmp/devices-camera-refused-upgrade.png` });
      await pa.getByRole("button", { name: "Hang up" }).click();
    } finally {
      await world.closeBrowsers();
    }
  });

  it("bob refuses the camera when he accepts alice's video: he reads why, sees her, and the call goes on", async () => {
    const { alice, bob } = await world.pair();
    const [pa, pb] = await voiceCallWithCameraBlocked(alice, bob, "bob");
    try {
      await pa.getByRole("button", { name: "Add video" }).click();
      await pb.getByRole("button", { name: "Accept video" }).click({ timeout: 10_000 });
      await expect.poll(() => deviceNotice(pb), { timeout: 5_000 }).toBe(REFUSED);
      await framesGrow(pb, "bob sees alice");
      await audioGrows(pa, "alice still hears bob");
      expect(await callStatus(pa)).toBe("Connected");
      expect(await callStatus(pb)).toBe("Connected");
      await pa.getByRole("button", { name: "Hang up" }).click();
    } finally {
      await world.closeBrowsers();
    }
  });
});

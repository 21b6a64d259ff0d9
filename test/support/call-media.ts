import type { Page } from "playwright-core";
import { expect } from "vitest";
import { audioGrows, audioReceived, callStatus, framesGrow, iceConnected } from "./call-page.ts";

/** Checks on a running call between two app pages, in any browser: what "the call works" means after each step. */

/** What the page shows when a call went wrong: its status and any alert (the browser's raw error, for one). */
export async function callProblem(page: Page): Promise<string> {
  const alerts = await page.getByRole("alert").allTextContents().catch(() => []);
  return `status "${await callStatus(page).catch(() => "?")}"${alerts.length ? `, alert: ${alerts.join(" | ")}` : ""}`;
}

/** Runs `check` and, if it fails, adds both call screens' state to the error, so a failure says why. */
export async function explained<T>(step: string, pages: Record<string, Page>, check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (error) {
    const states = await Promise.all(Object.entries(pages).map(async ([name, page]) => `${name}: ${await callProblem(page)}`));
    throw new Error(`${step}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)} — ${states.join("; ")}`, { cause: error });
  }
}

/** Video m-lines actually sending (a live camera track on a sending transceiver) on the page's open peer connections. */
export function videoSending(page: Page): Promise<boolean> {
  return page.evaluate(() =>
    (globalThis.__peerConnections ?? []).some((pc: RTCPeerConnection) =>
      pc.connectionState !== "closed" &&
      pc.getTransceivers().some((t) => t.sender.track?.kind === "video" && t.sender.track.readyState === "live" && (t.currentDirection === "sendrecv" || t.currentDirection === "sendonly")),
    ),
  );
}

/**
 * ICE connected and audio received on both pages, and video frames decoded on each page
 * listed in `video` (those whose peer sends its camera).
 */
export async function mediaFlows(step: string, pages: Record<string, Page>, video: readonly string[] = []): Promise<void> {
  await explained(step, pages, async () => {
    await Promise.all(Object.entries(pages).map(([name, page]) => iceConnected(page, `${step}: ${name} ICE connected`)));
    await Promise.all(Object.entries(pages).map(([name, page]) => audioGrows(page, `${step}: ${name} receives audio`)));
    await Promise.all(video.map((name) => framesGrow(pages[name]!, `${step}: ${name} decodes video`)));
  });
}

/**
 * Arms requestVideoFrameCallback on the page's remote <video>: the next frame it presents is
 * recorded (the precise "first frame" signal; getStats lags, and Firefox restarts framesDecoded).
 */
export async function armNextFrame(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    window.__nextFrame = 0;
    const video = document.querySelector("video.remote");
    if (!video) throw new Error("no remote video on the call screen");
    video.requestVideoFrameCallback((now, meta) => { window.__nextFrame = performance.timeOrigin + (meta.presentationTime ?? now); });
  })()`);
}

/** The page's clock (epoch ms): pages on one host share it, so one page's event can be timed against another's. */
export const pageClock = (page: Page): Promise<number> => page.evaluate("performance.timeOrigin + performance.now()");

/** Milliseconds from `since` (pageClock) to the frame armNextFrame caught: a figure to print, never to assert on. */
export async function msToArmedFrame(page: Page, since: number, timeoutMs = 15_000): Promise<number> {
  const at = () => page.evaluate<number>("window.__nextFrame");
  await expect.poll(at, { timeout: timeoutMs, interval: 50, message: "no new video frame presented" }).toBeGreaterThan(0);
  return Math.round((await at()) - since);
}

/** Audio energy the page received over `ms` (inbound-rtp totalAudioEnergy growth): ~0 while the peer's microphone is muted. */
export async function audioEnergyOver(page: Page, ms: number): Promise<number> {
  const before = await audioReceived(page);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return (await audioReceived(page)).energy - before.energy;
}

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { callStatus, startCallWorld, videoCallConnected, type CallWorld } from "../support/call-page.ts";

let world: CallWorld;
const SHOTS = process.env.SCREENSHOT_DIR ?? "/tmp";

beforeAll(async () => {
  world = await startCallWorld();
});
afterAll(() => world?.close());

const panel = (page: Page) => page.getByRole("region", { name: "Call quality" });
const samples = async (page: Page) => Number((await panel(page).getAttribute("data-samples")) ?? 0);
const value = (page: Page, label: string) => panel(page).getByLabel(label, { exact: true }).textContent();
const kbit = (text: string | null) => Number(/^([\d.]+) kbit\/s$/.exec(text ?? "")?.[1] ?? NaN);

describe("call quality, live", () => {
  it("the panel shows the path, rates and video of a running call, moving each second, and stops reading when the call ends", async () => {
    const { alice, bob } = await world.pair();
    const [pa, pb] = await world.signInPair(alice, bob, { alice: { viewport: { width: 1000, height: 700 } } });
    try {
      await videoCallConnected(pa, pb, bob);
      await expect.poll(() => pa.getByRole("status", { name: "Connection quality" }).textContent(), { timeout: 5_000 }).toBe("Good connection");
      await pa.getByRole("button", { name: "Call quality" }).click();
      await expect.poll(() => samples(pa), { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
      // On loopback the direct path wins; on a loaded machine a relay pair may be selected first,
      // until the direct one's checks succeed and the browser switches to it.
      await expect.poll(() => value(pa, "Path"), { timeout: 10_000 }).toMatch(/^host ⇄ (host|prflx) · UDP$/);
      expect(kbit(await value(pa, "Received"))).toBeGreaterThan(10);
      expect(kbit(await value(pa, "Sent"))).toBeGreaterThan(10);
      expect(await value(pa, "Packet loss")).toMatch(/^\d+\.\d %$/);
      expect(await value(pa, "Video in")).toMatch(/^\d+×\d+$/);
      expect(await value(pa, "Codecs")).toMatch(/opus/i);
      // Live: a new sample a second, each graph drawn from them.
      const before = await samples(pa);
      await expect.poll(() => samples(pa), { timeout: 5_000 }).toBeGreaterThanOrEqual(before + 2);
      expect(await panel(pa).locator("polyline").count()).toBe(6);
      expect(((await panel(pa).locator("polyline").nth(1).getAttribute("points")) ?? "").split(" ").length).toBeGreaterThanOrEqual(2);
      await pa.screenshot({ path: `${SHOTS}/quality-panel.png` });

      await pa.getByRole("button", { name: "Hang up" }).click();
      await expect.poll(() => callStatus(pb), { timeout: 10_000 }).toBe("Call ended");
      const atEnd = await samples(pa);
      await pa.waitForTimeout(2_500);
      expect(await samples(pa)).toBe(atEnd);
      expect(await pa.getByRole("status", { name: "Connection quality" }).isHidden()).toBe(true);
      await pa.screenshot({ path: `${SHOTS}/quality-ended.png` });
    } finally {
      await world.closeBrowsers();
    }
  });
});

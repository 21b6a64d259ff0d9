import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { PEER_REGISTRY_SCRIPT } from "./peer-registry.ts";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Flags for Debian's Chromium on a machine with no network but loopback. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--use-fake-ui-for-media-stream",
  "--use-fake-device-for-media-stream",
  // Host candidates on 127.0.0.1: the only interface a loopback-only test has.
  "--allow-loopback-in-peer-connection",
];

/** Which browser a test device runs: Debian's Chromium or Debian's Firefox ESR (test/support/firefox.ts). */
export type BrowserKind = "chromium" | "firefox";

export interface LaunchedBrowser {
  readonly kind: BrowserKind;
  context: BrowserContext;
  close(): Promise<void>;
}

/** Closes the peer connections of every page of the context (recorded by PEER_REGISTRY_SCRIPT), then the context. */
export async function closeContext(context: BrowserContext): Promise<void> {
  // Peer connections first so TURN allocations are released (see CONVENTIONS).
  for (const page of context.pages()) {
    await page
      .evaluate(() => {
        for (const pc of globalThis.__peerConnections ?? []) pc.close();
      })
      .catch(() => undefined);
  }
  await context.close().catch(() => undefined);
}

export interface LaunchOptions {
  /** Extra Chromium flags, e.g. --ignore-certificate-errors-spki-list=… */
  args?: string[];
}

/**
 * Starts Debian's Chromium headless with a fresh profile folder. Each call is an
 * independent browser (one "device" of a user), removed again by close().
 */
export async function launchChromium(options: LaunchOptions = {}): Promise<LaunchedBrowser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: run 'npm test' (it installs Debian's chromium) or 'apt-get install chromium'`);
  }
  const profile = mkdtempSync(join(tmpdir(), "xwc-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
    permissions: ["camera", "microphone"],
  });
  try {
    await context.addInitScript(PEER_REGISTRY_SCRIPT);
  } catch (error) {
    await context.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  return {
    kind: "chromium",
    context,
    async close() {
      await closeContext(context);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface BlankPage {
  page: Page;
  /** Closes the page's browser (and its peer connections), as LaunchedBrowser.close() does. */
  close(): Promise<void>;
}

/**
 * An about:blank page in a fresh browser, for tests that run WebRTC code through page.evaluate()
 * and need no web app.
 */
export async function openBlankPage(options: LaunchOptions = {}): Promise<BlankPage> {
  const browser = await launchChromium(options);
  try {
    const page = await browser.context.newPage();
    // tsx/vite may compile with keepNames: functions sent to the page call esbuild's __name.
    await page.addInitScript({ content: "globalThis.__name = (f) => f;" });
    await page.goto("about:blank");
    return { page, close: () => browser.close() };
  } catch (err) {
    await browser.close();
    throw err;
  }
}

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { startAppServer, WIRE_TAP_SCRIPT, type AppServer } from "../app-server.ts";
import { submitSignIn } from "../call-page.ts";
import type { TestAccount } from "../ejabberd.ts";
import { launchChromiumIn, namespacesUnavailableReason, type HomeBrowser } from "../netns.ts";
import { serveAppInto } from "../netns-world.ts";
import { startDesktop, type Desktop } from "./desktop.ts";
import { DinoClient, removeProfileTemplate } from "./dino.ts";
import { createDinoNamespace, type DinoNamespace } from "./namespace.ts";
import { startCapture, type Capture } from "./rtp-capture.ts";
import { startServerIn, type NamespaceServer } from "./server.ts";

/*
 * One network namespace holding everything a Dino interop test needs: the project's ejabberd,
 * a headless desktop (Xvfb, D-Bus, PulseAudio with a tone as microphone), Dino signed in, and
 * Debian's Chromium with the web app (served from this process through Playwright routes; its
 * XMPP WebSocket goes to the ejabberd in the namespace). Dino and the web user are contacts.
 */

const REQUIRED = ["dino-im", "Xvfb", "dbus-daemon", "pulseaudio", "gst-launch-1.0", "xdotool", "sqlite3", "tcpdump", "gdbus"];

/** Why this machine cannot run the Dino tests, or undefined when it can. */
export function dinoUnavailableReason(): string | undefined {
  const ns = namespacesUnavailableReason();
  if (ns) return ns;
  const path = (process.env.PATH ?? "/usr/bin:/bin").split(":");
  const missing = REQUIRED.filter((bin) => !path.some((dir) => existsSync(join(dir, bin))));
  return missing.length ? `missing ${missing.join(", ")} (scripts/ensure-deps.sh test installs them)` : undefined;
}

/** Waits until the page can video-call the contact (no vitest here: benchmarks use this too). */
async function waitUntilCallable(page: Page, username: string, timeoutMs = 30_000): Promise<void> {
  const button = page.getByRole("button", { name: new RegExp(`^Video call ${username}`) });
  const deadline = Date.now() + timeoutMs;
  while (!(await button.isEnabled().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`the web app cannot call ${username} after ${timeoutMs} ms (presence or disco#info missing)`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface DinoWorldOptions {
  /** GLib debug domains for Dino's log (e.g. "rtp ice"). */
  dinoDebug?: string;
}

export interface DinoWorld {
  ns: DinoNamespace;
  server: NamespaceServer;
  desktop: Desktop;
  dino: DinoClient;
  dinoAccount: TestAccount;
  webAccount: TestAccount;
  app: AppServer;
  /** Folder for captures and screenshots of this world (removed by close()). */
  dir: string;
  /** How long each part took to start, ms (for reports). */
  timings: Record<string, number>;
  /** Opens the web app in Chromium inside the namespace, signs the web account in, waits until Dino is callable. */
  openWeb(): Promise<Page>;
  /** Waits until the web app can call Dino again (after restartDino()). */
  waitUntilCallable(): Promise<void>;
  /** The page openWeb() opened last, if any. */
  readonly webPage: Page | undefined;
  closeWeb(): Promise<void>;
  /** Restarts Dino (a call never ended keeps its call button disabled). */
  restartDino(): Promise<void>;
  capture(name?: string): Promise<Capture>;
  close(): Promise<void>;
}

export async function startDinoWorld(options: DinoWorldOptions = {}): Promise<DinoWorld> {
  const dir = mkdtempSync(join(tmpdir(), "calls-dino-world-"));
  const cleanups: Array<() => Promise<void> | void> = [() => rmSync(dir, { recursive: true, force: true }), removeProfileTemplate];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch {
        /* keep cleaning */
      }
    }
  };
  const timings: Record<string, number> = {};
  let lap = Date.now();
  const took = (what: string) => {
    timings[what] = Date.now() - lap;
    lap = Date.now();
  };
  try {
    const ns = createDinoNamespace();
    cleanups.push(() => ns.destroy());
    const server = await startServerIn(ns);
    cleanups.push(() => server.stop());
    took("ejabberd");
    const desktop = await startDesktop(ns, dir);
    cleanups.push(() => desktop.stop());
    took("desktop");
    const [dinoAccount, webAccount] = [await server.createAccount("dino"), await server.createAccount("web")];
    await server.makeContacts(dinoAccount.username, webAccount.username);
    const startDino = () => DinoClient.start({ ns, desktop, account: dinoAccount, caPem: server.caPem, debugDomains: options.dinoDebug });
    let dino = await startDino();
    cleanups.push(() => dino.dispose());
    took("dino");
    const app = await startAppServer(server.wsUrl);
    cleanups.push(() => app.close());
    took("app");
    let web: HomeBrowser | undefined;
    cleanups.push(() => web?.close());
    const captures: Capture[] = [];
    cleanups.push(async () => {
      for (const c of captures) await c.stop();
    });
    const world: DinoWorld = {
      ns,
      server,
      desktop,
      get dino() {
        return dino;
      },
      dinoAccount,
      webAccount,
      app,
      dir,
      timings,
      get webPage() {
        return web?.page;
      },
      async openWeb() {
        await world.closeWeb();
        // The page's origin is answered by Playwright, so Chromium counts it as public and blocks
        // its WebSocket to the namespace's loopback (Local Network Access) unless permitted.
        web = await launchChromiumIn({ ns: ns.name }, { permissions: ["camera", "microphone", "local-network-access"] });
        await web.page.addInitScript(WIRE_TAP_SCRIPT);
        await web.page.goto(await serveAppInto(web.page, app, server.wsUrl));
        await submitSignIn(web.page, webAccount);
        await waitUntilCallable(web.page, dinoAccount.username);
        return web.page;
      },
      async waitUntilCallable() {
        if (web) await waitUntilCallable(web.page, dinoAccount.username);
      },
      async closeWeb() {
        await web?.close();
        web = undefined;
      },
      async restartDino() {
        await dino.dispose();
        dino = await startDino();
      },
      async capture(name) {
        const capture = await startCapture(ns, dir, name);
        captures.push(capture);
        return capture;
      },
      close,
    };
    return world;
  } catch (error) {
    await close();
    throw error;
  }
}

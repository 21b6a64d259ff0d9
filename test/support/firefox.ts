import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { firefox, type BrowserContext, type Page } from "playwright-core";
import { closeContext, type LaunchedBrowser } from "./chromium.ts";
import { PEER_REGISTRY_SCRIPT } from "./peer-registry.ts";

/*
 * Debian's Firefox ESR driven over WebDriver BiDi by playwright-core itself: its Firefox
 * browser type speaks BiDi to a stock Firefox when given a `moz-…` channel (the same engine
 * as its experimental `_bidiFirefox`, which 1.65 no longer exports). One driver API for both
 * browsers, so the call-page helpers serve Chromium and Firefox alike, and no new dependency.
 * Playwright's own Firefox build (Juggler protocol) is not used: the browser under test is
 * the one Debian users run.
 */

export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? "/usr/bin/firefox-esr";

/**
 * Prefs of a test profile. Playwright already writes its automation defaults (no update
 * checks, no safe-browsing, no data reporting) and Firefox's remote agent its recommended
 * ones; these add fake media, loopback ICE, and switch off what else would talk to the
 * network, so a test run stays on loopback.
 */
export const FIREFOX_PREFS: Record<string, string | number | boolean> = {
  // Fake camera (a moving pattern) and microphone (a tone), no permission prompt.
  "media.navigator.streams.fake": true,
  "media.navigator.permission.disabled": true,
  // Host candidates on 127.0.0.1 only (loopback is all a test may use: Firefox would otherwise
  // gather, and bind sockets, on every interface of the machine), unobfuscated (no mDNS .local
  // names, which the peer could not resolve).
  "media.peerconnection.ice.loopback": true,
  "media.peerconnection.ice.force_interface": "lo",
  "media.peerconnection.ice.obfuscate_host_addresses": false,
  // Autoplay of the remote <video>/<audio> without a user gesture, as Chromium's flags allow.
  "media.autoplay.default": 0,
  "media.autoplay.blocking_policy": 0,
  // Nothing leaves the machine: telemetry, remote settings, captive portal, push, DNS prefetch.
  "toolkit.telemetry.enabled": false,
  "toolkit.telemetry.unified": false,
  "toolkit.telemetry.server": "",
  "datareporting.policy.dataSubmissionEnabled": false,
  "app.update.auto": false,
  "app.update.enabled": false,
  "app.normandy.enabled": false,
  "messaging-system.rsexperimentloader.enabled": false,
  "services.settings.server": "",
  "network.captive-portal-service.enabled": false,
  "captivedetect.canonicalURL": "",
  "dom.push.enabled": false,
  "dom.push.connection.enabled": false,
  "network.dns.disablePrefetch": true,
  "network.prefetch-next": false,
  "network.predictor.enabled": false,
  "network.http.speculative-parallel-limit": 0,
  "browser.region.network.url": "",
  "browser.region.update.enabled": false,
  "browser.search.geoip.url": "",
  "extensions.systemAddon.update.enabled": false,
  "extensions.blocklist.enabled": false,
  "browser.aboutwelcome.enabled": false,
  "browser.discovery.enabled": false,
  "browser.ping-centre.telemetry": false,
  "media.gmp-gmpopenh264.enabled": false,
  "media.gmp-widevinecdm.enabled": false,
  "geo.enabled": false,
};

/*
 * Firefox 153 ESR's BiDi lacks `emulation.setMediaFeaturesOverride`, which playwright-core
 * 1.65 sends unconditionally for every context (prefers-color-scheme) and treats as fatal.
 * Nothing here emulates media features, so an "unknown command" error to an `emulation.*`
 * command is turned into an empty success on the way in. The patch sits on the WebSocket
 * class of playwright-core's bundle (the exported `playwright-core/lib/utilsBundle`), acts
 * only on BiDi messages (`type: "error"`, `error: "unknown command"`; CDP errors look
 * different), and becomes a no-op once Firefox implements the command.
 */
let bidiShimInstalled = false;
function installBidiEmulationShim(): void {
  if (bidiShimInstalled) return;
  bidiShimInstalled = true;
  const require = createRequire(import.meta.url);
  const { ws } = require("playwright-core/lib/utilsBundle") as { ws: { prototype: { send(data: unknown, ...rest: unknown[]): void; emit(event: string | symbol, ...args: unknown[]): boolean } } };
  const pending = new Map<number, string>();
  const send = ws.prototype.send;
  ws.prototype.send = function (data: unknown, ...rest: unknown[]) {
    if (typeof data === "string" && data.includes('"emulation.')) {
      const message = JSON.parse(data) as { id?: number; method?: string };
      if (typeof message.id === "number" && message.method?.startsWith("emulation.")) pending.set(message.id, message.method);
    }
    return send.call(this, data, ...rest);
  };
  const emit = ws.prototype.emit;
  ws.prototype.emit = function (event: string | symbol, ...args: unknown[]) {
    if (event === "message" && pending.size > 0) {
      const text = String(args[0]);
      if (text.includes('"unknown command"')) {
        const message = JSON.parse(text) as { id?: number; type?: string; error?: string };
        if (message.type === "error" && message.error === "unknown command" && typeof message.id === "number" && pending.delete(message.id)) {
          args[0] = JSON.stringify({ type: "success", id: message.id, result: {} });
        }
      }
    }
    return emit.call(this, event, ...args);
  };
}

/** A console message of a Firefox page: what Firefox tells a developer about the app. */
export interface ConsoleEntry {
  type: string;
  text: string;
}

export interface LaunchedFirefox extends LaunchedBrowser {
  /** Console messages of every page of this browser so far (warnings included). */
  readonly console: readonly ConsoleEntry[];
}

/**
 * Starts Debian's Firefox ESR headless with a fresh profile (one "device" of a user), fake
 * media and PEER_REGISTRY_SCRIPT in every page; close() closes its peer connections first,
 * then the browser, and removes the profile.
 */
export async function launchFirefox(options: { acceptInsecureCerts?: boolean } = {}): Promise<LaunchedFirefox> {
  if (!existsSync(FIREFOX_PATH)) {
    throw new Error(`Firefox not found at ${FIREFOX_PATH}: run 'scripts/ensure-deps.sh test' (it installs Debian's firefox-esr) or 'apt-get install firefox-esr'`);
  }
  installBidiEmulationShim();
  const profile = mkdtempSync(join(tmpdir(), "xwc-firefox-"));
  const consoleEntries: ConsoleEntry[] = [];
  let context: BrowserContext | undefined;
  try {
    context = await firefox.launchPersistentContext(profile, {
      executablePath: FIREFOX_PATH,
      // A `moz-` channel selects playwright-core's WebDriver BiDi driver for stock Firefox.
      channel: "moz-firefox-esr",
      headless: true,
      firefoxUserPrefs: FIREFOX_PREFS,
      // WebDriver BiDi's acceptInsecureCerts: the benchmark's page signs in straight to the test
      // server's WSS (Chromium trusts exactly its key instead). Tests keep certificates checked.
      ignoreHTTPSErrors: options.acceptInsecureCerts ?? false,
    });
    await context.addInitScript(PEER_REGISTRY_SCRIPT);
  } catch (error) {
    await context?.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  const record = (page: Page) => page.on("console", (m) => consoleEntries.push({ type: m.type(), text: m.text() }));
  for (const page of context.pages()) record(page);
  context.on("page", record);
  const opened = context;
  return {
    kind: "firefox",
    context: opened,
    console: consoleEntries,
    async close() {
      await closeContext(opened);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

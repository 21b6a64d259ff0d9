import { execFileSync } from "node:child_process";
import type { Page } from "playwright-core";
import { namespaceRunId, startServerInNamespace, type PublicServer } from "./netns.ts";
import type { AppServer } from "./app-server.ts";

/*
 * One machine in a network namespace of its own, for calls whose network changes under them:
 *
 *   lo 127.0.0.1   ejabberd (WebSocket, STUN/TURN): the signaling path, never touched
 *   wifi0          10.10.0.1/24  ┐ the uplinks the browsers gather host candidates on;
 *   mobile0        10.20.0.1/24  ┘ a test moves the machine from one to the other
 *
 * Both browsers run here, so the media path between them is whichever uplink has an address:
 * taking wifi0's away and giving mobile0 one is a Wi-Fi → mobile switch for both. Nothing
 * routes out: the uplinks are veth pairs whose other ends stay in the namespace.
 */

export const WIFI_ADDRESS = "10.10.0.1";
export const MOBILE_ADDRESS = "10.20.0.1";

export interface CallWorld {
  ns: string;
  server: PublicServer;
  /** Which uplink has its address (and the default route); "none": only loopback is left. */
  setUplink(uplink: "wifi" | "mobile" | "none"): void;
  /** Drops every UDP datagram in the namespace: no media path at all, signaling (TCP) unaffected. */
  dropUdp(): void;
  destroy(): Promise<void>;
}

function run(...args: string[]): void {
  try {
    execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    throw new Error(`ip ${args.join(" ")} failed: ${(error as { stderr?: Buffer }).stderr?.toString().trim() ?? String(error)}`);
  }
}

export async function createCallWorld(): Promise<CallWorld> {
  const ns = `${namespaceRunId()}-world`;
  run("netns", "add", ns);
  const inNs = (...args: string[]) => run("netns", "exec", ns, ...args);
  try {
    run("-n", ns, "link", "set", "lo", "up");
    // IPv4 only: no link-local IPv6 candidate may keep a path alive the test took away.
    inNs("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
    for (const uplink of ["wifi", "mobile"]) {
      run("-n", ns, "link", "add", `${uplink}0`, "type", "veth", "peer", "name", `${uplink}1`);
      run("-n", ns, "link", "set", `${uplink}0`, "up");
      run("-n", ns, "link", "set", `${uplink}1`, "up");
    }
  } catch (error) {
    run("netns", "del", ns);
    throw error;
  }
  let current: "wifi" | "mobile" | "none" = "none";
  const setUplink = (uplink: "wifi" | "mobile" | "none") => {
    if (current !== "none") run("-n", ns, "addr", "del", `${current === "wifi" ? WIFI_ADDRESS : MOBILE_ADDRESS}/24`, "dev", `${current}0`);
    current = uplink;
    if (uplink === "none") return;
    run("-n", ns, "addr", "add", `${uplink === "wifi" ? WIFI_ADDRESS : MOBILE_ADDRESS}/24`, "dev", `${uplink}0`);
    run("-n", ns, "route", "replace", "default", "dev", `${uplink}0`);
  };
  setUplink("wifi");
  let server: PublicServer;
  try {
    server = await startServerInNamespace({ ns, domain: "world.test", address: "127.0.0.1", profile: "local" });
  } catch (error) {
    run("netns", "del", ns);
    throw error;
  }
  return {
    ns,
    server,
    setUplink,
    dropUdp() {
      for (const chain of ["INPUT", "OUTPUT"]) inNs("iptables", "-A", chain, "-p", "udp", "-j", "DROP");
    },
    async destroy() {
      await server.stop().catch(() => undefined);
      run("netns", "del", ns);
    },
  };
}

/**
 * Serves the web app to a page whose browser runs in the namespace: requests to the app's
 * origin are answered from the app server in the test process (Playwright routes them, no
 * network involved), and XEP-0156 host-meta points the client at ejabberd's WebSocket on the
 * namespace's loopback, which the browser reaches directly.
 */
export async function serveAppInto(page: Page, app: AppServer, wsUrl: string): Promise<string> {
  const origin = "http://localhost:8443";
  await page.route(`${origin}/**`, async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === "/.well-known/host-meta") {
      const xrd = `<?xml version='1.0' encoding='utf-8'?><XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'><Link rel='urn:xmpp:alt-connections:websocket' href='${wsUrl}'/></XRD>`;
      return route.fulfill({ contentType: "application/xrd+xml", body: xrd });
    }
    const response = await fetch(new URL(url.pathname + url.search, app.url));
    return route.fulfill({ status: response.status, headers: Object.fromEntries(response.headers), body: Buffer.from(await response.arrayBuffer()) });
  });
  return `${origin}/`;
}

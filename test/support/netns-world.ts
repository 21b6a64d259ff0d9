import { execFileSync } from "node:child_process";
import type { Page } from "playwright-core";
import { namespaceRunId, startServerInNamespace, type PublicServer } from "./netns.ts";
import type { AppServer } from "./app-server.ts";

/*
 * A machine with two uplinks and the Internet it reaches, in two network namespaces of ours,
 * for calls whose network changes under them:
 *
 *   world ns (both browsers)                       net ns
 *     wifi0   10.10.0.2/24  ── veth ──  wifi1   10.10.0.1/24   ejabberd (WSS, STUN/TURN)
 *     mobile0 10.20.0.2/24  ── veth ──  mobile1 10.20.0.1/24   on 203.0.113.1
 *
 * The world reaches the server through whichever uplink has its address and the default route;
 * the two browsers reach each other on that address. Moving from wifi to mobile takes away the
 * address the media flowed on and the one the XMPP WebSocket was opened from: both paths break
 * at once, as in a Wi-Fi → mobile handover. Documentation and private ranges only, no link to
 * the machine's interfaces: nothing routes out.
 */

export const WIFI_ADDRESS = "10.10.0.2";
export const MOBILE_ADDRESS = "10.20.0.2";
export const SERVER_ADDRESS = "203.0.113.1";
const GATEWAYS = { wifi: "10.10.0.1", mobile: "10.20.0.1" } as const;
const ADDRESSES = { wifi: WIFI_ADDRESS, mobile: MOBILE_ADDRESS } as const;

export interface CallWorld {
  /** The namespace the browsers run in. */
  ns: string;
  server: PublicServer;
  /** wss://203.0.113.1:PORT/ws (the certificate names the domain, not the address). */
  wsUrl: string;
  /** Which uplink has its address and the default route; "none": only loopback is left. */
  setUplink(uplink: "wifi" | "mobile" | "none"): void;
  /** Drops every UDP datagram of the browsers (`false`: lets them through again): no media path at all, signaling (TCP) unaffected. */
  dropUdp(drop?: boolean): void;
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
  const id = namespaceRunId();
  const [ns, net] = [`${id}-world`, `${id}-net`];
  const created: string[] = [];
  const removeAll = () => {
    for (const name of created.reverse()) run("netns", "del", name);
  };
  try {
    for (const name of [ns, net]) {
      run("netns", "add", name);
      created.push(name);
      run("-n", name, "link", "set", "lo", "up");
      // IPv4 only: no link-local IPv6 candidate may keep a path alive the test took away.
      run("netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
    }
    run("-n", net, "addr", "add", `${SERVER_ADDRESS}/32`, "dev", "lo");
    for (const uplink of ["wifi", "mobile"] as const) {
      run("-n", ns, "link", "add", `${uplink}0`, "type", "veth", "peer", "name", `${uplink}1`, "netns", net);
      run("-n", ns, "link", "set", `${uplink}0`, "up");
      run("-n", net, "addr", "add", `${GATEWAYS[uplink]}/24`, "dev", `${uplink}1`);
      run("-n", net, "link", "set", `${uplink}1`, "up");
    }
  } catch (error) {
    removeAll();
    throw error;
  }
  let current: "wifi" | "mobile" | "none" = "none";
  const setUplink = (uplink: "wifi" | "mobile" | "none") => {
    if (current !== "none") run("-n", ns, "addr", "del", `${ADDRESSES[current]}/24`, "dev", `${current}0`);
    current = uplink;
    if (uplink === "none") return;
    run("-n", ns, "addr", "add", `${ADDRESSES[uplink]}/24`, "dev", `${uplink}0`);
    run("-n", ns, "route", "replace", "default", "via", GATEWAYS[uplink]);
  };
  setUplink("wifi");
  let server: PublicServer;
  try {
    // Production: the profile that listens on a network (its TURN refuses private peers; these browsers need none).
    server = await startServerInNamespace({ ns: net, domain: "world.test", address: SERVER_ADDRESS, profile: "production" });
  } catch (error) {
    removeAll();
    throw error;
  }
  return {
    ns,
    server,
    wsUrl: server.wsUrl.replace(server.domain, SERVER_ADDRESS),
    setUplink,
    dropUdp(drop = true) {
      for (const chain of ["INPUT", "OUTPUT"]) run("netns", "exec", ns, "iptables", drop ? "-A" : "-D", chain, "-p", "udp", "-j", "DROP");
    },
    async destroy() {
      await server.stop().catch(() => undefined);
      removeAll();
    },
  };
}

/**
 * Serves the web app to a page whose browser runs in a namespace: requests to the app's origin
 * are answered from the app server in the test process (Playwright routes them, no network
 * involved), and XEP-0156 host-meta points the client at `wsUrl`, which the browser reaches
 * through its own network.
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

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { parse } from "sdp-transform";
import type { ExternalService } from "../../client/src/xmpp/extdisco.ts";
import {
  createNatTopology, fetchExtdiscoServices, iceServersFrom, launchChromiumIn, namespacesUnavailableReason,
  PUBLIC_SERVER_ADDRESS, startPublicServer, turnPermissionsFrom, type HomeBrowser, type NatTopology, type PublicServer,
} from "../support/netns.ts";

// Two homes, each behind its own NAT router, call each other through ejabberd's
// STUN/TURN on a "public" network: all in network namespaces (test/support/netns.ts).
// The test harness is the signaling channel; candidates travel inside the SDP
// (gathering completes before the description is handed over).

const unavailable = namespacesUnavailableReason();
if (unavailable) console.log(`skipping the NAT namespace tests: ${unavailable}`);

type PeerGlobal = typeof globalThis & { __pc: RTCPeerConnection; __peerConnections?: RTCPeerConnection[] };

interface CandidateInfo {
  candidateType: string;
  address: string;
  port: number;
}

interface PeerStats {
  local?: CandidateInfo;
  remote?: CandidateInfo;
  framesDecoded: number;
}

/** A peer connection in the page, sending the fake camera. */
async function startPeer(page: Page, iceServers: RTCIceServer[]): Promise<void> {
  await page.evaluate(async (servers) => {
    const g = globalThis as PeerGlobal;
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
    const pc = new RTCPeerConnection({ iceServers: servers });
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    g.__pc = pc;
    (g.__peerConnections ??= []).push(pc);
  }, iceServers);
}

/** Applies the remote description if any, then returns the local one with every candidate gathered. */
async function localDescription(page: Page, remote?: RTCSessionDescriptionInit): Promise<RTCSessionDescriptionInit> {
  return page.evaluate(async (remote) => {
    const pc = (globalThis as PeerGlobal).__pc;
    if (remote) await pc.setRemoteDescription(remote);
    await pc.setLocalDescription();
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === "complete") return resolve();
      const timer = setTimeout(resolve, 10_000);
      pc.addEventListener("icegatheringstatechange", () => {
        if (pc.iceGatheringState !== "complete") return;
        clearTimeout(timer);
        resolve();
      });
    });
    return pc.localDescription!.toJSON();
  }, remote);
}

async function call(pages: readonly [Page, Page], iceServers: readonly [RTCIceServer[], RTCIceServer[]]) {
  await Promise.all(pages.map((page, i) => startPeer(page, iceServers[i]!)));
  const offer = await localDescription(pages[0]);
  const answer = await localDescription(pages[1], offer);
  await pages[0].evaluate((answer) => (globalThis as PeerGlobal).__pc.setRemoteDescription(answer), answer);
  return { offer, answer };
}

const connectionState = (page: Page) => page.evaluate(() => (globalThis as PeerGlobal).__pc.connectionState);

async function peerStats(page: Page): Promise<PeerStats> {
  return page.evaluate(async () => {
    const report = await (globalThis as PeerGlobal).__pc.getStats();
    const candidate = (id: string): CandidateInfo => {
      const c = report.get(id) as { candidateType: string; address: string; port: number };
      return { candidateType: c.candidateType, address: c.address, port: c.port };
    };
    const stats: PeerStats = { framesDecoded: 0 };
    report.forEach((r: { type: string; selectedCandidatePairId?: string; kind?: string; framesDecoded?: number }) => {
      if (r.type === "transport" && r.selectedCandidatePairId) {
        const pair = report.get(r.selectedCandidatePairId) as { localCandidateId: string; remoteCandidateId: string };
        stats.local = candidate(pair.localCandidateId);
        stats.remote = candidate(pair.remoteCandidateId);
      }
      if (r.type === "inbound-rtp" && r.kind === "video") stats.framesDecoded += r.framesDecoded ?? 0;
    });
    return stats;
  });
}

/** Polls both sides until `done` holds or the time is up; returns the last states seen. */
async function waitForStates(pages: readonly Page[], done: (states: RTCPeerConnectionState[]) => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let states = await Promise.all(pages.map(connectionState));
  while (!done(states) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    states = await Promise.all(pages.map(connectionState));
  }
  return states;
}

const candidatesOf = (description: RTCSessionDescriptionInit) => parse(description.sdp ?? "").media.flatMap((m) => m.candidates ?? []);

describe.skipIf(unavailable !== undefined)("calls between two homes behind NAT routers (network namespaces)", () => {
  let topology: NatTopology | undefined;
  let server: PublicServer | undefined;
  let services: ExternalService[][] = [];
  let browsers: HomeBrowser[] = [];
  let pages: [Page, Page];

  beforeAll(async () => {
    topology = createNatTopology();
    server = await startPublicServer(topology);
    const publicServer = server;
    const accounts = [await publicServer.createAccount(), await publicServer.createAccount()];
    services = await Promise.all(topology.homes.map((home, i) => fetchExtdiscoServices(home, publicServer, accounts[i]!)));
    const launched = await Promise.allSettled(topology.homes.map((home) => launchChromiumIn(home)));
    browsers = launched.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    for (const r of launched) if (r.status === "rejected") throw r.reason;
    pages = [browsers[0]!.page, browsers[1]!.page];
  });

  afterEach(async () => {
    await Promise.all(browsers.map((b) => b.page.evaluate(() => {
      const g = globalThis as PeerGlobal;
      for (const pc of g.__peerConnections ?? []) {
        for (const sender of pc.getSenders()) sender.track?.stop();
        pc.close();
      }
      g.__peerConnections = [];
    })));
  });

  afterAll(async () => {
    try {
      await Promise.all(browsers.map((b) => b.close()));
      await server?.stop();
    } finally {
      topology?.destroy();
    }
  });

  const stunOnly = () => [iceServersFrom(services[0]!, ["stun"]), iceServersFrom(services[1]!, ["stun"])] as const;
  const stunAndTurn = () => [iceServersFrom(services[0]!, ["stun", "turn"]), iceServersFrom(services[1]!, ["stun", "turn"])] as const;

  it("hands each home STUN and TURN services with TURN REST API credentials over XEP-0215", () => {
    for (const list of services) {
      const turn = list.filter((s) => s.type === "turn");
      expect(list.some((s) => s.type === "stun" && s.host === PUBLIC_SERVER_ADDRESS)).toBe(true);
      expect(turn.map((s) => s.transport).sort()).toEqual(["tcp", "udp"]);
      for (const s of turn) {
        expect(s.host).toBe(PUBLIC_SERVER_ADDRESS);
        expect(s.username).toMatch(/^\d+:/);
        expect(s.password).toBeTruthy();
      }
    }
  });

  it("the production TURN relays from a home to a public peer but refuses loopback, private, link-local and multicast peers", () => {
    const turn = services[0]!.find((s) => s.type === "turn" && s.transport === "udp")!;
    const peers = [topology!.homes[1].publicAddress, "127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "224.0.0.251", topology!.homes[1].lanAddress];
    const { relayed, results } = turnPermissionsFrom(topology!.homes[0], { host: turn.host, port: Number(turn.port), username: turn.username!, password: turn.password! }, peers);
    expect(relayed).toBe(PUBLIC_SERVER_ADDRESS);
    expect(results).toEqual({
      [topology!.homes[1].publicAddress]: "ok",
      "127.0.0.1": "403", "10.0.0.1": "403", "172.16.5.4": "403", "192.168.1.1": "403", "169.254.169.254": "403", "100.64.0.1": "403", "224.0.0.251": "403",
      // 192.0.2.0/24 is documentation space, not private: the production list lets it through.
      [topology!.homes[1].lanAddress]: "ok",
    });
  });

  it("STUN from a home returns its NAT's public address as a server-reflexive candidate", async () => {
    const { offer, answer } = await call(pages, stunOnly());
    for (const [description, home] of [[offer, topology!.homes[0]], [answer, topology!.homes[1]]] as const) {
      const candidates = candidatesOf(description).filter((c) => c.transport.toLowerCase() === "udp");
      expect(candidates.filter((c) => c.type === "host").map((c) => c.ip)).toEqual([home.lanAddress]);
      const srflx = candidates.filter((c) => c.type === "srflx");
      expect(srflx.length).toBeGreaterThan(0);
      for (const c of srflx) {
        expect(c.ip).toBe(home.publicAddress);
        expect(c.raddr).toBe(home.lanAddress);
      }
    }
  });

  it("with symmetric NAT on both sides a call with STUN and TURN connects through the relay and video flows both ways", async () => {
    topology!.setNatMode("symmetric");
    await call(pages, stunAndTurn());
    const states = await waitForStates(pages, (s) => s.every((x) => x === "connected") || s.includes("failed"), 20_000);
    expect(states).toEqual(["connected", "connected"]);
    for (const page of pages) {
      const { local, remote } = await peerStats(page);
      const relay = [local, remote].find((c) => c?.candidateType === "relay");
      expect(relay?.address).toBe(PUBLIC_SERVER_ADDRESS);
    }
    await expect.poll(async () => Math.min(...(await Promise.all(pages.map(peerStats))).map((s) => s.framesDecoded)), { timeout: 10_000 }).toBeGreaterThan(0);
    const before = await Promise.all(pages.map(peerStats));
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const after = await Promise.all(pages.map(peerStats));
    after.forEach((s, i) => expect(s.framesDecoded).toBeGreaterThan(before[i]!.framesDecoded + 10));
  });

  it("with symmetric NAT on both sides a call with STUN only does not connect", async () => {
    // Each destination gets another NAT port, so the port STUN saw is no use to the peer.
    topology!.setNatMode("symmetric");
    const { offer, answer } = await call(pages, stunOnly());
    // STUN itself worked: the failure is the NATs', not a lack of candidates.
    for (const description of [offer, answer]) expect(candidatesOf(description).some((c) => c.type === "srflx")).toBe(true);
    const states = await waitForStates(pages, (s) => s.some((x) => x === "connected") || s.every((x) => x === "failed"), 15_000);
    expect(states).not.toContain("connected");
  });

  it("with port-preserving NAT on both sides a call with STUN only connects directly between the NATs' public addresses", async () => {
    topology!.setNatMode("port-preserving");
    await call(pages, stunOnly());
    const states = await waitForStates(pages, (s) => s.every((x) => x === "connected") || s.includes("failed"), 20_000);
    expect(states).toEqual(["connected", "connected"]);
    const publicAddresses = topology!.homes.map((h) => h.publicAddress);
    for (const page of pages) {
      const { local, remote } = await peerStats(page);
      expect(["srflx", "prflx"]).toContain(remote?.candidateType);
      expect(publicAddresses).toContain(remote?.address);
      expect(local?.candidateType).not.toBe("relay");
    }
    await expect.poll(async () => Math.min(...(await Promise.all(pages.map(peerStats))).map((s) => s.framesDecoded)), { timeout: 10_000 }).toBeGreaterThan(0);
  });
});

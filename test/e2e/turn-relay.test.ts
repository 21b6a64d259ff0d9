import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { toIceServers } from "../../client/src/xmpp/extdisco.ts";
import { extdiscoServices } from "../support/turn.ts";
import { CoturnInstance } from "../../scripts/lib/coturn.ts";
import { ensureLocalCertificates } from "../../scripts/lib/certs.ts";
import { freeTcpPort, freeTcpUdpPort, freeUdpRange } from "../../scripts/lib/ports.ts";
import { randomSecret } from "../../scripts/lib/secrets.ts";
import { launchChromium, type LaunchedBrowser } from "../support/chromium.ts";
import { startTestServer, type TestServer } from "../support/ejabberd.ts";
import { connectTestClient } from "../support/xmpp.ts";

interface RelayCallResult {
  iceState: [string, string];
  localCandidateTypes: [string, string];
  remoteCandidateTypes: [string, string];
  framesDecoded: [number, number];
  framesDecodedLater: [number, number];
}

/** ICE servers exactly as the web client builds them from XEP-0215, TURN only. */
async function turnServersFromXmpp(server: TestServer): Promise<RTCIceServer[]> {
  const account = await server.createAccount();
  const xmpp = await connectTestClient(server, account);
  try {
    const services = await extdiscoServices(xmpp, server.domain);
    return toIceServers(services).filter((s) => String(s.urls).startsWith("turn:"));
  } finally {
    await xmpp.stop();
  }
}

/**
 * Two peer connections in one page with iceTransportPolicy "relay": no host or srflx
 * path exists, so media can only flow through the TURN server. Video is a canvas
 * animation (no camera needed); the test reads decoded frames on both sides.
 */
async function relayOnlyCall(page: Page, iceServers: RTCIceServer[]): Promise<RelayCallResult> {
  return page.evaluate(async (servers) => {
    const config: RTCConfiguration = { iceServers: servers, iceTransportPolicy: "relay" };
    const a = new RTCPeerConnection(config);
    const b = new RTCPeerConnection(config);
    const registry = globalThis as unknown as { __peerConnections?: RTCPeerConnection[] };
    registry.__peerConnections = [...(registry.__peerConnections ?? []), a, b];
    const stream = (): MediaStream => {
      const canvas = document.createElement("canvas");
      canvas.width = 320;
      canvas.height = 240;
      const ctx = canvas.getContext("2d")!;
      let frame = 0;
      setInterval(() => {
        ctx.fillStyle = `hsl(${(frame++ * 7) % 360} 80% 50%)`;
        ctx.fillRect(0, 0, 320, 240);
      }, 33);
      return canvas.captureStream(30);
    };
    for (const [pc, media] of [[a, stream()], [b, stream()]] as const) for (const track of media.getTracks()) pc.addTrack(track, media);
    a.onicecandidate = (e) => e.candidate && void b.addIceCandidate(e.candidate);
    b.onicecandidate = (e) => e.candidate && void a.addIceCandidate(e.candidate);
    await a.setLocalDescription();
    await b.setRemoteDescription(a.localDescription!);
    await b.setLocalDescription();
    await a.setRemoteDescription(b.localDescription!);
    const connected = (pc: RTCPeerConnection): Promise<void> => new Promise((resolve, reject) => {
      const check = (): void => {
        if (pc.iceConnectionState === "connected" || pc.iceConnectionState === "completed") resolve();
        if (pc.iceConnectionState === "failed") reject(new Error("ICE failed"));
      };
      pc.addEventListener("iceconnectionstatechange", check);
      check();
      setTimeout(() => reject(new Error(`ICE still ${pc.iceConnectionState} after 20 s`)), 20_000);
    });
    await Promise.all([connected(a), connected(b)]);
    const report = async (pc: RTCPeerConnection): Promise<{ local: string; remote: string; frames: number }> => {
      const stats = await pc.getStats();
      let pairId = "";
      let frames = 0;
      stats.forEach((s) => {
        if (s.type === "transport" && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
        if (s.type === "inbound-rtp" && s.kind === "video") frames = s.framesDecoded ?? 0;
      });
      const pair = stats.get(pairId);
      return { local: stats.get(pair?.localCandidateId)?.candidateType ?? "none", remote: stats.get(pair?.remoteCandidateId)?.candidateType ?? "none", frames };
    };
    await new Promise((r) => setTimeout(r, 1500));
    const [ra, rb] = await Promise.all([report(a), report(b)]);
    await new Promise((r) => setTimeout(r, 1500));
    const [la, lb] = await Promise.all([report(a), report(b)]);
    const result = {
      iceState: [a.iceConnectionState, b.iceConnectionState] as [string, string],
      localCandidateTypes: [ra.local, rb.local] as [string, string],
      remoteCandidateTypes: [ra.remote, rb.remote] as [string, string],
      framesDecoded: [ra.frames, rb.frames] as [number, number],
      framesDecodedLater: [la.frames, lb.frames] as [number, number],
    };
    a.close();
    b.close();
    return result;
  }, iceServers);
}

function expectRelayedMedia(result: RelayCallResult): void {
  expect(result.iceState.every((s) => s === "connected" || s === "completed")).toBe(true);
  expect(result.localCandidateTypes).toEqual(["relay", "relay"]);
  expect(result.remoteCandidateTypes).toEqual(["relay", "relay"]);
  for (const side of [0, 1] as const) {
    expect(result.framesDecoded[side]).toBeGreaterThan(0);
    expect(result.framesDecodedLater[side]).toBeGreaterThan(result.framesDecoded[side]);
  }
}

describe("a relay-only browser call", () => {
  let browser: LaunchedBrowser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => browser?.close());

  it("connects through ejabberd's TURN and media flows both ways", async () => {
    const server = await startTestServer();
    try {
      const iceServers = await turnServersFromXmpp(server);
      expect(iceServers.length).toBeGreaterThan(0);
      const page = await browser.context.newPage();
      expectRelayedMedia(await relayOnlyCall(page, iceServers));
      await page.close();
    } finally {
      await server.stop();
    }
  });

  it("connects through coturn, with the credentials ejabberd hands out, and media flows both ways", async () => {
    const dir = mkdtempSync(join(tmpdir(), "calls-coturn-e2e-"));
    const secret = randomSecret();
    const [minPort, maxPort] = await freeUdpRange(40);
    const port = await freeTcpUdpPort();
    const tlsPort = await freeTcpPort();
    const server = await startTestServer({ turnSecret: secret, externalTurn: { host: "127.0.0.1", port, tlsPort } });
    const certs = ensureLocalCertificates(join(server.dataDir, "certs"), server.domain);
    const coturn = await CoturnInstance.start({
      dir, listenIp: "127.0.0.1", port, tlsPort, minPort, maxPort, secrets: [secret], realm: server.domain,
      certFile: certs.certFile, keyFile: certs.keyFile, allowLoopbackPeers: true,
    });
    try {
      const iceServers = await turnServersFromXmpp(server);
      expect(iceServers.flatMap((s) => [s.urls].flat())).toContain(`turn:127.0.0.1:${port}?transport=udp`);
      const page = await browser.context.newPage();
      expectRelayedMedia(await relayOnlyCall(page, iceServers));
      await page.close();
    } finally {
      await coturn.stop();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

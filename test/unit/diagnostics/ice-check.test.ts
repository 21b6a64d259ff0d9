import { describe, expect, it } from "vitest";
import { checkIceServers, parseCandidateLine, serversByUrl, type GatheringPeer, type GatheringPeerFactory } from "../../../client/src/diagnostics/ice-check.ts";

type Script = Array<{ candidate: string } | { error: [number, string] } | "end">;

/** A peer that replays a script of candidates and errors once the offer is set. */
function fakeFactory(scripts: Record<string, Script>, seen: Array<{ url: string; policy: string }> = []): GatheringPeerFactory {
  return (config) => {
    const url = String(config.iceServers[0]!.urls);
    seen.push({ url, policy: config.iceTransportPolicy });
    let closed = false;
    const peer: GatheringPeer = {
      onicecandidate: null,
      onicecandidateerror: null,
      createDataChannel: () => ({}),
      createOffer: async () => ({ type: "offer", sdp: "v=0" }),
      async setLocalDescription() {
        queueMicrotask(() => {
          for (const step of scripts[url] ?? []) {
            if (closed) return;
            if (step === "end") peer.onicecandidate?.({ candidate: null });
            else if ("error" in step) peer.onicecandidateerror?.({ errorCode: step.error[0], errorText: step.error[1], url });
            else peer.onicecandidate?.({ candidate: step });
          }
        });
      },
      close: () => { closed = true; },
    };
    return peer;
  };
}

const HOST = { candidate: "candidate:1 1 udp 2122260223 192.168.1.20 54321 typ host generation 0" };
const SRFLX = { candidate: "candidate:2 1 udp 1686052607 203.0.113.7 40000 typ srflx raddr 192.168.1.20 rport 54321" };
const RELAY = { candidate: "candidate:3 1 udp 41885439 198.51.100.2 49170 typ relay raddr 203.0.113.7 rport 40000" };

describe("the in-browser connectivity check", () => {
  it("parses the candidate lines Chromium emits, with or without the a= prefix", () => {
    expect(parseCandidateLine(SRFLX.candidate)).toEqual({ protocol: "udp", address: "203.0.113.7", port: 40000, type: "srflx" });
    expect(parseCandidateLine("a=" + RELAY.candidate)?.type).toBe("relay");
    expect(parseCandidateLine("candidate:garbage")).toBeUndefined();
  });

  it("judges each URL of a multi-URL server on its own", () => {
    expect(serversByUrl([{ urls: ["turn:a:3478?transport=udp", "turn:a:3478?transport=tcp"], username: "u", credential: "p" }]))
      .toEqual([
        { url: "turn:a:3478?transport=udp", server: { urls: "turn:a:3478?transport=udp", username: "u", credential: "p" } },
        { url: "turn:a:3478?transport=tcp", server: { urls: "turn:a:3478?transport=tcp", username: "u", credential: "p" } },
      ]);
  });

  it("checks a URL once even when the server lists it twice (STUN over UDP and TCP share one)", () => {
    expect(serversByUrl([{ urls: "stun:s:3478" }, { urls: "stun:s:3478" }]).map((e) => e.url)).toEqual(["stun:s:3478"]);
  });

  it("passes STUN with the public address and TURN with the relay, gathering TURN relay-only", async () => {
    const seen: Array<{ url: string; policy: string }> = [];
    const results = await checkIceServers(
      [{ urls: "stun:s:3478" }, { urls: "turn:t:3478?transport=udp", username: "u", credential: "p" }],
      fakeFactory({ "stun:s:3478": [HOST, SRFLX, "end"], "turn:t:3478?transport=udp": [RELAY, "end"] }, seen),
    );
    expect(results.map((r) => [r.kind, r.verdict, r.detail])).toEqual([
      ["stun", "pass", "public address 203.0.113.7"],
      ["turn", "pass", "relay 198.51.100.2:49170"],
    ]);
    expect(seen.map((s) => s.policy)).toEqual(["all", "relay"]);
  });

  it("fails TURN with the server's error and a hint: refused credentials", async () => {
    const [result] = await checkIceServers([{ urls: "turn:t:3478", username: "u", credential: "bad" }],
      fakeFactory({ "turn:t:3478": [{ error: [401, "Unauthorized"] }, "end"] }));
    expect(result).toMatchObject({ verdict: "fail", detail: "401 Unauthorized" });
    expect(result!.hint).toContain("share one secret");
  });

  it("fails TURN that never answers, within the time limit", async () => {
    const [result] = await checkIceServers([{ urls: "turn:t:3478", username: "u", credential: "p" }], fakeFactory({ "turn:t:3478": [] }), 50);
    expect(result).toMatchObject({ verdict: "fail", detail: "no relay candidate" });
  });

  it("warns when STUN yields no public address (no NAT, or blocked)", async () => {
    const [result] = await checkIceServers([{ urls: "stun:s:3478" }], fakeFactory({ "stun:s:3478": [HOST, "end"] }));
    expect(result).toMatchObject({ verdict: "warn", detail: "no public address learned" });
  });

  it("reports an unreachable server with Chromium's 7xx code as not answering", async () => {
    const [result] = await checkIceServers([{ urls: "stun:s:3478" }], fakeFactory({ "stun:s:3478": [HOST, { error: [701, "STUN host lookup received error."] }, "end"] }));
    expect(result).toMatchObject({ verdict: "fail" });
    expect(result!.hint).toContain("did not answer");
  });
});

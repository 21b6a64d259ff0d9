// The shipped coturn configuration (server-config/coturn/turnserver.conf), run as shipped by
// Debian's coturn in network namespaces: a public peer is relayed, every private form is
// refused, and no TCP relay (RFC 6062) is offered.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { namespacesUnavailableReason } from "../support/netns.ts";
import {
  createTurnWorld, PUBLIC_PEER, PUBLIC_PEER6, runProbe, TURN_ADDRESS, TURN_ADDRESS6, TURN_CLIENT_MODULE, type TurnWorld,
} from "../support/netns-turn.ts";

const unavailable = namespacesUnavailableReason();
if (unavailable) console.log(`skipping the coturn namespace test: ${unavailable}`);

interface ProbeInput {
  server: string;
  username: string;
  password: string;
  family: 4 | 6;
  peers: string[];
  publicPeer: string;
}

interface ProbeOutput {
  relayed: string;
  /** Per peer address: "ok" or the STUN error code of CreatePermission. */
  permissions: Record<string, string>;
  /** What the public peer received through the relay, and from where. */
  delivered?: { data: string; from: string };
}

// Allocates a relay of the given family, asks for a permission to each peer, then sends a
// datagram to the public peer through the relay (Send indication) and reports what arrived.
const RELAY_PROBE = `
import { createSocket } from "node:dgram";
import { allocate } from ${TURN_CLIENT_MODULE};
const input = JSON.parse(process.argv[2]);
const allocation = await allocate({ host: input.server, port: 3478, transport: "udp", username: input.username, password: input.password }, { family: input.family });
const permissions = {};
for (const address of input.peers) {
  permissions[address] = await allocation.createPermission({ address, port: 9 }).then(() => "ok", (e) => String(e.code ?? e.message));
}
const peer = createSocket(input.family === 6 ? "udp6" : "udp4");
await new Promise((resolve) => peer.bind(0, input.publicPeer, resolve));
const arrived = new Promise((resolve) => {
  peer.on("message", (msg, rinfo) => resolve({ data: msg.toString(), from: rinfo.address + ":" + rinfo.port }));
  setTimeout(() => resolve(undefined), 3000);
});
const port = peer.address().port;
const publicPermission = await allocation.createPermission({ address: input.publicPeer, port }).then(() => "ok", (e) => String(e.code ?? e.message));
permissions[input.publicPeer] = publicPermission;
if (publicPermission === "ok") allocation.send({ address: input.publicPeer, port }, Buffer.from("relayed-hello"));
const delivered = publicPermission === "ok" ? await arrived : undefined;
peer.close();
await allocation.close();
process.stdout.write(JSON.stringify({ relayed: allocation.relayed.address + ":" + allocation.relayed.port, permissions, delivered }));
`;

// RFC 6062: a TCP allocation over a TCP control connection, which CONNECT would then use.
const TCP_RELAY_PROBE = `
import { allocate } from ${TURN_CLIENT_MODULE};
const input = JSON.parse(process.argv[2]);
const result = await allocate({ host: input.server, port: 3478, transport: "tcp", username: input.username, password: input.password }, { relayTransport: "tcp" })
  .then(async (allocation) => { await allocation.close(); return "allocated"; }, (e) => String(e.code ?? e.message));
process.stdout.write(JSON.stringify({ result }));
`;

// TLS handshakes against turns: on 5349, one per cipher list: "ok" or the error code.
const TLS_PROBE = `
import { connect } from "node:tls";
const { server, cipherLists } = JSON.parse(process.argv[2]);
const results = [];
for (const ciphers of cipherLists) {
  results.push(await new Promise((resolve) => {
    const socket = connect({ host: server, port: 5349, ciphers, minVersion: "TLSv1.2", maxVersion: "TLSv1.2", rejectUnauthorized: false }, () => { socket.destroy(); resolve("ok"); });
    socket.on("error", (e) => resolve(e.code ?? e.message));
  }));
}
process.stdout.write(JSON.stringify(results));
`;

const PRIVATE_IPV4 = [
  "127.0.0.1", "127.1.2.3", "0.0.0.0", "0.1.2.3", "10.0.0.1", "172.16.0.1", "172.31.255.254", "192.168.1.1",
  "100.64.0.1", "169.254.169.254", "192.0.0.8", "198.18.0.1", "224.0.0.251", "239.255.255.250", "240.0.0.1", "255.255.255.255",
  TURN_ADDRESS,
];
const PRIVATE_IPV6 = [
  "::1", "::", "fe80::1", "fd00::1", "fc00::1", "ff02::1", "ff05::2",
  "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:192.168.1.1", "::ffff:169.254.169.254", "::ffff:0.0.0.0",
  "64:ff9b::a00:1", "64:ff9b::7f00:1",
];

let world: TurnWorld;

describe.skipIf(unavailable !== undefined)("the shipped coturn configuration, live (network namespaces)", () => {
  beforeAll(async () => {
    world = await createTurnWorld();
  });
  afterAll(() => world?.destroy());

  const probe = (family: 4 | 6, peers: string[], publicPeer: string): Promise<ProbeOutput> =>
    runProbe<ProbeOutput>(world.clientNs, RELAY_PROBE, { server: TURN_ADDRESS, ...world.credentials(), family, peers, publicPeer } satisfies ProbeInput);

  it("relays to a public IPv4 peer and refuses every private, loopback, link-local, CGNAT, multicast form and itself", async () => {
    const result = await probe(4, PRIVATE_IPV4, PUBLIC_PEER);
    expect(result.permissions[PUBLIC_PEER], world.log().slice(-1500)).toBe("ok");
    expect(result.delivered).toEqual({ data: "relayed-hello", from: result.relayed });
    expect(result.relayed.startsWith(`${TURN_ADDRESS}:`)).toBe(true);
    for (const address of PRIVATE_IPV4) expect(result.permissions[address], address).toBe("403");
  });

  it("relays to a public IPv6 peer and refuses loopback, unspecified, link-local, ULA, multicast, IPv4-mapped and NAT64 forms", async () => {
    const result = await probe(6, PRIVATE_IPV6, PUBLIC_PEER6);
    expect(result.permissions[PUBLIC_PEER6], world.log().slice(-1500)).toBe("ok");
    expect(result.delivered?.data).toBe("relayed-hello");
    expect(result.relayed.startsWith(`${TURN_ADDRESS6}:`)).toBe(true);
    for (const address of PRIVATE_IPV6) expect(result.permissions[address], address).toBe("403");
  });

  it("serves turns: with ECDHE AEAD suites only, refusing CBC with SHA-1", async () => {
    const results = await runProbe<string[]>(world.clientNs, TLS_PROBE, {
      server: TURN_ADDRESS, cipherLists: ["ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA:AES128-SHA:AES256-SHA"],
    });
    expect(results[0]).toBe("ok");
    expect(results[1]).not.toBe("ok");
  });

  it("refuses a TCP relay allocation (RFC 6062), so CONNECT can reach nothing", async () => {
    const { result } = await runProbe<{ result: string }>(world.clientNs, TCP_RELAY_PROBE, { server: TURN_ADDRESS, ...world.credentials() });
    expect(result).toBe("442");
  });
});

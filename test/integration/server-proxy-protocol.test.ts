// Behind the cluster's TCP balancer (docker-compose.cluster.yml, HAProxy send-proxy-v2) the
// client listeners take the PROXY protocol, so ejabberd sees each client's own address
// (issue 15, item 8: it saw only the balancer's). Without a balancer they take none, so no
// client can claim another address.
import { readFileSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { afterAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/ejabberd.ts";

const CLIENT = "198.51.100.7";

/** PROXY protocol v2 header (binary form, as HAProxy's send-proxy-v2) for a TCP over IPv4 client. */
function proxyV2(source: string, sourcePort: number, destinationPort: number): Buffer {
  const signature = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
  const addresses = Buffer.alloc(12);
  source.split(".").forEach((octet, i) => addresses.writeUInt8(Number(octet), i));
  [127, 0, 0, 1].forEach((octet, i) => addresses.writeUInt8(octet, 4 + i));
  addresses.writeUInt16BE(sourcePort, 8);
  addresses.writeUInt16BE(destinationPort, 10);
  // Version 2, PROXY command; AF_INET, STREAM; 12 bytes of addresses.
  return Buffer.concat([signature, Buffer.from([0x21, 0x11, 0x00, 0x0c]), addresses]);
}

/** Opens an XMPP stream on the c2s port (optionally after a PROXY header) and returns what came back. */
function openStream(server: TestServer, header?: Buffer): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    const socket = tcpConnect(server.ports.c2s, "127.0.0.1", () => {
      if (header) socket.write(header);
      socket.write(`<?xml version='1.0'?><stream:stream to='${server.domain}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`);
    });
    const done = (): void => { socket.destroy(); resolve(text); };
    const timer = setTimeout(done, 5000);
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes("</stream:features>")) { clearTimeout(timer); done(); }
    });
    socket.on("close", () => { clearTimeout(timer); resolve(text); });
    socket.on("error", () => undefined);
  });
}

const servers: TestServer[] = [];
afterAll(async () => {
  for (const server of servers) await server.stop();
});

describe("the PROXY protocol on the client listeners", () => {
  it("behind a balancer: ejabberd takes the client's address from the header, and refuses connections without one", async () => {
    // The address ejabberd took is read from its log, where it is hidden by default.
    const server = await startTestServer({ proxyProtocol: true, hideSensitiveLogData: false });
    servers.push(server);
    expect(await openStream(server, proxyV2(CLIENT, 40_000, server.ports.c2s))).toContain("<starttls");
    await expect.poll(() => readFileSync(server.instance.logFile, "utf8"), { timeout: 5000 }).toContain(`${CLIENT}:40000`);
    expect(await openStream(server)).not.toContain("<stream:features");
    // The HTTPS/WebSocket listener too: header, then the TLS handshake.
    const protocol = await new Promise<string>((resolve, reject) => {
      const raw = tcpConnect(server.ports.https, "127.0.0.1", () => {
        raw.write(proxyV2(CLIENT, 40_001, server.ports.https));
        const tls = tlsConnect({ socket: raw, servername: server.domain, ca: [server.caPem] }, () => { resolve(tls.getProtocol() ?? ""); tls.destroy(); });
        tls.on("error", reject);
      });
    });
    expect(protocol).toMatch(/^TLSv1\.[23]$/);
  });

  it("without a balancer: a client's PROXY header is not believed", async () => {
    const server = await startTestServer({ hideSensitiveLogData: false });
    servers.push(server);
    expect(await openStream(server, proxyV2(CLIENT, 40_002, server.ports.c2s))).not.toContain("<stream:features");
    expect(await openStream(server)).toContain("<starttls");
    expect(readFileSync(server.instance.logFile, "utf8")).not.toContain(CLIENT);
  });
});

// Every TLS listener of ejabberd (STARTTLS on c2s, direct TLS, HTTPS/WSS, TURN over TLS)
// refuses TLS < 1.2, and every one that takes a cipher option refuses CBC-SHA1 suites
// (issue 15, item 8: no_tlsv1 was on 5222 only, CBC-SHA1 offered everywhere).
import { connect as tcpConnect, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/ejabberd.ts";

const CBC_SHA1 = "ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA:ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:AES128-SHA:AES256-SHA";

/** Resolves once the XMPP server says <proceed/> to STARTTLS (RFC 6120 §5.4.2) on a plain socket. */
function startTls(port: number, domain: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, "127.0.0.1", () => {
      socket.write(`<?xml version='1.0'?><stream:stream to='${domain}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`);
    });
    let text = "";
    const onData = (chunk: Buffer): void => {
      text += chunk.toString();
      if (text.includes("</stream:features>") && !text.includes("<starttls-sent/>")) {
        text += "<starttls-sent/>";
        socket.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
      } else if (text.includes("<proceed")) {
        socket.off("data", onData);
        resolve(socket);
      }
    };
    socket.on("data", onData);
    socket.on("error", reject);
  });
}

/** "ok" with the negotiated protocol, or the handshake's error code. */
async function handshake(server: TestServer, listener: string, options: ConnectionOptions): Promise<string> {
  const base: ConnectionOptions = { host: "127.0.0.1", servername: server.domain, ca: [server.caPem], ...options };
  const socket = listener === "c2s" ? await startTls(server.ports.c2s, server.domain) : undefined;
  const port = { c2sTls: server.ports.c2sTls, https: server.ports.https, turns: server.ports.turns }[listener];
  return new Promise((resolve) => {
    const tls = tlsConnect(socket ? { ...base, socket } : { ...base, port }, () => {
      const protocol = tls.getProtocol();
      tls.destroy();
      resolve(`ok ${protocol}`);
    });
    tls.on("error", (error: NodeJS.ErrnoException) => {
      socket?.destroy();
      resolve(error.code ?? error.message);
    });
  });
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

describe.each(["c2s", "c2sTls", "https", "turns"])("the %s TLS listener", (listener) => {
  it("completes a TLS 1.2 handshake with a modern suite", async () => {
    expect(await handshake(server, listener, { minVersion: "TLSv1.2", maxVersion: "TLSv1.2" })).toBe("ok TLSv1.2");
  });

  it("refuses TLS 1.0 and 1.1", async () => {
    // SECLEVEL=0 lets this client offer them at all (Debian's OpenSSL would not).
    const result = await handshake(server, listener, { minVersion: "TLSv1", maxVersion: "TLSv1.1", ciphers: "DEFAULT@SECLEVEL=0" });
    expect(result).not.toMatch(/^ok/);
  });

});

describe.each(["c2s", "c2sTls", "https"])("the %s TLS listener", (listener) => {
  it("refuses CBC suites with SHA-1 MACs", async () => {
    expect(await handshake(server, listener, { minVersion: "TLSv1.2", maxVersion: "TLSv1.2", ciphers: CBC_SHA1 })).not.toMatch(/^ok/);
  });
});

// ejabberd_stun 23.01 accepts no `ciphers` option (the listener refuses to start with one), so
// its TURN over TLS keeps fast_tls's defaults. Pinned here so an upgrade that fixes it is noticed;
// the README says to serve turns: from coturn (cipher-list) where that matters.
it("ejabberd's TURN over TLS still negotiates a CBC-SHA1 suite (known 23.01 limitation)", async () => {
  expect(await handshake(server, "turns", { minVersion: "TLSv1.2", maxVersion: "TLSv1.2", ciphers: CBC_SHA1 })).toBe("ok TLSv1.2");
});

// What the server offers before sign-in (RFC 6120 §4.3): only the SASL mechanisms clients use,
// and no in-band registration (XEP-0077) unless it is on (issue 15, item 8).
import WebSocket from "ws";
import { afterAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/ejabberd.ts";

/** The stream features of a fresh RFC 7395 WebSocket session on the loopback listener. */
function preAuthFeatures(server: TestServer): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(server.wsLoopbackUrl, "xmpp");
    const timer = setTimeout(() => { ws.terminate(); reject(new Error("no stream features within 10 s")); }, 10_000);
    ws.on("open", () => ws.send(`<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="${server.domain}" version="1.0"/>`));
    ws.on("message", (data) => {
      const text = String(data);
      if (!text.includes("features")) return;
      clearTimeout(timer);
      ws.close();
      resolve(text);
    });
    ws.on("error", reject);
  });
}

const servers: TestServer[] = [];
afterAll(async () => {
  for (const server of servers) await server.stop();
});

describe("stream features before sign-in", () => {
  it("offer SCRAM and PLAIN, never X-OAUTH2, and no registration while it is off", async () => {
    const server = await startTestServer({ registration: false });
    servers.push(server);
    const features = await preAuthFeatures(server);
    expect(features).toContain("<mechanism>SCRAM-SHA-1</mechanism>");
    expect(features).toContain("<mechanism>PLAIN</mechanism>");
    expect(features).not.toContain("X-OAUTH2");
    expect(features).not.toContain("http://jabber.org/features/iq-register");
  });

  it("advertise registration when it is on", async () => {
    const server = await startTestServer({ registration: true });
    servers.push(server);
    expect(await preAuthFeatures(server)).toContain("http://jabber.org/features/iq-register");
  });
});

import { describe, expect, it } from "vitest";
import { CoturnInstance, type CoturnOptions } from "../../../scripts/lib/coturn.ts";

const options: CoturnOptions = {
  dir: "/tmp/x", listenIp: "127.0.0.1", port: 3479, tlsPort: 5350, minPort: 49400, maxPort: 49599,
  secrets: ["s"], realm: "localhost", certFile: "c", keyFile: "k", allowLoopbackPeers: true,
};

describe("the local coturn configuration (npm run coturn)", () => {
  const conf = CoturnInstance.render(options);

  it("relays to loopback, its only network, and refuses private, link-local and multicast peers", () => {
    expect(conf).toMatch(/^allow-loopback-peers$/m);
    for (const range of ["10.0.0.0-10.255.255.255", "169.254.0.0-169.254.255.255", "224.0.0.0-239.255.255.255", "fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"]) {
      expect(conf).toContain(`denied-peer-ip=${range}\n`);
    }
    expect(conf).not.toMatch(/^denied-peer-ip=127\./m);
  });

  it("offers no TCP relay", () => {
    expect(conf).toMatch(/^no-tcp-relay$/m);
  });
});

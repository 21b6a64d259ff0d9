import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { productionTurnBlacklist, templateMacros, type EjabberdSettings } from "../../../scripts/lib/ejabberd-config.ts";
import { PROJECT_DIR } from "../../../scripts/lib/local-settings.ts";
import { coturnDeniedPeerLines } from "../../../scripts/lib/coturn-peers.ts";
import { cidrRange, covers, dashRange, type AddressRange } from "../../support/ip-ranges.ts";

const blacklist = productionTurnBlacklist();

// ejabberd's TURN (p1_stun turn:match_subnet) compares IPv4 addresses with IPv4-mapped
// entries (::ffff:a.b.c.d) and the other way round, so both are checked as IPv4 here.
const MAPPED = cidrRange("::ffff:0:0/96");
const asIpv4 = (range: AddressRange): AddressRange =>
  covers(MAPPED, range) ? { family: 4, first: range.first - MAPPED.first, last: range.last - MAPPED.first } : range;

function refused(address: string): boolean {
  const probe = asIpv4(cidrRange(address.includes(":") ? `${address}/128` : `${address}/32`));
  return blacklist.some((cidr) => covers(asIpv4(cidrRange(cidr)), probe));
}

describe("the production TURN blacklist", () => {
  it.each([
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.254", "192.168.1.1", "169.254.169.254",
    "100.64.0.1", "224.0.0.251", "255.255.255.255", "0.0.0.0", "::1", "fe80::1", "fd00::1", "ff02::1", "::ffff:10.0.0.1",
  ])("refuses %s", (address) => {
    expect(refused(address)).toBe(true);
  });

  it.each(["203.0.113.10", "198.51.100.7", "8.8.8.8", "2001:db8::1", "172.32.0.1", "192.169.0.1"])("lets %s through", (address) => {
    expect(refused(address)).toBe(false);
  });

  describe("in coturn's production configuration", () => {
    const conf = readFileSync(join(PROJECT_DIR, "server-config/coturn/turnserver.conf"), "utf8");
    const deniedLines = conf.split("\n").filter((line) => line.startsWith("denied-peer-ip="));
    const denied = deniedLines.map((line) => dashRange(line.slice("denied-peer-ip=".length)));

    it("is the blacklist's generated form, line for line, plus the server's own address", () => {
      expect(deniedLines.join("\n") + "\n").toBe(coturnDeniedPeerLines(blacklist) + "denied-peer-ip=203.0.113.10\n");
      for (const cidr of blacklist.filter((c) => c !== "::/128")) expect(denied.some((range) => covers(range, cidrRange(cidr))), cidr).toBe(true);
    });

    it("denies each IPv4 range in its IPv4-mapped form too", () => {
      for (const cidr of blacklist.filter((c) => !c.includes(":"))) {
        const mapped = cidrRange(`::ffff:${cidr.split("/")[0]}/${96 + Number(cidr.split("/")[1])}`);
        expect(denied.some((range) => covers(range, mapped)), cidr).toBe(true);
      }
    });

    // coturn's ioa_addr_in_range reads a range whose ends are both the unspecified
    // address as "any address": `::-::` denied every IPv4 peer (issue 15).
    it("has no range coturn would read as every address", () => {
      for (const line of deniedLines) expect(line, line).not.toMatch(/^denied-peer-ip=(::|0\.0\.0\.0)(-(::|0\.0\.0\.0))?$/);
    });

    it("relays UDP only, with quotas, never to loopback or multicast", () => {
      expect(conf).toMatch(/^no-tcp-relay$/m);
      expect(conf).toMatch(/^no-multicast-peers$/m);
      expect(conf).not.toMatch(/^allow-loopback-peers/m);
      expect(conf).toMatch(/^use-auth-secret$/m);
      expect(conf).toMatch(/^user-quota=\d+$/m);
      expect(conf).toMatch(/^total-quota=\d+$/m);
    });
  });

  it("applies to production whole; the local profile lets loopback through, its only network, and nothing else", () => {
    const settings = { profile: "production", domain: "example.org", listenIp: "::", turnIpv4Address: "203.0.113.10" } as EjabberdSettings;
    const base = { ...settings, ports: { c2s: 1, c2sTls: 2, https: 3, httpLoopback: 4, api: 9, stun: 5, turns: 6, turnMin: 7, turnMax: 8 }, turnSecret: "s", credentialsLifetime: "1h", registration: false, certFile: "c", caFile: "a", websocketUrl: "wss://example.org/ws" };
    expect(templateMacros(base).TURN_BLACKLIST).toEqual(blacklist);
    expect(templateMacros({ ...base, profile: "local", listenIp: "127.0.0.1" }).TURN_BLACKLIST).toEqual(blacklist.filter((cidr) => cidr !== "127.0.0.0/8" && cidr !== "::1/128"));
    expect(() => templateMacros({ ...base, profile: "local", listenIp: "0.0.0.0" })).toThrow(/loopback only/);
  });
});

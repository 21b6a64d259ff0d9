import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { productionTurnBlacklist, templateMacros, type EjabberdSettings } from "../../../scripts/lib/ejabberd-config.ts";
import { PROJECT_DIR } from "../../../scripts/lib/local-settings.ts";
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

  it("is what coturn's production configuration denies too", () => {
    const conf = readFileSync(join(PROJECT_DIR, "server-config/coturn/turnserver.conf"), "utf8");
    const denied = [...conf.matchAll(/^denied-peer-ip=(\S+)$/gm)].map((m) => dashRange(m[1]!));
    expect(conf).toMatch(/^no-multicast-peers$/m);
    expect(conf).not.toMatch(/^allow-loopback-peers/m);
    expect(conf).toMatch(/^use-auth-secret$/m);
    for (const cidr of blacklist) expect(denied.some((range) => covers(range, cidrRange(cidr))), cidr).toBe(true);
  });

  it("applies to production only; the local profile relays on loopback, its only network", () => {
    const settings = { profile: "production", domain: "example.org", listenIp: "::", turnIpv4Address: "203.0.113.10" } as EjabberdSettings;
    const base = { ...settings, ports: { c2s: 1, c2sTls: 2, https: 3, httpLoopback: 4, api: 9, stun: 5, turns: 6, turnMin: 7, turnMax: 8 }, turnSecret: "s", credentialsLifetime: "1h", registration: false, certFile: "c", caFile: "a", websocketUrl: "wss://example.org/ws" };
    expect(templateMacros(base).TURN_BLACKLIST).toEqual(blacklist);
    expect(templateMacros({ ...base, profile: "local", listenIp: "127.0.0.1" }).TURN_BLACKLIST).toEqual([]);
    expect(() => templateMacros({ ...base, profile: "local", listenIp: "0.0.0.0" })).toThrow(/loopback only/);
  });
});

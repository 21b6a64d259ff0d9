// coturn's form of the production TURN blacklist (server-config/turn-blacklist.production.txt,
// the one list ejabberd's turn_blacklist reads too). Pure; no I/O.
import { isIPv4, isIPv6 } from "node:net";

/** `a.b.c.d/n` or an IPv6 CIDR as its first and last address, each as a bigint. */
function cidrBounds(cidr: string): { family: 4 | 6; first: bigint; last: bigint } {
  const [base, bitsText] = cidr.split("/");
  const family = isIPv4(base!) ? 4 : isIPv6(base!) ? 6 : undefined;
  const bits = Number(bitsText);
  if (!family || !Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) throw new Error(`not a CIDR: ${cidr}`);
  const value = family === 4 ? ipv4Value(base!) : ipv6Value(base!);
  const hostBits = BigInt((family === 4 ? 32 : 128) - bits);
  const first = (value >> hostBits) << hostBits;
  return { family, first, last: first + (1n << hostBits) - 1n };
}

function ipv4Value(address: string): bigint {
  return address.split(".").reduce((acc, octet) => (acc << 8n) + BigInt(octet), 0n);
}

function ipv6Value(address: string): bigint {
  // The URL parser expands and validates; its canonical form is then split into words.
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const [head, tail] = canonical.split("::") as [string, string | undefined];
  const words = (part: string | undefined): string[] => (part ? part.split(":") : []);
  const left = words(head);
  const right = words(tail);
  const all = tail === undefined ? left : [...left, ...new Array<string>(8 - left.length - right.length).fill("0"), ...right];
  return all.reduce((acc, word) => (acc << 16n) + BigInt(parseInt(word, 16)), 0n);
}

function ipv4Text(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join(".");
}

function ipv6Text(value: bigint): string {
  const words = Array.from({ length: 8 }, (_, i) => ((value >> BigInt(16 * (7 - i))) & 0xffffn).toString(16));
  return new URL(`http://[${words.join(":")}]/`).hostname.slice(1, -1);
}

/**
 * `denied-peer-ip` values for coturn from the blacklist's CIDRs:
 * - coturn compares address families strictly, so every IPv4 range is denied in its
 *   IPv4-mapped form (::ffff:a.b.c.d) too: an IPv6 relay would otherwise reach it;
 * - coturn treats a range whose two ends are both the unspecified address as "any
 *   address" (ioa_addr_in_range): `::-::` denied every peer, IPv4 included (issue 15).
 *   `::/128` is left out; coturn ≥ 4.5.2 refuses :: and 0.0.0.0 peers by itself
 *   (CVE-2020-26262), and the live test checks it.
 */
export function coturnDeniedPeerRanges(cidrs: readonly string[]): string[] {
  const ranges: string[] = [];
  for (const cidr of cidrs) {
    const { family, first, last } = cidrBounds(cidr);
    if (family === 6) {
      if (last === 0n) continue;
      ranges.push(`${ipv6Text(first)}-${ipv6Text(last)}`);
    } else {
      ranges.push(`${ipv4Text(first)}-${ipv4Text(last)}`);
      ranges.push(`::ffff:${ipv4Text(first)}-::ffff:${ipv4Text(last)}`);
    }
  }
  return ranges;
}

/** The block of `denied-peer-ip=` lines the shipped turnserver.conf carries. */
export function coturnDeniedPeerLines(cidrs: readonly string[]): string {
  return coturnDeniedPeerRanges(cidrs).map((range) => `denied-peer-ip=${range}`).join("\n") + "\n";
}

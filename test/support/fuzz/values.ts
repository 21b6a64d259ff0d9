// Hostile attribute values and text: what a broken or malicious peer puts where a number, an
// address or a token is expected. Each generator draws from the PRNG only.
import type { Prng } from "./prng.js";

/** Sizes of "huge" payloads: past any sane limit, still cheap to build. */
export const HUGE_LENGTHS = [1_000, 20_000, 100_000] as const;

const NUMBERS = [
  "", " ", "-1", "-0", "1.5", "1e3", "1e309", "NaN", "Infinity", "0x1f", "007", "+5", " 5 ", "5 6",
  "65535", "65536", "4294967295", "4294967296", "9007199254740993", "99999999999999999999999",
  "１２３", "١٢٣", "12abc", "abc",
];

const ADDRESSES = [
  "", "999.999.999.999", "256.1.1.1", "1.2.3", "1.2.3.4.5", "::ffff:1.2.3.4", "[::1]", "fe80::1%eth0", ":::",
  "localhost", "host.local", "a b", "1.2.3.4\r\na=candidate:evil", "0.0.0.0", "255.255.255.255", "-", "<ip/>",
];

const TOKENS = [
  "", " ", "\t", "evil", "both both", "initiator ", "INITIATOR", "actpass\n", "a\r\nb=c", "a\u0000b", "\u0085",
  "'\"<>&", "😀", "\uD800", "\u202Eevil", "../../etc/passwd", "%00", "${x}", "__proto__", "constructor", "toString",
];

export function hugeString(r: Prng): string {
  const length = r.pick(HUGE_LENGTHS);
  const unit = r.pick(["x", "9", "a=", "\u00e9", " ", "1.1."]);
  return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
}

export function hostileNumber(r: Prng): string {
  return r.chance(0.1) ? hugeString(r).replace(/\D/g, "9") || "9" : r.pick(NUMBERS);
}

export function hostileAddress(r: Prng): string {
  return r.chance(0.05) ? hugeString(r) : r.pick(ADDRESSES);
}

export function hostileToken(r: Prng): string {
  return r.chance(0.1) ? hugeString(r) : r.pick(TOKENS);
}

/** Any of the above. */
export function hostileValue(r: Prng): string {
  return r.pick([hostileNumber, hostileAddress, hostileToken])(r);
}

/** A few random code units, printable or not (byte flips in text). */
export function randomChars(r: Prng, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) {
    s += String.fromCharCode(r.weighted<number>([[4, r.range(0x20, 0x7e)], [2, r.range(0, 0x1f)], [1, r.range(0x80, 0xffff)]]));
  }
  return s;
}

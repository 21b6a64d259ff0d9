import { isIPv4 } from "node:net";

/** An address as a number in its family's space; IPv4 in IPv6 forms (::ffff:a.b.c.d) too. */
export function addressValue(address: string): { family: 4 | 6; value: bigint } {
  if (isIPv4(address)) {
    return { family: 4, value: address.split(".").reduce((acc, octet) => (acc << 8n) + BigInt(octet), 0n) };
  }
  let text = address;
  const embedded = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (embedded) {
    const v4 = addressValue(embedded[1]!).value;
    text = text.slice(0, -embedded[1]!.length) + `${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const parse = (part: string | undefined): bigint[] => (part ? part.split(":").map((w) => BigInt(parseInt(w, 16))) : []);
  const left = parse(head);
  const right = parse(tail);
  const words = [...left, ...new Array<bigint>(8 - left.length - right.length).fill(0n), ...right];
  return { family: 6, value: words.reduce((acc, word) => (acc << 16n) + word, 0n) };
}

export interface AddressRange {
  family: 4 | 6;
  first: bigint;
  last: bigint;
}

export function cidrRange(cidr: string): AddressRange {
  const [base, bits] = cidr.split("/");
  const { family, value } = addressValue(base!);
  const hostBits = BigInt((family === 4 ? 32 : 128) - Number(bits));
  const first = (value >> hostBits) << hostBits;
  return { family, first, last: first + (1n << hostBits) - 1n };
}

/** coturn's "a-b" (or a single address). */
export function dashRange(range: string): AddressRange {
  const [a, b] = range.split("-");
  const first = addressValue(a!);
  return { family: first.family, first: first.value, last: addressValue(b ?? a!).value };
}

export function covers(outer: AddressRange, inner: AddressRange): boolean {
  return outer.family === inner.family && outer.first <= inner.first && inner.last <= outer.last;
}

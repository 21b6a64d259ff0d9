// STUN messages (RFC 8489) with the TURN methods and attributes (RFC 8656) that a
// connectivity check needs. Pure encode/decode; no I/O.
import { createHash, createHmac, randomBytes } from "node:crypto";
import { isIPv6 } from "node:net";

export const MAGIC_COOKIE = 0x2112a442;

export const Method = { Binding: 0x001, Allocate: 0x003, Refresh: 0x004, Send: 0x006, Data: 0x007, CreatePermission: 0x008, Connect: 0x00a } as const;
export type MethodName = keyof typeof Method;

export const MessageClass = { request: 0b00, indication: 0b01, success: 0b10, error: 0b11 } as const;
export type ClassName = keyof typeof MessageClass;

export const Attr = {
  MappedAddress: 0x0001,
  Username: 0x0006,
  MessageIntegrity: 0x0008,
  ErrorCode: 0x0009,
  Lifetime: 0x000d,
  XorPeerAddress: 0x0012,
  Data: 0x0013,
  Realm: 0x0014,
  Nonce: 0x0015,
  XorRelayedAddress: 0x0016,
  RequestedAddressFamily: 0x0017,
  RequestedTransport: 0x0019,
  XorMappedAddress: 0x0020,
  Software: 0x8022,
} as const;

export interface TransportAddress {
  address: string;
  port: number;
}

export interface StunMessage {
  method: number;
  messageClass: ClassName;
  transactionId: Buffer;
  attributes: Map<number, Buffer>;
}

/** RFC 8489 §5: the 14-bit type interleaves the method with the two class bits. */
function messageType(method: number, messageClass: ClassName): number {
  const c = MessageClass[messageClass];
  return (method & 0x000f) | ((method & 0x0070) << 1) | ((method & 0x0f80) << 2) | ((c & 1) << 4) | ((c & 2) << 7);
}

function splitType(type: number): { method: number; messageClass: ClassName } {
  const method = (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
  const c = ((type >> 4) & 1) | ((type >> 7) & 2);
  const messageClass = (Object.keys(MessageClass) as ClassName[]).find((k) => MessageClass[k] === c)!;
  return { method, messageClass };
}

function attribute(type: number, value: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt16BE(type, 0);
  header.writeUInt16BE(value.length, 2);
  const padding = Buffer.alloc((4 - (value.length % 4)) % 4);
  return Buffer.concat([header, value, padding]);
}

/** RFC 8489 §14.2: IPv6 addresses are XORed with the magic cookie and the transaction id. */
export function xorAddress(target: TransportAddress, transactionId?: Buffer): Buffer {
  const v6 = isIPv6(target.address);
  if (v6 && !transactionId) throw new Error("an IPv6 XOR address needs the message's transaction id");
  const value = Buffer.alloc(v6 ? 20 : 8);
  value.writeUInt8(v6 ? 0x02 : 0x01, 1);
  value.writeUInt16BE(target.port ^ (MAGIC_COOKIE >>> 16), 2);
  const mask = xorMask(transactionId);
  const raw = v6 ? ipv6Bytes(target.address) : Buffer.from(target.address.split(".").map(Number));
  for (let i = 0; i < raw.length; i++) value[4 + i] = raw[i]! ^ mask[i]!;
  return value;
}

export function decodeXorAddress(value: Buffer, transactionId?: Buffer): TransportAddress | undefined {
  const family = value.length >= 8 ? value.readUInt8(1) : 0;
  if (!(family === 0x01 && value.length >= 8) && !(family === 0x02 && value.length >= 20 && transactionId)) return undefined;
  const port = value.readUInt16BE(2) ^ (MAGIC_COOKIE >>> 16);
  const mask = xorMask(transactionId);
  const raw = Buffer.from(value.subarray(4, family === 0x01 ? 8 : 20).map((byte, i) => byte ^ mask[i]!));
  if (family === 0x01) return { address: [...raw].join("."), port };
  const words = Array.from({ length: 8 }, (_, i) => raw.readUInt16BE(2 * i).toString(16));
  return { address: new URL(`http://[${words.join(":")}]/`).hostname.slice(1, -1), port };
}

function xorMask(transactionId?: Buffer): Buffer {
  const mask = Buffer.alloc(16);
  mask.writeUInt32BE(MAGIC_COOKIE, 0);
  transactionId?.copy(mask, 4);
  return mask;
}

function ipv6Bytes(address: string): Buffer {
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const [head, tail] = canonical.split("::") as [string, string | undefined];
  const parts = (text: string | undefined): string[] => (text ? text.split(":") : []);
  const words = tail === undefined ? parts(head) : [...parts(head), ...new Array<string>(8 - parts(head).length - parts(tail).length).fill("0"), ...parts(tail)];
  const out = Buffer.alloc(16);
  words.forEach((word, i) => out.writeUInt16BE(parseInt(word, 16), 2 * i));
  return out;
}

export interface Credentials {
  username: string;
  password: string;
  realm: string;
  nonce: Buffer;
}

/** RFC 8489 §9.2.2: long-term credential key = MD5(username ":" realm ":" password). */
export function longTermKey(username: string, realm: string, password: string): Buffer {
  return createHash("md5").update(`${username}:${realm}:${password}`).digest();
}

export function encodeMessage(
  method: number,
  messageClass: ClassName,
  attributes: Array<[number, Buffer]>,
  credentials?: Credentials,
  transactionId: Buffer = randomBytes(12),
): Buffer {
  const auth: Array<[number, Buffer]> = credentials
    ? [[Attr.Username, Buffer.from(credentials.username)], [Attr.Realm, Buffer.from(credentials.realm)], [Attr.Nonce, credentials.nonce]]
    : [];
  let body = Buffer.concat([...auth, ...attributes].map(([type, value]) => attribute(type, value)));
  const header = Buffer.alloc(20);
  header.writeUInt16BE(messageType(method, messageClass), 0);
  header.writeUInt32BE(MAGIC_COOKIE, 4);
  transactionId.copy(header, 8);
  if (credentials) {
    // The length covers MESSAGE-INTEGRITY itself (24 bytes) while the HMAC is computed.
    header.writeUInt16BE(body.length + 24, 2);
    const key = longTermKey(credentials.username, credentials.realm, credentials.password);
    const hmac = createHmac("sha1", key).update(Buffer.concat([header, body])).digest();
    body = Buffer.concat([body, attribute(Attr.MessageIntegrity, hmac)]);
  }
  header.writeUInt16BE(body.length, 2);
  return Buffer.concat([header, body]);
}

/** Total length of the STUN message at the start of buf, or undefined if incomplete. */
export function messageLength(buf: Buffer): number | undefined {
  if (buf.length < 20) return undefined;
  const total = 20 + buf.readUInt16BE(2);
  return buf.length >= total ? total : undefined;
}

export class StunDecodeError extends Error {
  override name = "StunDecodeError";
}

export function decodeMessage(buf: Buffer): StunMessage {
  if (buf.length < 20 || buf.readUInt32BE(4) !== MAGIC_COOKIE || (buf.readUInt8(0) & 0xc0) !== 0) {
    throw new StunDecodeError("not a STUN message");
  }
  const { method, messageClass } = splitType(buf.readUInt16BE(0));
  const end = Math.min(buf.length, 20 + buf.readUInt16BE(2));
  const attributes = new Map<number, Buffer>();
  let offset = 20;
  while (offset + 4 <= end) {
    const type = buf.readUInt16BE(offset);
    const length = buf.readUInt16BE(offset + 2);
    if (!attributes.has(type)) attributes.set(type, buf.subarray(offset + 4, offset + 4 + length));
    offset += 4 + Math.ceil(length / 4) * 4;
  }
  return { method, messageClass, transactionId: buf.subarray(8, 20), attributes };
}

export function errorCode(message: StunMessage): { code: number; reason: string } | undefined {
  const value = message.attributes.get(Attr.ErrorCode);
  if (!value || value.length < 4) return undefined;
  return { code: (value.readUInt8(2) & 0x07) * 100 + value.readUInt8(3), reason: value.subarray(4).toString("utf8") };
}

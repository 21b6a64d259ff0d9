// STUN messages (RFC 8489) with the TURN methods and attributes (RFC 8656) that a
// connectivity check needs. Pure encode/decode; no I/O.
import { createHash, createHmac, randomBytes } from "node:crypto";

export const MAGIC_COOKIE = 0x2112a442;

export const Method = { Binding: 0x001, Allocate: 0x003, Refresh: 0x004, CreatePermission: 0x008 } as const;
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
  Realm: 0x0014,
  Nonce: 0x0015,
  XorRelayedAddress: 0x0016,
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

export function xorAddress(target: TransportAddress): Buffer {
  const value = Buffer.alloc(8);
  value.writeUInt8(0x01, 1); // IPv4
  value.writeUInt16BE(target.port ^ (MAGIC_COOKIE >>> 16), 2);
  const ip = target.address.split(".").reduce((acc, octet) => (acc << 8) + Number(octet), 0) >>> 0;
  value.writeUInt32BE((ip ^ MAGIC_COOKIE) >>> 0, 4);
  return value;
}

export function decodeXorAddress(value: Buffer): TransportAddress | undefined {
  if (value.length < 8 || value.readUInt8(1) !== 0x01) return undefined; // IPv4 only
  const port = value.readUInt16BE(2) ^ (MAGIC_COOKIE >>> 16);
  const ip = (value.readUInt32BE(4) ^ MAGIC_COOKIE) >>> 0;
  return { address: [24, 16, 8, 0].map((s) => (ip >>> s) & 0xff).join("."), port };
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

import { createSocket } from "node:dgram";
import { randomBytes } from "node:crypto";

const MAGIC_COOKIE = 0x2112a442;

/**
 * Sends one STUN Binding Request (RFC 8489 §6) over UDP and returns the
 * XOR-MAPPED-ADDRESS of the answer: the address the server saw us at.
 */
export function stunBinding(host: string, port: number, timeoutMs = 2000): Promise<{ address: string; port: number }> {
  const transactionId = randomBytes(12);
  const request = Buffer.alloc(20);
  request.writeUInt16BE(0x0001, 0); // Binding Request
  request.writeUInt16BE(0, 2);
  request.writeUInt32BE(MAGIC_COOKIE, 4);
  transactionId.copy(request, 8);

  return new Promise((resolve, reject) => {
    const socket = createSocket("udp4");
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no STUN answer from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on("message", (msg) => {
      if (msg.readUInt16BE(0) !== 0x0101 || !msg.subarray(8, 20).equals(transactionId)) return;
      clearTimeout(timer);
      socket.close();
      let offset = 20;
      while (offset + 4 <= msg.length) {
        const type = msg.readUInt16BE(offset);
        const length = msg.readUInt16BE(offset + 2);
        if (type === 0x0020 && msg.readUInt8(offset + 5) === 0x01) {
          const xport = msg.readUInt16BE(offset + 6) ^ (MAGIC_COOKIE >>> 16);
          const xaddr = (msg.readUInt32BE(offset + 8) ^ MAGIC_COOKIE) >>> 0;
          resolve({ address: [24, 16, 8, 0].map((s) => (xaddr >>> s) & 0xff).join("."), port: xport });
          return;
        }
        offset += 4 + Math.ceil(length / 4) * 4;
      }
      reject(new Error("STUN answer without an IPv4 XOR-MAPPED-ADDRESS"));
    });
    socket.bind(0, "127.0.0.1", () => socket.send(request, port, host));
  });
}

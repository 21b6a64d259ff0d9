// A small STUN/TURN client over UDP, TCP and TLS: enough to check a TURN server the
// way a browser uses it (Allocate with long-term credentials, CreatePermission,
// Refresh). Used by `npm run doctor` and by the TURN tests.
import { randomBytes } from "node:crypto";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect as tcpConnect, isIP, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import {
  Attr, decodeMessage, decodeXorAddress, encodeMessage, errorCode, messageLength, Method,
  xorAddress, type Credentials, type StunMessage, type TransportAddress,
} from "./stun-message.ts";

export type StunTransport = "udp" | "tcp" | "tls";

export interface StunServer {
  host: string;
  port: number;
  transport: StunTransport;
  /** For TLS: the CA to trust (PEM) in addition to the system's, and the name to verify. */
  ca?: string;
  servername?: string;
  timeoutMs?: number;
  /** The local address to send from (a host with several addresses). */
  localAddress?: string;
}

export interface TurnServer extends StunServer {
  username: string;
  password: string;
}

/** A refusal or failure from the server, with the STUN error code when there is one. */
export class TurnError extends Error {
  override name = "TurnError";
  constructor(readonly step: string, message: string, readonly code?: number) {
    super(`${step}: ${message}`);
  }
}

/** SNI takes a name, never an address (RFC 6066 §3). */
function tlsServername(server: StunServer): string | undefined {
  const name = server.servername ?? server.host;
  return isIP(name) ? undefined : name;
}

/** One STUN connection: request/response matched by transaction id. */
class StunConnection {
  private readonly pending = new Map<string, { resolve: (message: StunMessage) => void; reject: (error: Error) => void }>();
  private buffered = Buffer.alloc(0);
  private udp?: UdpSocket;
  private stream?: Socket;

  private constructor(private readonly server: StunServer) {}

  static async open(server: StunServer): Promise<StunConnection> {
    const connection = new StunConnection(server);
    await connection.connect();
    return connection;
  }

  private connect(): Promise<void> {
    const { server } = this;
    const timeoutMs = server.timeoutMs ?? 3000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new TurnError("connect", `no ${server.transport.toUpperCase()} connection to ${server.host}:${server.port} within ${timeoutMs} ms`)), timeoutMs);
      const fail = (error: Error): void => {
        clearTimeout(timer);
        const failure = new TurnError("connect", `${server.transport.toUpperCase()} ${server.host}:${server.port}: ${(error as NodeJS.ErrnoException).code ?? error.message}`);
        reject(failure);
        // Later errors (an ICMP port unreachable on UDP, a reset on TCP) fail what is pending.
        for (const { reject: rejectPending } of this.pending.values()) rejectPending(failure);
        this.pending.clear();
      };
      if (server.transport === "udp") {
        const socket = createSocket(server.host.includes(":") ? "udp6" : "udp4");
        this.udp = socket;
        socket.on("message", (msg) => this.deliver(msg));
        socket.on("error", fail);
        const connectUdp = (): void => socket.connect(server.port, server.host, () => {
          clearTimeout(timer);
          resolve();
        });
        if (server.localAddress) socket.bind(0, server.localAddress, connectUdp);
        else connectUdp();
        return;
      }
      const onConnect = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const socket = server.transport === "tls"
        ? tlsConnect({ host: server.host, port: server.port, servername: tlsServername(server), ca: server.ca ? [server.ca] : undefined }, onConnect)
        : tcpConnect({ port: server.port, host: server.host, localAddress: server.localAddress }, onConnect);
      this.stream = socket;
      socket.on("error", fail);
      socket.on("data", (chunk: Buffer) => {
        this.buffered = Buffer.concat([this.buffered, chunk]);
        for (let length = messageLength(this.buffered); length !== undefined; length = messageLength(this.buffered)) {
          this.deliver(this.buffered.subarray(0, length));
          this.buffered = this.buffered.subarray(length);
        }
      });
    });
  }

  private deliver(raw: Buffer): void {
    let message: StunMessage;
    try {
      message = decodeMessage(raw);
    } catch {
      return; // not STUN (e.g. relayed data): ignore
    }
    this.pending.get(message.transactionId.toString("hex"))?.resolve(message);
  }

  /** Sends a request; over UDP it is retransmitted (RFC 8489 §6.2.1) until answered. */
  request(step: string, raw: Buffer): Promise<StunMessage> {
    const id = raw.subarray(8, 20).toString("hex");
    const timeoutMs = this.server.timeoutMs ?? 3000;
    return new Promise((resolve, reject) => {
      let retransmit: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => {
        clearInterval(retransmit);
        this.pending.delete(id);
        reject(new TurnError(step, `no answer from ${this.server.host}:${this.server.port} over ${this.server.transport.toUpperCase()} within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = (): void => {
        clearTimeout(timer);
        clearInterval(retransmit);
        this.pending.delete(id);
      };
      this.pending.set(id, {
        resolve: (message) => { settle(); resolve(message); },
        reject: (error) => { settle(); reject(new TurnError(step, error.message.replace(/^connect: /, ""))); },
      });
      if (this.udp) {
        this.udp.send(raw);
        retransmit = setInterval(() => this.udp?.send(raw), 500);
      } else {
        this.stream!.write(raw);
      }
    });
  }

  /** Sends a message that expects no answer (an indication). */
  send(raw: Buffer): void {
    if (this.udp) this.udp.send(raw);
    else this.stream!.write(raw);
  }

  close(): void {
    this.udp?.close();
    this.stream?.destroy();
  }
}

/** STUN Binding: the address the server sees this client at (a srflx candidate's address). */
export async function stunBinding(server: StunServer): Promise<TransportAddress> {
  const connection = await StunConnection.open(server);
  try {
    const answer = await connection.request("binding", encodeMessage(Method.Binding, "request", []));
    const mapped = answer.attributes.get(Attr.XorMappedAddress);
    const address = mapped && decodeXorAddress(mapped, answer.transactionId);
    if (answer.messageClass !== "success" || !address) throw new TurnError("binding", "answer without a mapped address");
    return address;
  } finally {
    connection.close();
  }
}

export interface TurnAllocation {
  relayed: TransportAddress;
  mapped: TransportAddress;
  lifetimeSeconds: number;
  /** Asks the server to let a peer's packets through (RFC 8656 §9). */
  createPermission(peer: TransportAddress): Promise<void>;
  /** Sends data to a permitted peer through the relay (Send indication, RFC 8656 §11). */
  send(peer: TransportAddress, data: Buffer): void;
  /** Refreshes (or with 0, releases) the allocation (RFC 8656 §7). */
  refresh(lifetimeSeconds: number): Promise<number>;
  close(): Promise<void>;
}

function failure(step: string, answer: StunMessage): TurnError {
  const error = errorCode(answer);
  return new TurnError(step, error ? `${error.code} ${error.reason}`.trim() : "refused", error?.code);
}

/** REQUESTED-TRANSPORT values (RFC 8656 §18.7, RFC 6062 §6.1): the IP protocol number. */
const REQUESTED_TRANSPORT = { udp: Buffer.from([17, 0, 0, 0]), tcp: Buffer.from([6, 0, 0, 0]) } as const;

export interface AllocateOptions {
  /** The relay's transport: UDP (what browsers use) or TCP (RFC 6062). */
  relayTransport?: "udp" | "tcp";
  /** The relayed address's family (REQUESTED-ADDRESS-FAMILY, RFC 8656 §18.11); IPv4 by default. */
  family?: 4 | 6;
}

/**
 * Allocates a UDP relay with TURN long-term credentials: the unauthenticated
 * request earns a 401 with realm and nonce, the second one carries
 * MESSAGE-INTEGRITY (RFC 8656 §7.2, RFC 8489 §9.2).
 */
export async function allocate(server: TurnServer, options: AllocateOptions = {}): Promise<TurnAllocation> {
  const connection = await StunConnection.open(server);
  const request: Array<[number, Buffer]> = [[Attr.RequestedTransport, REQUESTED_TRANSPORT[options.relayTransport ?? "udp"]]];
  if (options.family === 6) request.push([Attr.RequestedAddressFamily, Buffer.from([0x02, 0, 0, 0])]);
  try {
    const challenge = await connection.request("allocate", encodeMessage(Method.Allocate, "request", request));
    const realm = challenge.attributes.get(Attr.Realm);
    const nonce = challenge.attributes.get(Attr.Nonce);
    if (challenge.messageClass !== "error" || errorCode(challenge)?.code !== 401 || !realm || !nonce) {
      throw failure("allocate", challenge);
    }
    const credentials: Credentials = { username: server.username, password: server.password, realm: realm.toString("utf8"), nonce: Buffer.from(nonce) };
    const answer = await connection.request("allocate", encodeMessage(Method.Allocate, "request", request, credentials));
    if (answer.messageClass !== "success") throw failure("allocate", answer);
    const relayed = decodeXorAddress(answer.attributes.get(Attr.XorRelayedAddress) ?? Buffer.alloc(0), answer.transactionId);
    const mapped = decodeXorAddress(answer.attributes.get(Attr.XorMappedAddress) ?? Buffer.alloc(0), answer.transactionId);
    if (!relayed || !mapped) throw new TurnError("allocate", "success without relayed and mapped addresses");
    const lifetime = answer.attributes.get(Attr.Lifetime)?.readUInt32BE(0) ?? 600;

    // Attributes from the transaction id: an IPv6 XOR-PEER-ADDRESS depends on it.
    type Attributes = (transactionId: Buffer) => Array<[number, Buffer]>;
    const signed = (method: number, attributes: Attributes): Buffer => {
      const transactionId = randomBytes(12);
      return encodeMessage(method, "request", attributes(transactionId), credentials, transactionId);
    };
    const authenticated = async (step: string, method: number, attributes: Attributes): Promise<StunMessage> => {
      let reply = await connection.request(step, signed(method, attributes));
      // 438 Stale Nonce: take the new nonce and try once more (RFC 8489 §9.2.5).
      if (reply.messageClass === "error" && errorCode(reply)?.code === 438) {
        credentials.nonce = Buffer.from(reply.attributes.get(Attr.Nonce) ?? credentials.nonce);
        reply = await connection.request(step, signed(method, attributes));
      }
      if (reply.messageClass !== "success") throw failure(step, reply);
      return reply;
    };

    return {
      relayed,
      mapped,
      lifetimeSeconds: lifetime,
      async createPermission(peer) {
        await authenticated("create-permission", Method.CreatePermission, (id) => [[Attr.XorPeerAddress, xorAddress(peer, id)]]);
      },
      send(peer, data) {
        const transactionId = randomBytes(12);
        connection.send(encodeMessage(Method.Send, "indication", [[Attr.XorPeerAddress, xorAddress(peer, transactionId)], [Attr.Data, data]], undefined, transactionId));
      },
      async refresh(seconds) {
        const value = Buffer.alloc(4);
        value.writeUInt32BE(seconds, 0);
        const reply = await authenticated("refresh", Method.Refresh, () => [[Attr.Lifetime, value]]);
        return reply.attributes.get(Attr.Lifetime)?.readUInt32BE(0) ?? seconds;
      },
      async close() {
        try {
          const value = Buffer.alloc(4);
          await authenticated("refresh", Method.Refresh, () => [[Attr.Lifetime, value]]);
        } catch {
          /* released or gone already */
        } finally {
          connection.close();
        }
      },
    };
  } catch (error) {
    connection.close();
    throw error;
  }
}

/** TURN REST API credentials (what mod_stun_disco and coturn's use-auth-secret share). */
export { turnRestCredentials } from "./turn-credentials.ts";

import { createServer } from "node:net";
import { createSocket } from "node:dgram";

/**
 * Ports this process has handed out: the kernel may offer a just-released port
 * again, and two listeners of one server on the same port is a failed start.
 */
const handedOut = new Set<number>();

/** Asks the kernel for a free TCP port on the given loopback address, never the same twice. */
export async function freeTcpPort(host = "127.0.0.1"): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await kernelFreeTcpPort(host);
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no fresh free TCP port on ${host}`);
}

function kernelFreeTcpPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** True when a TCP listener could bind host:port right now. */
export function tcpPortIsFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** True when a UDP socket could bind host:port right now. */
export function udpPortIsFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket("udp4");
    socket.once("error", () => {
      socket.close();
      resolve(false);
    });
    socket.bind({ port, address: host, exclusive: true }, () => socket.close(() => resolve(true)));
  });
}

/**
 * A free port usable for both TCP and UDP (STUN listens on both), and free
 * consecutive ranges for the TURN relay; both are re-checked right before use.
 */
export async function freeTcpUdpPort(host = "127.0.0.1"): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freeTcpPort(host);
    if (await udpPortIsFree(port, host)) return port;
  }
  throw new Error("no port free for both TCP and UDP on " + host);
}

export async function freeUdpRange(size: number, host = "127.0.0.1"): Promise<[number, number]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Random start in the dynamic range, away from the kernel's ephemeral ports' usual use.
    const start = 20000 + Math.floor(Math.random() * (30000 - size));
    let ok = true;
    for (const port of [start, start + Math.floor(size / 2), start + size - 1]) {
      if (!(await udpPortIsFree(port, host))) ok = false;
    }
    if (ok) return [start, start + size - 1];
  }
  throw new Error(`no free UDP range of ${size} ports on ${host}`);
}

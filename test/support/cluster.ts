import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { client, type Client } from "@xmpp/client";
import type { Element } from "@xmpp/xml";
import { spkiHash } from "../../scripts/lib/certs.ts";
import { Cluster, type NodePorts } from "../../scripts/lib/cluster.ts";
import type { EjabberdInstance } from "../../scripts/lib/ejabberd.ts";
import { freeTcpPort, freeTcpUdpPort, freeUdpRange } from "../../scripts/lib/ports.ts";
import { PostgresInstance } from "../../scripts/lib/postgres.ts";
import { randomSecret } from "../../scripts/lib/secrets.ts";
import type { TestAccount, TestDb } from "./ejabberd.ts";
import { installWebSocket } from "./xmpp.ts";

export interface TestClusterNode {
  index: number;
  nodeName: string;
  /** wss://localhost:PORT/ws of this node (TLS with the cluster's test CA). */
  wsUrl: string;
  /** ws://127.0.0.1:PORT/ws, the loopback-only plaintext listener (the web app's proxy target). */
  wsLoopbackUrl: string;
  httpsPort: number;
}

export interface TestCluster {
  domain: string;
  caPem: string;
  caFile: string;
  /** For Chromium's --ignore-certificate-errors-spki-list (one certificate for every node). */
  spkiHash: string;
  turnSecret: string;
  cluster: Cluster;
  nodes: TestClusterNode[];
  /** The running instance of node `index` (1-based); throws if it is stopped. */
  instance(index: number): EjabberdInstance;
  /** Registers through any running node: Mnesia replicates it to all. */
  createAccount(username?: string, password?: string): Promise<TestAccount>;
  makeContacts(a: string, b: string): Promise<void>;
  /** The shared database, when started with `db: "postgres"`. */
  postgres?: PostgresInstance;
  stop(): Promise<void>;
}

let accountCounter = 0;

async function freeNodePorts(): Promise<NodePorts> {
  const [turnMin, turnMax] = await freeUdpRange(50);
  return {
    listeners: {
      c2s: await freeTcpPort(), c2sTls: await freeTcpPort(), https: await freeTcpPort(), httpLoopback: await freeTcpPort(), api: await freeTcpPort(),
      stun: await freeTcpUdpPort(), turns: await freeTcpPort(), turnMin, turnMax,
    },
    dist: await freeTcpPort(),
  };
}

/**
 * Starts a real ejabberd cluster of `size` nodes (Debian's ejabberd, the project's
 * template) on free loopback ports in a temporary folder, joined through one shared epmd.
 */
export async function startTestCluster(size: number, domain = "localhost", cookie = randomSecret(18), options: { db?: TestDb } = {}): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), "calls-cluster-"));
  const turnSecret = randomSecret();
  let postgres: PostgresInstance | undefined;
  const cluster = Cluster.open({
    dir, domain, turnSecret, cookie, epmdPort: await freeTcpPort(), allocatePorts: () => freeNodePorts(),
    // Shared SQL storage, as docker-compose.cluster.yml runs it: one database for every node.
    sql: options.db === "postgres"
      ? (postgres = await PostgresInstance.start({ dir: join(dir, "postgres"), port: await freeTcpPort(), password: randomSecret(18) })).storage
      : undefined,
  });
  try {
    await cluster.start(size);
  } catch (error) {
    await cluster.stop().catch(() => undefined);
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const certs = cluster.certificates;
  const anyNode = () => {
    const instance = cluster.running[0];
    if (!instance) throw new Error("no cluster node is running");
    return instance;
  };
  return {
    domain,
    caPem: readFileSync(certs.caFile, "utf8"),
    caFile: certs.caFile,
    spkiHash: spkiHash(readFileSync(certs.serverPemFile, "utf8")),
    turnSecret,
    cluster,
    nodes: cluster.nodes.map((n) => ({
      index: n.index,
      nodeName: n.nodeName,
      wsUrl: `wss://${domain}:${n.ports.listeners.https}/ws`,
      wsLoopbackUrl: `ws://127.0.0.1:${n.ports.listeners.httpLoopback}/ws`,
      httpsPort: n.ports.listeners.https,
    })),
    instance(index) {
      const node = cluster.nodes.find((n) => n.index === index);
      const instance = node && cluster.instance(node.nodeName);
      if (!instance) throw new Error(`cluster node ${index} is not running`);
      return instance;
    },
    async createAccount(username, password) {
      const name = username ?? `user${++accountCounter}-${randomBytes(3).toString("hex")}`;
      const secret = password ?? randomSecret(12);
      await anyNode().register(name, secret);
      return { username: name, password: secret, jid: `${name}@${domain}` };
    },
    makeContacts: (a, b) => anyNode().makeContacts(a, b),
    postgres,
    async stop() {
      try {
        await cluster.stop();
      } finally {
        await postgres?.stop();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Signs in on one endpoint (a node or a balancer) over secure WebSocket; resolves once online. */
export async function connectToEndpoint(
  tc: Pick<TestCluster, "caPem" | "domain">,
  service: string,
  account: TestAccount,
  resource = "test",
): Promise<Client> {
  installWebSocket(tc);
  const xmpp = client({ service, domain: tc.domain, resource, username: account.username, password: account.password });
  xmpp.reconnect.stop();
  xmpp.on("error", () => undefined);
  await xmpp.start();
  return xmpp;
}

export interface TcpBalancer {
  port: number;
  /** Open client connections per backend port. */
  active(): Map<number, number>;
  close(): Promise<void>;
}

/**
 * A loopback TCP load balancer (TLS passes through: every node has the same certificate),
 * standing in for HAProxy/nginx stream in front of the nodes' WebSocket endpoints: round
 * robin, skipping a backend that refuses the connection. When a backend dies, its client
 * connections close, and the clients' reconnects land on a surviving node.
 */
export async function startTcpBalancer(backends: number[]): Promise<TcpBalancer> {
  let next = 0;
  const active = new Map<number, Set<Socket>>(backends.map((p) => [p, new Set()]));
  const connect = (clientSocket: Socket, tried: number) => {
    if (tried >= backends.length) {
      clientSocket.destroy();
      return;
    }
    const port = backends[next++ % backends.length]!;
    const upstream = createConnection({ host: "127.0.0.1", port });
    let connected = false;
    upstream.on("error", () => {
      if (connected) clientSocket.destroy();
      else connect(clientSocket, tried + 1);
    });
    upstream.once("connect", () => {
      connected = true;
      active.get(port)!.add(clientSocket);
      clientSocket.once("close", () => active.get(port)!.delete(clientSocket));
      clientSocket.pipe(upstream).pipe(clientSocket);
      upstream.once("close", () => clientSocket.destroy());
      clientSocket.once("close", () => upstream.destroy());
      clientSocket.resume();
    });
  };
  const server: Server = createServer({ pauseOnConnect: true }, (socket) => {
    socket.on("error", () => undefined);
    connect(socket, 0);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("balancer has no TCP address");
  return {
    port: address.port,
    active: () => new Map([...active].map(([p, set]) => [p, set.size])),
    close: () =>
      new Promise((resolve) => {
        for (const set of active.values()) for (const socket of set) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The next stanza the client receives that matches, or a rejection after timeoutMs. */
export function nextStanza(xmpp: Pick<Client, "on" | "off">, matches: (stanza: Element) => boolean, timeoutMs = 10_000): Promise<Element> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      xmpp.off("stanza", listener);
      reject(new Error(`no matching stanza within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (stanza: Element) => {
      if (!matches(stanza)) return;
      clearTimeout(timer);
      xmpp.off("stanza", listener);
      resolve(stanza);
    };
    xmpp.on("stanza", listener);
  });
}

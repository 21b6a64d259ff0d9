import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureLocalCertificates } from "../../../scripts/lib/certs.ts";
import { EjabberdInstance } from "../../../scripts/lib/ejabberd.ts";
import type { EjabberdSettings } from "../../../scripts/lib/ejabberd-config.ts";
import { randomSecret } from "../../../scripts/lib/secrets.ts";
import type { TestAccount } from "../ejabberd.ts";
import type { DinoNamespace } from "./namespace.ts";

/**
 * The project's ejabberd (local profile: loopback listeners, the project's template) inside the
 * Dino namespace. The namespace is this server's alone, so the standard ports are free, and
 * "localhost" as the domain lets Dino find it without DNS (no SRV answer, then localhost:5222).
 */
export interface NamespaceServer {
  domain: string;
  /** Plaintext WebSocket on the namespace's loopback (a page in the namespace reaches it). */
  wsUrl: string;
  caFile: string;
  caPem: string;
  instance: EjabberdInstance;
  createAccount(username?: string): Promise<TestAccount>;
  makeContacts(a: string, b: string): Promise<void>;
  stop(): Promise<void>;
}

const PORTS = { c2s: 5222, c2sTls: 5223, https: 5443, httpLoopback: 5280, api: 5281, stun: 3478, turns: 5349, turnMin: 49152, turnMax: 49407 };

export async function startServerIn(ns: DinoNamespace): Promise<NamespaceServer> {
  const domain = "localhost";
  const dataDir = mkdtempSync(join(tmpdir(), "calls-dino-ejabberd-"));
  const certs = ensureLocalCertificates(join(dataDir, "certs"), domain);
  const settings: EjabberdSettings = {
    profile: "local",
    domain,
    listenIp: "127.0.0.1",
    turnIpv4Address: "127.0.0.1",
    ports: PORTS,
    turnSecret: randomSecret(),
    credentialsLifetime: "1h",
    registration: false,
    certFile: certs.serverPemFile,
    caFile: certs.caFile,
    websocketUrl: `ws://127.0.0.1:${PORTS.httpLoopback}/ws`,
  };
  let instance: EjabberdInstance;
  try {
    instance = await EjabberdInstance.start({
      dir: join(dataDir, "ejabberd"),
      settings,
      nodeName: `calls-dino-${randomBytes(4).toString("hex")}@localhost`,
      cookie: randomSecret(18),
      epmdPort: 4369,
      distPort: 4370,
      netns: ns.name,
    });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    domain,
    wsUrl: settings.websocketUrl,
    caFile: certs.caFile,
    caPem: readFileSync(certs.caFile, "utf8"),
    instance,
    async createAccount(username) {
      const name = username ?? `u${randomBytes(3).toString("hex")}`;
      const password = randomSecret(12);
      await instance.register(name, password);
      return { username: name, password, jid: `${name}@${domain}` };
    },
    makeContacts: (a, b) => instance.makeContacts(a, b),
    async stop() {
      await instance.stop().catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

import type { Element } from "@xmpp/xml";
import { xml } from "@xmpp/xml";
import { TypedEmitter } from "./emitter.js";
import { NS_EXTDISCO } from "./ns.js";

/** XEP-0215 §3: one `<service/>`. */
export interface ExternalService {
  type: string;
  host: string;
  port?: number;
  transport?: string;
  username?: string;
  password?: string;
  /** ms since epoch */
  expires?: number;
}

export function readServices(services: Element): ExternalService[] {
  return services.getChildren("service").map((s) => {
    const port = Number.parseInt(s.attrs.port ?? "", 10);
    const expires = s.attrs.expires ? Date.parse(s.attrs.expires) : Number.NaN;
    return {
      type: s.attrs.type ?? "",
      host: s.attrs.host ?? "",
      port: Number.isNaN(port) ? undefined : port,
      transport: s.attrs.transport,
      username: s.attrs.username,
      password: s.attrs.password,
      expires: Number.isNaN(expires) ? undefined : expires,
    };
  });
}

/**
 * XEP-0215 services → RTCIceServer[]. Skips, as Conversations does, services without a
 * host, port or udp/tcp transport, `turns` over udp, and TURN without credentials.
 *
 * Kept minimal: ejabberd announces STUN once per transport (udp and tcp give the same
 * `stun:` URL) and TURN once per transport with one credential, and Firefox warns that five or
 * more servers slow gathering. Identical URLs are listed once, and URLs that share credentials
 * (all STUN URLs; TURN URLs with the same username and password) form one RTCIceServer with a
 * `urls` list (WebRTC 1.0 §4.2.2), in the order the server listed them.
 */
export function toIceServers(services: readonly ExternalService[]): RTCIceServer[] {
  const byCredentials = new Map<string, { urls: string[]; username?: string; credential?: string }>();
  for (const s of services) {
    if (!["stun", "stuns", "turn", "turns"].includes(s.type)) continue;
    if (!s.host || !s.port || (s.transport !== "udp" && s.transport !== "tcp")) continue;
    if (s.type === "turns" && s.transport === "udp") continue;
    const host = s.host.includes(":") && !s.host.startsWith("[") ? `[${s.host}]` : s.host;
    const stun = s.type === "stun" || s.type === "stuns";
    if (!stun && (!s.username || !s.password)) continue;
    const url = stun ? `${s.type}:${host}:${s.port}` : `${s.type}:${host}:${s.port}?transport=${s.transport}`;
    const key = stun ? "" : JSON.stringify([s.username, s.password]);
    let server = byCredentials.get(key);
    if (!server) {
      server = stun ? { urls: [] } : { urls: [], username: s.username, credential: s.password };
      byCredentials.set(key, server);
    }
    if (!server.urls.includes(url)) server.urls.push(url);
  }
  return [...byCredentials.values()].map((server) => ({ ...server, urls: server.urls.length === 1 ? server.urls[0]! : server.urls }));
}

/** When to ask again: half way to the earliest expiry (Dino broke at 24 h by not doing so). */
export function refreshDelay(services: readonly ExternalService[], now: number, minMs = 30_000): number | undefined {
  const expiries = services.map((s) => s.expires).filter((e): e is number => e !== undefined);
  if (expiries.length === 0) return undefined;
  return Math.max(minMs, (Math.min(...expiries) - now) / 2);
}

export interface ExtDiscoPort {
  readonly domain: string;
  iqGet(child: Element, to?: string): Promise<Element | undefined>;
}

export interface ExtDiscoEvents {
  [event: string]: readonly unknown[];
  iceServers: [servers: readonly RTCIceServer[]];
}

/** Keeps fresh ICE servers from the account's server (XEP-0215 §4). */
export class IceServerSource extends TypedEmitter<ExtDiscoEvents> {
  readonly #port: ExtDiscoPort;
  #servers: readonly RTCIceServer[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(port: ExtDiscoPort) {
    super();
    this.#port = port;
  }

  get iceServers(): readonly RTCIceServer[] {
    return this.#servers;
  }

  /** Queries now and schedules the next refresh; a server without XEP-0215 yields []. */
  async refresh(): Promise<readonly RTCIceServer[]> {
    clearTimeout(this.#timer);
    let services: ExternalService[] = [];
    try {
      const el = await this.#port.iqGet(xml("services", { xmlns: NS_EXTDISCO }), this.#port.domain);
      services = el ? readServices(el) : [];
    } catch {
      services = [];
    }
    this.#servers = toIceServers(services);
    this.emit("iceServers", this.#servers);
    const delay = refreshDelay(services, Date.now());
    if (delay !== undefined && !this.#stopped) this.#timer = setTimeout(() => void this.refresh(), Math.min(delay, 2 ** 31 - 1));
    return this.#servers;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}

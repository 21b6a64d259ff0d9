import { describe, expect, it } from "vitest";
import parse from "@xmpp/xml/lib/parse.js";
import { readServices, refreshDelay, toIceServers } from "../../../client/src/xmpp/extdisco.js";

// Shape of ejabberd 23.01 mod_stun_disco's answer (observed against the project's server).
const answer = parse(`<services xmlns='urn:xmpp:extdisco:2'>
  <service type='stun' host='127.0.0.1' port='3478' transport='udp' restricted='false'/>
  <service type='stun' host='127.0.0.1' port='3478' transport='tcp' restricted='false'/>
  <service type='turn' host='127.0.0.1' port='3478' transport='udp' restricted='true'
    username='1764108000:alice' password='c2VjcmV0' expires='2025-11-25T22:00:00Z'/>
  <service type='turns' host='::1' port='5349' transport='tcp' username='u' password='p'/>
  <service type='turns' host='x' port='5349' transport='udp' username='u' password='p'/>
  <service type='turn' host='x' port='3478' transport='udp'/>
  <service type='turn' host='x' transport='udp' username='u' password='p'/>
  <service type='ftp' host='x' port='21' transport='tcp'/>
</services>`);

describe("XEP-0215 services as ICE servers", () => {
  it("maps STUN and TURN with credentials, brackets IPv6 hosts, and lists ejabberd's STUN URL (one per transport) once", () => {
    expect(toIceServers(readServices(answer))).toEqual([
      { urls: "stun:127.0.0.1:3478" },
      { urls: "turn:127.0.0.1:3478?transport=udp", username: "1764108000:alice", credential: "c2VjcmV0" },
      { urls: "turns:[::1]:5349?transport=tcp", username: "u", credential: "p" },
    ]);
  });

  // What ejabberd 23.01 answers with this project's config and an external TURN server
  // (scripts/lib/ejabberd-config.ts): five services, one credential. Firefox warns from five servers on.
  const ejabberdExternalTurn = parse(`<services xmlns='urn:xmpp:extdisco:2'>
    <service type='stun' host='turn.example.org' port='3478' transport='udp' restricted='false'/>
    <service type='stun' host='turn.example.org' port='3478' transport='tcp' restricted='false'/>
    <service type='turn' host='turn.example.org' port='3478' transport='udp' restricted='true' username='1764108000:bob' password='cGFzcw=='/>
    <service type='turn' host='turn.example.org' port='3478' transport='tcp' restricted='true' username='1764108000:bob' password='cGFzcw=='/>
    <service type='turns' host='turn.example.org' port='5349' transport='tcp' restricted='true' username='1764108000:bob' password='cGFzcw=='/>
  </services>`);

  it("merges TURN URLs that share a credential into one server: five services become two servers, four URLs", () => {
    expect(toIceServers(readServices(ejabberdExternalTurn))).toEqual([
      { urls: "stun:turn.example.org:3478" },
      {
        urls: ["turn:turn.example.org:3478?transport=udp", "turn:turn.example.org:3478?transport=tcp", "turns:turn.example.org:5349?transport=tcp"],
        username: "1764108000:bob",
        credential: "cGFzcw==",
      },
    ]);
  });

  it("keeps TURN servers with different credentials apart", () => {
    const services = [
      { type: "turn", host: "a", port: 3478, transport: "udp", username: "u1", password: "p" },
      { type: "turn", host: "b", port: 3478, transport: "udp", username: "u2", password: "p" },
      { type: "stun", host: "a", port: 3478, transport: "udp" },
      { type: "stun", host: "b", port: 3478, transport: "udp" },
    ];
    expect(toIceServers(services)).toEqual([
      { urls: "turn:a:3478?transport=udp", username: "u1", credential: "p" },
      { urls: "turn:b:3478?transport=udp", username: "u2", credential: "p" },
      { urls: ["stun:a:3478", "stun:b:3478"] },
    ]);
  });

  it("skips turns over udp, TURN without credentials, services without a port, and non-ICE services", () => {
    const urls = toIceServers(readServices(answer)).map((s) => s.urls);
    expect(urls).not.toContain("turns:x:5349?transport=udp");
    expect(urls.filter((u) => String(u).includes(":x:"))).toEqual([]);
  });

  it("refreshes half way to the earliest expiry", () => {
    const now = Date.parse("2025-11-25T20:00:00Z");
    expect(refreshDelay(readServices(answer), now)).toBe(3_600_000);
  });

  it("does not schedule a refresh when nothing expires", () => {
    expect(refreshDelay([{ type: "stun", host: "x" }], 0)).toBeUndefined();
  });

  it("never refreshes in a tight loop when credentials are about to expire", () => {
    expect(refreshDelay([{ type: "turn", host: "x", expires: 1000 }], 999)).toBe(30_000);
  });
});

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
  it("maps STUN and TURN with credentials and brackets IPv6 hosts", () => {
    expect(toIceServers(readServices(answer))).toEqual([
      { urls: "stun:127.0.0.1:3478" },
      { urls: "stun:127.0.0.1:3478" },
      { urls: "turn:127.0.0.1:3478?transport=udp", username: "1764108000:alice", credential: "c2VjcmV0" },
      { urls: "turns:[::1]:5349?transport=tcp", username: "u", credential: "p" },
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

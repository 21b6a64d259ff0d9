// One account trying to take every TURN relay (issue 15, item 5), against coturn with the
// shipped configuration in network namespaces. TURN REST credentials are anonymous and each
// XEP-0215 request mints a new one, so what bounds an account is: coturn's user-quota per
// credential, total-quota per host, and per-source limits in the firewall
// (server-config/firewall/turn-per-source.sh), which also cover ejabberd's own TURN (p1_stun
// 1.2.7 ignores turn_max_allocations: turn_sm:add_allocation/5 drops the limit argument).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_DIR } from "../../scripts/lib/local-settings.ts";
import { namespacesUnavailableReason } from "../support/netns.ts";
import {
  CLIENT_ADDRESS, createTurnWorld, OTHER_CLIENT_ADDRESS, runProbe, SHIPPED_COTURN_CONF, TURN_ADDRESS, TURN_CLIENT_MODULE, type TurnWorld,
} from "../support/netns-turn.ts";

const unavailable = namespacesUnavailableReason();
if (unavailable) console.log(`skipping the TURN exhaustion test: ${unavailable}`);

interface Attempt {
  localAddress: string;
  username: string;
  password: string;
}

// Opens one allocation per attempt, in order, holding every one it gets until all are tried;
// reports "ok", the STUN error code, or "timeout" (a firewall drops silently).
const HOLD_PROBE = `
import { allocate } from ${TURN_CLIENT_MODULE};
const { server, attempts } = JSON.parse(process.argv[2]);
const held = [];
const results = [];
for (const a of attempts) {
  try {
    held.push(await allocate({ host: server, port: 3478, transport: "udp", username: a.username, password: a.password, localAddress: a.localAddress, timeoutMs: 1500 }));
    results.push("ok");
  } catch (e) {
    results.push(e.code ? String(e.code) : /no answer/.test(e.message) ? "timeout" : e.message);
  }
}
for (const allocation of held) await allocation.close();
process.stdout.write(JSON.stringify(results));
`;

const SHIPPED_USER_QUOTA = Number(/^user-quota=(\d+)$/m.exec(readFileSync(SHIPPED_COTURN_CONF, "utf8"))![1]);
const FIREWALL_SCRIPT = join(PROJECT_DIR, "server-config/firewall/turn-per-source.sh");

let world: TurnWorld;

describe.skipIf(unavailable !== undefined)("one account trying to exhaust TURN (coturn, shipped config, network namespaces)", () => {
  beforeAll(async () => {
    world = await createTurnWorld();
  });
  afterAll(() => world?.destroy());

  const hold = (attempts: Attempt[]): Promise<string[]> => runProbe<string[]>(world.clientNs, HOLD_PROBE, { server: TURN_ADDRESS, attempts }, 120_000);

  it("holds one credential to user-quota allocations", async () => {
    const credential = world.credentials();
    const results = await hold(Array.from({ length: SHIPPED_USER_QUOTA + 3 }, () => ({ localAddress: CLIENT_ADDRESS, ...credential })));
    expect(results.filter((r) => r === "ok")).toHaveLength(SHIPPED_USER_QUOTA);
    // 486 Allocation Quota Reached (RFC 8656 §7.2).
    expect(results.slice(SHIPPED_USER_QUOTA)).toEqual(["486", "486", "486"]);
  });

  it("holds one source address with fresh credentials to the firewall's per-source limit, and others still get relays", async () => {
    const limit = 6;
    world.onTurnHost("bash", [FIREWALL_SCRIPT], { TURN_MAX_FLOWS_PER_SOURCE: String(limit), TURN_NEW_FLOWS_PER_MINUTE: "600" });
    const attacker = Array.from({ length: limit + 4 }, () => ({ localAddress: CLIENT_ADDRESS, ...world.credentials() }));
    const neighbour = { localAddress: OTHER_CLIENT_ADDRESS, ...world.credentials() };
    const results = await hold([...attacker, neighbour]);
    expect(results.slice(0, limit)).toEqual(new Array<string>(limit).fill("ok"));
    expect(results.slice(limit, -1)).toEqual(new Array<string>(4).fill("timeout"));
    expect(results.at(-1)).toBe("ok");
  });
});

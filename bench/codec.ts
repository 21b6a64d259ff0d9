// Round trips per second of our codec against StanzaJS 12's SDP ⇄ Jingle conversion (an
// established independent converter), measured in the same run on the same inputs.
// One round trip = SDP text → <jingle/> → XML text (the wire) → <jingle/> → SDP text.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as Intermediate from "stanza/jingle/sdp/Intermediate.js";
import * as StanzaSdp from "stanza/jingle/sdp/Protocol.js";
import * as JXT from "stanza/jxt/index.js";
import StanzaProtocol from "stanza/protocol/index.js";
import { JingleSessionRole } from "stanza/Constants.js";
import { NS_JINGLE_ICE_UDP_1 } from "stanza/Namespaces.js";
import { jingleToSdp, parseJingleXml, sdpToJingle } from "../client/src/jingle/index.js";
import { semantics } from "../test/unit/jingle/helpers.js";

const FIXTURES = join(import.meta.dirname, "../test/fixtures/sdp");
const INPUTS = [
  { name: "Chrome audio+video offer (Chromium 156)", file: "chromium-audio-video-offer.sdp" },
  { name: "large simulcast offer (Chromium 156, 3 rids, 23 video codecs)", file: "chromium-simulcast-offer.sdp" },
];

const registry = new JXT.Registry();
// stanza is CommonJS: under ESM the default import is its whole exports object.
registry.define((StanzaProtocol as unknown as { default?: typeof StanzaProtocol }).default ?? StanzaProtocol);

function ours(sdp: string): string {
  const wire = sdpToJingle(sdp, { action: "session-initiate", sid: "bench", role: "initiator", dropTcp: false, dropMdns: false }).toString();
  return jingleToSdp(parseJingleXml(wire), { role: "responder" });
}

function stanza(sdp: string): string {
  const request = StanzaSdp.convertIntermediateToRequest(Intermediate.importFromSDP(sdp), JingleSessionRole.Initiator, NS_JINGLE_ICE_UDP_1);
  const wire = registry.export("iq", { type: "set", jingle: { action: "session-initiate", sid: "bench", ...request } } as never)!.toString();
  const iq = registry.import(JXT.parse(wire)) as { jingle: Parameters<typeof StanzaSdp.convertRequestToIntermediate>[0] };
  return Intermediate.exportToSDP(StanzaSdp.convertRequestToIntermediate(iq.jingle, JingleSessionRole.Initiator));
}

/** Round trips per second over `ms` milliseconds. */
function measure(fn: (s: string) => string, sdp: string, ms: number): number {
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 50; i++) fn(sdp);
    n += 50;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

export default async function run(): Promise<void> {
  for (const input of INPUTS) {
    const sdp = readFileSync(join(FIXTURES, input.file), "utf8");
    // Lossless check first: a fast converter that loses data would prove nothing.
    const lossless = JSON.stringify(semantics(ours(sdp))) === JSON.stringify(semantics(sdp));
    for (let i = 0; i < 300; i++) {
      ours(sdp);
      stanza(sdp);
    }
    const a: number[] = [];
    const b: number[] = [];
    for (let round = 0; round < 5; round++) {
      a.push(measure(ours, sdp, 400));
      b.push(measure(stanza, sdp, 400));
    }
    const mine = median(a);
    const theirs = median(b);
    console.log(`${input.name}, ${sdp.length} bytes of SDP:`);
    console.log(`  ours (sdp-transform + @xmpp/xml)  ${mine.toFixed(0).padStart(7)} round trips/s  (lossless on the fixture: ${lossless ? "yes" : "NO"})`);
    console.log(`  stanza 12.22 (sdp + jxt)          ${theirs.toFixed(0).padStart(7)} round trips/s`);
    console.log(`  ratio ours/stanza                 ${(mine / theirs).toFixed(2)}×`);
  }
}

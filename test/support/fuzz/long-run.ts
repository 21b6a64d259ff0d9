// Long fuzz run of the codec, outside the test suite: `npx tsx test/support/fuzz/long-run.ts [CASES] [FIRST_SEED]`.
// Prints cases/second, the outcome mix and every failure (seed + mutations, to replay in a test).
import { FuzzFailure, loadCodecSeeds, runCodecCase } from "./codec-cases.js";

const cases = Number(process.argv[2] ?? 100_000);
const first = Number(process.argv[3] ?? 1);
const seeds = loadCodecSeeds();
const failures: FuzzFailure[] = [];
const reasons = new Map<string, number>();
let converted = 0;
let refused = 0;
let slowest = { ms: 0, seed: 0, labels: [] as string[] };
const start = performance.now();
for (let seed = first; seed < first + cases; seed++) {
  const t0 = performance.now();
  try {
    const o = runCodecCase(seed, seeds);
    converted += o.converted;
    refused += o.refused;
    for (const reason of o.reasons) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    const ms = performance.now() - t0;
    if (ms > slowest.ms) slowest = { ms, seed, labels: o.labels };
  } catch (error) {
    if (!(error instanceof FuzzFailure)) throw error;
    failures.push(error);
    if (failures.length <= 20) console.log(`FAIL ${error.message}`);
  }
}
const seconds = (performance.now() - start) / 1000;
console.log(`${cases} cases (seeds ${first}..${first + cases - 1}) in ${seconds.toFixed(1)} s: ${(cases / seconds).toFixed(0)} cases/s`);
console.log(`codec calls: ${converted} converted, ${refused} refused with JingleCodecError; failures: ${failures.length}`);
console.log(`slowest case: seed ${slowest.seed} ${slowest.ms.toFixed(0)} ms [${slowest.labels.join(", ")}]`);
console.log(`refusals by reason: ${[...reasons].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(", ")}`);
process.exitCode = failures.length ? 1 : 0;

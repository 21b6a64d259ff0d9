// Fuzzing the pure codec with mutated real fixtures (test/support/fuzz): every case converts or is
// refused with JingleCodecError, and whatever it writes reads back (sdp-transform, XML 1.0).
// A failure names its seed; replay it with `npx tsx test/support/fuzz/long-run.ts 1 SEED`.
import { describe, expect, it } from "vitest";
import { FuzzFailure, loadCodecSeeds, runCodecCase, type CaseOutcome } from "../../support/fuzz/codec-cases.js";

const CASES = 10_000;
const CHUNKS = 4;
const seeds = loadCodecSeeds();
const outcomes: CaseOutcome[] = [];

function runChunk(first: number, count: number): string[] {
  const failures: string[] = [];
  for (let seed = first; seed < first + count; seed++) {
    try {
      outcomes.push(runCodecCase(seed, seeds));
    } catch (error) {
      failures.push(error instanceof FuzzFailure ? error.message : `seed ${seed}: harness error ${String(error)}`);
    }
  }
  return failures;
}

describe(`the codec under ${CASES} mutated fixtures`, () => {
  const size = CASES / CHUNKS;
  for (let chunk = 0; chunk < CHUNKS; chunk++) {
    it(`cases ${chunk * size + 1}–${(chunk + 1) * size} convert or throw JingleCodecError, and their output reads back`, () => {
      expect(runChunk(chunk * size + 1, size)).toEqual([]);
    }, 60_000);
  }

  it("the cases covered every kind of input and mutation, and both outcomes", () => {
    expect(outcomes).toHaveLength(CASES);
    const labels = new Set(outcomes.flatMap((o) => o.labels.map((l) => l.replace(/\(.*$/s, ""))));
    for (const mutation of [
      "remove-attr", "hostile-attr", "wrong-namespace", "rename", "remove-child", "duplicate-child", "multiply", "invalid-candidate",
      "unknown-element", "deep-nesting", "text-junk", "set-action", "huge-attr", "duplicate-attr", "truncate", "byte-flip", "drop-close-tag",
      "deep-text", "huge-text", "drop-line", "duplicate-line", "truncate-line", "swap-lines", "hostile-number", "huge-line",
      "multiply-candidates", "multiply-media", "multiply-payload-types", "duplicate-mid", "line-endings", "truncate-sdp", "candidate-tokens",
    ]) expect(labels, mutation).toContain(mutation);
    const reasons = new Set(outcomes.flatMap((o) => o.reasons));
    for (const reason of ["limit-exceeded", "invalid-attribute", "malformed-sdp", "malformed-xml", "duplicate-content", "malformed-candidate"]) {
      expect(reasons, reason).toContain(reason);
    }
    expect(outcomes.reduce((n, o) => n + o.converted, 0)).toBeGreaterThan(CASES / 2);
  });
});

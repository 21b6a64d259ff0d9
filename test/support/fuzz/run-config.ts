// Seed and size of a fuzz run in the test suite. The defaults keep `npm test` fast; the
// environment replays a failure or runs longer:
//   CALL_FUZZ_SEED=4711 CALL_FUZZ_CASES=100000 npx vitest run --project unit test/unit/call/
// Every failure message names the seed that replays it.

export interface FuzzRun {
  /** First seed: case i of the run uses seed + i. */
  seed: number;
  cases: number;
}

function positiveInteger(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${name}=${value}: expected an integer ≥ ${min}`);
  return n;
}

/** `<PREFIX>_SEED` and `<PREFIX>_CASES` from the environment, else the defaults. */
export function fuzzRun(prefix: string, defaults: FuzzRun, env: NodeJS.ProcessEnv = process.env): FuzzRun {
  return {
    seed: positiveInteger(`${prefix}_SEED`, env[`${prefix}_SEED`], defaults.seed, 0),
    cases: positiveInteger(`${prefix}_CASES`, env[`${prefix}_CASES`], defaults.cases, 1),
  };
}

import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../../client/src/xmpp/backoff.js";

const opts = { baseMs: 1000, capMs: 60_000, floorMs: 250 };

describe("reconnect backoff", () => {
  it.each([
    [0, 1000],
    [1, 2000],
    [3, 8000],
    [10, 60_000],
    [500, 60_000],
  ])("retry %i waits at most %i ms", (attempt, ceiling) => {
    expect(backoffDelay(attempt, opts, () => 0.999999)).toBe(Math.round(0.999999 * ceiling));
  });

  it("never waits less than the floor, however small the random draw", () => {
    expect(backoffDelay(5, opts, () => 0)).toBe(250);
  });

  it("spreads clients over the whole window (full jitter)", () => {
    expect(backoffDelay(4, opts, () => 0.5)).toBe(8000);
    expect(backoffDelay(4, opts, () => 0.25)).toBe(4000);
  });
});

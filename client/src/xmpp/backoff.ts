/**
 * Reconnection delay: exponential backoff with "full jitter" (a random delay between 0 and
 * the capped exponential), so that many clients cut off by the same server restart do not
 * all come back in the same instant. A floor keeps a flapping network from spinning.
 */
export interface BackoffOptions {
  /** Delay scale of the first retry, ms. */
  baseMs: number;
  /** Upper bound of any delay, ms. */
  capMs: number;
  /** Lower bound of any delay, ms. */
  floorMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, capMs: 60_000, floorMs: 250 };

/** Delay before retry number `attempt` (0-based); `random` is injectable for tests. */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return Math.max(options.floorMs, Math.round(random() * ceiling));
}

// Polling for a condition instead of sleeping a fixed time: the fakes' timers are 0–5 ms, and a
// fixed sleep would be either flaky under load or slow.

/** Resolves when `predicate` holds, polling the event loop (the fakes' timers are 0–5 ms). */
export async function until(predicate: () => boolean, what = "condition", timeoutMs = 2000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}


// The echo answers many calls at once, but a CallManager (client/src/call/manager.ts) holds one
// call at a time and answers "busy" to the next: the echo keeps a pool of managers on one XMPP
// connection and routes each JMI message or Jingle iq to one of them. Pure, so it is tested alone.

/** What routing needs to know of one manager of the pool. */
export interface PoolSlot {
  /** It holds a call not yet ended. */
  busy: boolean;
  /** It knows the call (sid / JMI id) the stanza is about, ended or not. */
  owns: boolean;
}

/**
 * The index of the manager that gets a stanza about one call: the manager that knows the call;
 * else, for a stanza that starts a call (JMI propose, session-initiate), a free one; else the
 * first, whose call layer then answers as it would alone (busy, unknown-session, or nothing).
 */
export function routeTo(slots: readonly PoolSlot[], startsCall: boolean): number {
  const owner = slots.findIndex((s) => s.owns);
  if (owner !== -1) return owner;
  if (startsCall) {
    const free = slots.findIndex((s) => !s.busy);
    if (free !== -1) return free;
  }
  return 0;
}

// Caps on what one peer may make the call layer hold over time. The codec
// caps a single stanza (../jingle/limits.ts); these cap what many stanzas add up to.
import { LIMITS } from "../jingle/limits.js";

export const CALL_LIMITS = {
  /**
   * Remote candidates one call takes in, all stanzas together: twice what one stanza may carry.
   * A real call brings a dozen or two (host, srflx, relay per interface); past the cap a
   * transport-info is refused with not-acceptable and the call goes on with what it has.
   */
  remoteCandidates: 2 * LIMITS.candidates,
  /** How long an ended call stays listed (the UI shows its end) and answers its peer's late iqs. */
  endedGraceMs: 60_000,
  /** Ended calls kept listed at most, however recent (a contact calling and hanging up in a loop). */
  endedCalls: 16,
  /** Sids of calls no longer listed still answered with unknown-session (XEP-0166 §6.7), oldest forgotten first. */
  endedSids: 256,
} as const;

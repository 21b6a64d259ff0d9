// A peer device momentarily without a session: both clients reconnecting after a server restart
// make the server answer service-unavailable for a full JID nobody holds (RFC 6120 §10.5.4). Its
// client comes back under the same full JID (XmppConnection re-binds its resource), so an
// established call's request is sent again for a while instead of failing at once.
import { StanzaError } from "../xmpp/errors.js";

export interface PeerAwayPolicy {
  /** Give up this long after the peer was first found away. */
  awayMs: number;
  /** Try again every this many ms. */
  retryMs: number;
  /** Only an established call waits (before, an absent device simply did not answer). */
  established(): boolean;
}

function isAway(error: unknown): boolean {
  return error instanceof StanzaError && (error.condition === "service-unavailable" || error.condition === "recipient-unavailable");
}

export async function sendWhilePeerAway(send: () => Promise<void>, policy: PeerAwayPolicy): Promise<void> {
  // Counted from when the peer was found away: the first attempt may itself have waited for our own reconnection.
  let deadline: number | undefined;
  for (;;) {
    try {
      return await send();
    } catch (error) {
      deadline ??= Date.now() + policy.awayMs;
      if (!isAway(error) || !policy.established() || Date.now() + policy.retryMs > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, policy.retryMs));
    }
  }
}

import type { XmppAccount } from "../xmpp/account.js";
import { NS_JINGLE } from "../namespaces.js";
import { CallManager } from "../call/manager.js";
import type { PeerFactory } from "../call/peer.js";
import type { PeerPrewarm } from "../platform/peer-browser.js";
import { deliverJingle, deliverMessage, stanzaSignaling } from "./call-stanzas.js";

export interface CallSettings {
  /** Let people who are not contacts ring (off by default: candidates reveal IP addresses). */
  allowStrangers: boolean;
  /** Force TURN relays (hides the local address from the peer). */
  relayOnly: boolean;
}

/** Composes the call layer on a signed-in account: signaling port, policy, ICE servers. */
export function createCallManager(account: XmppAccount, createPeer: PeerFactory & Partial<PeerPrewarm>, settings: CallSettings): CallManager {
  const connection = account.connection;
  const manager = new CallManager({
    signaling: stanzaSignaling(connection),
    createPeer,
    iceServers: () => account.iceServers.iceServers,
    relayOnly: () => settings.relayOnly,
    policy: {
      isTrusted: (bare) => {
        const s = account.roster.get(bare)?.subscription;
        return s === "both" || s === "from" || s === "to";
      },
      get allowStrangers() {
        return settings.allowStrangers;
      },
    },
  });
  // While an incoming call rings, its peer connection gathers (peer-browser.ts PeerPrewarm): only
  // the answer's setup is left after accept. Calls that may not ring never get here (policy above).
  manager.on("call", (call) => {
    if (!createPeer.prewarm || call.direction !== "incoming" || call.ended) return;
    // After this task, so that our <ringing/> leaves first.
    setTimeout(() => {
      if (call.state === "incoming" || call.state === "incoming-session") createPeer.prewarm?.(account.iceServers.iceServers, settings.relayOnly);
    }, 0);
    const off = call.on("state", () => {
      if (!call.ended && (call.state === "incoming" || call.state === "incoming-session")) return;
      off();
      // Answered: the factory takes it (or already did); ended while ringing: released.
      if (call.ended) createPeer.discard?.();
    });
  });
  connection.handleIq("set", NS_JINGLE, "jingle", ({ from, element }) => {
    deliverJingle(manager, from, element);
    return undefined;
  });
  account.on("message", (stanza) => deliverMessage(manager, stanza));
  return manager;
}

import type { XmppAccount } from "../xmpp/account.js";
import { NS_JINGLE } from "../namespaces.js";
import { CallManager } from "../call/manager.js";
import type { PeerFactory } from "../call/peer.js";
import { deliverJingle, deliverMessage, stanzaSignaling } from "./call-stanzas.js";

export interface CallSettings {
  /** Let people who are not contacts ring (off by default: candidates reveal IP addresses). */
  allowStrangers: boolean;
  /** Force TURN relays (hides the local address from the peer). */
  relayOnly: boolean;
}

/** Composes the call layer on a signed-in account: signaling port, policy, ICE servers. */
export function createCallManager(account: XmppAccount, createPeer: PeerFactory, settings: CallSettings): CallManager {
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
  connection.handleIq("set", NS_JINGLE, "jingle", ({ from, element }) => {
    deliverJingle(manager, from, element);
    return undefined;
  });
  account.on("message", (stanza) => deliverMessage(manager, stanza));
  return manager;
}

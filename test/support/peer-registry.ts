/**
 * Init script for browser tests: records every RTCPeerConnection the page creates in
 * `globalThis.__peerConnections`, so a test can read their stats and close them before the
 * page (TURN allocations, see CONVENTIONS). The app itself exposes nothing for tests.
 *
 * The constructor is wrapped by a subclass, so `instanceof RTCPeerConnection` and the static
 * `generateCertificate` keep working. Pages that push their own connections into the same
 * array (older tests did) are tolerated: an instance is recorded once.
 */
export const PEER_REGISTRY_SCRIPT = `(() => {
  const Native = globalThis.RTCPeerConnection;
  if (!Native || Native.__recorded) return;
  class Recorded extends Native {
    constructor(...args) {
      super(...args);
      const list = (globalThis.__peerConnections ??= []);
      if (!list.includes(this)) list.push(this);
    }
  }
  Object.defineProperty(Recorded, "name", { value: "RTCPeerConnection" });
  Object.defineProperty(Recorded, "__recorded", { value: true });
  globalThis.RTCPeerConnection = Recorded;
})();`;

declare global {
  // Filled by PEER_REGISTRY_SCRIPT in test browsers.
  var __peerConnections: RTCPeerConnection[] | undefined;
}

import WebSocket from "ws";

/**
 * A WebSocket class for @xmpp/websocket in Node (20 has no global one) that trusts
 * the given CA in addition to the system store: TLS stays verified, never switched off.
 */
export function websocketTrusting(caPem?: string): typeof globalThis.WebSocket {
  class TrustingWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, caPem ? { ca: caPem } : {});
    }
  }
  return TrustingWebSocket as unknown as typeof globalThis.WebSocket;
}

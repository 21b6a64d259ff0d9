import WebSocket from "ws";

/**
 * A WebSocket class for @xmpp/websocket in Node 20 (which has no global one), trusting `caPem`
 * besides the system store when given (the local deployment's own CA): TLS stays verified.
 */
export function nodeWebSocket(caPem?: string): typeof globalThis.WebSocket {
  class NodeWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, caPem ? { ca: caPem } : {});
    }
  }
  return NodeWebSocket as unknown as typeof globalThis.WebSocket;
}

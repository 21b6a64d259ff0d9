// "Test call": calls the server's echo account (services/echo), which answers with the user's own
// audio and video a moment later, so microphone, camera and the path through the server (ICE,
// TURN, DTLS-SRTP) are checked before calling someone.
import { splitJid } from "../xmpp/connection.js";
import { h } from "./dom.js";
import { icon } from "./icons.js";

/** The echo account of the user's own server: echo@<domain> (provisioned by npm start and docker-compose). */
export function testCallAddress(ownJid: string): string {
  return `echo@${splitJid(ownJid).domain}`;
}

export interface TestCallProps {
  /** The echo account to call (testCallAddress). */
  jid: string;
  /** A call is in progress: no test call. */
  inCall: boolean;
  onCall(jid: string, video: boolean): void;
}

export function testCallView(props: TestCallProps): HTMLElement {
  return h(
    "section",
    { class: "test-call", "aria-label": "Test call" },
    h("button", {
      title: `Call ${props.jid}: you hear and see yourself a moment later, through the server`,
      disabled: props.inCall,
      onclick: () => props.onCall(props.jid, true),
    }, icon("video"), "Test call"),
    h("p", { class: "muted" }, "Hear and see yourself a moment later: checks your microphone, camera and connection."),
  );
}

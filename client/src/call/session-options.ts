// The ports and settings of a call: what it needs from the connection, its timeouts, and the
// events it emits (closed, so a misspelt event name fails the type check).
import type { JingleRequest, OutgoingJingle } from "../jingle/index.js";
import type { OutgoingJmi } from "../xmpp/jmi.js";
import { DEFAULT_ICE_RESTART_TIMEOUTS, type IceRestartTimeouts } from "./ice-restart.js";
import type { IceState, PeerFactory } from "./peer.js";
import type { VideoState } from "./renegotiation.js";
import type { CallDirection, CallMedia, CallState } from "./states.js";

/** What a call needs from the XMPP connection (a port: tests pass a fake). */
export interface CallSignaling {
  /** Our full JID. */
  readonly jid: string;
  /** A XEP-0353 message, written at the edge (xmpp/jmi.ts); resolves once sent. */
  sendJmi(to: string, jmi: OutgoingJmi): Promise<void>;
  /** A Jingle iq set, written at the edge (jingle/request.ts); resolves on result, rejects with StanzaError. */
  sendJingle(to: string, jingle: OutgoingJingle): Promise<void>;
}

export interface CallTimeouts extends IceRestartTimeouts {
  /** Outgoing: ringing without answer before we retract (missed call for the callee). */
  ringMs: number;
  /** Incoming: ringing before we give up on a caller that never retracts. */
  incomingMs: number;
  /** After proceed, how long we wait for session-initiate. */
  proceedMs: number;
  /**
   * Once the session is agreed (states.ts ANSWERED; the phases before have the timers above), how
   * long ICE may take to connect for the first time before the call ends with connectivity-error
   * (MediaLink.connectWithin says why the browser's own "failed" is not enough).
   */
  connectMs: number;
  /**
   * Local candidates gathered within this window go out in one transport-info. The first
   * candidates ride in session-initiate/accept; later ones are relay candidates (TURN over
   * UDP, TCP, TLS arrive tens of ms apart), so a wider window saves stanzas, not setup time.
   */
  trickleBatchMs: number;
  /**
   * An established call's iq to a peer device without a session is sent again for this long…
   * (longer than a reconnecting client's backoff may keep it away: ours reaches 30-60 s).
   */
  peerAwayMs: number;
  /** …every this many ms (its client reconnecting, e.g. after a server restart). */
  peerAwayRetryMs: number;
}

export const DEFAULT_TIMEOUTS: CallTimeouts = { ringMs: 45_000, incomingMs: 60_000, proceedMs: 15_000, connectMs: 40_000, trickleBatchMs: 100, peerAwayMs: 90_000, peerAwayRetryMs: 2_000, ...DEFAULT_ICE_RESTART_TIMEOUTS };

export interface CallSessionOptions {
  id: string;
  direction: CallDirection;
  /** Bare JID for an outgoing call; the caller's full JID for an incoming one. */
  peer: string;
  media: readonly CallMedia[];
  signaling: CallSignaling;
  createPeer: PeerFactory;
  iceServers: () => readonly RTCIceServer[];
  relayOnly?: boolean;
  /** Outgoing: every device the call goes to bundles (XEP-0338), so our offer gathers for one transport. */
  bundle?: boolean;
  /** Outgoing: every device the call goes to reads description-level XEP-0293 feedback (target.ts). */
  sharedFeedback?: boolean;
  timeouts?: Partial<CallTimeouts>;
  /** Incoming without JMI: the session-initiate that started the call. */
  initiate?: JingleRequest;
  /** Outgoing without JMI: `peer` is the full JID that gets session-initiate directly. */
  direct?: boolean;
}

/** A call's events. */
export type CallEvents = {
  state: [state: CallState];
  ice: [state: IceState];
  /** The media path broke after the call had connected (true) and is being restored, or is back (false). */
  recovering: [recovering: boolean];
  /** The peer muted/unmuted (XEP-0167 §7.2). */
  remoteMute: [muted: boolean];
  /** Something the user should read (media denied, connection failed…). */
  problem: [message: string];
  /** The informational text about the running call changed (see `notice`). */
  notice: [text: string];
  /** Video was added, accepted, refused or stopped (see `video`, `notice`). */
  video: [state: VideoState];
  /** The peer refused one of our Jingle iqs (for the log: the call acts on it where it matters). */
  iqError: [action: string, error: unknown];
};


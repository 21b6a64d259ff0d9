// Public API of the pure SDP ⇄ Jingle codec. No I/O, no DOM, no XMPP connection.
export {
  sdpToJingle, jingleToSdp, sdpToSession, sessionToJingle, jingleToSession, sessionToSdp,
  isAnswerAction, sessionIdFromSid,
  type SdpToJingleOptions, type JingleToSdpOptions, type SdpToSessionOptions, type SessionToSdpOptions,
} from "./codec.js";
export { alignAnswerToOffer } from "./align.js";
export { hoistFeedback, hoistSessionFeedback, writesDescriptionFeedback } from "./feedback.js";
export {
  candidateToJingle, jingleToCandidates, jingleToCredentials, credentialsToJingle,
  placeCandidates, sessionCandidates, sessionCredentials, credentialsSession,
  type IceCandidateInit, type IceCredentials, type TrickleContext, type TrickleContent, type RemoteCandidate,
} from "./trickle.js";
export {
  readJingleRequest, writeJingleRequest, isJingleAction, isJingleReason, JINGLE_ACTIONS, JINGLE_REASONS,
  type JingleRequest, type OutgoingJingle, type JingleBody, type JingleAction, type JingleReason, type SessionInfo, type ContentStub, type RtpMedia,
} from "./request.js";
export { parseCandidateString, formatCandidateString, keepCandidate, type CandidateFilter } from "./candidate.js";
export { parseJingleXml, findJingle } from "./xml-text.js";
export {
  JingleCodecError,
  type JingleCodecReason, type StanzaErrorCondition, type JingleTerminateReason, type JingleCodecLocation,
} from "./errors.js";
export * from "./model.js";
export type { SdpReadResult } from "./sdp-read.js";
export type { JingleAttributes } from "./xml-write.js";

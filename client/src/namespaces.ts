// Every XML namespace the client speaks, each with the specification (and version read) that
// defines it: one module, so the codec, the call layer, the XMPP services and the tests all
// spell them the same way.

/** XEP-0166 Jingle 1.1.2: the <jingle/> element, <content/> and <reason/>. */
export const NS_JINGLE = "urn:xmpp:jingle:1";
/** XEP-0166 §10 Jingle error conditions (<unknown-session/>, <out-of-order/>, <tie-break/>). */
export const NS_JINGLE_ERRORS = "urn:xmpp:jingle:errors:1";
/** XEP-0167 Jingle RTP Sessions 1.2.3: <description/>, <payload-type/>, <rtcp-mux/>, <bandwidth/>. */
export const NS_JINGLE_RTP = "urn:xmpp:jingle:apps:rtp:1";
/** XEP-0167 §9 disco feature advertising audio support (not an element namespace). */
export const NS_JINGLE_RTP_AUDIO = "urn:xmpp:jingle:apps:rtp:audio";
/** XEP-0167 §9 disco feature advertising video support (not an element namespace). */
export const NS_JINGLE_RTP_VIDEO = "urn:xmpp:jingle:apps:rtp:video";
/** XEP-0293 Jingle RTP Feedback Negotiation 1.0.2: <rtcp-fb/> and <rtcp-fb-trr-int/>. */
export const NS_JINGLE_RTP_FB = "urn:xmpp:jingle:apps:rtp:rtcp-fb:0";
/** XEP-0294 Jingle RTP Header Extensions Negotiation 1.1.2: <rtp-hdrext/>, <extmap-allow-mixed/>. */
export const NS_JINGLE_RTP_HDREXT = "urn:xmpp:jingle:apps:rtp:rtp-hdrext:0";
/** XEP-0339 Source-Specific Media Attributes in Jingle 1.0.1: <source/>, <ssrc-group/>. */
export const NS_JINGLE_RTP_SSMA = "urn:xmpp:jingle:apps:rtp:ssma:0";
/**
 * StanzaJS's <stream id track/> for `a=msid` (no XEP defines an element for it; XEP-0339 only
 * carries msid as a <source/> parameter). Read; written only when no <source/> carries the msid.
 */
export const NS_JINGLE_RTP_MSID = "urn:xmpp:jingle:apps:rtp:msid:0";
/** XEP-0338 Jingle Grouping Framework 1.0.0: <group semantics='BUNDLE'/>. */
export const NS_JINGLE_GROUPING = "urn:xmpp:jingle:apps:grouping:0";
/** XEP-0176 Jingle ICE-UDP Transport Method 1.1.1: <transport/>, <candidate/>. */
export const NS_JINGLE_ICE_UDP = "urn:xmpp:jingle:transports:ice-udp:1";
/** XEP-0320 Use of DTLS-SRTP in Jingle Sessions 1.0.0: <fingerprint hash setup/>. */
export const NS_JINGLE_DTLS = "urn:xmpp:jingle:apps:dtls:0";
/** XEP-0343 Signaling WebRTC datachannels in Jingle 0.3.1: <sctpmap/>. */
export const NS_JINGLE_DTLS_SCTP = "urn:xmpp:jingle:transports:dtls-sctp:1";
/** XEP-0167 §7: session-info payloads (<ringing/>, <active/>, <mute/>, <unmute/>, <hold/>). */
export const NS_JINGLE_RTP_INFO = "urn:xmpp:jingle:apps:rtp:info:1";
/** XEP-0176 §2: the disco feature for the obsolete raw-udp transport (not supported here). */
export const NS_JINGLE_RAW_UDP = "urn:xmpp:jingle:transports:raw-udp:1";
/** XEP-0353 Jingle Message Initiation 0.6: <propose/>, <ringing/>, <proceed/>, <accept/>, <reject/>, <retract/>, <finish/>. */
export const NS_JMI = "urn:xmpp:jingle-message:0";

// XMPP beyond Jingle.

/** RFC 6120 §8.3.3: stanza error conditions. */
export const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
/** RFC 6121 §2: roster management. */
export const NS_ROSTER = "jabber:iq:roster";
/** XEP-0030: Service Discovery, info. */
export const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";
/** XEP-0115: Entity Capabilities. */
export const NS_CAPS = "http://jabber.org/protocol/caps";
/** XEP-0215 v1.0: External Service Discovery. */
export const NS_EXTDISCO = "urn:xmpp:extdisco:2";
/** XEP-0280: Message Carbons. */
export const NS_CARBONS = "urn:xmpp:carbons:2";
/** XEP-0297: Stanza Forwarding (carbons wrap messages in it). */
export const NS_FORWARD = "urn:xmpp:forward:0";
/** XEP-0334: Message Processing Hints. */
export const NS_HINTS = "urn:xmpp:hints";
/** XEP-0184: Message Delivery Receipts. */
export const NS_RECEIPTS = "urn:xmpp:receipts";
/** XEP-0203: Delayed Delivery. */
export const NS_DELAY = "urn:xmpp:delay";
/** XEP-0199: XMPP Ping. */
export const NS_PING = "urn:xmpp:ping";
/** XEP-0313 v1.1: Message Archive Management. */
export const NS_MAM = "urn:xmpp:mam:2";
/** XEP-0059: Result Set Management (MAM pages). */
export const NS_RSM = "http://jabber.org/protocol/rsm";
/** XEP-0004: Data Forms (MAM query filters). */
export const NS_DATA_FORMS = "jabber:x:data";
/** RFC 6120 §7 resource binding. */
export const NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind";
/** XEP-0156 §3.2: host-meta as XRD (XML). */
export const NS_XRD = "http://docs.oasis-open.org/ns/xri/xrd-1.0";
/** XEP-0085 v2.1: Chat State Notifications. */
export const NS_CHAT_STATES = "http://jabber.org/protocol/chatstates";
/** XEP-0333 v0.4: Chat Markers (displayed). */
export const NS_CHAT_MARKERS = "urn:xmpp:chat-markers:0";
/** XEP-0308 v1.2: Last Message Correction. */
export const NS_CORRECTION = "urn:xmpp:message-correct:0";
/** XEP-0359 v0.7: Unique and Stable Stanza IDs (<stanza-id/>, <origin-id/>). */
export const NS_SID = "urn:xmpp:sid:0";

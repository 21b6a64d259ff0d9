// XMPP namespaces used outside the Jingle codec, each with the specification that defines it.
// (The Jingle namespaces themselves live in client/src/jingle.)

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
/** XEP-0353 v0.6: Jingle Message Initiation. */
export const NS_JMI = "urn:xmpp:jingle-message:0";
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
/** XEP-0166 §10: Jingle, and its error namespace. */
export const NS_JINGLE = "urn:xmpp:jingle:1";
export const NS_JINGLE_ERRORS = "urn:xmpp:jingle:errors:1";
/** XEP-0176: ICE-UDP transport. */
export const NS_JINGLE_ICE_UDP = "urn:xmpp:jingle:transports:ice-udp:1";
/** XEP-0167: RTP sessions, and its media "features" (§11). */
export const NS_JINGLE_RTP = "urn:xmpp:jingle:apps:rtp:1";
export const NS_JINGLE_RTP_AUDIO = "urn:xmpp:jingle:apps:rtp:audio";
export const NS_JINGLE_RTP_VIDEO = "urn:xmpp:jingle:apps:rtp:video";
/** XEP-0167 §7: session-info payloads. */
export const NS_JINGLE_RTP_INFO = "urn:xmpp:jingle:apps:rtp:info:1";
/** XEP-0320: DTLS-SRTP in Jingle. */
export const NS_JINGLE_DTLS = "urn:xmpp:jingle:apps:dtls:0";
/** XEP-0293 / XEP-0294 / XEP-0338 / XEP-0339: RTP feedback, header extensions, grouping, SSMA. */
export const NS_JINGLE_RTCP_FB = "urn:xmpp:jingle:apps:rtp:rtcp-fb:0";
export const NS_JINGLE_RTP_HDREXT = "urn:xmpp:jingle:apps:rtp:rtp-hdrext:0";
export const NS_JINGLE_GROUPING = "urn:xmpp:jingle:apps:grouping:0";
export const NS_JINGLE_SSMA = "urn:xmpp:jingle:apps:rtp:ssma:0";
/** XEP-0313 v1.1: Message Archive Management. */
export const NS_MAM = "urn:xmpp:mam:2";
/** XEP-0059: Result Set Management (MAM pages). */
export const NS_RSM = "http://jabber.org/protocol/rsm";
/** XEP-0004: Data Forms (MAM query filters). */
export const NS_DATA_FORMS = "jabber:x:data";
/** RFC 6120 §7 resource binding. */
export const NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind";

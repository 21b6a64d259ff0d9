// XML namespaces of the Jingle family, each with the XEP (and version read) that defines it.
// One module so that the codec, the session layer and disco#info all spell them the same way.

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
 * carries msid as a <source/> parameter). Read and written so StanzaJS peers keep track ids.
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
/** XEP-0262 / XEP-0167 §7 SDES: <encryption><crypto/></encryption> (read only to be stripped). */
export const NS_JINGLE_RTP_INFO = "urn:xmpp:jingle:apps:rtp:info:1";
/** XEP-0176 §2: the disco feature for the obsolete raw-udp transport (not supported here). */
export const NS_JINGLE_RAW_UDP = "urn:xmpp:jingle:transports:raw-udp:1";
/** XEP-0353 Jingle Message Initiation (propose/proceed/accept…), here for completeness of one module. */
export const NS_JINGLE_MESSAGE = "urn:xmpp:jingle-message:0";

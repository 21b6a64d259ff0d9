// XEP-0353 Jingle Message Initiation messages to mutate: the examples of XEP-0353 0.8.0
// (xsf/xeps `xep-0353.xml` @ 3ad7aaaa), verbatim but for the addresses, which the harness sets.
export const JMI_SEEDS: readonly string[] = [
  `<message type='chat'><propose xmlns='urn:xmpp:jingle-message:0' id='ca3cf894-5325-482f-a412-a6e9f832298d'><description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'/></propose><store xmlns="urn:xmpp:hints"/></message>`,
  `<message type='chat'><ringing xmlns='urn:xmpp:jingle-message:0' id='ca3cf894-5325-482f-a412-a6e9f832298d'/><store xmlns="urn:xmpp:hints"/></message>`,
  `<message type='chat'><retract xmlns='urn:xmpp:jingle-message:0' id='ca3cf894-5325-482f-a412-a6e9f832298d'><reason xmlns="urn:xmpp:jingle:1"><cancel/><text>Retracted</text></reason></retract><store xmlns="urn:xmpp:hints"/></message>`,
  `<message type='chat'><proceed xmlns='urn:xmpp:jingle-message:0' id='ca3cf894-5325-482f-a412-a6e9f832298d'/><store xmlns="urn:xmpp:hints"/></message>`,
  `<message type='chat'><reject xmlns='urn:xmpp:jingle-message:0' id='ca3cf894-5325-482f-a412-a6e9f832298d'><reason xmlns="urn:xmpp:jingle:1"><busy/><text>Busy</text></reason></reject><store xmlns="urn:xmpp:hints"/></message>`,
  `<message type='chat'><finish xmlns='urn:xmpp:jingle-message:0' id='ca3cf894-5325-482f-a412-a6e9f832298d'><reason xmlns="urn:xmpp:jingle:1"><success/><text>Success</text></reason></finish><store xmlns="urn:xmpp:hints"/></message>`,
  `<message type='chat'><reject xmlns='urn:xmpp:jingle-message:0' id='fecbea35-08d3-404f-9ec7-2b57c566fa74'><reason xmlns="urn:xmpp:jingle:1"><expired/><text>Tie-Break</text></reason><tie-break/></reject><store xmlns="urn:xmpp:hints"/></message>`,
];

import { describe, expect, it } from "vitest";
import parse from "@xmpp/xml/lib/parse.js";
import type { Element } from "@xmpp/xml";
import { Roster, readRosterItem, type RosterPort } from "../../../client/src/xmpp/roster.js";
import { StanzaError } from "../../../client/src/xmpp/errors.js";

function fakePort(rosterXml = "<query xmlns='jabber:iq:roster'/>") {
  const sent: string[] = [];
  const sets: string[] = [];
  let push: ((r: { from: string; element: Element }) => Element | undefined) | undefined;
  const port: RosterPort = {
    bareJid: "me@x",
    async send(s) { sent.push(s.toString()); },
    async iqGet() { return parse(rosterXml); },
    async iqSet(child) { sets.push(child.toString()); return undefined; },
    handleIq(_t, _ns, _n, handler) { push = handler; },
  };
  return { port, sent, sets, push: (from: string, xmlText: string) => push!({ from, element: parse(xmlText) }) };
}

const presence = (s: string) => parse(s);

describe("roster (RFC 6121)", () => {
  it("reads items with subscription, pending ask and groups", () => {
    expect(readRosterItem(parse("<item jid='bob@x' name='Bob' subscription='to' ask='subscribe'><group>Friends</group></item>"))).toEqual({
      jid: "bob@x", name: "Bob", subscription: "to", pendingOut: true, groups: ["Friends"],
    });
  });

  it("loads the roster and applies pushes from the own account", async () => {
    const { port, push } = fakePort("<query xmlns='jabber:iq:roster'><item jid='bob@x' subscription='both'/></query>");
    const roster = new Roster(port);
    await roster.load();
    push("me@x", "<query xmlns='jabber:iq:roster'><item jid='carol@x' subscription='none' ask='subscribe'/></query>");
    push("me@x", "<query xmlns='jabber:iq:roster'><item jid='bob@x' subscription='remove'/></query>");
    expect(roster.contacts.map((c) => c.jid)).toEqual(["carol@x"]);
  });

  it("refuses a roster push from someone else (RFC 6121 §2.1.6)", () => {
    const { port, push } = fakePort();
    const roster = new Roster(port);
    expect(() => push("eve@evil/x", "<query xmlns='jabber:iq:roster'><item jid='eve@evil' subscription='both'/></query>")).toThrow(StanzaError);
    expect(roster.contacts).toEqual([]);
  });

  it("records a stranger's subscription request until the user answers it", async () => {
    const { port, sent } = fakePort();
    const roster = new Roster(port);
    roster.handlePresence(presence("<presence from='stranger@x' type='subscribe'/>"));
    expect(roster.requests).toEqual(["stranger@x"]);
    await roster.refuse("stranger@x");
    expect(roster.requests).toEqual([]);
    expect(sent).toEqual([`<presence to="stranger@x" type="unsubscribed"/>`]);
  });

  it("accepting a stranger also asks to see their presence back", async () => {
    const { port, sent } = fakePort();
    const roster = new Roster(port);
    roster.handlePresence(presence("<presence from='new@x' type='subscribe'/>"));
    await roster.accept("new@x");
    expect(sent).toEqual([`<presence to="new@x" type="subscribed"/>`, `<presence to="new@x" type="subscribe"/>`]);
  });

  it("answers a request from a contact the user added without asking the user", async () => {
    const { port, sent } = fakePort("<query xmlns='jabber:iq:roster'><item jid='bob@x' subscription='none' ask='subscribe'/></query>");
    const roster = new Roster(port);
    await roster.load();
    roster.handlePresence(presence("<presence from='bob@x/phone' type='subscribe'/>"));
    expect(roster.requests).toEqual([]);
    expect(sent).toEqual([`<presence to="bob@x" type="subscribed"/>`]);
  });

  it("adding a contact sets the roster item then sends subscribe", async () => {
    const { port, sent, sets } = fakePort();
    await new Roster(port).add(" bob@x/ignored ", "Bob");
    expect(sets).toEqual([`<query xmlns="jabber:iq:roster"><item jid="bob@x" name="Bob"/></query>`]);
    expect(sent).toEqual([`<presence to="bob@x" type="subscribe"/>`]);
  });
});

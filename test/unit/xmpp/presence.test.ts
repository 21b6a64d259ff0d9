import { describe, expect, it } from "vitest";
import parse from "@xmpp/xml/lib/parse.js";
import { applyPresence, contactAvailability, readPresence, type PresenceTable } from "../../../client/src/xmpp/presence.js";

const p = (s: string) => readPresence(parse(s));

describe("presence per resource", () => {
  it.each([
    ["<presence from='bob@x/a'/>", "online"],
    ["<presence from='bob@x/a'><show>chat</show></presence>", "online"],
    ["<presence from='bob@x/a'><show>away</show></presence>", "away"],
    ["<presence from='bob@x/a'><show>xa</show></presence>", "away"],
    ["<presence from='bob@x/a'><show>dnd</show></presence>", "dnd"],
  ])("%s reads as %s", (stanza, availability) => {
    const change = p(stanza);
    expect(change?.kind === "available" && change.presence.availability).toBe(availability);
  });

  it("reads XEP-0115 caps from the presence", () => {
    const change = p("<presence from='bob@x/a'><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='v='/></presence>");
    expect(change?.kind === "available" && change.presence.caps).toEqual({ hash: "sha-1", node: "n", ver: "v=" });
  });

  it("ignores subscription presences and presences without a resource", () => {
    expect(p("<presence from='bob@x/a' type='subscribe'/>")).toBeUndefined();
    expect(p("<presence from='bob@x'/>")).toBeUndefined();
  });

  it("a contact is as available as its most available resource, offline when the last leaves", () => {
    let table: PresenceTable = new Map();
    table = applyPresence(table, p("<presence from='bob@x/phone'><show>away</show></presence>")!);
    table = applyPresence(table, p("<presence from='bob@x/web'><show>dnd</show></presence>")!);
    expect(contactAvailability(table, "bob@x")).toBe("away");
    table = applyPresence(table, p("<presence from='bob@x/laptop'/>")!);
    expect(contactAvailability(table, "bob@x")).toBe("online");
    for (const r of ["phone", "web", "laptop"]) table = applyPresence(table, p(`<presence from='bob@x/${r}' type='unavailable'/>`)!);
    expect(contactAvailability(table, "bob@x")).toBe("offline");
    expect(table.has("bob@x")).toBe(false);
  });

  it("applying a change leaves the previous table untouched", () => {
    const before: PresenceTable = new Map();
    applyPresence(before, p("<presence from='bob@x/a'/>")!);
    expect(before.size).toBe(0);
  });
});

import { describe, expect, it } from "vitest";
import type { Element } from "@xmpp/xml";
import parse from "@xmpp/xml/lib/parse.js";
import { queryArchive, readArchiveResult, type ArchiveConnection } from "../../../client/src/xmpp/mam.js";
import { historyFromJmi, mergeJmiLogs } from "../../../client/src/call/history.js";
import { jmiFromArchive } from "../../../client/src/xmpp/jmi.js";

// MAM results shaped as XEP-0313 v1.1 §4.2 Example 4 (result/forwarded/delay/message),
// wrapping JMI messages as this client sends them (client/src/call/jmi.ts). Hand-built from
// the XEP's example, not captured from a server.
const result = (queryId: string, id: string, stamp: string, inner: string, from = "me@x") =>
  parse(`<message xmlns='jabber:client' from='${from}' to='me@x/web'><result xmlns='urn:xmpp:mam:2' queryid='${queryId}' id='${id}'>
    <forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='${stamp}'/>${inner}</forwarded></result></message>`);
const jmi = (action: string, id: string, from: string, to: string, extra = "") =>
  `<message xmlns='jabber:client' from='${from}' to='${to}' type='chat'><${action} xmlns='urn:xmpp:jingle-message:0' id='${id}'>${extra}</${action}><store xmlns='urn:xmpp:hints'/></message>`;
const video = "<description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'/><description xmlns='urn:xmpp:jingle:apps:rtp:1' media='video'/>";

describe("reading the archive (XEP-0313)", () => {
  it("reads a result of our query from our own archive with the archive's time", () => {
    const r = readArchiveResult(result("q1", "A1", "2025-03-01T10:00:00.123Z", jmi("propose", "c1", "bob@x/pc", "me@x", video)), "q1", "me@x");
    expect(r).toMatchObject({ id: "A1", stamp: Date.parse("2025-03-01T10:00:00.123Z") });
    expect(r!.message.getChild("propose", "urn:xmpp:jingle-message:0")?.attrs.id).toBe("c1");
  });

  it.each([
    ["another query", result("q2", "A1", "2025-03-01T10:00:00Z", jmi("propose", "c1", "bob@x/pc", "me@x"))],
    ["someone else's 'archive'", result("q1", "A1", "2025-03-01T10:00:00Z", jmi("propose", "c1", "bob@x/pc", "me@x"), "eve@evil")],
    ["a result without a delay", parse("<message from='me@x'><result xmlns='urn:xmpp:mam:2' queryid='q1' id='A'><forwarded xmlns='urn:xmpp:forward:0'><message/></forwarded></result></message>")],
  ])("ignores %s", (_what, stanza) => {
    expect(readArchiveResult(stanza, "q1", "me@x")).toBeUndefined();
  });

  it("pages backwards until the archive is complete and returns the messages oldest first", async () => {
    const pages = [
      { messages: [["A3", "2025-03-01T10:03:00Z"], ["A4", "2025-03-01T10:04:00Z"]], first: "A3", complete: false },
      { messages: [["A1", "2025-03-01T10:01:00Z"], ["A2", "2025-03-01T10:02:00Z"]], first: "A1", complete: true },
    ];
    const requests: Element[] = [];
    const listeners = new Set<(s: Element) => void>();
    const connection: ArchiveConnection = {
      bareJid: "me@x",
      on: (_event, listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      async request(iq) {
        requests.push(iq);
        const query = iq.getChild("query", "urn:xmpp:mam:2")!;
        const page = pages[requests.length - 1]!;
        for (const [id, stamp] of page.messages) for (const l of listeners) l(result(String(query.attrs.queryid), id!, stamp!, jmi("propose", id!, "bob@x/pc", "me@x")));
        return parse(`<iq type='result'><fin xmlns='urn:xmpp:mam:2' complete='${page.complete}'><set xmlns='http://jabber.org/protocol/rsm'><first>${page.first}</first></set></fin></iq>`);
      },
    };
    const archived = await queryArchive(connection, { start: new Date("2025-02-01T00:00:00Z") });
    expect(archived.map((a) => a.id)).toEqual(["A1", "A2", "A3", "A4"]);
    expect(requests.map((r) => r.getChild("query")!.getChild("set")!.getChildText("before"))).toEqual(["", "A3"]);
    expect(requests[0]!.getChild("query")!.getChild("x")!.getChildren("field").find((f) => f.attrs.var === "start")!.getChildText("value")).toBe("2025-02-01T00:00:00.000Z");
    expect(listeners.size).toBe(0);
  });
});

describe("call history restored from the archive", () => {
  const archive = [
    // A call I placed, answered on bob's phone; one I received and missed; one I declined.
    result("q", "1", "2025-03-01T10:00:00Z", jmi("propose", "a", "me@x/web", "bob@x", video)),
    result("q", "2", "2025-03-01T10:00:01Z", jmi("ringing", "a", "bob@x/phone", "me@x/web")),
    result("q", "3", "2025-03-01T10:00:05Z", jmi("proceed", "a", "bob@x/phone", "me@x/web")),
    result("q", "4", "2025-03-01T11:00:00Z", jmi("propose", "b", "carol@x/pc", "me@x")),
    result("q", "5", "2025-03-01T11:00:45Z", jmi("retract", "b", "carol@x/pc", "me@x", "<reason xmlns='urn:xmpp:jingle:1'><timeout/></reason>")),
    result("q", "6", "2025-03-01T12:00:00Z", jmi("propose", "c", "dave@x/pc", "me@x")),
    result("q", "7", "2025-03-01T12:00:03Z", jmi("reject", "c", "me@x/phone", "dave@x/pc", "<reason xmlns='urn:xmpp:jingle:1'><decline/></reason>")),
    // Not JMI: a chat message.
    result("q", "8", "2025-03-01T12:30:00Z", "<message xmlns='jabber:client' from='bob@x/pc' to='me@x' type='chat'><body>hi</body></message>"),
  ].map((s) => readArchiveResult(s, "q", "me@x")!);

  it("rebuilds placed, missed and declined calls with the archive's times", () => {
    const history = historyFromJmi(jmiFromArchive(archive, "me@x"));
    expect(history.map((r) => [r.id, r.direction, r.peer, r.outcome, new Date(r.at).toISOString()])).toEqual([
      ["c", "received", "dave@x", "declined", "2025-03-01T12:00:00.000Z"],
      ["b", "received", "carol@x", "missed", "2025-03-01T11:00:00.000Z"],
      ["a", "placed", "bob@x", "answered", "2025-03-01T10:00:00.000Z"],
    ]);
    expect(history[2]!.media).toEqual(["audio", "video"]);
  });

  it("a message seen live and found in the archive counts once, and live calls after sign-in are kept", () => {
    const archived = jmiFromArchive(archive, "me@x");
    const live = [
      // The retract of call b, delivered live as well.
      { ...archived[4]!, at: Date.parse("2025-03-01T11:00:45.200Z"), message: { ...archived[4]!.message, delayedAt: undefined } },
      { message: { action: "propose" as const, id: "d", from: "me@x/web", to: "erin@x", media: ["audio" as const], sentCarbon: false }, outgoing: true, at: Date.parse("2025-03-02T09:00:00Z") },
    ];
    const merged = mergeJmiLogs(archived, live);
    expect(merged.filter((e) => e.message.id === "b" && e.message.action === "retract")).toHaveLength(1);
    expect(historyFromJmi(merged).map((r) => [r.id, r.outcome])).toEqual([["d", "unanswered"], ["c", "declined"], ["b", "missed"], ["a", "answered"]]);
  });

  it("an outcome older than its propose in the merged log still applies (the log is put in time order)", () => {
    const [propose, , proceed] = jmiFromArchive(archive, "me@x");
    expect(historyFromJmi(mergeJmiLogs([proceed!], [propose!]))[0]!.outcome).toBe("answered");
  });
});

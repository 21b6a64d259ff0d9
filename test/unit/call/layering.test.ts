// The call layer decides on typed data: Jingle and XEP-0353 are read and written at the protocol
// edge (jingle/request.ts, xmpp/jmi.ts, app/call-stanzas.ts), and the browser's peer connection
// sits behind the MediaPeer port. Checked over the import graph, so a shortcut fails the suite.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const CALL = join(import.meta.dirname, "..", "..", "..", "client", "src", "call");
const sources = readdirSync(CALL).filter((f) => f.endsWith(".ts")).map((f) => ({ file: f, text: readFileSync(join(CALL, f), "utf8") }));
const importsOf = (text: string) => [...text.matchAll(/^(?:import|export)[^;]*?from\s+"([^"]+)"/gms)].map((m) => m[1]!);

describe("client/src/call/ layering", () => {
  it("no module of the call layer imports @xmpp/* (no XML, no connection)", () => {
    const offending = sources.flatMap(({ file, text }) => importsOf(text).filter((i) => i.startsWith("@xmpp/")).map((i) => `${file} → ${i}`));
    expect(offending).toEqual([]);
  });

  it("no module of the call layer imports the app (UI) layer", () => {
    const offending = sources.flatMap(({ file, text }) => importsOf(text).filter((i) => i.includes("/app/")).map((i) => `${file} → ${i}`));
    expect(offending).toEqual([]);
  });

  it("the import check sees the imports (it would catch one)", () => {
    expect(importsOf('import type { Element } from "@xmpp/xml";\nimport {\n  a,\n} from "../jingle/index.js";')).toEqual(["@xmpp/xml", "../jingle/index.js"]);
  });
});

// The call layer decides on typed data: Jingle and XEP-0353 are read and written at the protocol
// edge (jingle/request.ts, xmpp/jmi.ts, app/call-stanzas.ts), and the browser's peer connection
// sits behind the MediaPeer port. Checked over the import graph, so a shortcut fails the suite.
// The session stays a small router over parts with one job each: its size and every function's
// length in the call layer are checked with the TypeScript parser.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const CALL = join(import.meta.dirname, "..", "..", "..", "client", "src", "call");
const sources = readdirSync(CALL).filter((f) => f.endsWith(".ts")).map((f) => ({ file: f, text: readFileSync(join(CALL, f), "utf8") }));
const MAX_SESSION_LINES = 400;
const MAX_FUNCTION_LINES = 50;

const lineCount = (text: string) => text.trimEnd().split("\n").length;

/** Every function, method, accessor and constructor with a body longer than `max` lines, as "file:line name (n lines)". */
function longFunctions(file: string, text: string, max: number): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const name = node.name && (ts.isIdentifier(node.name) || ts.isPrivateIdentifier(node.name)) ? node.name.text : ts.SyntaxKind[node.kind];
      if (last - first + 1 > max) found.push(`${file}:${first + 1} ${name} (${last - first + 1} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

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

  it("no module of the call layer touches the DOM at run time (the browser peer lives in platform/)", () => {
    const offending = sources.filter(({ text }) => /\b(new RTCPeerConnection|navigator\.|document\.|window\.)/.test(text)).map(({ file }) => file);
    expect(offending).toEqual([]);
  });

  it("the import check sees the imports (it would catch one)", () => {
    expect(importsOf('import type { Element } from "@xmpp/xml";\nimport {\n  a,\n} from "../jingle/index.js";')).toEqual(["@xmpp/xml", "../jingle/index.js"]);
  });

  it(`session.ts stays under ${MAX_SESSION_LINES} lines (its parts decide, it routes)`, () => {
    const session = sources.find((s) => s.file === "session.ts");
    expect(session).toBeDefined();
    expect(lineCount(session!.text)).toBeLessThan(MAX_SESSION_LINES);
  });

  it(`no function in the call layer is longer than ${MAX_FUNCTION_LINES} lines`, () => {
    expect(sources.flatMap(({ file, text }) => longFunctions(file, text, MAX_FUNCTION_LINES))).toEqual([]);
  });

  it("the length check sees long functions of every kind (it would catch one)", () => {
    const body = (n: number) => Array.from({ length: n }, (_, i) => `    a${i}();`).join("\n");
    const text = [
      `function f() {\n${body(48)}\n}`,
      `class C {\n  #m() {\n${body(49)}\n  }\n  constructor() {\n${body(10)}\n  }\n}`,
      `const g = () => {\n${body(49)}\n};`,
      `const h = { get x() {\n${body(50)}\n} };`,
    ].join("\n");
    expect(longFunctions("x.ts", text, MAX_FUNCTION_LINES).map((f) => f.replace(/ \(.*/, ""))).toEqual(["x.ts:52 #m", "x.ts:116 ArrowFunction", "x.ts:167 x"]);
    expect(lineCount("a\nb\nc\n")).toBe(3);
  });
});

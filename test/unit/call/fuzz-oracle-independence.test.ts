// The fuzz oracle (fuzz-oracle.ts) must be a model of its own: were it to ask the call layer's
// transition table or failure reasons, the fuzz runs would check the code against itself. Its
// sets of states (AWAITING_ACCEPT, TRICKLE_STATES, ENDABLE_BY_PEER) and reasons are written from
// XEP-0166 §6/§7 and XEP-0353; from client/src/call/ it and the fuzz harnesses take types, the
// size caps and the CallManager they drive, nothing else.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/** Modules of client/src/call/ the fuzz runs may take values from: the caps, and the manager they drive. */
const ALLOWED = new Set(["limits.js", "manager.js"]);
/** The oracle and the harnesses that turn its answers into expected effects. */
const MODELS = ["fuzz-oracle.ts", "fuzz-harness.ts", "caller-fuzz-harness.ts"];

/** Whether an import clause brings in a value: not `import type`, and not only `type` names in braces. */
function importsValue(typeOnly: string | undefined, clause: string): boolean {
  if (typeOnly) return false;
  const braces = /^\{([^}]*)\}$/s.exec(clause.trim());
  if (!braces) return true;
  return braces[1]!.split(",").map((n) => n.trim()).some((n) => n !== "" && !/^type\s/.test(n));
}

/** The client/src/call/ modules a source imports values (not only types) from. */
function callValueImports(text: string): string[] {
  return [...text.matchAll(/^import\s+(type\s+)?([^;]*?)\s+from\s+"([^"]+)"/gms)]
    .filter(([, typeOnly, clause, path]) => path!.includes("/client/src/call/") && importsValue(typeOnly, clause!))
    .map(([, , , path]) => path!.split("/").pop()!);
}

describe("the fuzz oracle is an independent model", () => {
  it.each(MODELS)("%s imports no decision of the call layer (no canTransition, no FAILURE_REASONS, no state sets)", (file) => {
    const text = readFileSync(join(import.meta.dirname, file), "utf8");
    expect(callValueImports(text).filter((m) => !ALLOWED.has(m))).toEqual([]);
  });

  it("the check sees a value import from the state table and lets a type import through", () => {
    const states = '"../../../client/src/call/states.js"';
    expect(callValueImports(`import { canTransition, type CallState } from ${states};`)).toEqual(["states.js"]);
    expect(callValueImports(`import {\n  FAILURE_REASONS,\n} from ${states};`)).toEqual(["states.js"]);
    expect(callValueImports(`import type { CallState } from ${states};`)).toEqual([]);
    expect(callValueImports(`import { type CallState } from ${states};`)).toEqual([]);
  });
});

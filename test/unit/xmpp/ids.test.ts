import { describe, expect, it } from "vitest";
import { randomId } from "../../../client/src/xmpp/ids.js";

describe("randomId", () => {
  it("spells 96 random bits in 16 URL-safe characters, different every time", () => {
    const ids = Array.from({ length: 2000 }, randomId);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // Every position varies: not a counter, not a timestamp prefix.
    for (let i = 0; i < 16; i++) expect(new Set(ids.map((id) => id[i])).size).toBeGreaterThan(32);
  });
});

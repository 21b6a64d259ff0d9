import { describe, expect, it } from "vitest";
import { safeUrl } from "../../../client/src/app/message-text.js";

describe("links in message text", () => {
  it.each([
    ["https://example.org/a?b=c#d", "https://example.org/a?b=c#d"],
    ["http://example.org", "http://example.org/"],
    ["javascript:alert(1)", undefined],
    ["JavaScript:alert(1)", undefined],
    ["data:text/html,<script>alert(1)</script>", undefined],
    ["xmpp:bob@example.org", undefined],
    ["https://", undefined],
  ])("%s → %s", (text, expected) => {
    expect(safeUrl(text)).toBe(expected);
  });
});

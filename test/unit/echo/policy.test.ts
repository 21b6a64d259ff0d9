import { describe, expect, it } from "vitest";
import { isLocalUser, limitFromEnv, timeLimitText } from "../../../services/echo/policy.ts";
import { routeTo } from "../../../services/echo/route.ts";

describe("echo policy: who may ring the echo account", () => {
  it.each([
    ["alice@example.org/web", true, "a user of its own domain (full JID)"],
    ["alice@example.org", true, "a user of its own domain (bare JID)"],
    ["Alice@EXAMPLE.org/web", true, "domain compared without case"],
    ["mallory@example.com/x", false, "a user of another server"],
    ["alice@sub.example.org/web", false, "a subdomain is another server"],
    ["example.org", false, "the server itself"],
    ["conference.example.org/x", false, "a component"],
    ["echo@example.org/other", false, "the echo account itself"],
  ])("%s → %s (%s)", (from, expected) => {
    expect(isLocalUser(from, "echo@example.org/echo")).toBe(expected);
  });
});

describe("echo limits", () => {
  it("reads positive integers from the environment and refuses anything else", () => {
    expect(limitFromEnv(undefined, 20, "ECHO_MAX_CALLS")).toBe(20);
    expect(limitFromEnv("", 20, "ECHO_MAX_CALLS")).toBe(20);
    expect(limitFromEnv("5", 20, "ECHO_MAX_CALLS")).toBe(5);
    for (const bad of ["0", "-1", "1.5", "many"]) expect(() => limitFromEnv(bad, 20, "ECHO_MAX_CALLS")).toThrow(/ECHO_MAX_CALLS/);
  });

  it("tells the caller how long a test call may last", () => {
    expect(timeLimitText({ maxCallMs: 5 * 60_000 })).toContain("at most 5 minutes");
    expect(timeLimitText({ maxCallMs: 60_000 })).toContain("at most 1 minute.");
    expect(timeLimitText({ maxCallMs: 30_000 })).toContain("at most 30 seconds");
  });
});

describe("echo call pool routing", () => {
  const free = { busy: false, owns: false };
  const busy = { busy: true, owns: false };

  it("a stanza about a known call goes to the manager holding it, busy or not", () => {
    expect(routeTo([busy, { busy: true, owns: true }, free], false)).toBe(1);
    expect(routeTo([free, busy, { busy: false, owns: true }], true)).toBe(2);
  });

  it("a new call goes to the first free manager", () => {
    expect(routeTo([busy, busy, free, free], true)).toBe(2);
  });

  it("a new call beyond the limit goes to a busy manager, which answers busy", () => {
    expect(routeTo([busy, busy], true)).toBe(0);
  });

  it("a stanza about an unknown call that starts none goes to the first manager (unknown-session)", () => {
    expect(routeTo([busy, free], false)).toBe(0);
  });
});

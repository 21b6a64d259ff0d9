// The jingle-sdp bin, spawned as a user runs it.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES } from "./helpers.js";

const BIN = join(import.meta.dirname, "../../../bin/jingle-sdp.js");
const run = (args: string[], input?: string) => spawnSync(process.execPath, [BIN, ...args], { input, encoding: "utf8", timeout: 30_000 });
const sdp = (name: string) => join(FIXTURES, "sdp", name);
const xml = (name: string) => join(FIXTURES, "jingle", name);

// Each test spawns Node once or twice (≈ 1.5 s each here, several times that on a loaded machine).
describe("jingle-sdp CLI", { timeout: 30_000 }, () => {
  it("to-jingle prints a session-initiate for an SDP file and exits 0", () => {
    const r = run(["to-jingle", sdp("chromium-audio-video-offer.sdp"), "--sid", "abc"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^<jingle xmlns="urn:xmpp:jingle:1" action="session-initiate" sid="abc">/);
    expect(r.stderr).toBe("");
  });

  it("to-jingle reads stdin and honours --action and --role", () => {
    const r = run(["to-jingle", "--action", "session-accept", "--role", "responder"], readFileSync(sdp("chromium-audio-video-answer.sdp"), "utf8"));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('action="session-accept"');
    expect(r.stdout).not.toContain("actpass");
  });

  it("to-sdp finds the <jingle/> inside an <iq/> and prints SDP", () => {
    const r = run(["to-sdp", xml("dino-0.4.2-session-initiate.xml")]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^v=0\r\n/);
    expect(r.stdout).toContain("a=mid:video");
  });

  it("to-jingle | to-sdp pipes", () => {
    const jingle = run(["to-jingle", sdp("firefox-121-audio-video-offer.sdp")]).stdout;
    const r = run(["to-sdp"], jingle);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("a=extmap:2/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level");
  });

  it("--warn lists SDP attributes that have no Jingle form on stderr", () => {
    const r = run(["to-jingle", sdp("chromium-simulcast-offer.sdp"), "--warn"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("jingle-sdp: warning: not mapped to Jingle: rids (content '1')");
  });

  it.each([
    ["malformed SDP", ["to-jingle"], "hello\n", /^jingle-sdp: malformed-sdp: .*line 1/],
    ["malformed XML", ["to-sdp"], "<jingle", /^jingle-sdp: malformed-xml: /],
    ["a stanza without <jingle/>", ["to-sdp"], "<iq xmlns='jabber:client'/>", /^jingle-sdp: not-jingle: /],
    ["a Jingle offer without fingerprint", ["to-sdp", xml("xep-0167-initiation.xml")], undefined, /^jingle-sdp: missing-fingerprint: .*content 'voice'/],
    ["a missing file", ["to-jingle", "/nonexistent/offer.sdp"], undefined, /^jingle-sdp: cannot read \/nonexistent\/offer.sdp: ENOENT/],
    ["an unknown command", ["to-xml"], undefined, /^jingle-sdp: unknown command 'to-xml' \(try --help\)/],
    ["an unknown option", ["to-sdp", "--frobnicate"], undefined, /^jingle-sdp: unknown option --frobnicate/],
  ])("exits 1 with one line on stderr for %s", (_name, args, input, message) => {
    const r = run(args, input);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  it("--help prints usage and exits 0", () => {
    const r = run(["--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("usage: jingle-sdp to-jingle");
  });
});

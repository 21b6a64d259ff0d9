import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { client, xml } from "@xmpp/client";
import WebSocket from "ws";
import { PROJECT_DIR } from "../../scripts/lib/local-settings.ts";
import { processIsAlive, typeScriptCommand } from "../../scripts/lib/processes.ts";
import { localDeploymentEnv, lostAPortRace } from "../support/local-env.ts";

interface Started {
  child: ChildProcess;
  output: () => string;
  url: string;
  passwords: Record<string, string>;
}

const dataDir = mkdtempSync(join(tmpdir(), "calls-npm-start-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/**
 * Runs what `npm start` runs after installing (scripts/start.sh's command), and waits for its
 * banner. A start that lost one of its free ports to another test file is retried on fresh ones.
 */
async function start(): Promise<Started> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce();
    } catch (error) {
      if (attempt === 3 || !lostAPortRace(String(error))) throw error;
    }
  }
}

async function startOnce(): Promise<Started> {
  const child = spawn(...typeScriptCommand(join(PROJECT_DIR, "scripts/start.ts")), {
    env: { ...process.env, ...(await localDeploymentEnv(dataDir)) }, stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start printed no banner:\n${output}`)), 45_000);
    const check = (): void => {
      if (output.includes("Press Ctrl-C to stop.")) { clearTimeout(timer); resolve(); }
    };
    child.stdout!.on("data", check);
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`npm start exited (${code}):\n${output}`)); });
  });
  const url = /Web app:\s+(\S+)/.exec(output)![1]!;
  const passwords = Object.fromEntries([...output.matchAll(/(\w+)@localhost\s+password (\S+)/g)].map((m) => [m[1]!, m[2]!]));
  return { child, output: () => output, url, passwords };
}

async function stop(started: Started): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => started.child.once("exit", (code) => resolve(code)));
  started.child.kill("SIGINT");
  return exited;
}

describe("npm start", () => {
  it("serves the app, provisions two demo contacts with random passwords and the echo test-call account, and Ctrl-C stops everything", async () => {
    const first = await start();
    const run = JSON.parse(readFileSync(join(dataDir, "ejabberd/run/instance.json"), "utf8")) as { beamPid: number; epmdPid: number };
    try {
      expect(Object.keys(first.passwords).sort()).toEqual(["alice", "bob"]);
      expect(first.passwords.alice).not.toBe(first.passwords.bob);
      expect(first.passwords.alice).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);

      const page = await fetch(first.url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("<html");

      const hostMeta = await (await fetch(new URL("/.well-known/host-meta.json", first.url))).json() as { links: Array<{ href: string }> };
      const wsUrl = hostMeta.links[0]!.href;
      expect(wsUrl).toBe(`${first.url.replace("http", "ws")}ws`);

      // Sign in exactly as the browser does: through the app's same-origin /ws.
      globalThis.WebSocket = WebSocket as unknown as typeof globalThis.WebSocket;
      const xmpp = client({ service: wsUrl.replace("localhost", "127.0.0.1"), domain: "localhost", username: "alice", password: first.passwords.alice!, resource: "check" });
      xmpp.reconnect.stop();
      xmpp.on("error", () => undefined);
      await xmpp.start();
      const roster = await xmpp.iqCaller.get(xml("query", { xmlns: "jabber:iq:roster" }));
      expect(roster.getChildren("item").map((i) => [i.attrs.jid, i.attrs.subscription]).sort()).toEqual([["bob@localhost", "both"], ["echo@localhost", "both"]]);
      // The echo test-call account runs in its own process, signed in.
      expect(first.output()).toContain("echo | echo: signed in as echo@localhost/echo");
      await xmpp.stop();
    } finally {
      expect(await stop(first)).toBe(0);
    }
    expect(first.output()).toContain("Stopped.");
    expect(first.output()).toContain("echo | echo: signed out");
    expect(processIsAlive(run.beamPid)).toBe(false);
    expect(processIsAlive(run.epmdPid)).toBe(false);

    // The passwords were made once for this install: a second start shows the same.
    const second = await start();
    try {
      expect(second.passwords).toEqual(first.passwords);
    } finally {
      expect(await stop(second)).toBe(0);
    }
  }, 120_000);
});

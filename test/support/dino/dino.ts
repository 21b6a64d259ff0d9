import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { TestAccount } from "../ejabberd.ts";
import type { Desktop } from "./desktop.ts";
import { jingleEvents, jmiEvents, readDinoLog, type DinoStanza, type JingleEvent } from "./dino-log.ts";
import type { DinoNamespace } from "./namespace.ts";
import { spawnIn, type NsProcess } from "./processes.ts";

/*
 * Dino 0.4.2 (Debian's dino-im) signed in to one account, driven as INTEROP.md "Running Dino
 * headless" describes: its profile is a seeded dino.db, incoming calls are answered through its
 * GApplication actions over D-Bus, calls are placed and hung up by clicking (no action exists),
 * and `--print-xmpp=all` logs every stanza.
 */

const DINO = "dino-im";
const SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
/** Window geometry under Xvfb with no window manager (main 1200×700 and call 700×525 at 0,0). */
const CLICK = {
  callButton: [978, 28],
  audioCall: [960, 86],
  videoCall: [960, 112],
  hangUp: [421, 475],
} as const;
const DB_FILES = ["dino.db", "dino.db-wal", "dino.db-shm"];

export interface DinoOptions {
  ns: DinoNamespace;
  desktop: Desktop;
  account: TestAccount;
  /** The test CA, trusted by Dino's process alone (bind-mounted over the system bundle). */
  caPem: string;
  /** GLib debug domains to log (G_MESSAGES_DEBUG), e.g. "rtp ice": verbose. */
  debugDomains?: string;
}

export interface DinoCall {
  conversationId: number;
  callId: number;
}

function sqlite(db: string, sql: string): string {
  return execFileSync("sqlite3", [db, sql], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

const sqlString = (value: string) => `'${value.replaceAll("'", "''")}'`;

/** A first start of Dino creates its schema; later profiles start from a copy of it. */
let templateDir: string | undefined;

/** Removes the profile template (the next DinoClient.start() makes a new one). */
export function removeProfileTemplate(): void {
  if (templateDir) rmSync(templateDir, { recursive: true, force: true });
  templateDir = undefined;
}

export class DinoClient {
  private process?: NsProcess;
  private readonly dataDir: string;
  readonly logFile: string;
  private readonly bundle: string;
  /** Log entries before this index belong to earlier steps (see mark()). */
  private markIndex = 0;
  /** Length of the log file at the last mark(). */
  private markOffset = 0;

  private constructor(private readonly options: DinoOptions, readonly dir: string) {
    this.dataDir = join(dir, "data");
    this.logFile = join(dir, "dino.log");
    this.bundle = join(dir, "ca-bundle.crt");
  }

  get account(): TestAccount {
    return this.options.account;
  }

  /** Starts Dino with the account signed in; resolves once it has sent its initial presence. */
  static async start(options: DinoOptions): Promise<DinoClient> {
    const dir = mkdtempSync(join(tmpdir(), "calls-dino-"));
    const dino = new DinoClient(options, dir);
    try {
      writeFileSync(dino.bundle, readFileSync(SYSTEM_CA_BUNDLE, "utf8") + "\n" + options.caPem);
      await dino.seedProfile();
      dino.process = dino.spawnDino();
      await dino.waitFor("initial presence", (s) => s.some((e) => e.dir === "out" && /^<\{jabber:client\}:presence\b/.test(e.raw) && !/type=/.test(e.raw.split("\n")[0]!)), 30_000);
      return dino;
    } catch (error) {
      await dino.dispose();
      throw error;
    }
  }

  private env(): NodeJS.ProcessEnv {
    return this.options.desktop.env({
      XDG_DATA_HOME: this.dataDir,
      XDG_CONFIG_HOME: join(this.dir, "config"),
      XDG_CACHE_HOME: join(this.dir, "cache"),
      LANG: "C.UTF-8",
      // No GL under Xvfb; no accessibility bus.
      GSK_RENDERER: "cairo",
      NO_AT_BRIDGE: "1",
      GTK_A11Y: "none",
      ...(this.options.debugDomains ? { G_MESSAGES_DEBUG: this.options.debugDomains } : {}),
      // GStreamer's own debug categories (e.g. "pulsesrc:5,appsink:6"), for investigating Dino's media pipeline.
      ...(process.env.DINO_GST_DEBUG ? { GST_DEBUG: process.env.DINO_GST_DEBUG, GST_DEBUG_NO_COLOR: "1" } : {}),
    });
  }

  private spawnDino(): NsProcess {
    // `ip netns exec` gives the command its own mount namespace: the bind mount is seen by Dino alone.
    const script = 'b=$1; shift; mount --bind "$b" /etc/ssl/certs/ca-certificates.crt && exec "$@"';
    // Dino prints the stanzas (--print-xmpp) and GLib's messages on stderr: one log.
    return spawnIn(this.options.ns, "dino", "sh", ["-c", script, "dino-wrapper", this.bundle, DINO, "--print-xmpp=all"], {
      env: this.env(),
      logFile: this.logFile,
    });
  }

  private async seedProfile(): Promise<void> {
    const profile = join(this.dataDir, "dino");
    mkdirSync(profile, { recursive: true, mode: 0o700 });
    templateDir ??= await this.createTemplate();
    for (const f of DB_FILES) if (existsSync(join(templateDir, f))) copyFileSync(join(templateDir, f), join(profile, f));
    const [local] = this.account.jid.split("@");
    sqlite(join(profile, "dino.db"),
      `INSERT INTO account (bare_jid, resourcepart, password, alias, enabled) VALUES (${sqlString(this.account.jid)}, ${sqlString(`dino-${local}`)}, ${sqlString(this.account.password)}, ${sqlString(local!)}, 1)`);
  }

  /** Runs Dino once on an empty profile until its schema is written, and keeps the database as a template. */
  private async createTemplate(): Promise<string> {
    const p = this.spawnDino();
    const db = join(this.dataDir, "dino", "dino.db");
    try {
      const deadline = Date.now() + 30_000;
      for (;;) {
        if (!p.alive()) throw new Error(`Dino exited during its first start: ${this.stderrTail()}`);
        if (Date.now() > deadline) throw new Error("Dino did not create its database within 30 s");
        if (existsSync(db) && tryQuery(db, "SELECT int_val FROM _meta WHERE name = 'version'") !== "" && tryQuery(db, "SELECT count(*) FROM account") === "0") break;
        await sleep(100);
      }
      await sleep(300);
    } finally {
      await p.stop(5000);
    }
    const dir = mkdtempSync(join(tmpdir(), "calls-dino-template-"));
    for (const f of DB_FILES) if (existsSync(join(this.dataDir, "dino", f))) copyFileSync(join(this.dataDir, "dino", f), join(dir, f));
    rmSync(join(this.dataDir, "dino"), { recursive: true, force: true });
    mkdirSync(join(this.dataDir, "dino"), { recursive: true, mode: 0o700 });
    rmSync(this.logFile, { force: true });
    return dir;
  }

  stderrTail(lines = 10): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, "utf8").trim().split("\n").slice(-lines).join("\n") : "";
  }

  /** Every stanza Dino logged (since the last mark() unless `all`). */
  stanzas(all = false): DinoStanza[] {
    const s = readDinoLog(this.logFile);
    return all ? s : s.slice(this.markIndex);
  }

  /** Starts a new step: stanzas()/jingle() then show only what comes after. */
  mark(): void {
    this.markIndex = readDinoLog(this.logFile).length;
    this.markOffset = this.messages().length;
  }

  /** Everything Dino logged since the last mark(), GLib messages included. */
  messagesSinceMark(): string {
    return this.messages().slice(this.markOffset);
  }

  jingle(all = false): JingleEvent[] {
    return jingleEvents(this.stanzas(all));
  }

  jmi(all = false) {
    return jmiEvents(this.stanzas(all));
  }

  /** GLib messages Dino printed (warnings, debug domains). */
  messages(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, "utf8") : "";
  }

  async waitFor(what: string, done: (stanzas: DinoStanza[]) => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.stanzas())) {
      if (this.process && !this.process.alive()) throw new Error(`Dino exited while waiting for ${what}: ${this.stderrTail()}`);
      if (Date.now() > deadline) throw new Error(`Dino: no ${what} within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  /** Waits for a Jingle action Dino sent or received since the last mark(). */
  async waitForJingle(dir: "in" | "out", action: string, timeoutMs = 20_000): Promise<JingleEvent> {
    await this.waitFor(`${dir === "out" ? "outgoing" : "incoming"} ${action}`, (s) => jingleEvents(s).some((e) => e.dir === dir && e.action === action), timeoutMs);
    return this.jingle().find((e) => e.dir === dir && e.action === action)!;
  }

  private get db(): string {
    return join(this.dataDir, "dino", "dino.db");
  }

  private run(command: string, ...args: string[]): string {
    return execFileSync(...this.options.ns.wrap(command, args), { env: this.env(), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  }

  private activate(action: string, parameter?: string): void {
    this.run("gdbus", "call", "--session", "--dest", "im.dino.Dino", "--object-path", "/im/dino/Dino",
      "--method", "org.gtk.Actions.Activate", action, parameter ? `[${parameter}]` : "[]", "{}");
  }

  /** Opens the chat with a contact in the main window (the call button lives there). */
  openConversation(jid: string): void {
    this.run("gdbus", "call", "--session", "--dest", "im.dino.Dino", "--object-path", "/im/dino/Dino",
      "--method", "org.gtk.Application.Open", `['xmpp:${jid}?message']`, "", "{}");
  }

  /**
   * Types a message into the open chat and sends it (Return). Without a window manager the
   * keyboard follows the pointer, so the input field (bottom of the 1200×700 main window) is
   * clicked first.
   */
  sendInOpenChat(text: string): void {
    this.click([700, 672]);
    this.run("xdotool", "type", "--delay", "15", text);
    this.run("xdotool", "key", "Return");
  }

  /** The newest call in Dino's database (a ringing call is written at once), with its conversation. */
  latestCall(peerJid: string): DinoCall | undefined {
    const conversation = tryQuery(this.db, `SELECT c.id FROM conversation c JOIN jid j ON c.jid_id = j.id WHERE j.bare_jid = ${sqlString(peerJid)} ORDER BY c.id DESC LIMIT 1`);
    const call = tryQuery(this.db, "SELECT max(id) FROM call");
    if (!conversation || !call) return undefined;
    return { conversationId: Number(conversation), callId: Number(call) };
  }

  /** Waits for a call newer than `after` (a callId) to appear in Dino's database. */
  async waitForCall(peerJid: string, after = 0, timeoutMs = 20_000): Promise<DinoCall> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const call = this.latestCall(peerJid);
      if (call && call.callId > after) return call;
      if (Date.now() > deadline) throw new Error(`Dino recorded no new call from ${peerJid} within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  accept(call: DinoCall): void {
    this.activate("accept-call", `<(${call.conversationId}, ${call.callId})>`);
  }

  reject(call: DinoCall): void {
    this.activate("reject-call", `<(${call.conversationId}, ${call.callId})>`);
  }

  private click([x, y]: readonly [number, number]): void {
    // Move twice: the call window shows its controls only after pointer motion.
    this.run("xdotool", "mousemove", String(x - 5), String(y - 5), "mousemove", String(x), String(y), "click", "1");
  }

  /**
   * Calls a contact: opens the chat and clicks the call button, then "Audio call"/"Video call".
   * The button appears once Dino's disco#info of the contact came back, so this retries until
   * Dino sends its JMI propose.
   */
  async call(peerJid: string, video: boolean, timeoutMs = 20_000): Promise<void> {
    this.openConversation(peerJid);
    const proposed = () => jmiEvents(this.stanzas()).some((e) => e.dir === "out" && e.kind === "propose") || jingleEvents(this.stanzas()).some((e) => e.dir === "out" && e.action === "session-initiate");
    const deadline = Date.now() + timeoutMs;
    while (!proposed()) {
      if (Date.now() > deadline) throw new Error(`Dino did not start a call to ${peerJid} within ${timeoutMs} ms (is the call button there?)`);
      this.click(CLICK.callButton);
      await sleep(400);
      this.click(video ? CLICK.videoCall : CLICK.audioCall);
      await sleep(800);
    }
  }

  /** Clicks the red button of the call window. */
  hangUp(): void {
    this.click(CLICK.hangUp);
  }

  /** Saves a screenshot of the whole screen (for a failing test's report). */
  screenshot(file: string): void {
    this.run("import", "-window", "root", file);
  }

  async stop(): Promise<void> {
    await this.process?.stop(5000);
    this.process = undefined;
  }

  /** Stops Dino and removes its profile and logs (kept with `keep`, or DINO_TEST_KEEP=1 for debugging). */
  async dispose(keep = process.env.DINO_TEST_KEEP === "1"): Promise<void> {
    await this.stop();
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
  }
}

function tryQuery(db: string, sql: string): string {
  try {
    return sqlite(db, sql);
  } catch {
    return "";
  }
}

// `jingle-sdp`: convert SDP to Jingle and back from the command line, to debug interop.
//   jingle-sdp to-jingle [FILE] [--action A] [--sid S] [--role R] [--initiator JID] [--responder JID] [--keep-tcp] [--keep-mdns]
//   jingle-sdp to-sdp [FILE] [--role R]
// Reads FILE or standard input. Exit 0 on success; 1 with one line on stderr for bad input.
import { readFileSync } from "node:fs";
import { Element } from "@xmpp/xml";
import { isAnswerAction, jingleToSdp, sdpToJingle } from "./codec.js";
import { JingleCodecError } from "./errors.js";
import type { JingleRole } from "./model.js";
import { parseJingleXml } from "./xml-text.js";

export const USAGE = `usage: jingle-sdp to-jingle [FILE] [--action session-initiate] [--sid SID] [--role initiator|responder]
                          [--initiator JID] [--responder JID] [--keep-tcp] [--keep-mdns] [--warn]
       jingle-sdp to-sdp [FILE] [--role initiator|responder]
Reads SDP (to-jingle) or a <jingle/>, <iq/> or <message/> containing one (to-sdp) from FILE or stdin.`;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => string;
}

const defaultIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readStdin: () => readFileSync(0, "utf8"),
};

class UsageError extends Error {}

const VALUE_FLAGS = new Set(["--action", "--sid", "--role", "--initiator", "--responder"]);
const BOOL_FLAGS = new Set(["--keep-tcp", "--keep-mdns", "--warn", "--help"]);

function parseArgs(argv: readonly string[]): { positional: string[]; flags: Map<string, string> } {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const [name, inline] = arg.startsWith("--") ? arg.split("=", 2) as [string, string | undefined] : [arg, undefined];
    if (VALUE_FLAGS.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      flags.set(name, value);
    } else if (BOOL_FLAGS.has(name)) flags.set(name, "true");
    else if (arg.startsWith("-") && arg !== "-") throw new UsageError(`unknown option ${arg}`);
    else positional.push(arg);
  }
  return { positional, flags };
}

function role(value: string | undefined, fallback: JingleRole): JingleRole {
  if (value === undefined) return fallback;
  if (value !== "initiator" && value !== "responder") throw new UsageError(`--role must be initiator or responder, not '${value}'`);
  return value;
}

/** Indents a serialised element by inserting whitespace text nodes, then lets ltx serialise it. */
function pretty(el: Element, depth = 0): Element {
  const kids = el.children.filter((c): c is Element => typeof c !== "string");
  if (kids.length === 0 || kids.length !== el.children.length) return el;
  const pad = "\n" + "  ".repeat(depth + 1);
  el.children = kids.flatMap((k) => [pad, pretty(k, depth + 1)]);
  el.children.push("\n" + "  ".repeat(depth));
  return el;
}

export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  try {
    const [command, file, extra] = parseArgs(argv).positional;
    const { flags } = parseArgs(argv);
    if (flags.has("--help")) {
      io.stdout(USAGE + "\n");
      return 0;
    }
    if (command !== "to-jingle" && command !== "to-sdp") throw new UsageError(command ? `unknown command '${command}'` : "missing command");
    if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`);
    const input = file === undefined || file === "-" ? io.readStdin() : readInput(file);
    if (command === "to-jingle") {
      const action = flags.get("--action") ?? "session-initiate";
      const jingle = sdpToJingle(input, {
        action,
        sid: flags.get("--sid") ?? "jingle-sdp",
        initiator: flags.get("--initiator"),
        responder: flags.get("--responder"),
        role: role(flags.get("--role"), isAnswerAction(action) ? "responder" : "initiator"),
        dropTcp: !flags.has("--keep-tcp"),
        dropMdns: !flags.has("--keep-mdns"),
        onUnmapped: (items) => {
          if (flags.has("--warn")) for (const item of items) io.stderr(`jingle-sdp: warning: not mapped to Jingle: ${item}\n`);
        },
      });
      io.stdout(pretty(jingle).toString() + "\n");
    } else {
      const jingle = parseJingleXml(input);
      // The SDP describes whoever sent the stanza; by default we are the other party.
      const fallback = isAnswerAction(jingle.attrs["action"] ?? "") ? "initiator" : "responder";
      io.stdout(jingleToSdp(jingle, { role: role(flags.get("--role"), fallback) }));
    }
    return 0;
  } catch (err) {
    const message = err instanceof JingleCodecError || err instanceof UsageError || err instanceof Error ? err.message : String(err);
    io.stderr(`jingle-sdp: ${message.replace(/\s*\n\s*/g, " ")}${err instanceof UsageError ? " (try --help)" : ""}\n`);
    return 1;
  }
}

function readInput(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

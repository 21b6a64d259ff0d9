import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Gives Erlang its distribution cookie through `$HOME/.erlang.cookie` (mode 0400, which
 * Erlang requires) instead of `-setcookie`: a command line, `-args_file` expanded into it,
 * is readable by every local user (`ps`, /proc/PID/cmdline). Returns the environment that
 * points an `erl` at the file; `home` is a folder of this install's own.
 */
export function erlangCookieHome(home: string, cookie: string): { HOME: string } {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const file = join(home, ".erlang.cookie");
  // 0400 keeps even its owner from rewriting it in place: replace it instead.
  rmSync(file, { force: true });
  writeFileSync(file, cookie, { mode: 0o400 });
  return { HOME: home };
}

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { startTestServer } from "../support/ejabberd.ts";

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe("password storage", () => {
  it("keeps salted SCRAM hashes on disk, never the password itself, and no password in its logs (an account made through the admin API)", async () => {
    const server = await startTestServer();
    const username = `storage${randomBytes(3).toString("hex")}`;
    const password = `plain-marker-${randomBytes(8).toString("hex")}`;
    const spool = join(server.dataDir, "ejabberd", "spool");
    let files: string[];
    try {
      await server.createAccount(username, password);
    } finally {
      // Stopping makes Mnesia write everything to its files; read them before removal.
      await server.instance.stop();
      files = filesUnder(spool);
      const contents = files.map((file) => readFileSync(file).toString("latin1")).join("\n");
      // The scan sees what is stored (the account is there), but not the password.
      expect(contents).toContain(username);
      expect(contents).not.toContain(password);
      // ejabberd 23.01 logs every admin API call with its arguments, the password included,
      // unless hide_sensitive_log_data is set (server-config/ejabberd.yml).
      const logs = filesUnder(join(server.dataDir, "ejabberd", "logs")).map((file) => readFileSync(file, "utf8")).join("\n");
      expect(logs).toContain("API call register");
      expect(logs).not.toContain(password);
      await server.stop();
    }
    expect(files.length).toBeGreaterThan(0);
  });
});

import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Secrets made once per install and kept in the data folder (git-ignored, mode
 * 0600): the TURN REST API shared secret, the Erlang cookie, demo passwords.
 * Never committed, never printed except the demo passwords npm start shows.
 */
export interface InstallSecrets {
  turnSecret: string;
  /** The secret before the last rotation, and when it was replaced (ISO 8601). */
  previousTurnSecret?: { secret: string; replacedAt: string };
  erlangCookie: string;
  demoPasswords: Record<string, string>;
  /** The echo test-call account's password (services/echo); made on first use, never printed. */
  echoPassword?: string;
}

export function randomSecret(bytes = 24): string {
  return randomBytes(bytes).toString("base64url");
}

/** A password people can type: four groups of lowercase letters and digits. */
export function randomPassword(): string {
  const alphabet = "abcdefghijkmnpqrstuvwxyz23456789";
  const bytes = randomBytes(16);
  let out = "";
  for (let i = 0; i < 16; i++) {
    out += alphabet[bytes[i]! % alphabet.length];
    if (i % 4 === 3 && i < 15) out += "-";
  }
  return out;
}

export function loadOrCreateSecrets(file: string, demoUsers: readonly string[] = []): InstallSecrets {
  let secrets: InstallSecrets;
  if (existsSync(file)) {
    secrets = JSON.parse(readFileSync(file, "utf8")) as InstallSecrets;
  } else {
    secrets = { turnSecret: randomSecret(), erlangCookie: randomSecret(18), demoPasswords: {} };
  }
  let changed = !existsSync(file);
  for (const user of demoUsers) {
    if (!secrets.demoPasswords[user]) {
      secrets.demoPasswords[user] = randomPassword();
      changed = true;
    }
  }
  if (!secrets.echoPassword) {
    secrets.echoPassword = randomSecret();
    changed = true;
  }
  if (changed) saveSecrets(file, secrets);
  return secrets;
}

function saveSecrets(file: string, secrets: InstallSecrets): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(secrets, null, 2) + "\n", { mode: 0o600 });
}

/** Replaces the TURN secret, remembering the old one (coturn keeps accepting it for a while). */
export function rotateTurnSecret(file: string, now = new Date()): InstallSecrets {
  const secrets = loadOrCreateSecrets(file);
  const rotated: InstallSecrets = {
    ...secrets,
    turnSecret: randomSecret(),
    previousTurnSecret: { secret: secrets.turnSecret, replacedAt: now.toISOString() },
  };
  saveSecrets(file, rotated);
  return rotated;
}

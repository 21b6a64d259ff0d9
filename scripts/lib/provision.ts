import type { EjabberdInstance } from "./ejabberd.ts";

/**
 * Makes sure each account exists with the given password and that all of them are
 * each other's contacts (subscription both). Safe to run again.
 */
export async function provisionContacts(server: EjabberdInstance, passwords: Record<string, string>): Promise<void> {
  await ensureAccounts(server, passwords);
  const users = Object.keys(passwords);
  for (let i = 0; i < users.length; i++) {
    for (let j = i + 1; j < users.length; j++) await server.makeContacts(users[i]!, users[j]!);
  }
}

async function ensureAccounts(server: EjabberdInstance, passwords: Record<string, string>): Promise<void> {
  const existing = new Set(await server.registeredUsers());
  for (const [username, password] of Object.entries(passwords)) {
    if (existing.has(username)) await server.changePassword(username, password);
    else await server.register(username, password);
  }
}

/**
 * The echo test-call account, with its password, as a contact (subscription both) of each of
 * `contacts`: they see it online and callable like any contact. Safe to run again.
 */
export async function provisionEcho(server: EjabberdInstance, username: string, password: string, contacts: readonly string[]): Promise<void> {
  await ensureAccounts(server, { [username]: password });
  for (const contact of contacts) await server.makeContacts(contact, username);
}

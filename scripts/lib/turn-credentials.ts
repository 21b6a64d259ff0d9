import { createHmac } from "node:crypto";

/**
 * TURN REST API credentials ("A REST API for access to TURN services",
 * draft-uberti-behave-turn-rest): username "<unix expiry>:<id>", password
 * base64(HMAC-SHA1(shared secret, username)). ejabberd's mod_stun_disco issues these
 * and coturn's use-auth-secret accepts them.
 */
export function turnRestCredentials(secret: string, id: string, expiresAt: Date): { username: string; password: string } {
  const username = `${Math.floor(expiresAt.getTime() / 1000)}:${id}`;
  return { username, password: createHmac("sha1", secret).update(username).digest("base64") };
}

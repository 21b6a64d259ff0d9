import { createHash, randomBytes } from "node:crypto";
import { xml, type Client } from "@xmpp/client";
import { readServices, type ExternalService } from "../../client/src/xmpp/extdisco.ts";
import { turnRestCredentials } from "../../scripts/lib/turn-client.ts";

/** XEP-0215: the STUN/TURN services the server hands this client, parsed as the web client does. */
export async function extdiscoServices(xmpp: Client, domain: string): Promise<ExternalService[]> {
  return readServices(await xmpp.iqCaller.get(xml("services", { xmlns: "urn:xmpp:extdisco:2" }), domain));
}

/**
 * Credentials signed with the secret, as mod_stun_disco makes them: ejabberd 23.01
 * expects the id after the expiry to end in the first 4 bytes of SHA-1(domain), in hex
 * (it finds the virtual host's secret by it).
 */
export function ejabberdTurnCredentials(secret: string, domain: string, expiresAt: Date): { username: string; password: string } {
  const hostHash = createHash("sha1").update(domain).digest("hex").slice(0, 8);
  return turnRestCredentials(secret, randomBytes(4).toString("hex") + hostHash, expiresAt);
}

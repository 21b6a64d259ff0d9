import { AuthenticationError, ConnectionError } from "../xmpp/errors.js";
import type { ConnectionState } from "../xmpp/connection.js";
import type { Availability } from "../xmpp/presence.js";

/** A sentence a user can act on, for an error thrown while signing in. */
export function describeSignInError(error: unknown): string {
  if (error instanceof AuthenticationError) return "The server refused this address and password. Check them and try again.";
  if (error instanceof ConnectionError) return `Cannot reach the server at ${error.service}. Check the address or try again later.`;
  if (error instanceof TypeError) return error.message;
  return `Sign-in failed: ${error instanceof Error ? error.message : String(error)}`;
}

export const CONNECTION_LABEL: Record<ConnectionState, string> = {
  offline: "Offline",
  connecting: "Connecting…",
  online: "Connected",
  reconnecting: "Connection lost, reconnecting…",
};

export const AVAILABILITY_LABEL: Record<Availability, string> = {
  online: "Online",
  away: "Away",
  dnd: "Busy",
  offline: "Offline",
};

/**
 * Identifiers we choose for iqs and Jingle sessions: 96 random bits, base64url (16 characters).
 * A UUID spells 122 bits in 36 characters; a call's set-up repeats its sid and iq ids ≈ 17 times
 * (issue 16, signaling bytes), and 96 bits keep them unguessable and unique (XEP-0166 §7.1 asks
 * only that the sid be random; RFC 6120 §8.1.3 that an iq id be unique in its stream).
 */
export function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_");
}

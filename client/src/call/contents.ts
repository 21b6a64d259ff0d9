// The peer's side of a session as Jingle contents, kept across renegotiations (XEP-0166 §7.2
// content-add / content-accept / content-modify). Pure: the session feeds in what was agreed
// and gets back the remote description to hand the browser. Modelled on Conversations'
// RtpContentMap.addContent()/modifiedSendersChecked() (docs/interop.md, "Mid-call").
import type { DtlsSetup, IceCredentials, JingleContent, JingleRole, JingleSession, RtcpFeedback, RtpDescription, Senders } from "../jingle/index.js";
import type { CallMedia } from "./states.js";

/** Whether `role` sends on a content with these senders (XEP-0166 §7.3). */
export function sends(senders: Senders, role: JingleRole): boolean {
  return senders === "both" || senders === role;
}

/** `senders` with `role` added to or removed from the sending parties. */
export function withSender(senders: Senders, role: JingleRole, send: boolean): Senders {
  const other: JingleRole = role === "initiator" ? "responder" : "initiator";
  const us = send;
  const them = sends(senders, other);
  if (us && them) return "both";
  if (us) return role;
  if (them) return other;
  return "none";
}

/**
 * The DTLS role the peer holds once the first offer/answer is done (RFC 5763 §5): a later
 * description must restate it, never `actpass`, or the browser would renegotiate DTLS
 * (Conversations rewrites it the same way: "DTLS setup attribute needs to be rewritten").
 */
export function peerDtlsSetup(remote: JingleSession, local: readonly JingleContent[]): DtlsSetup {
  const stated = remote.contents.map((c) => c.transport?.fingerprints[0]?.setup).find((s) => s === "active" || s === "passive");
  if (stated) return stated;
  const ours = local.map((c) => c.transport?.fingerprints[0]?.setup).find((s) => s === "active" || s === "passive");
  return ours === "active" ? "passive" : "active";
}

/** The session with its transports' candidates left out (descriptions and ICE credentials kept). */
export function withoutCandidates(session: JingleSession): JingleSession {
  return { ...session, contents: session.contents.map((c) => (c.transport ? { ...c, transport: { ...c.transport, candidates: [] } } : c)) };
}

/** Every fingerprint's `actpass` replaced by the role the peer already holds. */
export function withSetup(session: JingleSession, setup: DtlsSetup): JingleSession {
  return {
    groups: session.groups,
    contents: session.contents.map((c) =>
      c.transport
        ? { ...c, transport: { ...c.transport, fingerprints: c.transport.fingerprints.map((f) => (f.setup === "actpass" || !f.setup ? { ...f, setup } : f)) } }
        : c,
    ),
  };
}

/**
 * The session after a content-add / content-accept: new contents appended (m-lines are never
 * reordered), groups taken from the modification when it carries them (Conversations sends its
 * BUNDLE group with content-add), otherwise the new names join an existing BUNDLE group.
 */
export function addContents(session: JingleSession, added: JingleSession): JingleSession {
  const names = new Set(session.contents.map((c) => c.name));
  const fresh = added.contents.filter((c) => !names.has(c.name));
  const groups = added.groups.length
    ? added.groups
    : session.groups.map((g) => (g.semantics === "BUNDLE" ? { ...g, contents: [...g.contents, ...fresh.map((c) => c.name)] } : g));
  return { groups, contents: [...session.contents, ...fresh] };
}

/** The session with one content's senders changed (content-modify, XEP-0166 §7.2.6). */
export function modifySenders(session: JingleSession, name: string, senders: Senders): JingleSession {
  return { groups: session.groups, contents: session.contents.map((c) => (c.name === name ? { ...c, senders } : c)) };
}

/** The first content carrying this medium, if any. */
export function contentOf(contents: readonly JingleContent[], media: CallMedia): JingleContent | undefined {
  return contents.find((c) => c.description?.media === media);
}

/** Media of a set of contents, as call media. */
export function mediaOf(contents: readonly JingleContent[]): CallMedia[] {
  return contents.map((c) => c.description?.media).filter((m): m is CallMedia => m === "audio" || m === "video");
}

/**
 * The session after an ICE restart (RFC 8445 §9): the new credentials on every content, no
 * candidates (the new generation's trickle in). A content the peer did not name takes the one
 * set the others share, as a BUNDLE group has one transport (Conversations sends one set).
 */
export function withCredentials(session: JingleSession, credentials: ReadonlyMap<string, IceCredentials>): JingleSession {
  const distinct = new Set([...credentials.values()].map((c) => `${c.ufrag}\u0000${c.pwd ?? ""}`));
  const shared = distinct.size === 1 ? [...credentials.values()][0] : undefined;
  return {
    groups: session.groups,
    contents: session.contents.map((c) => {
      const next = credentials.get(c.name) ?? shared;
      if (!c.transport || !next) return c;
      return { ...c, transport: { ...c.transport, ufrag: next.ufrag, pwd: next.pwd ?? c.transport.pwd, candidates: [] } };
    }),
  };
}

/** The credentials of each content's transport, by content name. */
export function credentialsOf(session: JingleSession | undefined): Map<string, IceCredentials> {
  const out = new Map<string, IceCredentials>();
  for (const c of session?.contents ?? []) if (c.transport?.ufrag) out.set(c.name, { ufrag: c.transport.ufrag, pwd: c.transport.pwd });
  return out;
}

const sameFeedback = (a: RtcpFeedback, b: RtcpFeedback) => a.type === b.type && (a.subtype ?? "") === (b.subtype ?? "");

/**
 * What the peer agreed to when we answered its offer (RFC 3264 §6.1): each of its contents
 * narrowed to the payload types, RTCP feedback and header extensions our answer kept, with the
 * senders our answer chose. The peer's own parameters (what it wants to receive) stay as it
 * offered them. A description we later build as the peer's answer to an offer of ours must be
 * this, not the original offer: browsers refuse an answer naming what their offer lacked.
 */
export function agreedFromOffer(offer: JingleSession, answer: readonly JingleContent[]): JingleSession {
  return {
    groups: offer.groups,
    contents: offer.contents.map((content) => {
      const ours = answer.find((c) => c.name === content.name);
      if (!ours) return content;
      const description = content.description && ours.description ? narrowDescription(content.description, ours.description) : content.description;
      return { ...content, senders: ours.senders, ...(description ? { description } : {}) };
    }),
  };
}

function narrowDescription(offered: RtpDescription, answered: RtpDescription): RtpDescription {
  const answeredFeedback = (id: number) => [...(answered.payloadTypes.find((p) => p.id === id)?.feedback ?? []), ...answered.feedback];
  const payloadTypes = offered.payloadTypes
    .filter((p) => answered.payloadTypes.some((a) => a.id === p.id))
    .map((p) => ({ ...p, feedback: p.feedback.filter((f) => answeredFeedback(p.id).some((a) => sameFeedback(a, f))) }));
  return {
    ...offered,
    payloadTypes,
    feedback: offered.feedback.filter((f) => answered.feedback.some((a) => sameFeedback(a, f)) || answered.payloadTypes.some((p) => p.feedback.some((a) => sameFeedback(a, f)))),
    headerExtensions: offered.headerExtensions.filter((h) => answered.headerExtensions.some((a) => a.id === h.id && a.uri === h.uri)),
  };
}

/**
 * Our contents with local candidates placed inline (XEP-0176 §6.1 allows them in session-initiate,
 * session-accept and content-accept): each placed content's candidates join the transport of the
 * content of the same name.
 */
export function withInlineCandidates(session: JingleSession, placed: JingleSession | null): JingleSession {
  if (!placed) return session;
  return {
    groups: session.groups,
    contents: session.contents.map((c) => {
      const extra = placed.contents.find((p) => p.name === c.name)?.transport?.candidates ?? [];
      return extra.length > 0 && c.transport ? { ...c, transport: { ...c.transport, candidates: [...c.transport.candidates, ...extra] } } : c;
    }),
  };
}

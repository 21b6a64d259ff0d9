import type { Child } from "./dom.js";
import { h } from "./dom.js";

/** Characters shown of a long message before "Show all". */
export const SHOWN_CHARS = 1_500;

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"]+/gi;
/** Punctuation that ends a sentence rather than the link. */
const TRAILING = /[.,;:!?)\]}'"]+$/;

/** An http(s) URL, or undefined for anything else (javascript:, data:, malformed). */
export function safeUrl(text: string): string | undefined {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Message text as DOM text nodes, http(s) links made clickable: no markup from the wire is
 * ever parsed. Links open in a new tab without giving it our window or our address.
 */
export function messageText(text: string): Child[] {
  const parts: Child[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const raw = match[0].replace(TRAILING, "");
    const href = safeUrl(raw);
    if (!href) continue;
    parts.push(text.slice(last, match.index));
    parts.push(h("a", { href, target: "_blank", rel: "noopener noreferrer" }, raw));
    last = match.index + raw.length;
  }
  parts.push(text.slice(last));
  return parts;
}

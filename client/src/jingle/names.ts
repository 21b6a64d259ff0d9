// Content names (XEP-0166 §7.3 `name`, = SDP mid). Conversations rejects names with whitespace or
// longer than 16 characters (INTEROP: Description), so we refuse to send such names.
import { JingleCodecError } from "./errors.js";

export const MAX_CONTENT_NAME = 16;

export function checkContentName(name: string, outgoing: boolean): void {
  if (name === "" || /\s/.test(name)) {
    throw new JingleCodecError("invalid-content-name", `content name '${name}' is empty or has whitespace`, { content: name });
  }
  if (outgoing && name.length > MAX_CONTENT_NAME) {
    throw new JingleCodecError("invalid-content-name", `content name longer than ${MAX_CONTENT_NAME} characters is refused by Conversations`, { content: name });
  }
}

import type { ContactView } from "../xmpp/account.js";
import { h } from "./dom.js";
import { icon } from "./icons.js";
import { AVAILABILITY_LABEL } from "./messages.js";
import { testCallView } from "./test-call-view.js";

export interface ContactsProps {
  contacts: readonly ContactView[];
  requests: readonly string[];
  /** A call is in progress: call buttons are disabled. */
  inCall: boolean;
  onCall(jid: string, video: boolean): void;
  onAccept(jid: string): void;
  onRefuse(jid: string): void;
  onAdd(jid: string): void;
  onRemove(jid: string): void;
  /** Opens the conversation with a contact. */
  onOpen?(jid: string): void;
  /** Unread messages from a contact. */
  unread?(jid: string): number;
  /** The server's echo account (test-call-view.ts): offers a "Test call" when given. */
  testCallJid?: string;
}

const displayName = (c: ContactView) => c.name || c.jid;

function contactItem(c: ContactView, props: ContactsProps): HTMLElement {
  const name = displayName(c);
  const status = AVAILABILITY_LABEL[c.availability];
  const canCall = c.availability !== "offline" && (c.subscription === "both" || c.subscription === "to") && !props.inCall;
  const unread = props.unread?.(c.jid) ?? 0;
  return h(
    "li",
    { class: `contact ${c.availability}`, "aria-label": `${name}, ${status}`, "data-jid": c.jid },
    h("span", { class: "avatar", "aria-hidden": "true" }, name.slice(0, 1).toUpperCase()),
    h(
      "span",
      { class: "who" },
      props.onOpen
        ? h("button", { class: "name link", "aria-label": `Messages with ${name}${unread ? `, ${unread} unread` : ""}`, onclick: () => props.onOpen?.(c.jid) }, name)
        : h("span", { class: "name" }, name),
      h("span", { class: "presence" }, h("span", { class: "dot", "aria-hidden": "true" }), status, c.pendingOut && " · request sent"),
    ),
    unread > 0 && h("span", { class: "badge", "aria-hidden": "true" }, String(unread)),
    h(
      "span",
      { class: "actions" },
      h("button", { class: "icon call-audio", "aria-label": `Audio call ${name}`, title: `Audio call ${name}`, disabled: !canCall || !c.callable.audio, onclick: () => props.onCall(c.jid, false) }, icon("phone")),
      h("button", { class: "icon call-video", "aria-label": `Video call ${name}`, title: `Video call ${name}`, disabled: !canCall || !c.callable.video, onclick: () => props.onCall(c.jid, true) }, icon("video")),
      h("button", { class: "icon subtle", "aria-label": `Remove ${name}`, title: `Remove ${name}`, onclick: () => { if (confirm(`Remove ${name} from your contacts?`)) props.onRemove(c.jid); } }, "✕"),
    ),
  );
}

export function contactsView(props: ContactsProps): HTMLElement {
  const addInput = h("input", { id: "add-contact", type: "email", placeholder: "friend@example.org", required: true });
  return h(
    "section",
    { class: "contacts", "aria-label": "Contacts" },
    props.requests.length > 0 &&
      h(
        "section",
        { class: "requests", "aria-label": "Contact requests" },
        h("h2", {}, "Contact requests"),
        h("ul", {}, props.requests.map((jid) =>
          h("li", { "aria-label": `Request from ${jid}` },
            h("span", { class: "who" }, jid, h("span", { class: "muted" }, " wants to be your contact")),
            h("button", { onclick: () => props.onAccept(jid), "aria-label": `Accept ${jid}` }, "Accept"),
            h("button", { class: "subtle", onclick: () => props.onRefuse(jid), "aria-label": `Refuse ${jid}` }, "Refuse"),
          ),
        )),
      ),
    h("h2", {}, "Contacts"),
    props.testCallJid && testCallView({ jid: props.testCallJid, inCall: props.inCall, onCall: props.onCall }),
    props.contacts.length === 0
      ? h("p", { class: "muted" }, "No contacts yet. Add someone by their XMPP address.")
      : h("ul", { class: "contact-list", "aria-label": "Contact list" }, props.contacts.map((c) => contactItem(c, props))),
    h(
      "form",
      {
        class: "add",
        "aria-label": "Add contact",
        onsubmit: (e: Event) => {
          e.preventDefault();
          props.onAdd(addInput.value.trim());
          addInput.value = "";
        },
      },
      h("label", { for: "add-contact" }, "Add a contact"),
      addInput,
      h("button", { type: "submit" }, "Add"),
    ),
  );
}

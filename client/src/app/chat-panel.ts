// Composes messaging into the app: the service on the account, the open conversation, the
// "message requests" list for people who are not contacts, unread counts (per contact and in
// the page title) and notifications for messages that arrive while the tab is hidden.
import type { CallRecord } from "../call/history.js";
import type { XmppAccount } from "../xmpp/account.js";
import { MessagingService } from "../xmpp/messaging.js";
import type { Notifier } from "./alerts.js";
import { ConversationView } from "./conversation-view.js";
import { h } from "./dom.js";

export interface ChatPanelHost {
  nameOf(jid: string): string;
  allowStrangers(): boolean;
  callsWith(jid: string): readonly CallRecord[];
  canCall(jid: string): boolean;
  call(jid: string, video: boolean): void;
  error(what: string, error: unknown): void;
  /** Something the app renders changed (unread counts, the open conversation). */
  changed(): void;
}

const BASE_TITLE = "XMPP Calls";

export class ChatPanel {
  readonly messaging: MessagingService;
  readonly #account: XmppAccount;
  readonly #host: ChatPanelHost;
  readonly #notifier: Notifier;
  #view: ConversationView | undefined;
  #unreadKey = "";

  constructor(account: XmppAccount, host: ChatPanelHost, notifier: Notifier) {
    this.#account = account;
    this.#host = host;
    this.#notifier = notifier;
    this.messaging = new MessagingService(account.connection, { isContact: (bare) => this.#isContact(bare) });
    this.messaging.on("conversation", () => this.#countsChanged());
    this.messaging.on("incoming", (peer, message) => {
      if (!document.hidden && this.#view?.peer === peer) return;
      if (!this.#isContact(peer) && !host.allowStrangers()) return;
      this.#notifier.show(`Message from ${host.nameOf(peer)}`, { body: message.body.slice(0, 140), tag: `chat-${peer}`, onClick: () => this.open(peer) });
    });
  }

  get openPeer(): string | undefined {
    return this.#view?.peer;
  }

  /** Unread messages from `jid` (0 for a stranger while strangers are kept apart and the request is not opened). */
  unread(jid: string): number {
    return this.messaging.unread(jid);
  }

  /** Opens (or brings forward) the conversation with `jid`. */
  open(jid: string): void {
    if (this.#view?.peer !== jid) {
      this.#view?.dispose();
      const host = this.#host;
      this.#view = new ConversationView({
        peer: jid,
        name: host.nameOf(jid),
        messaging: this.messaging,
        calls: () => host.callsWith(jid),
        canCall: () => host.canCall(jid),
        onCall: (video) => host.call(jid, video),
        onClose: () => this.close(),
        onError: (what, error) => host.error(what, error),
      });
      this.#host.changed();
    }
    this.#view.focus();
  }

  close(): void {
    this.#view?.dispose();
    this.#view = undefined;
    this.#host.changed();
  }

  /** The open conversation, refreshed (calls may have changed), or nothing. */
  view(): HTMLElement | false {
    const view = this.#view;
    if (!view) return false;
    view.update();
    // The app re-renders synchronously and puts the element back; then the timeline can scroll.
    queueMicrotask(() => view.restoreScroll());
    return view.element;
  }

  /** People who are not contacts and wrote to us: kept apart unless strangers are allowed. */
  requestsView(): HTMLElement | false {
    const strangers = this.messaging.conversations.filter((c) => !this.#isContact(c.peer) && c.messages.some((m) => !m.outgoing));
    if (strangers.length === 0) return false;
    const allowed = this.#host.allowStrangers();
    return h("section", { class: "contacts message-requests", "aria-label": allowed ? "Other conversations" : "Message requests" },
      h("h2", {}, allowed ? "Other conversations" : "Message requests"),
      !allowed && h("p", { class: "muted" }, "People who are not your contacts. They get no read receipts or typing notices from you."),
      h("ul", {}, strangers.map((c) => {
        const unread = this.messaging.unread(c.peer);
        return h("li", { class: "contact", "aria-label": `Messages from ${c.peer}${unread ? `, ${unread} unread` : ""}` },
          h("span", { class: "who" }, h("span", { class: "name" }, c.peer)),
          unread > 0 && h("span", { class: "badge", "aria-hidden": "true" }, String(unread)),
          h("button", { onclick: () => this.open(c.peer) }, "Read"));
      })));
  }

  dispose(): void {
    this.#view?.dispose();
    this.#view = undefined;
    document.title = BASE_TITLE;
  }

  #isContact(bare: string): boolean {
    return this.#account.roster.get(bare) !== undefined;
  }

  /** Re-renders the app only when an unread count changed (typing and ticks stay in the view). */
  #countsChanged() {
    const counts = this.messaging.conversations.map((c) => [c.peer, this.messaging.unread(c.peer)] as const);
    const key = JSON.stringify(counts);
    // Strangers kept apart do not count in the title: a flood of them must not look like news.
    const total = counts.reduce((n, [peer, u]) => n + (this.#isContact(peer) || this.#host.allowStrangers() ? u : 0), 0);
    document.title = total > 0 ? `(${total}) ${BASE_TITLE}` : BASE_TITLE;
    if (key === this.#unreadKey) return;
    this.#unreadKey = key;
    this.#host.changed();
  }
}

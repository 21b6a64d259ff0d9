// One conversation: messages and calls in one timeline, a composer, typing and ticks. It is
// a long-lived component (the composer keeps its text across the app's re-renders) that
// updates itself from the messaging service; it only renders and forwards intents.
import type { CallRecord } from "../call/history.js";
import type { ChatMessage, Delivery } from "../xmpp/conversation.js";
import type { MessagingService } from "../xmpp/messaging.js";
import { h, replaceChildren } from "./dom.js";
import { icon } from "./icons.js";
import { messageText, SHOWN_CHARS } from "./message-text.js";

export interface ConversationProps {
  peer: string;
  name: string;
  messaging: MessagingService;
  /** Calls with this peer (from the JMI log the call history builds). */
  calls(): readonly CallRecord[];
  canCall(): boolean;
  onCall(video: boolean): void;
  onClose(): void;
  onError(what: string, error: unknown): void;
}

/** Timeline items rendered at once; earlier ones come in pages ("Show earlier"). */
export const PAGE = 50;
/** How long after the last keystroke we say "paused" (XEP-0085 §5.3 suggests ~5 s). */
const PAUSE_AFTER_MS = 5_000;

type Item = { kind: "message"; at: number; message: ChatMessage } | { kind: "call"; at: number; call: CallRecord };

const TICK: Record<Delivery, { glyph: string; label: string }> = {
  sending: { glyph: "🕓", label: "sending" },
  sent: { glyph: "✓", label: "sent" },
  delivered: { glyph: "✓✓", label: "delivered" },
  read: { glyph: "✓✓", label: "read" },
  failed: { glyph: "!", label: "not sent" },
};

const CALL_TEXT: Record<CallRecord["outcome"], string> = {
  answered: "answered", missed: "missed", declined: "declined", unanswered: "no answer", busy: "busy",
};

const time = (at: number) => new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

export class ConversationView {
  readonly element: HTMLElement;
  readonly #props: ConversationProps;
  readonly #list = h("ol", { class: "timeline" });
  readonly #typing = h("p", { class: "typing", "aria-label": "Typing" });
  readonly #announce = h("div", { class: "sr-only", "aria-live": "polite", role: "status" });
  readonly #earlier: HTMLButtonElement;
  readonly #editing = h("p", { class: "editing muted" });
  readonly #composer: HTMLTextAreaElement;
  #shown = PAGE;
  /** Where the user left the timeline: the app's re-render detaches it, which resets scrolling. */
  #atBottom = true;
  /** Distance from the bottom kept when older messages are added above. */
  #fromBottom = 0;
  #correcting = false;
  #pauseTimer: ReturnType<typeof setTimeout> | undefined;
  /** Long messages the user chose to see whole. */
  readonly #expanded = new Set<string>();
  readonly #off: (() => void)[] = [];

  constructor(props: ConversationProps) {
    this.#props = props;
    const { peer, name, messaging } = props;
    this.#composer = h("textarea", { id: "composer", rows: 2, "aria-label": `Message to ${name}`, placeholder: `Message ${name}` });
    this.#composer.addEventListener("keydown", (e) => this.#onKey(e));
    this.#composer.addEventListener("input", () => this.#onInput());
    this.#earlier = h("button", { class: "subtle earlier", onclick: () => this.#showEarlier() }, "Show earlier messages");
    this.element = h(
      "section",
      { class: "conversation", "aria-label": `Conversation with ${name}` },
      h("header", {},
        h("h2", {}, name),
        h("span", { class: "muted jid" }, name === peer ? "" : peer),
        h("button", { class: "icon call-audio", "aria-label": `Call ${name} (audio)`, title: `Call ${name}`, onclick: () => props.onCall(false), disabled: !props.canCall() }, icon("phone")),
        h("button", { class: "subtle", "aria-label": "Close conversation", onclick: () => props.onClose() }, "✕")),
      this.#earlier,
      this.#list,
      this.#typing,
      this.#announce,
      h("form", { class: "composer", onsubmit: (e: Event) => { e.preventDefault(); this.#send(); } },
        this.#editing,
        this.#composer,
        h("button", { type: "submit", class: "primary" }, "Send")),
    );
    this.#list.setAttribute("aria-label", `Messages with ${name}`);
    this.#list.addEventListener("scroll", () => {
      if (!this.#list.isConnected) return;
      this.#fromBottom = this.#list.scrollHeight - this.#list.scrollTop;
      this.#atBottom = this.#list.scrollHeight - this.#list.scrollTop - this.#list.clientHeight < 40;
      if (this.#list.scrollTop < 40 && !this.#atBottom) this.#showEarlier();
    });
    this.#off.push(messaging.on("conversation", (c) => { if (c.peer === peer) this.update(); }));
    this.#off.push(messaging.on("incoming", (from, message) => {
      if (from !== peer) return;
      this.#announce.textContent = `${name}: ${message.body.slice(0, 200)}`;
    }));
    const onVisible = () => this.#markRead();
    document.addEventListener("visibilitychange", onVisible);
    this.#off.push(() => document.removeEventListener("visibilitychange", onVisible));
    this.update();
    this.#markRead();
    // The first screenful of history comes from the archive.
    if (messaging.conversation(peer).messages.length < PAGE && messaging.hasOlderHistory(peer)) {
      messaging.loadOlder(peer).catch((error: unknown) => props.onError("Loading history", error));
    }
  }

  get peer(): string {
    return this.#props.peer;
  }

  focus(): void {
    this.#composer.focus();
  }

  dispose(): void {
    clearTimeout(this.#pauseTimer);
    for (const off of this.#off) off();
    if (this.#composer.value) void this.#props.messaging.setChatState(this.peer, "active").catch(() => undefined);
  }

  /** Re-renders the timeline (keeps the view at the bottom if it was there). */
  update(): void {
    const { messaging, peer, name } = this.#props;
    const conversation = messaging.conversation(peer);
    const items: Item[] = [
      ...conversation.messages.map((message) => ({ kind: "message" as const, at: message.at, message })),
      ...this.#props.calls().map((call) => ({ kind: "call" as const, at: call.at, call })),
    ].sort((a, b) => a.at - b.at);
    const shown = items.slice(-this.#shown);
    this.#earlier.hidden = shown.length === items.length && !messaging.hasOlderHistory(peer);
    replaceChildren(this.#list, shown.length === 0 ? h("li", { class: "muted empty" }, "No messages yet.") : shown.map((item) => this.#item(item)));
    this.#typing.textContent = conversation.peerState === "composing" ? `${name} is typing…` : conversation.peerState === "paused" ? `${name} stopped typing` : "";
    this.restoreScroll();
    if (document.visibilityState === "visible") this.#markRead();
  }

  /** Puts the timeline back where the user left it (at the newest message if they were there). */
  restoreScroll(): void {
    if (!this.#list.isConnected) return;
    this.#list.scrollTop = this.#atBottom ? this.#list.scrollHeight : this.#list.scrollHeight - this.#fromBottom;
  }

  #item(item: Item): HTMLElement {
    const name = this.#props.name;
    if (item.kind === "call") {
      const c = item.call;
      const what = `${c.direction === "placed" ? "Outgoing" : "Incoming"} ${c.media.includes("video") ? "video" : "audio"} call, ${CALL_TEXT[c.outcome]}`;
      return h("li", { class: `call-event ${c.outcome}`, "aria-label": `${what}, ${time(c.at)}` },
        h("span", { "aria-hidden": "true" }, c.direction === "placed" ? "↗" : "↙"),
        h("span", {}, what),
        h("time", { datetime: new Date(c.at).toISOString() }, time(c.at)),
        h("button", { class: "subtle", disabled: !this.#props.canCall(), onclick: () => this.#props.onCall(c.media.includes("video")) }, "Call back"));
    }
    const m = item.message;
    const key = m.stanzaId ?? `${m.outgoing}:${m.id}`;
    const long = m.body.length > SHOWN_CHARS && !this.#expanded.has(key);
    const body = long ? `${m.body.slice(0, SHOWN_CHARS)}…` : m.body;
    const tick = TICK[m.delivery];
    const label = `${m.outgoing ? "You" : name}: ${body}, ${time(m.at)}${m.edited ? ", edited" : ""}${m.outgoing ? `, ${tick.label}` : ""}`;
    return h("li", { class: `message ${m.outgoing ? "out" : "in"}`, "aria-label": label },
      h("p", { class: "body" }, messageText(body)),
      (long || m.truncated) && h("p", { class: "muted small" },
        long ? h("button", { class: "subtle", onclick: () => { this.#expanded.add(key); this.update(); } }, "Show all") : "The rest of this very long message was not kept."),
      h("span", { class: "meta" },
        h("time", { datetime: new Date(m.at).toISOString() }, time(m.at)),
        m.edited && h("span", { class: "edited" }, " · edited"),
        m.outgoing && h("span", { class: `tick ${m.delivery}`, title: tick.label, "aria-hidden": "true" }, ` ${tick.glyph}`)));
  }

  #showEarlier() {
    const { messaging, peer } = this.#props;
    const total = messaging.conversation(peer).messages.length + this.#props.calls().length;
    if (this.#shown < total) {
      this.#shown += PAGE;
      this.update();
      return;
    }
    if (!messaging.hasOlderHistory(peer)) return;
    this.#shown += PAGE;
    messaging.loadOlder(peer).catch((error: unknown) => this.#props.onError("Loading history", error));
  }

  #markRead() {
    if (document.visibilityState !== "visible" || this.#props.messaging.unread(this.peer) === 0) return;
    this.#props.messaging.markRead(this.peer).catch(() => undefined);
  }

  #onKey(e: KeyboardEvent) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this.#send();
    } else if (e.key === "ArrowUp" && this.#composer.value === "") {
      // XEP-0308: correct the last message, as Conversations and Dino do with the up arrow.
      const last = [...this.#props.messaging.conversation(this.peer).messages].reverse().find((m) => m.outgoing);
      if (!last) return;
      e.preventDefault();
      this.#correcting = true;
      this.#composer.value = last.body;
      this.#editing.textContent = "Editing your last message (Escape to cancel)";
    } else if (e.key === "Escape" && this.#correcting) {
      this.#stopCorrecting();
      this.#composer.value = "";
    }
  }

  #stopCorrecting() {
    this.#correcting = false;
    this.#editing.textContent = "";
  }

  #onInput() {
    const { messaging } = this.#props;
    clearTimeout(this.#pauseTimer);
    if (this.#composer.value === "") {
      void messaging.setChatState(this.peer, "active").catch(() => undefined);
      return;
    }
    void messaging.setChatState(this.peer, "composing").catch(() => undefined);
    this.#pauseTimer = setTimeout(() => void messaging.setChatState(this.peer, "paused").catch(() => undefined), PAUSE_AFTER_MS);
  }

  #send() {
    const text = this.#composer.value.trim();
    if (!text) return;
    clearTimeout(this.#pauseTimer);
    const correct = this.#correcting;
    this.#composer.value = "";
    this.#stopCorrecting();
    this.#atBottom = true;
    this.#props.messaging.send(this.peer, text, { correct }).catch((error: unknown) => this.#props.onError("Sending", error));
  }
}

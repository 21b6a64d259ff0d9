import { XmppAccount, type ContactView } from "../xmpp/account.js";
import { splitJid, type ConnectionState } from "../xmpp/connection.js";
import { discoverWebSocketEndpoint } from "../xmpp/endpoint.js";
import { historyFromJmi, mergeJmiLogs, type CallRecord, type JmiLogEntry } from "../call/history.js";
import { jmiFromArchive } from "../xmpp/jmi.js";
import { queryArchive } from "../xmpp/mam.js";
import type { CallManager } from "../call/manager.js";
import { browserPeerFactory } from "../platform/peer-browser.js";
import type { CallSession } from "../call/session.js";
import type { CallMedia } from "../call/states.js";
import { chooseCallTarget, offerShape } from "../call/target.js";
import { CAPS_NODE, callability } from "../xmpp/disco.js";
import { CallScreen } from "./call-screen.js";
import { alertIncomingCall, Notifier, Ringtone } from "./alerts.js";
import { ChatPanel } from "./chat-panel.js";
import { createCallManager, type CallSettings } from "./calls.js";
import { contactsView } from "./contacts-view.js";
import { historyView } from "./history-view.js";
import { checkIceServers, type GatheringPeer } from "../diagnostics/ice-check.js";
import { connectionCheckView, type ConnectionCheckState } from "./connection-check-view.js";
import { CoalescedRender } from "./coalesce.js";
import { h, Memo, patchChildren } from "./dom.js";
import { CONNECTION_LABEL, describeSignInError } from "./messages.js";
import { signInView } from "./signin-view.js";
import { testCallAddress } from "./test-call-view.js";
import { loadDeviceChoice, loadRemembered, remember } from "./storage.js";

/** JMI messages kept for the call history: a few hundred calls (each is 2-4 messages). */
const JMI_LOG_LIMIT = 1_000;

/** How far back the call history reaches when restored from the archive. */
const HISTORY_DAYS = 30;

interface SignInState {
  busy: boolean;
  error: string;
}

/**
 * The application shell: owns the account once signed in and re-renders views from its
 * state. Views only render and forward intents; protocol state lives in xmpp/ and call/.
 */
export class App {
  readonly #root: HTMLElement;
  #account: XmppAccount | undefined;
  #signIn: SignInState = { busy: false, error: "" };
  #connection: ConnectionState = "offline";
  #contacts: readonly ContactView[] = [];
  #requests: readonly string[] = [];
  #notice = "";
  #calls: CallManager | undefined;
  #screen: CallScreen | undefined;
  #jmiLog: JmiLogEntry[] = [];
  readonly #settings: CallSettings = { allowStrangers: false, relayOnly: false };
  #check: ConnectionCheckState = { running: false };
  readonly #callLayer = document.createElement("div");
  #chat: ChatPanel | undefined;
  readonly #notifier = new Notifier(() => this.render());
  readonly #ringtone = new Ringtone();
  /** Renders once per burst of events, after the task that caused them (coalesce.ts). */
  readonly #renders = new CoalescedRender(() => this.#render());
  /** Bumped whenever #jmiLog changes: the history view is rebuilt only then. */
  #jmiVersion = 0;
  readonly #views = {
    signIn: new Memo<HTMLElement>(),
    header: new Memo<HTMLElement>(),
    notice: new Memo<HTMLElement | false>(),
    main: new Memo<HTMLElement>(),
    contacts: new Memo<HTMLElement>(),
    history: new Memo<HTMLElement>(),
    settings: new Memo<HTMLElement>(),
    check: new Memo<HTMLElement>(),
  };

  constructor(root: HTMLElement) {
    this.#root = root;
    document.body.append(this.#callLayer);
    // A new network: the XMPP socket reconnects at once (resuming), calls restart ICE.
    window.addEventListener("online", () => {
      this.#account?.connection.interrupt();
      this.#calls?.networkChanged();
    });
    // Network Information API (Chromium): a change of network type or link, online all along.
    (navigator as Navigator & { connection?: EventTarget }).connection?.addEventListener("change", () => this.#calls?.networkChanged());
    // Closing or reloading the page ends our calls for the peer at once, rather than leaving it
    // talking to silence until ICE gives up (Dino kept a closed tab's call for over a minute).
    window.addEventListener("pagehide", () => this.#calls?.leave());
  }

  get account(): XmppAccount | undefined {
    return this.#account;
  }

  start(): void {
    this.render();
  }

  async signIn(values: { jid: string; password: string; service: string; remember: boolean }): Promise<void> {
    this.#signIn = { busy: true, error: "" };
    this.render();
    try {
      const { local, domain } = splitJid(values.jid);
      if (!local || !domain) throw new TypeError("Enter your address as name@domain, for example alice@localhost.");
      const service = values.service || (await discoverWebSocketEndpoint(domain, { origin: location.origin }));
      const account = await XmppAccount.signIn(
        { service, jid: `${local}@${domain}`, password: values.password },
        { allowStrangers: () => this.#settings.allowStrangers },
      );
      remember(values.remember ? { jid: values.jid, service: values.service } : undefined);
      this.#attach(account);
      this.#signIn = { busy: false, error: "" };
    } catch (error) {
      this.#signIn = { busy: false, error: describeSignInError(error) };
    }
    this.render();
  }

  async signOut(): Promise<void> {
    const account = this.#account;
    await this.#calls?.current?.hangUp();
    if (this.#screen) this.#closeCall(this.#screen);
    this.#calls = undefined;
    this.#chat?.dispose();
    this.#chat = undefined;
    this.#jmiLog = [];
    this.#jmiVersion += 1;
    this.#check = { running: false };
    this.#account = undefined;
    this.render();
    await account?.signOut();
  }

  #attach(account: XmppAccount) {
    this.#account = account;
    this.#connection = account.connection.state;
    this.#contacts = account.contacts;
    this.#requests = account.roster.requests;
    account.on("state", (s) => {
      this.#connection = s;
      this.#screen?.setSignalingUp(s === "online");
      this.render();
    });
    account.on("contacts", (c) => { this.#contacts = c; this.render(); });
    account.on("requests", (r) => { this.#requests = r; this.render(); });
    const calls = createCallManager(account, browserPeerFactory((streams) => this.#screen?.setStreams(streams.local, streams.remote, streams), { choice: () => loadDeviceChoice(), onNotice: (text) => this.#screen?.showDeviceNotice(text) }), this.#settings);
    this.#calls = calls;
    calls.on("call", (call) => this.#showCall(call));
    this.#chat = new ChatPanel(account, {
      nameOf: (jid) => this.#contacts.find((c) => c.jid === jid)?.name || jid,
      allowStrangers: () => this.#settings.allowStrangers,
      callsWith: (jid) => this.history.filter((r) => r.peer === jid),
      canCall: (jid) => this.#calls?.current === undefined && this.#contacts.some((c) => c.jid === jid && c.availability !== "offline" && c.callable.audio),
      call: (jid, video) => this.#startCall(jid, video),
      error: (what, error) => { this.#notice = `${what} failed: ${error instanceof Error ? error.message : String(error)}`; this.render(); },
      changed: () => this.render(),
    }, this.#notifier);
    calls.on("jmi", (message, outgoing) => {
      this.#jmiLog.push({ message, outgoing, at: Date.now() });
      this.#trimJmiLog();
      this.render();
    });
    void this.#restoreHistory(account);
    account.connection.on("fatal", () => {
      this.#account = undefined;
      this.#signIn = { busy: false, error: "The server no longer accepts your password. Sign in again." };
      this.render();
    });
  }

  /**
   * Rebuilds the call history from the server's archive (XEP-0313; JMI messages carry a
   * store hint), so another device or a reload shows the same calls. Without MAM the
   * history simply starts empty.
   */
  async #restoreHistory(account: XmppAccount) {
    const since = new Date(Date.now() - HISTORY_DAYS * 86_400_000);
    const archived = await queryArchive(account.connection, { start: since }).catch(() => []);
    if (this.#account !== account) return;
    this.#jmiLog = mergeJmiLogs(jmiFromArchive(archived, account.connection.bareJid), this.#jmiLog);
    this.#trimJmiLog();
    this.render();
  }

  #showCall(call: CallSession) {
    this.#screen?.dispose();
    const contact = this.#contacts.find((c) => c.jid === call.peerBareJid);
    const screen = new CallScreen(call, contact?.name || call.peerBareJid, () => this.#closeCall(screen));
    this.#screen = screen;
    screen.setSignalingUp(this.#connection === "online");
    this.#callLayer.replaceChildren(screen.element);
    alertIncomingCall(call, contact?.name || call.peerBareJid, this.#notifier, this.#ringtone, () => screen.element.querySelector("button")?.focus());
    call.on("state", () => this.render());
    // A broken media path often means a new network (Wi-Fi → mobile): the XMPP socket may be
    // dead too without knowing it, and the ICE restart needs it. Check it; a dead one reconnects.
    call.on("recovering", (lost) => {
      if (lost) void this.#account?.connection.checkAlive();
    });
    // The peer refused one of our iqs: the call acts on it where it matters; the log keeps it.
    call.on("iqError", (action, error) => console.warn(`call ${call.id}: the peer refused our ${action}:`, error));
  }

  #closeCall(screen: CallScreen) {
    if (this.#screen !== screen) return;
    screen.dispose();
    this.#screen = undefined;
    this.#callLayer.replaceChildren();
  }

  /**
   * The server's echo account, when it is a contact we see (npm start and docker-compose make it
   * one): its presence tells whether the test call can ring, and the call needs no opt-in.
   */
  #testCallJid(account: XmppAccount): string | undefined {
    const echo = testCallAddress(account.connection.bareJid);
    const contact = this.#contacts.find((c) => c.jid === echo);
    const seen = contact && (contact.subscription === "both" || contact.subscription === "to");
    return seen && contact.availability !== "offline" ? echo : undefined;
  }

  #startCall(jid: string, video: boolean) {
    const calls = this.#calls;
    const account = this.#account;
    if (!calls || !account) return;
    const media: CallMedia[] = video ? ["audio", "video"] : ["audio"];
    const devices = account.resourcesOf(jid).map((r) => ({
      jid: r.jid,
      priority: r.priority,
      ...callability(account.disco.featuresOf(r.jid) ?? []),
      sharedFeedback: r.caps?.node === CAPS_NODE,
    }));
    this.#act("Calling", async () => {
      // Bare JID: JMI rings every device; full JID: the one device without JMI gets session-initiate.
      const target = chooseCallTarget(jid, devices, media) ?? jid;
      await calls.call(target, media, offerShape(target, devices, media));
    });
  }

  /**
   * Calls placed, and received from those who may ring us: a stranger's propose is declined by
   * policy and is not a missed call (a flood of them would bury the real ones).
   */
  get history(): CallRecord[] {
    const calls = this.#calls;
    return historyFromJmi(this.#jmiLog.filter((e) => e.outgoing || !calls || calls.mayRing(e.message.from)));
  }

  /** The history keeps the latest JMI messages only, so a chatty or hostile peer cannot grow it for ever. */
  #trimJmiLog() {
    this.#jmiVersion += 1;
    if (this.#jmiLog.length > JMI_LOG_LIMIT) this.#jmiLog.splice(0, this.#jmiLog.length - JMI_LOG_LIMIT);
  }

  /** Runs a user intent, turning a failure into a visible notice instead of an unhandled rejection. */
  #act(what: string, action: () => Promise<void>) {
    action().catch((error: unknown) => {
      this.#notice = `${what} failed: ${error instanceof Error ? error.message : String(error)}`;
      this.render();
    });
  }

  /** Asks for a render; it runs once after the current burst of events (coalesce.ts). */
  render(): void {
    this.#renders.request();
  }

  /** Each part of the page is rebuilt only when what it shows changed; the rest stays in place. */
  #render(): void {
    const account = this.#account;
    const v = this.#views;
    if (!account) {
      patchChildren(this.#root, [v.signIn.get([this.#signIn], () => {
        const remembered = loadRemembered();
        return h("main", { class: "center" }, signInView({
          jid: remembered?.jid ?? "",
          service: remembered?.service ?? "",
          ...this.#signIn,
          onSubmit: (values) => void this.signIn(values),
        }));
      })]);
      return;
    }
    const chat = this.#chat;
    const inCall = this.#calls?.current !== undefined;
    const unread = this.#contacts.map((c) => chat?.unread(c.jid) ?? 0).join();
    const main = v.main.get([account], () => h("main", {}));
    main.className = chat?.openPeer ? "home with-chat" : "home";
    patchChildren(main, [
      chat?.view(),
      v.contacts.get([this.#contacts, this.#requests, inCall, unread], () => contactsView({
        contacts: this.#contacts,
        requests: this.#requests,
        inCall,
        onCall: (jid, video) => this.#startCall(jid, video),
        onAccept: (jid) => this.#act("Accepting", () => account.roster.accept(jid)),
        onRefuse: (jid) => this.#act("Refusing", () => account.roster.refuse(jid)),
        onAdd: (jid) => this.#act("Adding a contact", () => account.roster.add(jid)),
        onRemove: (jid) => this.#act("Removing a contact", () => account.roster.remove(jid)),
        onOpen: (jid) => this.#chat?.open(jid),
        unread: (jid) => this.#chat?.unread(jid) ?? 0,
        testCallJid: this.#testCallJid(account),
      })),
      chat?.requestsView(),
      v.history.get([this.#jmiVersion, this.#contacts, this.#settings.allowStrangers], () => historyView(this.history, (jid) => this.#contacts.find((c) => c.jid === jid)?.name || jid)),
      v.settings.get([account, this.#notifier.permission], () => this.#settingsView()),
      v.check.get([account, this.#check], () => connectionCheckView(this.#check, () => this.#runConnectionCheck(account))),
    ]);
    patchChildren(this.#root, [
      v.header.get([account, this.#connection], () => h(
        "header",
        { class: "topbar" },
        h("span", { class: "brand" }, "XMPP Calls"),
        h("span", { class: `conn ${this.#connection}`, role: "status", "aria-label": "Connection" }, CONNECTION_LABEL[this.#connection]),
        h("span", { class: "me" }, account.connection.bareJid),
        h("select", {
          "aria-label": "My status",
          onchange: (e: Event) => this.#act("Changing status", () => account.setAvailability((e.target as HTMLSelectElement).value as "online" | "away" | "dnd")),
        }, h("option", { value: "online" }, "Online"), h("option", { value: "away" }, "Away"), h("option", { value: "dnd" }, "Busy")),
        h("button", { class: "subtle", onclick: () => void this.signOut() }, "Sign out"),
      )),
      v.notice.get([this.#notice], () => this.#notice !== "" && h("p", { class: "error", role: "alert" }, this.#notice, " ", h("button", { class: "subtle", "aria-label": "Dismiss", onclick: () => { this.#notice = ""; this.render(); } }, "✕"))),
      main,
    ]);
  }

  /** Gathers candidates through each XEP-0215 server alone, as the doctor does from a terminal. */
  #runConnectionCheck(account: XmppAccount) {
    this.#check = { running: true };
    this.render();
    this.#act("Checking the connection", async () => {
      try {
        await account.iceServers.refresh();
        const results = await checkIceServers(account.iceServers.iceServers, (config) => new RTCPeerConnection(config) as unknown as GatheringPeer);
        this.#check = { running: false, results };
      } finally {
        if (this.#check.running) this.#check = { running: false };
        this.render();
      }
    });
  }

  #settingsView(): HTMLElement {
    const box = (key: keyof CallSettings, label: string) =>
      h("label", { class: "check" }, h("input", {
        type: "checkbox",
        checked: this.#settings[key],
        onchange: (e: Event) => { this.#settings[key] = (e.target as HTMLInputElement).checked; },
      }), ` ${label}`);
    return h("section", { class: "contacts", "aria-label": "Call settings" }, h("h2", {}, "Call settings"),
      box("allowStrangers", "Allow calls from people who are not my contacts (they would see my IP address)"),
      box("relayOnly", "Use relay only (hide my IP address from the other side)"),
      this.#notificationSetting());
  }

  /** Desktop notifications need the user's permission, asked from this button (a user gesture). */
  #notificationSetting(): HTMLElement {
    const permission = this.#notifier.permission;
    if (permission === "unsupported") return h("p", { class: "muted" }, "This browser cannot show notifications.");
    if (permission === "granted") return h("p", { class: "muted", "aria-label": "Notifications" }, "Desktop notifications are on for calls and for messages while this tab is hidden.");
    if (permission === "denied") return h("p", { class: "muted", "aria-label": "Notifications" }, "Notifications are blocked in the browser's site settings.");
    return h("button", { onclick: () => this.#act("Enabling notifications", async () => { await this.#notifier.request(); this.render(); }) }, "Enable desktop notifications");
  }
}

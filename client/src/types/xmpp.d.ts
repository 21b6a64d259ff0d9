// Type declarations for the xmpp.js 0.14 packages we use; they ship no types of their own.
// Only what the project calls is declared, so a misuse is a compile error rather than `any`.

declare module "@xmpp/xml" {
  export type Node = Element | string;
  export type Attrs = Record<string, string | number | undefined>;

  export class Element {
    constructor(name: string, attrs?: Attrs);
    name: string;
    attrs: Record<string, string>;
    children: Node[];
    parent: Element | null;
    is(name: string, xmlns?: string): boolean;
    getName(): string;
    getNS(): string | undefined;
    getAttr(name: string, xmlns?: string): string | undefined;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getChildByAttr(attr: string, val: string, xmlns?: string, recursive?: boolean): Element | undefined;
    getText(): string;
    getChildText(name: string, xmlns?: string): string | null;
    c(name: string, attrs?: Attrs): Element;
    cnode<T extends Element>(child: T): T;
    append(...nodes: Array<Node | Node[] | undefined | null | false>): this;
    t(text: string): this;
    up(): Element;
    root(): Element;
    text(): string;
    attr(name: string): string | undefined;
    attr(name: string, value: string | number | undefined): this;
    remove(el: Element | string, xmlns?: string): this;
    clone(): Element;
    toString(): string;
  }

  export class Parser {
    constructor();
    on(event: "start" | "element" | "end", listener: (el: Element) => void): this;
    on(event: "error", listener: (err: Error) => void): this;
    write(data: string): void;
    end(data?: string): void;
  }

  export class XMLError extends Error {}

  export function escapeXML(s: string): string;
  export function escapeXMLText(s: string): string;

  type Child = Node | Node[] | undefined | null | false;
  export function xml(name: string, attrs?: Attrs | null, ...children: Child[]): Element;
  export default xml;
}

declare module "@xmpp/xml/lib/parse.js" {
  import type { Element } from "@xmpp/xml";
  export default function parse(data: string): Element;
}

declare module "@xmpp/jid" {
  export class JID {
    local: string;
    domain: string;
    resource: string;
    bare(): JID;
    toString(): string;
    equals(other: JID): boolean;
  }
  export function jid(address: string): JID;
  export default jid;
}

declare module "@xmpp/client" {
  import type { Element } from "@xmpp/xml";
  import type { JID } from "@xmpp/jid";
  export { xml } from "@xmpp/xml";
  export { jid } from "@xmpp/jid";

  export type ConnectionStatus =
    | "offline" | "connecting" | "connect" | "opening" | "open" | "online"
    | "closing" | "close" | "disconnecting" | "disconnect";

  export interface ClientOptions {
    service: string;
    domain?: string;
    /**
     * The resource to bind (RFC 6120 §7), or a function giving it. @xmpp/resource-binding
     * 0.14 calls the function at the first bind only and keeps its answer for later binds.
     */
    resource?: string | (() => string | undefined | Promise<string | undefined>);
    username?: string;
    password?: string;
    credentials?: unknown;
    timeout?: number;
  }

  export interface IqCaller {
    request(stanza: Element, timeout?: number): Promise<Element>;
    get(child: Element, to?: string, timeout?: number): Promise<Element>;
    set(child: Element, to?: string, timeout?: number): Promise<Element>;
  }

  export interface IqContext {
    stanza: Element;
    from: JID;
    to: JID;
    id: string;
    element: Element;
  }

  export type IqHandler = (ctx: IqContext) => Element | boolean | Promise<Element | boolean>;

  export interface IqCallee {
    get(ns: string, name: string, handler: IqHandler): void;
    set(ns: string, name: string, handler: IqHandler): void;
  }

  export interface Reconnect {
    delay: number;
    stop(): void;
    start(): void;
    /** Opens a new socket and stream now (what the scheduled reconnect calls). */
    reconnect(): Promise<void>;
    on(event: "reconnecting" | "reconnected", listener: () => void): void;
    on(event: "error", listener: (err: Error) => void): void;
  }

  export interface StreamManagement {
    enabled: boolean;
    id: string;
    outbound: number;
    inbound: number;
    on(event: string, listener: (...args: unknown[]) => void): void;
  }

  export interface Client {
    jid: JID | null;
    status: ConnectionStatus;
    timeout: number;
    iqCaller: IqCaller;
    iqCallee: IqCallee;
    reconnect: Reconnect;
    streamManagement: StreamManagement;
    /**
     * The transport; null while disconnected. end() closes it without closing the stream; its
     * "close" event (dirty, reason) is what makes the connection go "disconnect".
     */
    socket: { end(): void; emit(event: "close", dirty: boolean, reason: Error): void } | null;
    start(): Promise<JID>;
    stop(): Promise<void>;
    disconnect(timeout?: number): Promise<void>;
    send(...elements: Element[]): Promise<void>;
    sendMany(elements: Element[]): Promise<void>;
    on(event: "stanza", listener: (stanza: Element) => void): this;
    on(event: "online", listener: (address: JID) => void): this;
    on(event: "offline", listener: () => void): this;
    on(event: "status", listener: (status: ConnectionStatus, value?: unknown) => void): this;
    on(event: "error", listener: (err: Error & { condition?: string }) => void): this;
    on(event: string, listener: (...args: any[]) => void): this;
    off(event: string, listener: (...args: any[]) => void): this;
    removeListener(event: string, listener: (...args: any[]) => void): this;
  }

  export function client(options: ClientOptions): Client;
}

// Types for the xmpp.js 0.14 parts bench/load-client.ts composes itself (the same packages
// @xmpp/client 0.14.0 wires, installed with it). Only what the load client calls.

declare module "@xmpp/client-core" {
  import type { Client as FullClient } from "@xmpp/client";
  /** The bare connection, before iq, SASL, binding and stream management are plugged in. */
  export type Entity = Omit<FullClient, "iqCaller" | "iqCallee" | "reconnect" | "streamManagement">;
  export const Client: new (options: { service: string; domain: string; timeout?: number }) => Entity;
}

declare module "@xmpp/websocket" {
  import type { Entity } from "@xmpp/client-core";
  export default function websocket(deps: { entity: Entity }): void;
}

declare module "@xmpp/middleware" {
  import type { Entity } from "@xmpp/client-core";
  export interface Middleware { readonly kind: "middleware" }
  export default function middleware(deps: { entity: Entity }): Middleware;
}

declare module "@xmpp/stream-features" {
  import type { Middleware } from "@xmpp/middleware";
  export interface StreamFeatures { readonly kind: "stream-features" }
  export default function streamFeatures(deps: { middleware: Middleware }): StreamFeatures;
}

declare module "@xmpp/iq/caller.js" {
  import type { IqCaller } from "@xmpp/client";
  import type { Entity } from "@xmpp/client-core";
  import type { Middleware } from "@xmpp/middleware";
  export default function iqCaller(deps: { middleware: Middleware; entity: Entity }): IqCaller;
}

declare module "@xmpp/iq/callee.js" {
  import type { IqCallee } from "@xmpp/client";
  import type { Entity } from "@xmpp/client-core";
  import type { Middleware } from "@xmpp/middleware";
  export default function iqCallee(deps: { middleware: Middleware; entity: Entity }): IqCallee;
}

declare module "saslmechanisms" {
  export interface SaslCredentials { username: string; password: string }
  export interface SaslMechanism {
    readonly name: string;
    readonly clientFirst: boolean;
    response(credentials: SaslCredentials): string | Promise<string>;
    challenge(challenge: string): unknown;
  }
  export default class SaslFactory {
    use(name: string, mechanism: new () => SaslMechanism): this;
  }
}

declare module "@xmpp/sasl" {
  import type SaslFactory from "saslmechanisms";
  import type { SaslCredentials } from "saslmechanisms";
  import type { StreamFeatures } from "@xmpp/stream-features";
  export type Authenticate = (credentials: SaslCredentials, mechanism: string) => Promise<void>;
  export default function sasl(
    deps: { streamFeatures: StreamFeatures; saslFactory: SaslFactory },
    onAuthenticate: (authenticate: Authenticate, mechanisms: string[]) => Promise<void>,
  ): void;
}

declare module "@xmpp/resource-binding" {
  import type { IqCaller } from "@xmpp/client";
  import type { StreamFeatures } from "@xmpp/stream-features";
  export default function resourceBinding(deps: { iqCaller: IqCaller; streamFeatures: StreamFeatures }, resource?: string): void;
}

declare module "@xmpp/stream-management" {
  import type { StreamManagement } from "@xmpp/client";
  import type { Entity } from "@xmpp/client-core";
  import type { Middleware } from "@xmpp/middleware";
  import type { StreamFeatures } from "@xmpp/stream-features";
  export default function streamManagement(deps: { streamFeatures: StreamFeatures; entity: Entity; middleware: Middleware }): StreamManagement;
}

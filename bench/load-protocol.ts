// Messages between `npm run bench:load` (bench/load.ts) and its generator processes
// (bench/load-worker.ts), over Node's IPC channel.
import type { SaslMechanismName } from "./load-client.ts";

export interface LoadAccount {
  username: string;
  password: string;
}

/** A caller and a callee, each other's contacts; the caller rings the callee. */
export interface LoadPair {
  caller: LoadAccount;
  callee: LoadAccount;
}

export type ToWorker =
  | {
      type: "connect";
      domain: string;
      caPem: string;
      mechanism: SaslMechanismName;
      /** Keep the XEP-0334 store hint on JMI messages (the web app does: MAM keeps the call history). */
      archiveJmi: boolean;
      pairs: LoadPair[];
      /** Callers sign in here, callees at calleeUrl (another node in the two-node phase). */
      callerUrl: string;
      calleeUrl: string;
      /** Logins in flight at once in this process. */
      concurrency: number;
    }
  | { type: "latency"; messagesPerSecond: number; seconds: number }
  | { type: "calls"; mode: "rate"; perSecond: number; seconds: number }
  | { type: "calls"; mode: "closed"; concurrency: number; seconds: number }
  | { type: "stop" };

export type FromWorker =
  | { type: "progress"; online: number; failed: number }
  | { type: "connected"; online: number; failed: number; loginMs: number[]; errors: string[] }
  | { type: "latency-done"; samplesMs: number[]; lost: number; loopDelayP99Ms: number }
  | { type: "calls-done"; completed: number; failed: number; setupMs: number[]; errors: string[]; loopDelayP99Ms: number }
  | { type: "stopped" };

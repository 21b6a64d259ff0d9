import type { CallRecord } from "../call/history.js";
import { h } from "./dom.js";

const OUTCOME: Record<CallRecord["outcome"], string> = {
  answered: "answered",
  missed: "missed",
  declined: "declined",
  unanswered: "no answer",
  busy: "busy",
};

export function historyView(records: readonly CallRecord[], nameOf: (jid: string) => string): HTMLElement {
  return h(
    "section",
    { class: "history", "aria-label": "Call history" },
    h("h2", {}, "Recent calls"),
    records.length === 0
      ? h("p", { class: "muted" }, "No calls yet.")
      : h("ul", {}, records.map((r) => {
          const label = `${r.direction === "placed" ? "Outgoing" : "Incoming"} ${r.media.includes("video") ? "video" : "audio"} call ${r.direction === "placed" ? "to" : "from"} ${nameOf(r.peer)}, ${OUTCOME[r.outcome]}`;
          return h("li", { "aria-label": label },
            h("span", { "aria-hidden": "true" }, r.direction === "placed" ? "↗" : "↙"),
            h("span", {}, nameOf(r.peer)),
            h("span", { class: `kind ${r.outcome}` }, OUTCOME[r.outcome]),
            h("time", { datetime: new Date(r.at).toISOString() }, new Date(r.at).toLocaleTimeString()));
        })),
  );
}

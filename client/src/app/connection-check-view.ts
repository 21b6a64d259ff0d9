import type { IceCheckResult } from "../diagnostics/ice-check.js";
import { h } from "./dom.js";

export interface ConnectionCheckState {
  running: boolean;
  results?: readonly IceCheckResult[];
}

const VERDICT: Record<IceCheckResult["verdict"], string> = { pass: "OK", warn: "Warning", fail: "Failed" };

/** Credentials never show: only the scheme, host, port and transport of a server. */
function serverLabel(url: string): string {
  return url.replace(/^(stun|turns?):/, (_, scheme: string) => `${scheme.toUpperCase()} `).replace("?transport=", " over ").replace(/ over (udp|tcp)$/, (m) => m.toUpperCase().replace(" OVER", " over"));
}

/** The in-app connectivity doctor: what each STUN/TURN server of this account gives the browser. */
export function connectionCheckView(state: ConnectionCheckState, onRun: () => void): HTMLElement {
  const results = state.results;
  const failed = results?.filter((r) => r.verdict === "fail").length ?? 0;
  const summary = !results ? undefined
    : results.length === 0 ? "Your server offers no STUN or TURN service: calls across NATs will fail. Ask its administrator to enable XEP-0215 (mod_stun_disco)."
    : failed === 0 ? "Calls can connect: directly, or through the relay when networks block a direct path."
    : `${failed} of ${results.length} checks failed.`;
  return h("section", { class: "contacts check-panel", "aria-label": "Connection check" },
    h("h2", {}, "Connection check"),
    h("p", { class: "muted" }, "Tests the STUN and TURN servers your account gets, from this browser and network."),
    h("button", { onclick: onRun, disabled: state.running }, state.running ? "Checking…" : "Check connection"),
    summary && h("p", { role: "status", "aria-label": "Connection check result" }, summary),
    results && results.length > 0 && h("ul", { class: "checks" }, results.map((r) =>
      h("li", { class: `check-${r.verdict}`, "aria-label": `${serverLabel(r.url)}: ${VERDICT[r.verdict]}` },
        h("span", { class: `kind ${r.verdict}` }, VERDICT[r.verdict]),
        h("span", {}, serverLabel(r.url)),
        h("span", { class: "muted" }, r.detail),
        r.hint && r.verdict !== "pass" ? h("span", { class: "hint" }, r.hint) : undefined))),
  );
}

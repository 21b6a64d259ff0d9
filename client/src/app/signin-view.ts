import { h } from "./dom.js";

export interface SignInProps {
  jid: string;
  service: string;
  busy: boolean;
  error: string;
  onSubmit(values: { jid: string; password: string; service: string; remember: boolean }): void;
}

/** The sign-in form. Labels double as accessible names (tests select by them). */
export function signInView(props: SignInProps): HTMLElement {
  const jid = h("input", { id: "signin-jid", name: "username", type: "email", autocomplete: "username", required: true, value: props.jid, placeholder: "alice@example.org" });
  const password = h("input", { id: "signin-password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const service = h("input", { id: "signin-service", name: "service", type: "url", value: props.service, placeholder: "discovered automatically" });
  const rememberBox = h("input", { id: "signin-remember", type: "checkbox", checked: true });
  const form = h(
    "form",
    {
      class: "card signin",
      "aria-label": "Sign in",
      onsubmit: (event: Event) => {
        event.preventDefault();
        props.onSubmit({ jid: jid.value.trim(), password: password.value, service: service.value.trim(), remember: rememberBox.checked });
      },
    },
    h("h1", {}, "XMPP Calls"),
    h("p", { class: "muted" }, "Audio and video calls with your XMPP account."),
    h("label", { for: "signin-jid" }, "XMPP address"),
    jid,
    h("label", { for: "signin-password" }, "Password"),
    password,
    h("label", { class: "check" }, rememberBox, " Remember my address on this device"),
    h("details", {}, h("summary", {}, "Advanced"), h("label", { for: "signin-service" }, "WebSocket URL"), service),
    props.error && h("p", { class: "error", role: "alert" }, props.error),
    h("button", { type: "submit", class: "primary", disabled: props.busy }, props.busy ? "Signing in…" : "Sign in"),
  );
  return form;
}

/** A tiny element builder: enough for a handful of views without a framework. */
type Attrs = Record<string, string | number | boolean | undefined | EventListener>;
export type Child = Node | string | number | false | null | undefined | Child[];

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(name.replace(/^on/, "").toLowerCase(), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(parent: Node, children: Child[]) {
  for (const child of children) {
    if (child === false || child === null || child === undefined) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `parent`, keeping focus where it was when the focused element survives by id. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  const focusedId = document.activeElement instanceof HTMLElement ? document.activeElement.id : "";
  parent.replaceChildren();
  append(parent, children);
  if (focusedId) document.getElementById(focusedId)?.focus();
}

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

/**
 * Makes `children` the children of `parent`, touching only the positions that differ: a node
 * already in place stays (no detach, so no lost focus, scroll or playing media), and views that
 * did not change cost nothing.
 */
export function patchChildren(parent: Element, children: readonly (Node | false | null | undefined)[]): void {
  const focusedId = document.activeElement instanceof HTMLElement ? document.activeElement.id : "";
  const wanted = children.filter((c): c is Node => !!c);
  wanted.forEach((node, i) => {
    const at = parent.childNodes[i];
    if (at !== node) parent.insertBefore(node, at ?? null);
  });
  while (parent.childNodes.length > wanted.length) parent.lastChild?.remove();
  if (focusedId && document.activeElement?.id !== focusedId) document.getElementById(focusedId)?.focus();
}

/** A view built again only when one of its inputs changed (compared one by one, Object.is). */
export class Memo<T> {
  #key: readonly unknown[] | undefined;
  #value: T | undefined;

  get(key: readonly unknown[], build: () => T): T {
    const same = this.#key !== undefined && this.#key.length === key.length && key.every((k, i) => Object.is(k, this.#key?.[i]));
    if (!same || this.#value === undefined) {
      this.#value = build();
      this.#key = key;
    }
    return this.#value;
  }
}

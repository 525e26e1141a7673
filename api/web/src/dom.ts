/**
 * DOM building without HTML strings.
 *
 * Everything the dashboard shows that came from a scraped source is hostile, so
 * text only ever goes in through text nodes, and links only through `link()`,
 * which accepts http(s) URLs and nothing else. There is deliberately no way to
 * pass markup through these helpers.
 */

export type Child = Node | string | number | null | undefined | false;
export type Attrs = Record<string, string | number | boolean | null | undefined | ((ev: Event) => void)>;

/** Attributes that could carry script or a URL; set them through `link()` or not at all. */
const REFUSED = new Set(["href", "src", "srcdoc", "style", "action", "formaction", "xlink:href"]);

function applyAttrs(el: Element, attrs: Attrs): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") {
      if (!name.startsWith("on")) throw new Error(`handler for ${name} must be named on<event>`);
      el.addEventListener(name.slice(2), value);
      continue;
    }
    const lower = name.toLowerCase();
    if (lower.startsWith("on") || REFUSED.has(lower)) throw new Error(`attribute ${name} is not settable here`);
    el.setAttribute(name === "className" ? "class" : name, value === true ? "" : String(value));
  }
}

function append(el: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element with text children; strings become text nodes, never markup. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K, attrs: Attrs = {}, ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  applyAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** An SVG element (for the timeline chart), same rules as `h`. */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K, attrs: Attrs = {}, ...children: Child[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  applyAttrs(el, attrs);
  append(el, children);
  return el;
}

/** The URL if it is an absolute http(s) URL, else null (javascript:, data:, relative…). */
export function safeHttpUrl(url: unknown): string | null {
  if (typeof url !== "string" || url.length === 0 || url.length > 4096) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

/** A link to an outside page when the URL is http(s); plain text otherwise. */
export function link(url: unknown, text: string): HTMLElement {
  const safe = safeHttpUrl(url);
  if (safe === null) return h("span", {}, text);
  const a = h("a", { rel: "noopener noreferrer", target: "_blank", referrerpolicy: "no-referrer" }, text);
  a.href = safe;
  return a;
}

/** A link inside the dashboard (a hash route); the route is built by us, never taken from data. */
export function routeLink(route: string, text: string, attrs: Attrs = {}): HTMLAnchorElement {
  const a = h("a", attrs, text);
  a.href = `#${route}`;
  return a;
}

export function clear(el: Element): void {
  el.replaceChildren();
}

/** "2026-11-25 13:40 UTC": analysts work across time zones, so the dashboard shows UTC. */
export function fmtTime(value: unknown): string {
  if (typeof value !== "string" && typeof value !== "number") return "—";
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return "—";
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

export function truncate(text: unknown, max: number): string {
  const s = typeof text === "string" ? text : "";
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export function message(kind: "error" | "info" | "ok", text: string): HTMLElement {
  return h("p", { class: `msg msg-${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

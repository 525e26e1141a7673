/** Small pieces several views share: severity badges, area text, category chips. */

import { h } from "./dom";
import type { Alert, Item } from "./types";
import { SEVERITIES } from "./types";

export function severityBadge(severity: string): HTMLElement {
  const known = (SEVERITIES as readonly string[]).includes(severity) ? severity : "unknown";
  return h("span", { class: `badge sev-${known}` }, severity || "?");
}

export function statusBadge(status: string): HTMLElement {
  return h("span", { class: `badge status-${status === "open" ? "open" : "resolved"}` }, status);
}

export function areaText(alert: Alert): string {
  const area = alert.area;
  if (area) return [area.description, area.country].filter(Boolean).join(" · ");
  const group = alert.group ?? {};
  return Object.values(group).filter((v) => v).join(" · ") || "—";
}

export function categoryChips(item: Item): HTMLElement {
  const wrap = h("span", { class: "chips" });
  const cats = Object.entries(item.categories ?? {}).sort((a, b) => b[1].score - a[1].score);
  for (const [name, hit] of cats) {
    wrap.append(h("span", { class: "chip", title: (hit.terms ?? []).join(", ") },
                  `${name} ${Number(hit.score).toFixed(2)}`));
  }
  return wrap;
}

export function labelled(label: string, control: HTMLElement): HTMLLabelElement {
  return h("label", {}, h("span", {}, label), control);
}

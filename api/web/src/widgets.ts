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
  const scores = item.scores ?? {};
  const names = Array.isArray(item.categories) ? item.categories : Object.keys(scores);
  const ranked = [...names].sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0));
  for (const name of ranked) {
    const score = scores[name];
    wrap.append(h("span", { class: "chip", title: (item.matched_terms?.[name] ?? []).join(", ") },
                  typeof score === "number" ? `${name} ${score.toFixed(2)}` : name));
  }
  for (const flag of item.flags ?? []) wrap.append(h("span", { class: "chip chip-flag" }, flag));
  return wrap;
}

export function labelled(label: string, control: HTMLElement): HTMLLabelElement {
  return h("label", {}, h("span", {}, label), control);
}

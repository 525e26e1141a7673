/**
 * Incidents: reports of one event fused across sources and languages (`GET /incidents`), and one
 * incident's items grouped by source and by language (`GET /incidents/{id}`), with its
 * coordinated-amplification note. Titles and item text are scraped, so text nodes only (dom.ts).
 */

import { ApiError, apiGet, type Params } from "../api";
import { clear, fmtTime, h, message, routeLink } from "../dom";
import { navigate } from "../router";
import type { Amplification, Incident, IncidentDetail, Item } from "../types";
import { labelled } from "../widgets";
import { itemCard } from "./search";

const FIELDS = ["q", "country", "category", "since", "min_sources", "min_languages", "amplified"] as const;
const PAGE_SIZE = 100;

/** "62 accounts, 4 minutes, same text": the words of `Amplification.describe()` in tocsin/schema.py. */
export function describeAmplification(burst: Amplification): string {
  const minutes = Math.max(1, Math.round((Date.parse(burst.last_seen) - Date.parse(burst.first_seen)) / 60_000));
  return `${burst.accounts} accounts, ${minutes} minute${minutes > 1 ? "s" : ""}, same text`;
}

function placeText(incident: Incident): string {
  return [incident.place, incident.admin1_name ?? incident.admin1, incident.country].filter(Boolean).join(" · ") || "—";
}

function amplificationBadge(incident: Incident): HTMLElement | string {
  if (!incident.amplification && incident.amplified_items === 0) return "—";
  return h("span", { class: "badge amplified", title: `${incident.amplified_items} items in a burst` },
    incident.amplification ? `amplified: ${describeAmplification(incident.amplification)}` : "amplified");
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function errorText(err: unknown): string {
  return err instanceof ApiError ? err.detail : String(err);
}

export function incidentsView(root: HTMLElement, params: URLSearchParams): void {
  const input = (name: string, attrs: Record<string, string> = {}): HTMLInputElement =>
    h("input", { name, ...attrs, value: params.get(name) ?? "" });
  const q = input("q", { type: "search", placeholder: "words of the title" });
  const country = input("country", { placeholder: "SD", size: "4" });
  const category = input("category", { placeholder: "violence_report" });
  const since = input("since", { placeholder: "24h, 7d or a time", size: "10" });
  const minSources = input("min_sources", { type: "number", min: "1", step: "1", size: "4" });
  const minLanguages = input("min_languages", { type: "number", min: "1", step: "1", size: "4" });
  const amplified = h("select", { name: "amplified" }, ...[["", "any"], ["true", "only amplified"],
                                                            ["false", "not amplified"]]
    .map(([value, text]) => h("option", { value, selected: (params.get("amplified") ?? "") === value }, text)));
  const controls = { q, country, category, since, min_sources: minSources, min_languages: minLanguages, amplified };

  const form = h("form", { class: "filters", id: "incident-filters" },
    labelled("Title", q), labelled("Country", country), labelled("Category", category),
    labelled("Last seen since", since), labelled("Independent sources ≥", minSources),
    labelled("Languages ≥", minLanguages), labelled("Amplification", amplified),
    h("button", { type: "submit" }, "Filter"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const name of FIELDS) {
      const value = controls[name].value.trim();
      if (value) next.set(name, value);
    }
    const query = next.toString();
    navigate(query ? `/incidents?${query}` : "/incidents");
  });

  const summary = h("p", { class: "muted", id: "incident-summary" }, "Loading…");
  const status = h("div");
  const tbody = h("tbody");
  root.append(
    h("h1", {}, "Incidents"),
    h("p", { class: "muted small" }, "Reports of one event fused across sources and languages, most recently seen " +
      "first. Independent sources count a syndicated copy or near-duplicate once."),
    form, status, summary,
    h("table", { class: "incidents", id: "incident-list" },
      h("thead", {}, h("tr", {}, ...["Incident", "Where", "First seen", "Last seen", "Items", "Independent sources",
                                    "Languages", "Amplification"].map((t) => h("th", {}, t)))),
      tbody));

  const apiParams: Params = { size: PAGE_SIZE };
  for (const name of FIELDS) {
    const value = params.get(name);
    if (value) apiParams[name] = value;
  }
  apiGet<{ incidents: Incident[] }>("/incidents", apiParams).then(({ incidents }) => {
    tbody.replaceChildren(...incidents.map(row));
    summary.textContent = incidents.length === 0 ? "No incidents match."
      : `${plural(incidents.length, "incident")}${incidents.length === PAGE_SIZE ? " (the most recent)" : ""}`;
  }).catch((err: unknown) => {
    summary.textContent = "";
    status.append(message("error", `Could not load the incidents: ${errorText(err)}`));
  });
}

function row(incident: Incident): HTMLTableRowElement {
  return h("tr", { "data-incident-id": incident.id },
    h("td", {}, routeLink(`/incident/${encodeURIComponent(incident.id)}`, incident.title || incident.id,
                          { class: "title" }),
      h("div", { class: "muted small" }, incident.category)),
    h("td", { class: "place" }, placeText(incident)),
    h("td", { class: "nowrap" }, fmtTime(incident.first_seen)),
    h("td", { class: "nowrap" }, fmtTime(incident.last_seen)),
    h("td", { class: "num items" }, String(incident.item_count)),
    h("td", { class: "num sources", title: incident.origins.join(", ") }, String(incident.independent_sources)),
    h("td", { class: "languages" }, incident.languages.join(", ") || "—"),
    h("td", { class: "amplification" }, amplificationBadge(incident)));
}

export function incidentView(root: HTMLElement, id: string): void {
  const body = h("div", { id: "incident-detail" }, h("p", { class: "muted" }, "Loading…"));
  root.append(body);
  apiGet<IncidentDetail>(`/incidents/${encodeURIComponent(id)}`).then((detail) => {
    body.replaceChildren(...render(detail));
  }).catch((err: unknown) => {
    clear(body);
    body.append(message("error", err instanceof ApiError && err.status === 404
      ? "No such incident." : `Could not load the incident: ${errorText(err)}`),
    routeLink("/incidents", "Go to the incident list"));
  });
}

function render(detail: IncidentDetail): Node[] {
  const inc = detail.incident;
  const subtypes = Object.entries(inc.subtypes ?? {}).sort((x, y) => y[1] - x[1]).map(([k, n]) => `${k} ${n}`);
  const facts: [string, string][] = [
    ["Category", inc.category],
    ["Where", placeText(inc)],
    ["First seen", fmtTime(inc.first_seen)],
    ["Last seen", fmtTime(inc.last_seen)],
    ["Items", String(inc.item_count)],
    ["Independent sources", `${inc.independent_sources}${inc.origins.length ? ` (${inc.origins.join(", ")})` : ""}`],
    ["Sources", inc.sources.join(", ") || "—"],
    ["Languages", inc.languages.join(", ") || "—"],
  ];
  if (subtypes.length) facts.push(["Subtypes", subtypes.join(", ")]);
  const shown = detail.items.length < inc.item_count ? ` (the first ${detail.items.length} of ${inc.item_count})` : "";
  return [
    h("p", { class: "small" }, routeLink("/incidents", "← Incidents")),
    h("h1", {}, h("span", { class: "incident-title" }, inc.title || inc.id)),
    h("p", { class: "muted small" }, `id ${inc.id}`),
    amplificationNote(inc),
    h("dl", { class: "facts" }, ...facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    h("h2", {}, `Items by source (${plural(detail.by_source.length, "source")})${shown}`),
    h("div", { id: "incident-by-source" }, ...detail.by_source.map((group) =>
      h("section", { class: "source-group", "data-source": group.source },
        h("h3", {}, h("span", { class: "source-name" }, group.source), ` (${group.items.length})`),
        h("ol", { class: "results" }, ...group.items.map(incidentItem))))),
    h("h2", {}, `Items by language (${plural(Object.keys(detail.by_language).length, "language")})`),
    languageTable(detail),
  ].filter((n): n is HTMLElement => n !== null);
}

function amplificationNote(inc: Incident): HTMLElement | null {
  if (!inc.amplification) return null;
  const burst = inc.amplification;
  return h("p", { class: "msg msg-error amplification-note", id: "incident-amplification", role: "note" },
    h("strong", {}, "Coordinated amplification: "), describeAmplification(burst),
    ` (${burst.items} items, ${fmtTime(burst.first_seen)} – ${fmtTime(burst.last_seen)}). ` +
    `${inc.amplified_items} of its ${inc.item_count} items belong to a burst of near-identical text from many ` +
    "accounts; they count as no independent source.");
}

function incidentItem(item: Item): HTMLLIElement {
  const card = itemCard(item);
  const notes = h("div", { class: "chips" });
  const origin = item.incident?.origin;
  if (origin && origin !== item.source?.name) notes.append(h("span", { class: "chip" }, `copy: first published by ${origin}`));
  if (item.amplification) {
    notes.append(h("span", { class: "chip chip-flag amplified" }, `amplified: ${describeAmplification(item.amplification)}`));
  }
  if (notes.childNodes.length) card.append(notes);
  return card;
}

function languageTable(detail: IncidentDetail): HTMLTableElement {
  const byId = new Map(detail.items.map((item) => [item.id, item]));
  return h("table", { class: "by-language", id: "incident-by-language" },
    h("thead", {}, h("tr", {}, ...["Language", "Items", "Titles"].map((t) => h("th", {}, t)))),
    h("tbody", {}, ...Object.entries(detail.by_language).map(([lang, ids]) => h("tr", { "data-lang": lang },
      h("td", {}, lang), h("td", { class: "num" }, String(ids.length)),
      h("td", {}, h("ul", { class: "titles" }, ...ids.map((itemId) => {
        const item = byId.get(itemId);
        return h("li", { "data-item-id": itemId }, item?.title || itemId,
          h("span", { class: "muted small" }, ` — ${item?.source?.name ?? "unknown"}`));
      })))))));
}


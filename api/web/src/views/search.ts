/** Search the archive with filters; pages through results with the API's `next` token. */

import { ApiError, apiGet, type Params } from "../api";
import { clear, fmtTime, h, link, message, truncate } from "../dom";
import { navigate } from "../router";
import type { Item, SearchPage } from "../types";
import { categoryChips, labelled } from "../widgets";

const FIELDS = ["q", "from", "to", "lang", "country", "category", "min_score", "source", "sort"] as const;
const PAGE_SIZE = 20;

/** `datetime-local` values are read as UTC, like every time the dashboard shows. */
export function localToUtc(value: string): string {
  return value ? `${value.length === 16 ? `${value}:00` : value}Z` : "";
}

export function searchView(root: HTMLElement, params: URLSearchParams): void {
  const input = (name: string, attrs: Record<string, string> = {}): HTMLInputElement =>
    h("input", { name, ...attrs, value: params.get(name) ?? "" });
  const q = input("q", { type: "search", placeholder: "words, \"a phrase\", -not" });
  const from = input("from", { type: "datetime-local" });
  const to = input("to", { type: "datetime-local" });
  const lang = input("lang", { placeholder: "en", size: "4" });
  const country = input("country", { placeholder: "SD", size: "4" });
  const category = input("category", { placeholder: "violence_report" });
  const minScore = input("min_score", { type: "number", min: "0", max: "1", step: "0.05", size: "5" });
  const source = input("source", { placeholder: "source name" });
  const sort = h("select", { name: "sort" }, ...["relevance", "newest", "oldest"].map((s) =>
    h("option", { value: s, selected: (params.get("sort") ?? "relevance") === s }, s)));
  const controls = { q, from, to, lang, country, category, min_score: minScore, source, sort };

  const form = h("form", { class: "filters search-form", id: "search-form" },
    labelled("Text", q), labelled("From (UTC)", from), labelled("To (UTC)", to), labelled("Language", lang),
    labelled("Country", country), labelled("Category", category), labelled("Min score", minScore),
    labelled("Source", source), labelled("Sort", sort), h("button", { type: "submit" }, "Search"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const name of FIELDS) {
      const value = controls[name].value.trim();
      if (value && !(name === "sort" && value === "relevance")) next.set(name, value);
    }
    next.set("run", "1");
    navigate(`/search?${next.toString()}`);
  });

  const summary = h("p", { class: "muted", id: "search-summary" });
  const results = h("ol", { class: "results", id: "search-results" });
  const more = h("button", { type: "button", id: "search-more", hidden: true }, "More results");
  const status = h("div");
  root.append(h("h1", {}, "Search"), form, status, summary, results, more);

  // A bookmarked or linked search (#/search?q=killed) runs as it opens; a bare #/search waits.
  if (!params.has("run") && !FIELDS.some((name) => name !== "sort" && params.get(name))) {
    summary.textContent = "Filter the archive and press Search.";
    return;
  }
  const apiParams: Params = { size: PAGE_SIZE };
  for (const name of FIELDS) {
    const value = params.get(name);
    if (value) apiParams[name] = name === "from" || name === "to" ? localToUtc(value) : value;
  }
  let next: string | null = null;
  let shown = 0;
  const fetchPage = async (): Promise<void> => {
    more.disabled = true;
    clear(status);
    try {
      const page = await apiGet<SearchPage>("/search", next ? { ...apiParams, after: next } : apiParams);
      for (const item of page.items) results.append(itemCard(item));
      shown += page.items.length;
      next = page.next;
      summary.textContent = `${shown} of ${page.total} shown`;
      more.hidden = next === null || page.items.length === 0;
    } catch (err) {
      status.append(message("error", err instanceof ApiError ? `Search failed: ${err.detail}` : String(err)));
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener("click", () => void fetchPage());
  void fetchPage();
}

export function itemCard(item: Item): HTMLLIElement {
  const where = [item.city, item.admin1, item.country].filter(Boolean).join(", ");
  const source = [item.source?.name, item.source?.type].filter(Boolean).join(" · ");
  return h("li", { class: "item", "data-item-id": item.id },
    h("div", { class: "item-title" }, link(item.url, item.title || "(no title)")),
    h("div", { class: "muted small" },
      [fmtTime(item.published ?? item.event_time ?? item.collected), source, item.lang, where].filter(Boolean).join(" — ")),
    categoryChips(item),
    h("p", { class: "snippet" }, truncate(item.text, 400)));
}

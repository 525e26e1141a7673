/**
 * One alert and the analyst's loop over it: its facts and recent baseline, why each item
 * counted (the rule's filter; each category's score, model and matched terms), verdicts on
 * items (misclassified / confirmed, kept in the labels index for retraining), the actions
 * (acknowledge, assign, note, resolve, dismiss as a false positive), the custody log of its
 * evidence, and every version.
 */

import { ApiError, apiGet, apiPost, download } from "../api";
import { clear, fmtTime, h, message } from "../dom";
import { loadBaseline, sparkline } from "../sparkline";
import { store } from "../store";
import type { Alert, CustodyEntry, Item, Label, RuleSummary } from "../types";
import { areaText, severityBadge, statusBadge } from "../widgets";
import { itemCard } from "./search";

interface AlertDetail {
  alert: Alert;
  versions: Alert[];
  items: Item[];
  rule?: RuleSummary | null;
  labels?: Label[];
}

export function detailView(root: HTMLElement, id: string): () => void {
  const body = h("div", { id: "alert-detail" }, h("p", { class: "muted" }, "Loading…"));
  const feedback = h("div", { class: "feedback", "aria-live": "polite" });
  root.append(body);
  let version = 0;

  const load = async (): Promise<void> => {
    try {
      const detail = await apiGet<AlertDetail>(`/alerts/${encodeURIComponent(id)}`);
      version = detail.alert.version;
      clear(body);
      body.append(...render(detail, feedback, () => void load()));
    } catch (err) {
      clear(body);
      body.append(message("error", err instanceof ApiError && err.status === 404
        ? "No such alert." : `Could not load the alert: ${err instanceof ApiError ? err.detail : String(err)}`));
    }
  };
  void load();
  // A new version of this alert (an action applied, an escalation) arrives on the stream: show it.
  return store.subscribe((changed) => {
    if (changed && changed.id === id && changed.version > version) void load();
  });
}

function render(detail: AlertDetail, feedback: HTMLElement, reload: () => void): Node[] {
  const a = detail.alert;
  const facts: [string, string][] = [
    ["Rule", `${a.rule} (${a.rule_type})`],
    ["Where", areaText(a)],
    ["Count", `${a.count} (threshold ${a.threshold}${a.expected != null ? `, expected ${a.expected.toFixed(1)}` : ""}` +
      `${a.z_score != null ? `, z ${a.z_score.toFixed(1)}` : ""})`],
    ["Window", `${fmtTime(a.window_start)} – ${fmtTime(a.window_end)}`],
    ["Opened", fmtTime(a.opened_at ?? a.raised_at)],
    ["Updated", `${fmtTime(a.updated_at)} (${a.event}, version ${a.version})`],
    ["Resolved", a.resolved_at ? `${fmtTime(a.resolved_at)}${a.resolved_by ? ` by ${a.resolved_by}` : ""}` : "—"],
    ["Acknowledged", a.acknowledged_by ? `${a.acknowledged_by}, ${fmtTime(a.acknowledged_at)}` : "—"],
    ["Assigned to", a.assigned_to ?? "—"],
  ];
  if (a.dismissed_reason) facts.push(["False positive", a.dismissed_reason]);
  const labels = detail.labels ?? [];
  return [
    h("h1", {}, severityBadge(a.severity), " ", h("span", { class: "alert-title" }, a.title || a.id), " ",
      statusBadge(a.status)),
    h("p", { class: "muted small" }, `id ${a.id}`),
    a.description ? h("p", { class: "description" }, a.description) : null,
    h("dl", { class: "facts" }, ...facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    baselineSection(a),
    actions(a, feedback),
    feedback,
    h("h2", {}, `Contributing items (${detail.items.length})`),
    ruleWhy(detail.rule ?? null, a),
    h("ol", { class: "results", id: "alert-items" }, ...detail.items.map((item) =>
      itemWithWhy(item, a, labels, feedback, reload))),
    h("h2", {}, `Notes (${a.notes?.length ?? 0})`),
    h("ul", { class: "notes", id: "alert-notes" }, ...(a.notes ?? []).map((n) =>
      h("li", {}, h("span", { class: "muted small" }, `${n.author}, ${fmtTime(n.at)}: `), n.text))),
    h("h2", {}, "Custody log of the evidence"),
    custodySection(a.id),
    h("h2", {}, `Versions (${detail.versions.length})`),
    versionsTable(detail.versions),
  ].filter((n): n is HTMLElement => n !== null);
}

function baselineSection(alert: Alert): HTMLElement {
  const box = h("section", { class: "baseline", id: "alert-baseline" }, h("span", { class: "muted small" }, "Loading the baseline…"));
  loadBaseline(alert).then((b) => {
    const per = b.interval === "hour" ? "hour" : "day";
    box.replaceChildren(
      h("div", { class: "small" }, `Counts behind the rule for this group, per ${per}, ` +
        `${fmtTime(b.from)} – ${fmtTime(b.to)} (dashed: the threshold; shaded: the alert's window)` +
        (b.rule_found ? "" : ". The rule is no longer in the rules file: the group's items, unfiltered.")),
      sparkline(b, alert, 640, 70));
  }).catch((err: unknown) => {
    box.replaceChildren(message("error", `No baseline: ${err instanceof ApiError ? err.detail : String(err)}`));
  });
  return box;
}

function ruleWhy(rule: RuleSummary | null, alert: Alert): HTMLElement {
  if (rule === null) {
    return h("p", { class: "rule-why muted" }, `The rule ${alert.rule} is no longer in the rules file.`);
  }
  const conditions = Object.entries(rule.filter).map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(" or ") : String(v)}`);
  const group = Object.entries(alert.group ?? {}).map(([k, v]) => `${k} = ${v ?? "unknown"}`).join(", ");
  return h("p", { class: "rule-why", id: "rule-why" },
    `Counted because each item passes the rule's filter (${conditions.join("; ") || "every item"})` +
    `${group ? ` and belongs to its group (${group})` : ""}` +
    `${rule.window_s ? `, within a ${Math.round(rule.window_s / 60)}-minute window` : ""}.`);
}

function latestVerdicts(labels: Label[]): Map<string, Label> {
  const latest = new Map<string, Label>();
  for (const label of labels) {
    if (label.kind !== "item" || !label.item_id || !label.category) continue;
    const key = `${label.item_id}\u0000${label.category}`;
    const known = latest.get(key);
    if (!known || known.at < label.at) latest.set(key, label);
  }
  return latest;
}

function itemWithWhy(item: Item, alert: Alert, labels: Label[], feedback: HTMLElement,
                     reload: () => void): HTMLLIElement {
  const card = itemCard(item);
  const verdicts = latestVerdicts(labels);
  const scores = item.scores ?? {};
  const names = [...new Set([...(item.categories ?? []), ...Object.keys(scores)])]
    .sort((x, y) => (scores[y] ?? 0) - (scores[x] ?? 0));
  const fallbackModel = (item.classifiers ?? []).join(", ");
  const rows = names.map((name) => {
    const verdict = verdicts.get(`${item.id}\u0000${name}`);
    return h("tr", { "data-category": name },
      h("td", {}, name),
      h("td", { class: "num" }, typeof scores[name] === "number" ? scores[name].toFixed(2) : "—"),
      h("td", { class: "model" }, item.models?.[name] ?? (fallbackModel || "—")),
      h("td", { class: "terms" }, (item.matched_terms?.[name] ?? []).join(", ") || "—"),
      h("td", {}, verdictText(verdict),
        verdictButton(item, name, "misclassified", "Misclassified", alert, feedback, reload),
        " ", verdictButton(item, name, "confirmed", "Confirm", alert, feedback, reload)));
  });
  const missed = missedCategory(item, names, alert, feedback, reload);
  card.append(h("div", { class: "why" },
    h("table", { class: "why-table" },
      h("thead", {}, h("tr", {}, ...["Category", "Score", "Model", "Matched terms", "Verdict"].map((t) => h("th", {}, t)))),
      h("tbody", {}, ...rows)),
    missed));
  return card;
}

function verdictText(verdict: Label | undefined): HTMLElement | string {
  if (!verdict) return "";
  return h("span", { class: `verdict verdict-${verdict.verdict}` },
    `${verdict.verdict === "misclassified" ? "misclassified" : "confirmed"} by ${verdict.actor}, ${fmtTime(verdict.at)} `);
}

function verdictButton(item: Item, category: string, verdict: "misclassified" | "confirmed", text: string,
                       alert: Alert, feedback: HTMLElement, reload: () => void): HTMLButtonElement {
  const button = h("button", { type: "button", class: `small secondary verdict-${verdict}-button`,
                               "data-verdict": verdict }, text);
  button.addEventListener("click", () => void sendVerdict(button, item, category, verdict, alert, feedback, reload));
  return button;
}

async function sendVerdict(button: HTMLButtonElement, item: Item, category: string,
                           verdict: "misclassified" | "confirmed", alert: Alert, feedback: HTMLElement,
                           reload: () => void): Promise<void> {
  button.disabled = true;
  clear(feedback);
  try {
    await apiPost(`/items/${encodeURIComponent(item.id)}/verdict`, { category, verdict, alert_id: alert.id });
    feedback.append(message("ok", `Verdict kept: ${category} ${verdict} (it goes into the labelled export).`));
    reload();
  } catch (err) {
    feedback.append(message("error", `The verdict was not kept: ${errorText(err)}`));
    button.disabled = false;
  }
}

let knownCategories: Promise<string[]> | null = null;

/** The category names the API accepts (configured and archived), asked once per page. */
function categoryNames(): Promise<string[]> {
  knownCategories ??= apiGet<{ categories: string[] }>("/categories").then((b) => b.categories)
    .catch(() => {
      knownCategories = null;
      return [];
    });
  return knownCategories;
}

/** "The models missed: [category] [Mark as missed]": a verdict that the item is of a category none reported. */
function missedCategory(item: Item, reported: string[], alert: Alert, feedback: HTMLElement,
                        reload: () => void): HTMLElement {
  const select = h("select", { name: "missed-category" });
  const button = h("button", { type: "submit", class: "small secondary" }, "Mark as missed");
  const form = h("form", { class: "inline missed", hidden: true },
    h("span", { class: "small muted" }, "The models missed: "), select, button);
  void categoryNames().then((names) => {
    const missing = names.filter((name) => !reported.includes(name));
    select.replaceChildren(...missing.map((name) => h("option", { value: name }, name)));
    form.hidden = missing.length === 0;
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void sendVerdict(button, item, select.value, "misclassified", alert, feedback, reload);
  });
  return form;
}

function custodySection(alertId: string): HTMLElement {
  const box = h("div", { id: "alert-custody" }, h("p", { class: "muted small" }, "Loading…"));
  apiGet<{ custody: CustodyEntry[] }>(`/alerts/${encodeURIComponent(alertId)}/custody`).then(({ custody }) => {
    if (custody.length === 0) {
      box.replaceChildren(h("p", { class: "muted small" }, "Nothing frozen yet: the evidence is frozen when it is first opened or exported."));
      return;
    }
    box.replaceChildren(h("table", { class: "custody" },
      h("thead", {}, h("tr", {}, ...["#", "Action", "By", "At", "Detail", "Entry SHA-256"].map((t) => h("th", {}, t)))),
      h("tbody", {}, ...custody.map((entry) => h("tr", { "data-seq": entry.seq },
        h("td", { class: "num" }, String(entry.seq)), h("td", {}, entry.action), h("td", {}, entry.actor),
        h("td", { class: "nowrap" }, fmtTime(entry.at)),
        h("td", {}, entry.detail || (Object.keys(entry.items).length ? `${Object.keys(entry.items).length} items` : "")),
        h("td", { class: "hash" }, entry.sha256.slice(0, 16)))))));
  }).catch((err: unknown) => {
    box.replaceChildren(message("info", err instanceof ApiError && err.status === 403
      ? "The custody log needs an analyst key." : `No custody log: ${errorText(err)}`));
  });
  return box;
}

function versionsTable(versions: Alert[]): HTMLTableElement {
  const sorted = [...versions].sort((x, y) => y.version - x.version);
  return h("table", { class: "versions", id: "alert-versions" },
    h("thead", {}, h("tr", {}, ...["Version", "Change", "Status", "Severity", "Count", "At", "By / to"]
      .map((t) => h("th", {}, t)))),
    h("tbody", {}, ...sorted.map((v) => h("tr", { "data-version": v.version },
      h("td", { class: "num" }, `v${v.version}`), h("td", {}, v.event), h("td", {}, statusBadge(v.status)),
      h("td", {}, severityBadge(v.severity)), h("td", { class: "num" }, String(v.count)),
      h("td", { class: "nowrap" }, fmtTime(v.updated_at)),
      h("td", {}, [v.acknowledged_by, v.assigned_to, v.resolved_by].filter(Boolean).join(" / ") || "—")))));
}

function errorText(err: unknown): string {
  return err instanceof ApiError
    ? err.status === 403 ? "your key's role may not do this" : err.detail
    : String(err);
}

function actions(alert: Alert, feedback: HTMLElement): HTMLElement {
  const path = `/alerts/${encodeURIComponent(alert.id)}`;
  const run = async (button: HTMLButtonElement, what: string, work: () => Promise<unknown>): Promise<void> => {
    button.disabled = true;
    clear(feedback);
    try {
      await work();
      feedback.append(message("ok", `${what}: sent. The alerts worker applies it as the next version.`));
    } catch (err) {
      feedback.append(message("error", `${what} failed: ${errorText(err)}`));
    } finally {
      button.disabled = false;
    }
  };

  const ack = h("button", { type: "button", id: "ack" }, "Acknowledge");
  ack.addEventListener("click", () => void run(ack, "Acknowledge", () => apiPost(`${path}/ack`, {})));

  const assignee = h("input", { name: "assignee", placeholder: "assignee", required: true });
  const assignButton = h("button", { type: "submit" }, "Assign");
  const assign = h("form", { class: "inline", id: "assign-form" }, assignee, assignButton);
  assign.addEventListener("submit", (e) => {
    e.preventDefault();
    void run(assignButton, "Assign", () => apiPost(`${path}/assign`, { assignee: assignee.value.trim() }));
  });

  const noteText = h("textarea", { name: "note", rows: 2, maxlength: 10000, placeholder: "note", required: true });
  const noteButton = h("button", { type: "submit" }, "Add note");
  const note = h("form", { class: "inline", id: "note-form" }, noteText, noteButton);
  note.addEventListener("submit", (e) => {
    e.preventDefault();
    void run(noteButton, "Note", async () => {
      await apiPost(`${path}/note`, { text: noteText.value });
      noteText.value = "";
    });
  });

  const open = alert.status === "open";
  const resolveText = h("input", { name: "resolve-note", placeholder: "why (optional)", maxlength: 10000 });
  const resolveButton = h("button", { type: "submit", disabled: !open }, "Resolve");
  const resolve = h("form", { class: "inline", id: "resolve-form" }, resolveText, resolveButton);
  resolve.addEventListener("submit", (e) => {
    e.preventDefault();
    void run(resolveButton, "Resolve", () => apiPost(`${path}/resolve`, { text: resolveText.value.trim() }));
  });

  const reason = h("input", { name: "reason", placeholder: "why it is a false positive", maxlength: 2000,
                              required: true, size: 30 });
  const dismissButton = h("button", { type: "submit", class: "danger", disabled: Boolean(alert.dismissed_reason) },
    "Dismiss as false positive");
  const dismiss = h("form", { class: "inline", id: "dismiss-form" }, reason, dismissButton);
  dismiss.addEventListener("submit", (e) => {
    e.preventDefault();
    void run(dismissButton, "Dismiss", () => apiPost(`${path}/dismiss`, { reason: reason.value.trim() }));
  });

  const evidence = h("button", { type: "button", id: "evidence" }, "Download evidence (.zip)");
  evidence.addEventListener("click", () => void run(evidence, "Evidence export",
    () => download(`${path}/evidence.zip`, `${alert.id}-evidence.zip`)));
  const cap = h("button", { type: "button", id: "cap" }, "CAP 1.2 XML");
  cap.addEventListener("click", () => void run(cap, "CAP export",
    () => download(`${path}.cap`, `${alert.id}.cap.xml`)));

  return h("section", { class: "actions" }, ack, assign, note, resolve, dismiss, h("div", {}, evidence, " ", cap));
}

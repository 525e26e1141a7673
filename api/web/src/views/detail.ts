/** One alert: its facts, every version, the contributing items, and the analyst's actions. */

import { ApiError, apiGet, apiPost, download } from "../api";
import { clear, fmtTime, h, message } from "../dom";
import { store } from "../store";
import type { Alert, Item } from "../types";
import { areaText, severityBadge, statusBadge } from "../widgets";
import { itemCard } from "./search";

interface AlertDetail {
  alert: Alert;
  versions: Alert[];
  items: Item[];
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
      body.append(...render(detail, feedback));
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

function render(detail: AlertDetail, feedback: HTMLElement): Node[] {
  const a = detail.alert;
  const facts: [string, string][] = [
    ["Rule", `${a.rule} (${a.rule_type})`],
    ["Where", areaText(a)],
    ["Count", `${a.count} (threshold ${a.threshold}${a.expected != null ? `, expected ${a.expected.toFixed(1)}` : ""}` +
      `${a.z_score != null ? `, z ${a.z_score.toFixed(1)}` : ""})`],
    ["Window", `${fmtTime(a.window_start)} – ${fmtTime(a.window_end)}`],
    ["Opened", fmtTime(a.opened_at ?? a.raised_at)],
    ["Updated", `${fmtTime(a.updated_at)} (${a.event}, version ${a.version})`],
    ["Resolved", a.resolved_at ? fmtTime(a.resolved_at) : "—"],
    ["Acknowledged", a.acknowledged_by ? `${a.acknowledged_by}, ${fmtTime(a.acknowledged_at)}` : "—"],
    ["Assigned to", a.assigned_to ?? "—"],
  ];
  return [
    h("h1", {}, severityBadge(a.severity), " ", h("span", { class: "alert-title" }, a.title || a.id), " ",
      statusBadge(a.status)),
    h("p", { class: "muted small" }, `id ${a.id}`),
    a.description ? h("p", { class: "description" }, a.description) : null,
    h("dl", { class: "facts" }, ...facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    actions(a, feedback),
    feedback,
    h("h2", {}, `Notes (${a.notes?.length ?? 0})`),
    h("ul", { class: "notes", id: "alert-notes" }, ...(a.notes ?? []).map((n) =>
      h("li", {}, h("span", { class: "muted small" }, `${n.author}, ${fmtTime(n.at)}: `), n.text))),
    h("h2", {}, `Versions (${detail.versions.length})`),
    versionsTable(detail.versions),
    h("h2", {}, `Contributing items (${detail.items.length})`),
    h("ol", { class: "results", id: "alert-items" }, ...detail.items.map(itemCard)),
  ].filter((n): n is HTMLElement => n !== null);
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
      h("td", {}, [v.acknowledged_by, v.assigned_to].filter(Boolean).join(" / ") || "—")))));
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
      const text = err instanceof ApiError
        ? err.status === 403 ? "your key's role may not do this" : err.detail
        : String(err);
      feedback.append(message("error", `${what} failed: ${text}`));
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

  const evidence = h("button", { type: "button", id: "evidence" }, "Download evidence (.zip)");
  evidence.addEventListener("click", () => void run(evidence, "Evidence export",
    () => download(`${path}/evidence.zip`, `${alert.id}-evidence.zip`)));
  const cap = h("button", { type: "button", id: "cap" }, "CAP 1.2 XML");
  cap.addEventListener("click", () => void run(cap, "CAP export",
    () => download(`${path}.cap`, `${alert.id}.cap.xml`)));

  return h("section", { class: "actions" }, ack, assign, note, h("div", {}, evidence, " ", cap));
}

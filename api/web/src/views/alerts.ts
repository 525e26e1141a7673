/**
 * The live alert list: `/alerts` once, then every version the stream brings. Triage order:
 * open first, then the most severe, then the most recently changed.
 */

import { clear, fmtTime, h, routeLink } from "../dom";
import { store } from "../store";
import type { Alert } from "../types";
import { SEVERITIES, severityRank } from "../types";
import { lazySparkline } from "../sparkline";
import { areaText, labelled, severityBadge, statusBadge } from "../widgets";

export function alertsView(root: HTMLElement): () => void {
  const status = h("select", { name: "status" },
    h("option", { value: "open" }, "open"), h("option", { value: "resolved" }, "resolved"),
    h("option", { value: "" }, "all"));
  const minSeverity = h("select", { name: "severity" }, ...SEVERITIES.map((s) => h("option", { value: s }, s)));
  const count = h("span", { class: "muted" });
  const tbody = h("tbody");
  const empty = h("p", { class: "muted empty" }, "No alerts match.");

  const render = (): void => {
    const wanted = status.value;
    const floor = severityRank(minSeverity.value);
    const rows = store.sorted().filter((a) => (!wanted || a.status === wanted) && severityRank(a.severity) >= floor);
    clear(tbody);
    for (const alert of rows) tbody.append(row(alert));
    count.textContent = `${rows.length} shown of ${store.alerts.size}`;
    empty.hidden = rows.length > 0;
  };
  status.addEventListener("change", render);
  minSeverity.addEventListener("change", render);

  root.append(
    h("h1", {}, "Alerts"),
    h("form", { class: "filters", onsubmit: (e: Event) => e.preventDefault() },
      labelled("Status", status), labelled("Severity at least", minSeverity), count),
    h("table", { class: "alerts", id: "alert-list" },
      h("thead", {}, h("tr", {}, ...["Severity", "Alert", "Where", "Count", "Recent counts", "Status",
                                    "Assigned to", "Acknowledged", "Last change", "Updated"]
        .map((t) => h("th", {}, t)))),
      tbody),
    empty,
  );
  render();
  return store.subscribe(render);
}

function row(alert: Alert): HTMLTableRowElement {
  const fresh = store.fresh.has(alert.id);
  return h("tr", { class: fresh ? "fresh" : "", "data-alert-id": alert.id },
    h("td", {}, severityBadge(alert.severity)),
    h("td", {}, routeLink(`/alert/${encodeURIComponent(alert.id)}`, alert.title || alert.id, { class: "title" }),
      h("div", { class: "muted small" }, `${alert.rule} (${alert.rule_type})`)),
    h("td", {}, areaText(alert)),
    h("td", { class: "num" }, String(alert.count)),
    h("td", {}, lazySparkline(alert)),
    h("td", {}, statusBadge(alert.status)),
    h("td", { class: "assignee" }, alert.assigned_to ?? "—"),
    h("td", { class: "ack" }, alert.acknowledged_by
      ? h("span", { title: fmtTime(alert.acknowledged_at) }, `✓ ${alert.acknowledged_by}`) : "—"),
    h("td", {}, `${alert.event} · v${alert.version}`),
    h("td", { class: "nowrap" }, fmtTime(alert.updated_at)),
  );
}

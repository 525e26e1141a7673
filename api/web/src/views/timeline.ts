/** Items over time (`/aggregations?kind=timeline`), drawn as an SVG bar chart with alert openings marked. */

import { ApiError, apiGet } from "../api";
import { clear, h, message, svg } from "../dom";
import { store } from "../store";
import type { Aggregation, Bucket } from "../types";
import { labelled } from "../widgets";

const WIDTH = 960;
const HEIGHT = 280;
const PAD = { top: 12, right: 12, bottom: 36, left: 48 };

/** A bucket's start as epoch milliseconds: `ts` (epoch ms) when sent, else the key (ms or ISO). */
export function bucketTime(bucket: Bucket): number {
  if (typeof bucket.ts === "number") return bucket.ts;
  if (typeof bucket.key === "number") return bucket.key;
  const asNumber = Number(bucket.key);
  return Number.isFinite(asNumber) && /^\d+$/.test(bucket.key) ? asNumber : Date.parse(bucket.key);
}

export function timelineView(root: HTMLElement): () => void {
  const interval = h("select", { name: "interval" },
    h("option", { value: "hour" }, "hour"), h("option", { value: "day", selected: true }, "day"));
  const days = h("select", { name: "days" }, ...[["2", "2 days"], ["14", "14 days"], ["90", "90 days"]]
    .map(([v, t], i) => h("option", { value: v, selected: i === 1 }, t)));
  const q = h("input", { name: "q", type: "search", placeholder: "only items matching…" });
  const country = h("input", { name: "country", placeholder: "SD", size: "4" });
  const category = h("input", { name: "category", placeholder: "violence_report" });
  const form = h("form", { class: "filters" }, labelled("Per", interval), labelled("Last", days),
    labelled("Matching", q), labelled("Country", country), labelled("Category", category),
    h("button", { type: "submit" }, "Update"));
  const chart = h("div", { class: "chart", id: "timeline-chart" });
  const status = h("div");
  root.append(h("h1", {}, "Timeline"), form, status, chart,
    h("p", { class: "muted small" }, "Bars: archived items per interval (UTC). Red ticks: alerts opened."));

  let request = 0;
  const draw = async (): Promise<void> => {
    const mine = ++request;
    const from = new Date(Date.now() - Number(days.value) * 86_400_000).toISOString();
    try {
      const agg = await apiGet<Aggregation>("/aggregations", {
        kind: "timeline", interval: interval.value, from, q: q.value.trim() || undefined,
        country: country.value.trim() || undefined, category: category.value.trim() || undefined,
      });
      if (mine !== request) return;
      clear(status);
      clear(chart);
      chart.append(barChart(agg.buckets, interval.value === "hour" ? 3_600_000 : 86_400_000, Date.parse(from)));
    } catch (err) {
      if (mine !== request) return;
      clear(status);
      status.append(message("error", `Timeline unavailable: ${err instanceof ApiError ? err.detail : err}`));
    }
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void draw();
  });
  interval.addEventListener("change", () => void draw());
  days.addEventListener("change", () => void draw());
  void draw();
  return store.subscribe((changed) => {
    if (changed?.event === "opened") void draw();
  });
}

function barChart(buckets: Bucket[], step: number, from: number): SVGSVGElement {
  const points = buckets.map((b) => ({ t: bucketTime(b), n: b.count })).filter((p) => Number.isFinite(p.t));
  const start = Math.min(from, ...points.map((p) => p.t));
  const end = Math.max(Date.now(), ...points.map((p) => p.t + step));
  const max = Math.max(1, ...points.map((p) => p.n));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (t: number): number => PAD.left + ((t - start) / (end - start)) * plotW;
  const y = (n: number): number => PAD.top + plotH - (n / max) * plotH;
  const barW = Math.max(1, (step / (end - start)) * plotW - 1);

  const root = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img",
                            "aria-label": `items per interval, ${points.length} intervals` });
  for (const frac of [0, 0.5, 1]) {
    const n = Math.round(max * frac);
    root.append(svg("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(n), y2: y(n), class: "grid" }),
      svg("text", { x: PAD.left - 6, y: y(n) + 4, "text-anchor": "end", class: "axis" }, String(n)));
  }
  for (const p of points) {
    root.append(svg("rect", { x: x(p.t), y: y(p.n), width: barW, height: PAD.top + plotH - y(p.n), class: "bar" },
      svg("title", {}, `${new Date(p.t).toISOString().slice(0, 16).replace("T", " ")} UTC: ${p.n} items`)));
  }
  const ticks = 6;
  for (let i = 0; i <= ticks; i++) {
    const t = start + ((end - start) * i) / ticks;
    const label = new Date(t).toISOString();
    const anchor = i === 0 ? "start" : i === ticks ? "end" : "middle";
    root.append(svg("text", { x: x(t), y: HEIGHT - 12, "text-anchor": anchor, class: "axis" },
      step < 86_400_000 ? label.slice(5, 16).replace("T", " ") : label.slice(0, 10)));
  }
  for (const alert of store.alerts.values()) {
    const opened = Date.parse(alert.opened_at ?? alert.raised_at ?? "");
    if (!Number.isFinite(opened) || opened < start || opened > end) continue;
    root.append(svg("line", { x1: x(opened), x2: x(opened), y1: PAD.top, y2: PAD.top + plotH, class: "alert-tick" },
      svg("title", {}, `opened: ${alert.title}`)));
  }
  return root;
}

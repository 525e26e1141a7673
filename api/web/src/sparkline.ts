/**
 * The counts behind an alert's rule for its group, recently (`/baseline`), drawn small:
 * a "surge" needs what came before it to mean anything. The request names the rule,
 * group and window end of the version in hand, so a version fresh off the stream (not
 * indexed yet) has its sparkline too.
 */

import { apiGet } from "./api";
import { h, svg } from "./dom";
import type { Alert, Baseline } from "./types";

const cache = new Map<string, Promise<Baseline>>();

/** One request per alert version, shared by every view that shows it. */
export function loadBaseline(alert: Alert): Promise<Baseline> {
  const key = `${alert.id}.v${alert.version}`;
  let found = cache.get(key);
  if (!found) {
    const group = Object.entries(alert.group ?? {}).map(([field, value]) => `${field}:${value ?? ""}`);
    const params = new URLSearchParams({ rule: alert.rule, until: alert.window_end ?? alert.updated_at });
    for (const pair of group) params.append("group", pair);
    found = apiGet<Baseline>(`/baseline?${params.toString()}`);
    found.catch(() => cache.delete(key));
    cache.set(key, found);
  }
  return found;
}

function describe(b: Baseline, threshold: number): string {
  const total = b.counts.reduce((sum, c) => sum + c.count, 0);
  const peak = Math.max(0, ...b.counts.map((c) => c.count));
  const per = b.interval === "hour" ? "hour" : "day";
  return `${total} items in the last ${b.counts.length} ${per}s (most in one ${per}: ${peak}; threshold ${threshold})`;
}

/** An SVG sparkline: counts as a line over a shaded area, the rule's threshold dashed. */
export function sparkline(b: Baseline, alert: Alert, width = 160, height = 32): SVGSVGElement {
  const threshold = alert.threshold;
  const max = Math.max(1, threshold, ...b.counts.map((c) => c.count));
  const n = Math.max(1, b.counts.length - 1);
  const x = (i: number): number => (i / n) * (width - 2) + 1;
  const y = (v: number): number => height - 1 - (v / max) * (height - 2);
  const points = b.counts.map((c, i) => `${x(i).toFixed(1)},${y(c.count).toFixed(1)}`);
  const root = svg("svg", { class: "spark", width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
                            "aria-label": describe(b, threshold) },
  svg("title", {}, describe(b, threshold)));
  if (alert.window_start && alert.window_end && b.counts.length > 1) {
    const first = b.counts[0].ts;
    const span = b.counts[b.counts.length - 1].ts - first || 1;
    const at = (iso: string): number => x(((Date.parse(iso) - first) / span) * n);
    const left = Math.max(0, at(alert.window_start));
    const right = Math.min(width, Math.max(left + 1, at(alert.window_end)));
    root.append(svg("rect", { class: "window", x: left, y: 0, width: right - left, height }));
  }
  if (points.length) {
    root.append(svg("polygon", { class: "area", points: `${x(0)},${height} ${points.join(" ")} ${x(n)},${height}` }),
      svg("polyline", { class: "line", points: points.join(" ") }));
  }
  root.append(svg("line", { class: "threshold", x1: 0, x2: width, y1: y(threshold), y2: y(threshold) }));
  return root;
}

/** A cell that draws the alert's sparkline once it scrolls into view (long lists stay cheap). */
export function lazySparkline(alert: Alert): HTMLElement {
  const cell = h("span", { class: "spark-cell", "data-alert-id": alert.id });
  const draw = (): void => {
    loadBaseline(alert).then((b) => {
      cell.replaceChildren(sparkline(b, alert, 120, 26));
    }).catch(() => {
      cell.replaceChildren(h("span", { class: "muted small" }, "—"));
    });
  };
  if (typeof IntersectionObserver === "undefined") {
    draw();
    return cell;
  }
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) {
      observer.disconnect();
      draw();
    }
  });
  observer.observe(cell);
  return cell;
}

/**
 * Open alerts and item density on a map. There is no tile server (the dashboard
 * must work offline and load nothing from elsewhere), so the base layer is
 * Natural Earth's 1:110m country borders, bundled from the `world-atlas` package.
 */

import L from "leaflet";
import { ApiError, apiGet } from "../api";
import { alertShape } from "../areas";
import { countryBorders, countryFeature } from "../borders";
import { clear, fmtTime, h, message, routeLink } from "../dom";
import { geohashBounds, precisionForZoom } from "../geohash";
import { store } from "../store";
import type { Aggregation, Alert } from "../types";
import { severityRank } from "../types";
import { areaText, labelled, severityBadge } from "../widgets";

const SEVERITY_COLOUR: Record<string, string> = {
  info: "#4a7fb5", warning: "#d9a400", severe: "#d2601a", extreme: "#b3121f",
};
const PERIODS: [string, number | null][] = [["24 hours", 1], ["7 days", 7], ["30 days", 30], ["all time", null]];

let borders: L.GeoJSON | null = null;

function bordersLayer(): L.GeoJSON {
  if (borders === null) {
    borders = L.geoJSON(countryBorders(), {
      interactive: false,
      // The ISO numeric id in the class: tests (and styles) can find a country's path.
      style: (f) => ({ color: "#8a97a6", weight: 0.7, fillColor: "#eef1f4", fillOpacity: 1,
                       className: `country country-${String(f?.id ?? "none")}` }),
    });
  }
  return borders;
}

/** The alert's area (`alertShape`) as a Leaflet layer in its severity's colour. */
function areaLayer(alert: Alert, colour: string): L.Path | L.GeoJSON | null {
  const shape = alertShape(alert, countryFeature);
  if (shape === null) return null;
  const style = { color: colour, weight: 1.2, fillColor: colour, fillOpacity: 0.18, interactive: false,
                  pane: "areas" };
  if (shape.kind === "country" || shape.kind === "region") {
    return L.geoJSON(shape.feature, { interactive: false, pane: "areas",
                                      style: { ...style, className: `alert-area alert-area-${shape.kind}` } });
  }
  if (shape.kind === "box") return L.rectangle(shape.bounds, { ...style, className: "alert-area alert-area-box" });
  return L.circle(shape.centre, { ...style, radius: shape.radiusKm * 1000, className: "alert-area alert-area-circle" });
}

/** Where the alert's marker goes: its items' centre, else the middle of its area. */
function markerPoint(alert: Alert, area: L.Path | L.GeoJSON | null): L.LatLng | null {
  if (alert.area?.lat != null && alert.area?.lon != null) return L.latLng(alert.area.lat, alert.area.lon);
  if (area && "getBounds" in area) return (area as L.GeoJSON).getBounds().getCenter();
  return null;
}

export function mapView(root: HTMLElement): () => void {
  const period = h("select", { name: "period" }, ...PERIODS.map(([label, days], i) =>
    h("option", { value: days === null ? "" : String(days), selected: i === 1 }, label)));
  const q = h("input", { name: "q", type: "search", placeholder: "only items matching…" });
  const status = h("div", { class: "map-status" });
  const container = h("div", { id: "map", class: "map" });
  const legend = h("p", { class: "muted small" },
    "Open alerts, coloured by severity: a dot at their items, over their area (a country's borders, " +
    "or a circle round a region or place). " +
    "Shaded cells: archived items per geohash cell in the period.");
  const filters = h("form", { class: "filters" }, labelled("Items from the last", period), labelled("Matching", q),
    h("button", { type: "submit" }, "Update"));
  root.append(h("h1", {}, "Map"), filters, status, container, legend);

  const map = L.map(container, { worldCopyJump: true, minZoom: 1, maxZoom: 10, zoomSnap: 1 }).setView([12, 20], 2);
  map.attributionControl.setPrefix("Leaflet");
  map.attributionControl.addAttribution("Borders: Natural Earth");
  bordersLayer().addTo(map);
  // Alerts above the density cells, whichever was drawn last, so their markers stay clickable.
  map.createPane("areas").style.zIndex = "405";
  map.createPane("density").style.zIndex = "410";
  map.createPane("alerts").style.zIndex = "450";
  const density = L.layerGroup().addTo(map);
  const alertsLayer = L.layerGroup().addTo(map);
  L.control.layers(undefined, { "Open alerts": alertsLayer, "Item density": density }, { collapsed: false })
    .addTo(map);

  const drawAlerts = (): void => {
    alertsLayer.clearLayers();
    // Least severe first, so the most severe is drawn on top where markers overlap.
    const open = store.sorted().filter((a) => a.status === "open").reverse()
      .sort((a, b) => severityRank(a.severity) - severityRank(b.severity));
    for (const alert of open) {
      const colour = SEVERITY_COLOUR[alert.severity] ?? "#555";
      const area = areaLayer(alert, colour);
      const at = markerPoint(alert, area);
      if (at === null) continue;
      if (area) {
        area.addTo(alertsLayer);
        for (const path of areaElements(area)) path.setAttribute("data-alert-id", alert.id);
      }
      const marker = L.circleMarker(at, {
        radius: 6 + 2 * Math.max(0, severityRank(alert.severity)), color: "#fff", weight: 1.5, fillColor: colour,
        fillOpacity: 0.9, className: "alert-marker", pane: "alerts",
      }).bindPopup(() => popup(alert)).addTo(alertsLayer);
      marker.getElement()?.setAttribute("data-alert-id", alert.id);
    }
  };

  let request = 0;
  const drawDensity = async (): Promise<void> => {
    const mine = ++request;
    const days = period.value ? Number(period.value) : null;
    const from = days === null ? undefined : new Date(Date.now() - days * 86_400_000).toISOString();
    try {
      const agg = await apiGet<Aggregation>("/aggregations", {
        kind: "geohash", precision: precisionForZoom(map.getZoom()), from, q: q.value.trim() || undefined,
      });
      if (mine !== request) return;
      clear(status);
      density.clearLayers();
      const max = Math.max(1, ...agg.buckets.map((b) => b.count));
      for (const bucket of agg.buckets) {
        const bounds = geohashBounds(String(bucket.key));
        if (bounds === null) continue;
        const share = Math.log1p(bucket.count) / Math.log1p(max);
        const cell = L.rectangle(bounds, { stroke: false, fillColor: "#5b2a86", fillOpacity: 0.15 + 0.6 * share,
                                           className: "density-cell", pane: "density" })
          .bindTooltip(() => h("span", {}, `${bucket.count} items`))
          .addTo(density);
        cell.getElement()?.setAttribute("data-geohash", String(bucket.key));
      }
    } catch (err) {
      if (mine !== request) return;
      clear(status);
      status.append(message("error", `Item density unavailable: ${err instanceof ApiError ? err.detail : err}`));
    }
  };

  filters.addEventListener("submit", (e) => {
    e.preventDefault();
    void drawDensity();
  });
  period.addEventListener("change", () => void drawDensity());
  let precision = precisionForZoom(map.getZoom());
  map.on("zoomend", () => {
    const now = precisionForZoom(map.getZoom());
    if (now !== precision) {
      precision = now;
      void drawDensity();
    }
  });
  drawAlerts();
  void drawDensity();
  const unsubscribe = store.subscribe(drawAlerts);
  return () => {
    unsubscribe();
    map.remove();
  };
}

function areaElements(layer: L.Path | L.GeoJSON): Element[] {
  const found: Element[] = [];
  const visit = (l: L.Layer): void => {
    if (l instanceof L.LayerGroup) l.eachLayer(visit);
    else if (l instanceof L.Path) {
      const el = l.getElement();
      if (el) found.push(el);
    }
  };
  visit(layer);
  return found;
}

function popup(alert: Alert): HTMLElement {
  return h("div", { class: "popup" },
    h("div", {}, severityBadge(alert.severity), " ",
      routeLink(`/alert/${encodeURIComponent(alert.id)}`, alert.title || alert.id)),
    h("div", { class: "muted small" }, `${areaText(alert)} — ${alert.count} items — ${fmtTime(alert.updated_at)}`));
}

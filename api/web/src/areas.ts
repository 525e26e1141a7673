/**
 * Where an alert is, as a shape on the map: a country's own borders, a region's shape or
 * box, or a circle round a place — not a pin at a capital.
 *
 * `alertShape` is the one place that decides, from what alerts carry: a country alert
 * (grouped by country) takes the country's borders from the bundled Natural Earth layer;
 * a region or district alert takes a shape registered for its code in `REGION_SHAPES`,
 * else the area's box (`area.bbox`, which the places stage gives countries, regions and
 * districts: [west, south, east, north] in GeoJSON's order, west > east over the
 * antimeridian), else a circle round its items; a place (a town) takes the circle of its
 * items. A country whose borders are not bundled falls back to its box too.
 */

import type { Feature } from "geojson";
import { ISO_NUMERIC } from "./iso3166";
import type { Alert } from "./types";

export type LatLng = [number, number];

export type AlertShape =
  | { kind: "country"; code: string; feature: Feature }
  | { kind: "region"; code: string; feature: Feature }
  | { kind: "box"; bounds: [LatLng, LatLng] }
  | { kind: "circle"; centre: LatLng; radiusKm: number };

/** Shapes of first-level regions by the code alerts carry (e.g. "SD.55"); none are bundled yet. */
export const REGION_SHAPES = new Map<string, Feature>();

/** A region's circle when its items give no radius: about the size of a province. */
export const REGION_RADIUS_KM = 150;
/** A place's circle when its items give no radius. */
export const PLACE_RADIUS_KM = 25;

export type CountryLookup = (numericId: string) => Feature | undefined;

function groupValue(alert: Alert, field: string): string | null {
  const value = alert.group?.[field];
  return value && value !== "unknown" ? value : null;
}

function point(alert: Alert): LatLng | null {
  const area = alert.area;
  return area && typeof area.lat === "number" && typeof area.lon === "number" ? [area.lat, area.lon] : null;
}

/** The area's box as Leaflet bounds ([[south, west], [north, east]]), or null if it has none. */
export function boxBounds(alert: Alert): [LatLng, LatLng] | null {
  const bbox = alert.area?.bbox;
  if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every((n) => typeof n === "number" && isFinite(n))) {
    return null;
  }
  const [west, south, east, north] = bbox;
  if (south > north) return null;
  // Over the antimeridian (Fiji, Russia): Leaflet draws a box whose east is past 180°.
  return [[south, west], [north, east < west ? east + 360 : east]];
}

/** The shape to draw for an alert, or null when it is not about a place. */
export function alertShape(alert: Alert, country: CountryLookup): AlertShape | null {
  const area = alert.area ?? null;
  const centre = point(alert);
  if (groupValue(alert, "city")) {
    return centre ? { kind: "circle", centre, radiusKm: area?.radius_km ?? PLACE_RADIUS_KM } : null;
  }
  const box = boxBounds(alert);
  const region = groupValue(alert, "admin2") ?? groupValue(alert, "admin1")
    ?? (groupValue(alert, "country") ? null : area?.admin1 ?? null);
  if (region) {
    const shape = REGION_SHAPES.get(region);
    if (shape) return { kind: "region", code: region, feature: shape };
    if (box) return { kind: "box", bounds: box };
    if (centre) return { kind: "circle", centre, radiusKm: area?.radius_km ?? REGION_RADIUS_KM };
  }
  const code = (groupValue(alert, "country") ?? (centre ? null : area?.country ?? null))?.toUpperCase();
  if (code) {
    const numeric = ISO_NUMERIC[code];
    const feature = numeric ? country(numeric) : undefined;
    if (feature) return { kind: "country", code, feature };
    if (box) return { kind: "box", bounds: box };
  }
  return centre ? { kind: "circle", centre, radiusKm: area?.radius_km ?? PLACE_RADIUS_KM } : null;
}

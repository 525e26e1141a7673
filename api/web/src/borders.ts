/**
 * Country borders for the map's base layer: Natural Earth 1:110m from the
 * `world-atlas` package, bundled (the dashboard loads nothing from elsewhere).
 *
 * world-atlas is made for spherical renderers: rings that cross the antimeridian
 * (Russia, Fiji) jump from +180 to -180, and Antarctica's ring runs round the pole.
 * On Leaflet's flat map those draw as lines across the whole world, so rings are
 * unwrapped into continuous longitudes and Antarctica is left out.
 */

import type { Feature, FeatureCollection, Geometry, Position } from "geojson";
import { feature } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";
import countries110m from "world-atlas/countries-110m.json";

const ANTARCTICA = "010";

/** The ring with each longitude moved by whole turns so that no step is longer than half a turn. */
export function unwrapRing(ring: Position[]): Position[] {
  const out: Position[] = [];
  let shift = 0;
  for (let i = 0; i < ring.length; i++) {
    const [lon, lat] = ring[i];
    if (i > 0) {
      const step = lon + shift - out[i - 1][0];
      if (step > 180) shift -= 360;
      else if (step < -180) shift += 360;
    }
    out.push([lon + shift, lat]);
  }
  return out;
}

function unwrap(geometry: Geometry): Geometry {
  if (geometry.type === "Polygon") return { ...geometry, coordinates: geometry.coordinates.map(unwrapRing) };
  if (geometry.type === "MultiPolygon") {
    return { ...geometry, coordinates: geometry.coordinates.map((p) => p.map(unwrapRing)) };
  }
  return geometry;
}

export function countryBorders(): FeatureCollection {
  const topo = countries110m as unknown as Topology<{ countries: GeometryCollection }>;
  const all = feature(topo, topo.objects.countries) as FeatureCollection;
  const features: Feature[] = all.features
    .filter((f) => String(f.id) !== ANTARCTICA && f.geometry !== null)
    .map((f) => ({ ...f, geometry: unwrap(f.geometry) }));
  return { type: "FeatureCollection", features };
}

let byId: Map<string, Feature> | null = null;

/** A country's feature by its ISO numeric id (world-atlas ids: "840" for the United States). */
export function countryFeature(numericId: string): Feature | undefined {
  if (byId === null) byId = new Map(countryBorders().features.map((f) => [String(f.id), f]));
  return byId.get(numericId);
}

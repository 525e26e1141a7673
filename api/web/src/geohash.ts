/** Geohash cell bounds, for drawing the density buckets of `/aggregations?kind=geohash`. */

const BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz";

/** [[south, west], [north, east]] of a geohash cell; null if the hash is not valid. */
export function geohashBounds(hash: string): [[number, number], [number, number]] | null {
  if (!/^[0-9b-hjkmnp-z]{1,12}$/.test(hash)) return null;
  let lat: [number, number] = [-90, 90];
  let lon: [number, number] = [-180, 180];
  let even = true;
  for (const ch of hash) {
    const bits = BASE32.indexOf(ch);
    for (let mask = 16; mask > 0; mask >>= 1) {
      const range = even ? lon : lat;
      const mid = (range[0] + range[1]) / 2;
      if (bits & mask) range[0] = mid;
      else range[1] = mid;
      even = !even;
    }
  }
  return [[lat[0], lon[0]], [lat[1], lon[1]]];
}

/** Precision that gives a readable number of cells at a zoom level. */
export function precisionForZoom(zoom: number): number {
  if (zoom <= 3) return 2;
  if (zoom <= 5) return 3;
  if (zoom <= 8) return 4;
  return 5;
}

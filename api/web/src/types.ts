/** The JSON the API returns: `tocsin.schema.Alert` and archived `EnrichedItem`s (the parts shown). */

export interface AlertArea {
  description: string;
  country?: string | null;
  admin1?: string | null;
  lat?: number | null;
  lon?: number | null;
  radius_km?: number | null;
}

export interface AlertNote {
  author: string;
  text: string;
  at: string;
}

export interface Alert {
  id: string;
  version: number;
  rule: string;
  rule_type: string;
  title: string;
  description?: string;
  severity: string;
  status: "open" | "resolved";
  event: string;
  group?: Record<string, string | null>;
  group_key?: string;
  window_start?: string;
  window_end?: string;
  count: number;
  threshold: number;
  sample_item_ids?: string[];
  first_seen?: string;
  last_seen?: string;
  raised_at?: string;
  expected?: number | null;
  z_score?: number | null;
  opened_at?: string | null;
  updated_at: string;
  resolved_at?: string | null;
  acknowledged_by?: string | null;
  acknowledged_at?: string | null;
  assigned_to?: string | null;
  notes?: AlertNote[];
  area?: AlertArea | null;
}

export interface Item {
  id: string;
  title?: string;
  text?: string;
  url?: string | null;
  source?: { type?: string; name?: string };
  published?: string | null;
  collected?: string;
  lang?: string;
  country?: string | null;
  admin1?: string | null;
  city?: string | null;
  event_time?: string;
  /** Archive documents (processors/archive.py): category names, with scores and terms beside them. */
  categories?: string[];
  scores?: Record<string, number>;
  matched_terms?: Record<string, string[]>;
  flags?: string[];
}

export interface SearchPage {
  total: number;
  items: Item[];
  next: string | null;
}

export interface Bucket {
  key: string | number;
  count: number;
  [extra: string]: unknown;
}

export interface Aggregation {
  kind: string;
  buckets: Bucket[];
}

export const SEVERITIES = ["info", "warning", "severe", "extreme"] as const;

export function severityRank(severity: string): number {
  return (SEVERITIES as readonly string[]).indexOf(severity);
}

/** The JSON the API returns: `tocsin.schema.Alert` and archived `EnrichedItem`s (the parts shown). */

export interface AlertArea {
  description: string;
  country?: string | null;
  admin1?: string | null;
  lat?: number | null;
  lon?: number | null;
  radius_km?: number | null;
  /** The area the group is (country code, admin1 or admin2 id), when its items' places name it. */
  area_id?: string | null;
  /** That area's box: [west, south, east, north] (GeoJSON's order; west > east over the antimeridian). */
  bbox?: number[] | null;
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
  resolved_by?: string | null;
  dismissed_reason?: string | null;
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
  /** Which model (name/version) scored each category; older documents have only `classifiers`. */
  models?: Record<string, string>;
  classifiers?: string[];
  flags?: string[];
  /** Set by incident fusion (processors/incidents): the incident, and the source that first published the text. */
  incident?: { id: string; origin?: string | null } | null;
  amplification?: Amplification | null;
}

/** A burst of near-identical text from many accounts (`tocsin.schema.Amplification`). */
export interface Amplification {
  cluster: string;
  accounts: number;
  items: number;
  first_seen: string;
  last_seen: string;
}

/** Reports of one event fused across sources and languages (`tocsin.incidents.Incident`). */
export interface Incident {
  id: string;
  category: string;
  title: string;
  title_item_id: string;
  country?: string | null;
  admin1?: string | null;
  admin1_name?: string | null;
  place?: string | null;
  first_seen: string;
  last_seen: string;
  languages: string[];
  sources: string[];
  origins: string[];
  independent_sources: number;
  language_count: number;
  item_count: number;
  amplified_items: number;
  subtypes: Record<string, number>;
  timeline: { at: string; items: number }[];
  amplification?: Amplification | null;
  updated_at?: string;
}

/** `GET /incidents/{id}`: the incident, its items in event-time order, and the same items grouped. */
export interface IncidentDetail {
  incident: Incident;
  items: Item[];
  by_source: { source: string; items: Item[] }[];
  by_language: Record<string, string[]>;
}

/** The rule an alert's items were counted by, as the running rules file says. */
export interface RuleSummary {
  name: string;
  type: string;
  description: string;
  filter: Record<string, unknown>;
  group_by: string[];
  window_s?: number | null;
}

/** An analyst's verdict (`tocsin.labels.AnalystLabel`). */
export interface Label {
  id: string;
  kind: "item" | "alert";
  verdict: "misclassified" | "confirmed" | "false_positive";
  actor: string;
  at: string;
  reason: string;
  item_id?: string | null;
  category?: string | null;
  label?: boolean | null;
  model?: string | null;
  score?: number | null;
  alert_id?: string | null;
}

export interface CustodyEntry {
  seq: number;
  action: string;
  actor: string;
  at: string;
  detail: string;
  items: Record<string, string | null>;
  sha256: string;
}

export interface Baseline {
  interval: "hour" | "day";
  from: string;
  to: string;
  rule_found: boolean;
  counts: { ts: number; count: number }[];
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

/** Triage order: open before resolved, then the most severe, then the most recently changed. */
export function triageOrder(a: Alert, b: Alert): number {
  return (Number(a.status !== "open") - Number(b.status !== "open"))
    || (severityRank(b.severity) - severityRank(a.severity))
    || (b.updated_at ?? "").localeCompare(a.updated_at ?? "");
}

/**
 * The alerts the analyst is looking at: loaded once from `/alerts`, then kept
 * current by the `/alerts/stream` subscription. Views subscribe to changes.
 */

import { apiGet } from "./api";
import { LiveStream, type SseEvent, type StreamState } from "./sse";
import type { Alert } from "./types";
import { triageOrder } from "./types";

type Listener = (changed: Alert | null) => void;

export class AlertStore {
  readonly alerts = new Map<string, Alert>();
  state: StreamState = "stopped";
  private listeners = new Set<Listener>();
  private stateListeners = new Set<(s: StreamState) => void>();
  private stream: LiveStream | null = null;
  /** Ids changed by the live stream since the page loaded, newest last (for highlighting). */
  readonly fresh = new Set<string>();

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onState(listener: (s: StreamState) => void): () => void {
    this.stateListeners.add(listener);
    listener(this.state);
    return () => this.stateListeners.delete(listener);
  }

  /** Keeps the newest version of each alert; returns whether this one was news. */
  upsert(alert: Alert): boolean {
    const known = this.alerts.get(alert.id);
    if (known && known.version >= alert.version) return false;
    this.alerts.set(alert.id, alert);
    return true;
  }

  async load(): Promise<void> {
    const body = await apiGet<{ alerts: Alert[] }>("/alerts", { size: 500 });
    for (const alert of body.alerts) this.upsert(alert);
    this.emit(null);
  }

  start(): void {
    if (this.stream) return;
    this.stream = new LiveStream("/alerts/stream", (e) => this.receive(e), (s) => this.setState(s));
    this.stream.start();
  }

  stop(): void {
    this.stream?.stop();
    this.stream = null;
    this.alerts.clear();
    this.fresh.clear();
  }

  /** Open first, most severe first, then most recently changed (see `triageOrder`). */
  sorted(): Alert[] {
    return [...this.alerts.values()].sort(triageOrder);
  }

  private receive(event: SseEvent): void {
    if (event.event !== "alert") return;
    let alert: Alert;
    try {
      alert = JSON.parse(event.data) as Alert;
    } catch {
      console.warn("alert stream: an event that is not JSON was skipped");
      return;
    }
    if (typeof alert?.id !== "string" || typeof alert.version !== "number") return;
    if (this.upsert(alert)) {
      this.fresh.add(alert.id);
      this.emit(alert);
    }
  }

  private setState(state: StreamState): void {
    this.state = state;
    for (const l of this.stateListeners) l(state);
  }

  private emit(changed: Alert | null): void {
    for (const l of this.listeners) l(changed);
  }
}

export const store = new AlertStore();

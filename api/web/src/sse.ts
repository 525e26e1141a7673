/**
 * Server-sent events over `fetch`, because `EventSource` cannot send the
 * `X-API-Key` header. The parser follows the WHATWG event-stream rules (fields
 * event/data/id/retry, comments, CR/LF/CRLF line ends, `id` kept across events);
 * the stream reconnects with `Last-Event-ID` so no alert version is missed.
 */

import { authHeaders } from "./api";

export interface SseEvent {
  event: string;
  data: string;
  id: string;
}

export class SseParser {
  lastEventId = "";
  retryMs: number | null = null;
  private buffer = "";
  private data: string[] = [];
  private eventType = "";
  private sawBom = false;

  /** Feeds decoded text; returns the events completed by it. */
  feed(chunk: string): SseEvent[] {
    if (!this.sawBom) {
      if (chunk.length === 0) return [];
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
      this.sawBom = true;
    }
    this.buffer += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (match === null) break;
      // A lone CR at the end may be the first half of CRLF: wait for more.
      if (match[0] === "\r" && match.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const event = this.line(line);
      if (event) out.push(event);
    }
    return out;
  }

  private line(line: string): SseEvent | null {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.eventType = value;
    else if (field === "id" && !value.includes("\0")) this.lastEventId = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.retryMs = Number(value);
    return null;
  }

  private dispatch(): SseEvent | null {
    const data = this.data;
    const type = this.eventType;
    this.data = [];
    this.eventType = "";
    if (data.length === 0) return null;
    return { event: type || "message", data: data.join("\n"), id: this.lastEventId };
  }
}

export type StreamState = "connecting" | "live" | "reconnecting" | "stopped" | "unauthorised";

/** A long-lived subscription to an SSE endpoint that reconnects until stopped. */
export class LiveStream {
  private controller: AbortController | null = null;
  private stopped = false;
  private lastEventId = "";
  private failures = 0;
  private timer: number | undefined;

  constructor(
    private readonly path: string,
    private readonly onEvent: (event: SseEvent) => void,
    private readonly onState: (state: StreamState) => void,
    private readonly baseDelayMs = 1000,
  ) {}

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
    this.controller?.abort();
    this.onState("stopped");
  }

  private async connect(): Promise<void> {
    this.onState(this.failures === 0 && this.lastEventId === "" ? "connecting" : "reconnecting");
    const controller = new AbortController();
    this.controller = controller;
    const parser = new SseParser();
    parser.lastEventId = this.lastEventId;
    const headers: Record<string, string> = { Accept: "text/event-stream" };
    if (this.lastEventId) headers["Last-Event-ID"] = this.lastEventId;
    try {
      const resp = await fetch(this.path, { headers: authHeaders(headers), signal: controller.signal,
                                            cache: "no-store" });
      if (resp.status === 401 || resp.status === 403) {
        this.onState("unauthorised");
        window.dispatchEvent(new CustomEvent("tocsin:unauthorised"));
        return;
      }
      if (!resp.ok || resp.body === null) throw new Error(`stream answered ${resp.status}`);
      this.onState("live");
      this.failures = 0;
      const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const event of parser.feed(value)) {
          this.lastEventId = event.id;
          this.onEvent(event);
        }
      }
      this.lastEventId = parser.lastEventId;
    } catch (err) {
      if (this.stopped) return;
      this.lastEventId = parser.lastEventId || this.lastEventId;
      this.failures += 1;
      console.warn("alert stream interrupted", err);
    }
    if (this.stopped) return;
    const delay = Math.min(parser.retryMs ?? this.baseDelayMs * 2 ** Math.min(this.failures, 5), 30_000);
    this.onState("reconnecting");
    this.timer = window.setTimeout(() => void this.connect(), delay);
  }
}

/**
 * The one way the dashboard talks to the API: every request carries the key the
 * analyst typed (kept in sessionStorage, so it goes when the tab closes).
 */

const KEY = "tocsin.apiKey";

export class ApiError extends Error {
  constructor(readonly status: number, readonly detail: string) {
    super(`${status}: ${detail}`);
  }
}

export function getKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setKey(key: string): void {
  sessionStorage.setItem(KEY, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY);
}

export type Params = Record<string, string | number | null | undefined>;

export function query(params: Params = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === "") continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

export function authHeaders(extra: Record<string, string> = {}): Record<string, string> {
  const key = getKey();
  return key ? { "X-API-Key": key, ...extra } : extra;
}

async function detailOf(resp: Response): Promise<string> {
  try {
    const body: unknown = await resp.json();
    if (body && typeof body === "object" && "detail" in body) {
      const detail = (body as { detail: unknown }).detail;
      return typeof detail === "string" ? detail : JSON.stringify(detail);
    }
  } catch {
    // not JSON: fall back to the status text
  }
  return resp.statusText || "request failed";
}

async function send(path: string, init: RequestInit = {}): Promise<Response> {
  const resp = await fetch(path, { ...init, headers: authHeaders(init.headers as Record<string, string>) });
  if (!resp.ok) {
    const error = new ApiError(resp.status, await detailOf(resp));
    if (resp.status === 401) window.dispatchEvent(new CustomEvent("tocsin:unauthorised"));
    throw error;
  }
  return resp;
}

export async function apiGet<T>(path: string, params: Params = {}): Promise<T> {
  return (await send(path + query(params), { headers: { Accept: "application/json" } })).json() as Promise<T>;
}

export async function apiPost<T>(path: string, body: unknown): Promise<T> {
  const resp = await send(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
  });
  return resp.json() as Promise<T>;
}

/** Fetches a file with the key and hands it to the browser as a download. */
export async function download(path: string, fallbackName: string): Promise<string> {
  const resp = await send(path);
  const blob = await resp.blob();
  const disposition = resp.headers.get("Content-Disposition") ?? "";
  const match = /filename="?([^";]+)"?/.exec(disposition);
  const name = (match?.[1] ?? fallbackName).replace(/[^\w.\-]/g, "_");
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}

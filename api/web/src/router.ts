/** Hash routes (`#/search?q=…`), so the API keeps every real path and a view is a bookmark. */

export interface Route {
  path: string;
  params: URLSearchParams;
}

export function currentRoute(): Route {
  const raw = location.hash.replace(/^#/, "") || "/alerts";
  const at = raw.indexOf("?");
  const path = at === -1 ? raw : raw.slice(0, at);
  return { path, params: new URLSearchParams(at === -1 ? "" : raw.slice(at + 1)) };
}

export function navigate(route: string): void {
  if (location.hash === `#${route}`) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = route;
}

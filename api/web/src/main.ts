/**
 * Tocsin dashboard: a single page over the HTTP API. Nothing is rendered from an
 * HTML string; see dom.ts. The API key lives in sessionStorage for this tab only.
 */

import "./style.css";
import { ApiError, forgetKey, getKey, setKey } from "./api";
import { clear, h, message, routeLink } from "./dom";
import { currentRoute } from "./router";
import type { StreamState } from "./sse";
import { store } from "./store";
import { alertsView } from "./views/alerts";
import { detailView } from "./views/detail";
import { incidentsView, incidentView } from "./views/incidents";
import { mapView } from "./views/map";
import { searchView } from "./views/search";
import { timelineView } from "./views/timeline";

const STATE_TEXT: Record<StreamState, string> = {
  connecting: "connecting…", live: "live", reconnecting: "reconnecting…", stopped: "offline",
  unauthorised: "key refused",
};

const main = h("main", { id: "view" });
const nav = h("nav", { class: "nav" });
const live = h("span", { class: "live", id: "live-state" });
const signOut = h("button", { type: "button", class: "link-button", id: "sign-out" }, "Forget key");
let cleanup: (() => void) | void;
/** Why the key form is shown again (a refused or revoked key), shown above it. */
let loginNotice = "";

function shell(): void {
  const links: [string, string][] = [["/alerts", "Alerts"], ["/incidents", "Incidents"], ["/map", "Map"],
                                     ["/timeline", "Timeline"], ["/search", "Search"]];
  nav.replaceChildren(...links.map(([route, text]) => routeLink(route, text, { "data-route": route })));
  document.body.replaceChildren(
    h("header", { class: "top" }, h("span", { class: "brand" }, "Tocsin"), nav, live, signOut), main);
  store.onState((state) => {
    live.textContent = STATE_TEXT[state];
    live.className = `live live-${state}`;
  });
}

function route(): void {
  if (typeof cleanup === "function") cleanup();
  cleanup = undefined;
  clear(main);
  if (!getKey()) {
    loginView();
    return;
  }
  const { path, params } = currentRoute();
  for (const a of nav.querySelectorAll("a")) {
    a.classList.toggle("active", path.startsWith(a.getAttribute("data-route") ?? "\0"));
  }
  if (path === "/alerts") cleanup = alertsView(main);
  else if (path === "/map") cleanup = mapView(main);
  else if (path === "/timeline") cleanup = timelineView(main);
  else if (path === "/search") searchView(main, params);
  else if (path.startsWith("/alert/")) cleanup = detailView(main, decodeURIComponent(path.slice("/alert/".length)));
  else if (path === "/incidents") incidentsView(main, params);
  else if (path.startsWith("/incident/")) incidentView(main, decodeURIComponent(path.slice("/incident/".length)));
  else main.append(message("error", "No such page."), routeLink("/alerts", "Go to the alert list"));
}

function loginView(): void {
  nav.hidden = true;
  signOut.hidden = true;
  live.hidden = true;
  const key = h("input", { type: "password", name: "api-key", id: "api-key", autocomplete: "off", required: true });
  const status = h("div");
  const form = h("form", { class: "login", id: "login-form" },
    h("h1", {}, "Tocsin dashboard"),
    h("p", {}, "Enter your API key. It is kept in this browser tab only and sent as X-API-Key."),
    h("label", {}, h("span", {}, "API key"), key), h("button", { type: "submit" }, "Open"), status);
  if (loginNotice) status.append(message("error", loginNotice));
  loginNotice = "";
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    setKey(key.value.trim());
    void start().catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 401) return; // the unauthorised handler re-asks
      forgetKey();
      clear(status);
      status.append(message("error", `The API did not answer: ${err instanceof ApiError ? err.detail : err}`));
    });
  });
  main.append(form);
  key.focus();
}

/** Loads the alerts, starts the live stream, then shows the current route. */
async function start(): Promise<void> {
  await store.load();
  store.start();
  nav.hidden = false;
  signOut.hidden = false;
  live.hidden = false;
  route();
}

window.addEventListener("tocsin:unauthorised", () => {
  loginNotice = "That API key was refused. Enter a valid key.";
  forgetKey();
  store.stop();
  route();
});
signOut.addEventListener("click", () => {
  forgetKey();
  store.stop();
  route();
});
window.addEventListener("hashchange", route);

shell();
if (getKey()) {
  void start().catch(() => {
    forgetKey();
    route();
  });
} else {
  route();
}

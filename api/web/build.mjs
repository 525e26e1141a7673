// Builds the dashboard into ../static/: app.js, app.css (Leaflet's CSS included),
// index.html, the licence notices of everything bundled, and SOURCES.sha256, a
// digest of the sources that tests/api/test_dashboard_static.py compares so a
// committed bundle cannot silently fall behind its sources.
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "static");

/** Files the bundle is made from, in a fixed order (the Python test lists the same). */
function sources() {
  const files = ["build.mjs", "favicon.svg", "index.html", "package-lock.json", "package.json", "tsconfig.json"];
  const walk = (dir) => {
    for (const name of readdirSync(join(here, dir)).sort()) {
      const path = join(dir, name);
      if (statSync(join(here, path)).isDirectory()) walk(path);
      else files.push(path);
    }
  };
  walk("src");
  return files.map((f) => f.split("\\").join("/")).sort();
}

function sourceDigest() {
  const hash = createHash("sha256");
  for (const file of sources()) {
    hash.update(file + "\0");
    hash.update(readFileSync(join(here, file)));
    hash.update("\0");
  }
  return hash.digest("hex");
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await esbuild.build({
  entryPoints: { app: join(here, "src", "main.ts") },
  bundle: true,
  format: "esm",
  target: ["chrome110", "firefox115", "safari16"],
  minify: true,
  legalComments: "eof",
  outdir: out,
  assetNames: "assets/[name]-[hash]",
  loader: { ".png": "file", ".svg": "file" },
  logLevel: "warning",
});

copyFileSync(join(here, "index.html"), join(out, "index.html"));
copyFileSync(join(here, "favicon.svg"), join(out, "favicon.svg"));

const notices = [
  ["Leaflet 1.9 (https://leafletjs.com), bundled in app.js and app.css", "node_modules/leaflet/LICENSE"],
  ["topojson-client, bundled in app.js", "node_modules/topojson-client/LICENSE"],
  ["world-atlas (country borders from Natural Earth, public domain), bundled in app.js",
   "node_modules/world-atlas/LICENSE"],
];
writeFileSync(join(out, "LICENSES.txt"),
  "Third-party software bundled in the Tocsin dashboard.\n\n" +
  notices.map(([what, file]) => `== ${what}\n\n${readFileSync(join(here, file), "utf8").trim()}\n`).join("\n"));
writeFileSync(join(out, "SOURCES.sha256"), sourceDigest() + "\n");

for (const file of readdirSync(out, { recursive: true }).sort()) {
  const path = join(out, String(file));
  if (statSync(path).isFile()) console.log(`${relative(here, path)}\t${statSync(path).size} bytes`);
}

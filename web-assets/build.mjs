// Copies the pinned front-end files from node_modules (installed by `npm ci` from package-lock.json) into
// api/web/static/vendor/, and writes manifest.json there: each file's sha256, so a test can tell that the
// committed files are what this build makes. No bundler, no transformation: the files are copied as
// published.
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "api", "web", "static", "vendor");

// [package, file inside the package, name under vendor/]
const files = [
  ["htmx.org", "dist/htmx.min.js", "htmx/htmx.min.js"],
  ["htmx.org", "LICENSE", "htmx/LICENSE"],
  ["bpmn-js", "dist/bpmn-viewer.production.min.js", "bpmn-js/bpmn-viewer.production.min.js"],
  ["bpmn-js", "dist/assets/diagram-js.css", "bpmn-js/diagram-js.css"],
  ["bpmn-js", "dist/assets/bpmn-js.css", "bpmn-js/bpmn-js.css"],
  ["bpmn-js", "LICENSE", "bpmn-js/LICENSE"],
  // the studio's modeler (the same package, its editing build) and the icon font of its palette and menus;
  // bpmn.css points at ../font/, so the two folders keep their published layout
  ["bpmn-js", "dist/bpmn-modeler.production.min.js", "bpmn-js/bpmn-modeler.production.min.js"],
  ["bpmn-js", "dist/assets/bpmn-font/css/bpmn.css", "bpmn-js/bpmn-font/css/bpmn.css"],
  ["bpmn-js", "dist/assets/bpmn-font/font/bpmn.woff2", "bpmn-js/bpmn-font/font/bpmn.woff2"],
  ["bpmn-js", "dist/assets/bpmn-font/font/bpmn.woff", "bpmn-js/bpmn-font/font/bpmn.woff"],
];

rmSync(out, { recursive: true, force: true });
const manifest = { packages: {}, files: {} };
for (const [pkg, source, target] of files) {
  const root = join(here, "node_modules", pkg);
  manifest.packages[pkg] = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
  const destination = join(out, target);
  mkdirSync(dirname(destination), { recursive: true });
  copyFileSync(join(root, source), destination);
  manifest.files[target] = createHash("sha256").update(readFileSync(destination)).digest("hex");
}
writeFileSync(join(out, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(`copied ${files.length} files into ${out}`);

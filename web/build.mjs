// Copy MapLibre GL JS from node_modules into web/vendor/, where api/web.py serves it:
// the pages load no script, style or font from anywhere but this server.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const web = dirname(fileURLToPath(import.meta.url));
const dist = join(web, "..", "node_modules", "maplibre-gl", "dist");
const vendor = join(web, "vendor");
mkdirSync(vendor, { recursive: true });
for (const name of ["maplibre-gl.js", "maplibre-gl.css", "LICENSE.txt"]) {
  try {
    copyFileSync(join(dist, name), join(vendor, name === "LICENSE.txt" ? "maplibre-gl.LICENSE.txt" : name));
  } catch (error) {
    if (name !== "LICENSE.txt") throw error;
  }
}
console.log(`maplibre-gl copied to ${vendor}`);

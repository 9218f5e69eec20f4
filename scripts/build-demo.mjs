// Builds the demo page into dist/demo, the Worker's static assets. wrangler.jsonc runs it before
// `wrangler dev` and `wrangler deploy`, so a fresh clone serves the demo without a manual step.
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "demo");

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { demo: join(root, "demo", "main.ts") },
  outdir: join(out, "assets"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  sourcemap: true,
  logLevel: "warning",
});
for (const file of ["index.html", "favicon.ico"]) copyFileSync(join(root, "demo", file), join(out, file));
console.log("Built the demo page into dist/demo.");

// Builds the SDK for `quire/client`: one ESM file (dependencies left as imports) plus type
// declarations, into dist/client. Run by `npm install` (prepare) and `npm run build`.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "client");

rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: [join(root, "client", "src", "index.ts")],
  outfile: join(out, "index.js"),
  bundle: true,
  packages: "external",
  format: "esm",
  platform: "neutral",
  target: "es2022",
  sourcemap: true,
  logLevel: "warning",
});

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
execFileSync(
  process.execPath,
  [tsc, "-p", join(root, "client", "tsconfig.json"), "--noEmit", "false", "--emitDeclarationOnly", "--outDir", join(out, "types")],
  { stdio: "inherit" },
);
console.log("Built the SDK into dist/client.");

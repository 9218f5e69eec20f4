// Builds the SDK package @quire/client into client/dist: one ESM file, with the wire protocol it
// shares with the server (src/protocol) bundled in and its dependencies left as imports, plus type
// declarations. Run by `npm install` (prepare), `npm run build` and `npm pack ./client` (prepack).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, posix, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const client = join(root, "client");
const out = join(client, "dist");

/**
 * Where each source folder's declarations go inside dist. A published package cannot reach
 * outside itself, so the protocol's declarations move in beside the SDK's.
 */
const DECLARATION_HOMES = [
  ["client/src", ""],
  ["src/protocol", "protocol"],
];

rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: [join(client, "src", "index.ts")],
  outfile: join(out, "index.js"),
  bundle: true,
  packages: "external",
  format: "esm",
  platform: "neutral",
  target: "es2022",
  sourcemap: true,
  logLevel: "warning",
});

const emitted = mkdtempSync(join(tmpdir(), "quire-client-types-"));
try {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  execFileSync(
    process.execPath,
    [tsc, "-p", join(client, "tsconfig.json"), "--noEmit", "false", "--emitDeclarationOnly", "--outDir", emitted],
    { stdio: "inherit" },
  );
  placeDeclarations(emitted);
} finally {
  rmSync(emitted, { recursive: true, force: true });
}
console.log("Built @quire/client into client/dist.");

/**
 * Copies tsc's declarations (laid out from the repository root) into dist, rewriting relative
 * imports to the new places with `.js` extensions, which Node's ESM type resolution requires.
 */
function placeDeclarations(emittedRoot) {
  for (const file of walk(emittedRoot).filter((path) => path.endsWith(".d.ts"))) {
    const from = toPosix(relative(emittedRoot, file));
    const to = home(from);
    const text = readFileSync(file, "utf8").replace(
      /(\bfrom\s*|\bimport\s*\(\s*)(["'])(\.\.?\/[^"']*)\2/g,
      (_, keyword, quote, specifier) => `${keyword}${quote}${rewrite(from, to, specifier, emittedRoot)}${quote}`,
    );
    const target = join(out, ...to.split("/"));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
  }
}

/** The dist-relative path for a root-relative declaration path. */
function home(path) {
  for (const [source, target] of DECLARATION_HOMES) {
    if (path.startsWith(`${source}/`)) return posix.join(target, path.slice(source.length + 1));
  }
  throw new Error(`the SDK's types reach ${path}, outside the folders the package ships`);
}

function rewrite(from, to, specifier, emittedRoot) {
  const resolved = posix.normalize(posix.join(posix.dirname(from), specifier));
  const declaration = [`${resolved}.d.ts`, `${resolved}/index.d.ts`].find((path) => existsSync(join(emittedRoot, path)));
  if (!declaration) throw new Error(`${from} imports ${specifier}, which has no declaration`);
  const target = home(declaration).replace(/\.d\.ts$/, ".js");
  const path = posix.relative(posix.dirname(to), target);
  return path.startsWith(".") ? path : `./${path}`;
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

function toPosix(path) {
  return path.split(sep).join("/");
}

// Checks that package-lock.json installs on every platform and that `npm install` on a fresh clone
// leaves it unchanged. npm drops the optional packages of other platforms (workerd's, esbuild's)
// from a lockfile written on a machine that has node_modules, and then a fresh clone elsewhere adds
// them back, or a Mac gets no workerd binary. Run by the tests (test/client/lockfile.test.ts) and
// by hand: `npm run check:lockfile`. Exits 1 with the problems listed.
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Every dependency a locked package declares (optional ones for other platforms and required peers
 * included) that no lockfile entry satisfies from where that package sits, as Node resolves: its own
 * node_modules, then each parent's, then the top.
 */
export function unresolvedDependencies(lock) {
  const packages = lock.packages;
  const problems = [];
  for (const [path, entry] of Object.entries(packages)) {
    const requiredPeers = Object.keys(entry.peerDependencies ?? {}).filter((name) => !entry.peerDependenciesMeta?.[name]?.optional);
    const declared = [
      ["dependency", Object.keys(entry.dependencies ?? {})],
      ["optional dependency", Object.keys(entry.optionalDependencies ?? {})],
      ["peer dependency", requiredPeers],
    ];
    for (const [kind, names] of declared) {
      for (const name of names) if (!locate(packages, path, name)) problems.push(`${path || "the root"} lacks its ${kind} ${name}`);
    }
  }
  return problems;
}

function locate(packages, from, name) {
  for (let base = from; ; ) {
    const candidate = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!base) return null;
    const parent = base.lastIndexOf("/node_modules/");
    base = parent < 0 ? "" : base.slice(0, parent);
  }
}

/** The lockfile `npm install` writes for a fresh clone: package.json files and lockfile only, no node_modules. */
export async function freshCloneLockfile() {
  const copy = mkdtempSync(join(tmpdir(), "quire-lockfile-"));
  try {
    const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    for (const file of ["package.json", "package-lock.json", ...(manifest.workspaces ?? []).map((ws) => `${ws}/package.json`)]) {
      cpSync(join(root, file), join(copy, file));
    }
    // Without the variables of an enclosing `npm test`, which npm would read as its configuration.
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith("npm_")));
    await promisify(execFile)(
      "npm",
      ["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"],
      { cwd: copy, env, timeout: 120_000 },
    );
    return readFileSync(join(copy, "package-lock.json"), "utf8");
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const committed = readFileSync(join(root, "package-lock.json"), "utf8");
  const problems = unresolvedDependencies(JSON.parse(committed));
  if ((await freshCloneLockfile()) !== committed) {
    problems.push("npm install on a fresh clone rewrites package-lock.json: run `npm install` in a fresh clone and commit its lockfile");
  }
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) process.exit(1);
  console.log("package-lock.json: complete for every platform, and a fresh clone's npm install leaves it unchanged.");
}

// Makes better-sqlite3 (used by @hocuspocus/extension-sqlite) loadable by the project's Node 22.
// better-sqlite3 is not an N-API addon: it must be compiled for the exact Node ABI that loads it.
// Its install script (which package.json's allowScripts leaves off) would try a prebuilt download
// (GitHub: unreachable here), then compile with the system Node 20's headers. This compiles it
// from source with Node 22's headers, which the npm registry ships in the `node-<platform>-<arch>`
// package that the `node` devDependency uses, the first time the benchmark needs it.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { NODE } from "./child.ts";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../../..");
const BIN = join(ROOT, "node_modules", ".bin");
const HEADERS_PACKAGE = `node-${process.platform}-${process.arch}`;

/** The reason better-sqlite3 does not load in the project's Node, or null when it does. */
async function loadError(): Promise<string | null> {
  const probe = "new (require('better-sqlite3'))(':memory:').close()";
  return run(NODE, ["-e", probe], { cwd: ROOT }).then(
    () => null,
    (error: { stderr?: string; message: string }) => {
      const text = error.stderr || error.message;
      return /compiled against[\s\S]*?requires\s+NODE_MODULE_VERSION \d+/.exec(text)?.[0].replace(/\s+/g, " ") ?? text.split("\n").find((line) => line.startsWith("Error")) ?? text;
    },
  );
}

/** A directory with `include/node` for this Node version: the `node` package's copy, or one fetched with `npm pack`. */
async function nodeHeaders(version: string): Promise<{ dir: string; temporary: boolean }> {
  const installed = join(ROOT, "node_modules", "node", "node_modules", HEADERS_PACKAGE);
  const versionHeader = join(installed, "include", "node", "node_version.h");
  if (existsSync(versionHeader) && JSON.parse(readFileSync(join(installed, "package.json"), "utf8")).version === version) return { dir: installed, temporary: false };
  const dir = mkdtempSync(join(tmpdir(), "quire-node-headers-"));
  const packed = await run("npm", ["pack", `${HEADERS_PACKAGE}@${version}`, "--pack-destination", dir, "--silent"], { cwd: dir });
  await run("tar", ["xzf", join(dir, packed.stdout.trim().split("\n").pop()!), "--strip-components=1", "-C", dir, "package/include"]);
  return { dir, temporary: true };
}

/**
 * The node-gyp that ships inside npm. Found from npm's own files: `npm root -g` would answer under
 * the project's Node 22 (the `node` package, first on PATH in the benchmark), which has no npm.
 */
async function npmsNodeGyp(): Promise<string> {
  const npmCli = realpathSync((await run("sh", ["-c", "command -v npm"])).stdout.trim());
  const candidates = [join(dirname(npmCli), "..", "node_modules", "node-gyp", "bin", "node-gyp.js")];
  candidates.push(join((await run("npm", ["root", "-g"])).stdout.trim(), "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"));
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error(`npm's node-gyp was not found (looked at ${candidates.join(", ")})`);
  return found;
}

/** Resolves once better-sqlite3 loads in the project's Node, rebuilding it if needed; throws why not otherwise. */
export async function ensureBetterSqlite3(log: (line: string) => void): Promise<void> {
  const error = await loadError();
  if (error === null) return;
  if (!/NODE_MODULE_VERSION|Could not locate the bindings file/.test(error)) throw new Error(`better-sqlite3 does not load: ${error}`);
  const version = (await run(NODE, ["-p", "process.versions.node"])).stdout.trim();
  log(`  better-sqlite3 does not load in Node ${version} (${error}); rebuilding it from source with Node ${version}'s headers (about 1 min)`);
  const headers = await nodeHeaders(version);
  try {
    // node-gyp straight, not `npm rebuild`: package.json's allowScripts keeps npm from running
    // better-sqlite3's install script (so a plain npm install compiles nothing), rebuilds included.
    const env = { ...process.env, PATH: `${BIN}:${process.env.PATH ?? ""}` };
    const nodeGyp = await npmsNodeGyp();
    await run(NODE, [nodeGyp, "rebuild", "--release", `--nodedir=${headers.dir}`], { cwd: join(ROOT, "node_modules", "better-sqlite3"), env, timeout: 600_000 });
  } finally {
    if (headers.temporary) rmSync(headers.dir, { recursive: true, force: true });
  }
  const after = await loadError();
  if (after !== null) throw new Error(`better-sqlite3 still does not load after a rebuild: ${after}`);
}

// The SDK as an application gets it: `npm pack ./client`, installed with yjs and ws into an empty
// app outside the repository, then run from there in Node against `wrangler dev`, bundled for the
// browser with esbuild, and type-checked the way Node and bundler projects resolve it.
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { mintToken } from "../helpers/tokens";
import { startWranglerDev, type WranglerDev } from "../helpers/wranglerDev";

const ROOT = resolve(__dirname, "../..");
const run = promisify(execFile);

let app: string;
let server: WranglerDev | undefined;

/** The environment without the `npm_*` variables of an enclosing `npm test`, which npm would read as its config. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith("npm_")));
}

const npm = (args: string[], cwd: string) => run("npm", args, { cwd, env: cleanEnv(), timeout: 120_000 });

/** Runs a script from the app's folder with the project's Node 22; resolves to its parsed JSON output. */
async function runInApp(file: string, source: string, args: string[] = []): Promise<unknown> {
  writeFileSync(join(app, file), source);
  const { stdout } = await run(process.execPath, [file, ...args], { cwd: app, env: cleanEnv(), timeout: 30_000 });
  return JSON.parse(stdout);
}

beforeAll(async () => {
  app = mkdtempSync(join(tmpdir(), "quire-app-"));
  await Promise.all([
    startWranglerDev().then((started) => (server = started)),
    (async () => {
      await npm(["pack", join(ROOT, "client"), "--pack-destination", app], ROOT);
      const tarball = readdirSync(app).find((name) => name.endsWith(".tgz"))!;
      writeFileSync(join(app, "package.json"), JSON.stringify({ name: "quire-sdk-app", private: true, type: "module" }));
      await npm(["install", `./${tarball}`, "yjs", "ws", "--no-audit", "--no-fund", "--prefer-offline"], app);
    })(),
  ]);
});

afterAll(async () => {
  await server?.destroy();
  if (app) rmSync(app, { recursive: true, force: true });
});

describe("@quire/client installed from its tarball into an empty app", () => {
  test("installs as a dependency of the app, with only yjs and ws beside it", async () => {
    const { stdout } = await npm(["ls", "--json", "--depth=0"], app);
    const dependencies = JSON.parse(stdout).dependencies;
    expect(Object.keys(dependencies).sort()).toEqual(["@quire/client", "ws", "yjs"]);
    expect(dependencies["@quire/client"].version).toBe(JSON.parse(readFileSync(join(ROOT, "client", "package.json"), "utf8")).version);
  });

  test("syncs in Node against wrangler dev: one client writes with ws, another reads with Node's own WebSocket", async () => {
    const docId = `packed-sdk-${Date.now()}`;
    const write = await mintToken(server!.url, docId, "write", { userId: "ada" });
    const read = await mintToken(server!.url, docId, "read", { userId: "grace" });
    const written = await runInApp(
      "write.mjs",
      `import * as Y from "yjs";
      import WebSocket from "ws";
      import { QuireProvider } from "@quire/client";
      const [url, docId, token] = process.argv.slice(2);
      const doc = new Y.Doc();
      const provider = new QuireProvider({ url, docId, doc, token, WebSocketPolyfill: WebSocket });
      doc.getText("content").insert(0, "Hello from an app");
      await provider.whenSaved();
      console.log(JSON.stringify({ saveState: provider.saveState }));
      provider.destroy();`,
      [server!.url, docId, write.token],
    );
    expect(written).toEqual({ saveState: "saved" });
    const seen = await runInApp(
      "read.mjs",
      `import * as Y from "yjs";
      import { QuireProvider } from "@quire/client";
      const [url, docId, token] = process.argv.slice(2);
      const doc = new Y.Doc();
      const provider = new QuireProvider({ url, docId, doc, token });
      await new Promise((synced) => provider.on("synced", (isSynced) => isSynced && synced()));
      console.log(JSON.stringify({ text: doc.getText("content").toString() }));
      provider.destroy();`,
      [server!.url, docId, read.token],
    );
    expect(seen).toEqual({ text: "Hello from an app" });
  });

  test("bundles for the browser with esbuild, with one copy of Yjs", async () => {
    writeFileSync(
      join(app, "browser.js"),
      `import * as Y from "yjs";
      import { QuireProvider } from "@quire/client";
      export const provider = new QuireProvider({ url: location.origin, docId: "doc", doc: new Y.Doc(), token: "t", offline: true });`,
    );
    const result = await build({
      absWorkingDir: app,
      entryPoints: ["browser.js"],
      bundle: true,
      format: "esm",
      platform: "browser",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((path) => path.startsWith("node_modules/@quire/client/dist/"))).toBe(true);
    expect(inputs.some((path) => path.startsWith("node_modules/y-indexeddb/"))).toBe(true);
    expect(inputs.filter((path) => /^node_modules\/yjs\/dist\/yjs\.m?js$/.test(path))).toHaveLength(1);
    expect(result.outputFiles[0].text).not.toMatch(/from\s*"[^".]/);
  });

  test.each([
    ["Node ESM", { module: "nodenext", moduleResolution: "nodenext" }],
    ["a bundler", { module: "esnext", moduleResolution: "bundler" }],
  ])("type-checks as %s resolves it", async (_, resolution) => {
    writeFileSync(
      join(app, "check.ts"),
      `import * as Y from "yjs";
      import { CloseCode, QuireClosedError, QuireProvider, type SaveState } from "@quire/client";
      const provider = new QuireProvider({ url: "http://localhost:8787", docId: "d", doc: new Y.Doc(), token: async () => "t", connect: false });
      const state: SaveState = provider.saveState;
      provider.on("closed", ({ code }) => code === CloseCode.documentDeleted && state);
      provider.whenSaved().catch((error: unknown) => error instanceof QuireClosedError && error.code);
      // @ts-expect-error a document id is a string
      new QuireProvider({ url: "http://localhost:8787", docId: 42, doc: new Y.Doc(), token: "t" });`,
    );
    const compilerOptions = { ...resolution, target: "es2022", lib: ["es2023", "dom"], types: [], strict: true, noEmit: true, skipLibCheck: false };
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["check.ts"] }));
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const errors = await run(process.execPath, [tsc, "-p", join(app, "tsconfig.json")], { cwd: app }).then(
      ({ stdout }) => stdout,
      (error: { stdout?: string; message: string }) => error.stdout || error.message,
    );
    expect(errors).toBe("");
  });
});

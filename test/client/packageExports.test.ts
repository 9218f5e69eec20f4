// The SDK package as its build leaves it in client/dist: the ESM entry and type declarations its
// package.json exports, what they import, and the in-repository names `@quire/client` and `quire/client`.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, posix, resolve } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";

const ROOT = resolve(__dirname, "../..");
const CLIENT = join(ROOT, "client");
const pkg = JSON.parse(readFileSync(join(CLIENT, "package.json"), "utf8"));

beforeAll(() => {
  execFileSync(process.execPath, [join(ROOT, "scripts", "build-client.mjs")], { cwd: ROOT, stdio: "pipe" });
});

/** Every module specifier in a built file: `from "..."` and `import("...")`. */
function specifiers(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*)["']([^"']+)["']/g)].map((match) => match[1]);
}

const packageName = (specifier: string) => specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/");
const declarations = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? declarations(join(dir, entry.name)) : entry.name.endsWith(".d.ts") ? [join(dir, entry.name)] : [],
  );

describe("@quire/client package", () => {
  test("resolves in Node by both names in this repository, to the same module, and provides the provider", () => {
    const script = `
      const sdk = await import("@quire/client");
      const alias = await import("quire/client");
      const Y = await import("yjs");
      const { WebSocket } = await import("ws");
      const provider = new sdk.QuireProvider({ url: "http://127.0.0.1:9", docId: "d", doc: new Y.Doc(), token: "t", connect: false, WebSocketPolyfill: WebSocket });
      console.log(JSON.stringify({ exports: Object.keys(sdk).sort(), same: alias.QuireProvider === sdk.QuireProvider, status: provider.status, saved: provider.saveState }));
      provider.destroy();
    `;
    const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT, encoding: "utf8" });
    expect(JSON.parse(output)).toEqual({
      exports: ["CloseCode", "QuireClosedError", "QuireProvider", "isRetryable", "splitUpdate"],
      same: true,
      status: "disconnected",
      saved: "saved",
    });
  });

  test("ships ESM that leaves Yjs as an import, so the application's single Yjs instance is used", () => {
    const entry = readFileSync(join(CLIENT, pkg.exports["."].default), "utf8");
    expect(entry).toMatch(/from "yjs"/);
    expect(entry).not.toMatch(/require\(/);
  });

  test("imports only packages it declares, and nothing outside itself", () => {
    const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)]);
    const files = [join(CLIENT, "dist", "index.js"), ...declarations(join(CLIENT, "dist"))];
    for (const file of files) {
      for (const specifier of specifiers(file)) {
        if (specifier.startsWith(".")) {
          const target = posix.join(dirname(file), specifier);
          expect(target.startsWith(join(CLIENT, "dist")), `${file} imports ${specifier}`).toBe(true);
          expect(specifier, `${file}: relative imports need the .js extension for Node's ESM type resolution`).toMatch(/\.js$/);
          expect(existsSync(target.replace(/\.js$/, ".d.ts")), `${file} imports ${specifier}`).toBe(true);
        } else {
          expect(declared, `${file} imports ${specifier}`).toContain(packageName(specifier));
        }
      }
    }
    expect(pkg.peerDependencies).toHaveProperty("yjs");
    expect(pkg.dependencies).not.toHaveProperty("yjs");
  });

  test("ships type declarations for the provider, its options and the close codes", () => {
    const types = join(CLIENT, pkg.exports["."].types);
    expect(existsSync(types)).toBe(true);
    expect(readFileSync(types, "utf8")).toContain(`from "./protocol/closeCodes.js"`);
    const provider = readFileSync(join(CLIENT, "dist", "QuireProvider.d.ts"), "utf8");
    const options = readFileSync(join(CLIENT, "dist", "types.d.ts"), "utf8");
    expect(provider).toContain("whenSaved(): Promise<void>;");
    expect(options).toContain("export interface QuireProviderOptions");
    expect(options).toContain("WebSocketPolyfill?: WebSocketConstructor;");
  });
});

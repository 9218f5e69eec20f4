// `quire/client` as an application imports it: the built ESM file and its type declarations,
// resolved through package.json "exports".
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";

const ROOT = resolve(__dirname, "../..");

beforeAll(() => {
  execFileSync(process.execPath, [join(ROOT, "scripts", "build-client.mjs")], { cwd: ROOT, stdio: "pipe" });
});

describe("quire/client package", () => {
  test("resolves in Node through the package exports and provides the provider", () => {
    const script = `
      const sdk = await import("quire/client");
      const Y = await import("yjs");
      const { WebSocket } = await import("ws");
      const provider = new sdk.QuireProvider({ url: "http://127.0.0.1:9", docId: "d", doc: new Y.Doc(), token: "t", connect: false, WebSocketPolyfill: WebSocket });
      console.log(JSON.stringify({ exports: Object.keys(sdk).sort(), status: provider.status, saved: provider.saveState }));
      provider.destroy();
    `;
    const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT, encoding: "utf8" });
    expect(JSON.parse(output)).toEqual({
      exports: ["CloseCode", "QuireClosedError", "QuireProvider", "isRetryable", "splitUpdate"],
      status: "disconnected",
      saved: "saved",
    });
  });

  test("ships ESM that leaves Yjs as an import, so the application's single Yjs instance is used", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    const entry = readFileSync(join(ROOT, pkg.exports["./client"].import), "utf8");
    expect(entry).toMatch(/from "yjs"/);
    expect(entry).not.toMatch(/require\(/);
  });

  test("ships type declarations for the provider and its options", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    const types = join(ROOT, pkg.exports["./client"].types);
    expect(existsSync(types)).toBe(true);
    const provider = readFileSync(join(ROOT, "dist/client/types/client/src/QuireProvider.d.ts"), "utf8");
    const options = readFileSync(join(ROOT, "dist/client/types/client/src/types.d.ts"), "utf8");
    expect(provider).toContain("whenSaved(): Promise<void>;");
    expect(options).toContain("export interface QuireProviderOptions");
    expect(options).toContain("WebSocketPolyfill?: WebSocketConstructor;");
  });
});

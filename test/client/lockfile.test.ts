// package-lock.json, as the SDK's installs and a fresh clone's depend on it: an entry for every
// platform's optional packages, and unchanged by `npm install` on a fresh clone (scripts/check-lockfile.mjs).
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, test } from "vitest";
import { freshCloneLockfile, unresolvedDependencies } from "../../scripts/check-lockfile.mjs";

const ROOT = resolve(__dirname, "../..");
const committed = readFileSync(join(ROOT, "package-lock.json"), "utf8");

describe("package-lock.json", () => {
  test("has an entry for every dependency of every locked package, other platforms' optional packages included", () => {
    const lock = JSON.parse(committed);
    expect(unresolvedDependencies(lock)).toEqual([]);
    for (const platform of ["darwin-64", "darwin-arm64", "linux-64", "linux-arm64", "windows-64"]) {
      expect(lock.packages).toHaveProperty([`node_modules/@cloudflare/workerd-${platform}`]);
    }
  });

  test("the check finds a platform package missing from the lockfile", () => {
    const lock = JSON.parse(committed);
    delete lock.packages["node_modules/@cloudflare/workerd-darwin-arm64"];
    expect(unresolvedDependencies(lock)).toEqual(["node_modules/workerd lacks its optional dependency @cloudflare/workerd-darwin-arm64"]);
  });

  test("npm install on a fresh clone leaves it unchanged", async () => {
    const fresh = await freshCloneLockfile();
    expect(JSON.parse(fresh)).toEqual(JSON.parse(committed));
    expect(fresh).toBe(committed);
  });
});

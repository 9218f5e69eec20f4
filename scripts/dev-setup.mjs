// Prepares a fresh clone for `wrangler dev`: local secrets defaulted, local D1 migrated.
// Idempotent, so `npm start` runs it every time.
import { copyFileSync, existsSync, readdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

if (!existsSync(join(root, ".dev.vars"))) {
  copyFileSync(join(root, ".dev.vars.example"), join(root, ".dev.vars"));
  console.log("Created .dev.vars from .dev.vars.example (local development secrets).");
}

const hasMigrations = readdirSync(join(root, "migrations")).some((name) => name.endsWith(".sql"));
if (hasMigrations) {
  const wrangler = join(root, "node_modules", ".bin", "wrangler");
  execFileSync(wrangler, ["d1", "migrations", "apply", "DB", "--local"], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, CI: "true" },
  });
}

// Prepares a fresh clone for `wrangler dev`: local secrets defaulted, local D1 migrated.
// Idempotent, so `npm start` runs it every time.
import { appendFileSync, copyFileSync, existsSync, readFileSync, readdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

const devVars = join(root, ".dev.vars");
const example = join(root, ".dev.vars.example");
if (!existsSync(devVars)) {
  copyFileSync(example, devVars);
  console.log("Created .dev.vars from .dev.vars.example (local development secrets).");
} else {
  // Settings added to the example since .dev.vars was made are appended; existing values are kept.
  const names = (text) => new Set(text.split("\n").map((line) => line.match(/^([A-Z_][A-Z0-9_]*)=/)?.[1]).filter(Boolean));
  const have = names(readFileSync(devVars, "utf8"));
  const missing = readFileSync(example, "utf8").split("\n").filter((line) => {
    const name = line.match(/^([A-Z_][A-Z0-9_]*)=/)?.[1];
    return name && !have.has(name);
  });
  if (missing.length > 0) {
    appendFileSync(devVars, `\n${missing.join("\n")}\n`);
    console.log(`Added ${missing.length} new setting(s) from .dev.vars.example to .dev.vars.`);
  }
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

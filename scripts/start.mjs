// `npm start`: prepares a fresh clone (scripts/dev-setup.mjs), then runs `wrangler dev` with any
// arguments given after `--` (for example `npm start -- --port 9000`).
//
// Wrangler's local observability collector (its local traces explorer) receives a trace for every
// event the Worker handles; with one event per WebSocket message that costs several times what
// Quire itself spends on a message, so local figures would say nothing about production. It is
// off unless X_LOCAL_OBSERVABILITY=true is set.
//
// Wrangler also fetches the `Request.cf` placeholder from workers.cloudflare.com at every start and
// prints a lookup error when offline. Quire never reads `request.cf`, so the fetch is off too
// (CLOUDFLARE_CF_FETCH_ENABLED=true turns it back on).
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
await import("./dev-setup.mjs");

// The demo's token endpoint (DEV_MODE) trusts that only this machine can reach the server; it is
// turned off when the server listens on another address.
const args = process.argv.slice(2);
const ipAt = args.findIndex((arg) => arg === "--ip" || arg.startsWith("--ip="));
const ip = ipAt === -1 ? null : args[ipAt].includes("=") ? args[ipAt].split("=")[1] : args[ipAt + 1];
if (ip && !["127.0.0.1", "localhost", "::1"].includes(ip)) {
  args.push("--var", "DEV_MODE:false");
  console.log(`Listening on ${ip}: the demo's local token endpoint (DEV_MODE) is off; mint tokens with the admin API.`);
}

const windows = process.platform === "win32";
const wrangler = spawn(join(root, "node_modules", ".bin", windows ? "wrangler.cmd" : "wrangler"), ["dev", ...args], {
  cwd: root,
  stdio: "inherit",
  shell: windows,
  env: { X_LOCAL_OBSERVABILITY: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", ...process.env },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => wrangler.kill(signal));
wrangler.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

// Headless Chromium for the browser tests: Debian's package, installed by the project's own script
// and driven by playwright-core (Playwright's browser download is not used).
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Browser, chromium } from "playwright-core";

const ROOT = resolve(__dirname, "../..");
const EXECUTABLE = "/usr/bin/chromium";

/** Where screenshots go; kept out of git. */
export const OUTPUT_DIR = join(ROOT, "test-output");

/** Installs Chromium when missing (idempotent; apt-get as root or through sudo) and launches it. */
export async function launchChromium(): Promise<Browser> {
  execFileSync("bash", [join(ROOT, "scripts", "install-chromium.sh")], { stdio: "inherit", timeout: 15 * 60_000 });
  mkdirSync(OUTPUT_DIR, { recursive: true });
  return chromium.launch({
    executablePath: EXECUTABLE,
    headless: true,
    // Without the background-networking flags Chromium keeps dialing Google hosts this machine cannot reach.
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

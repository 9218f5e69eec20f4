// The README followed as a newcomer would, its code blocks run as written against `wrangler dev`
// (only `localhost:8787` becomes the test server's address): the packages its install commands
// name, installed into a folder outside the repository; the stock provider script; the SDK script,
// with the SDK installed from `npm pack ./client`; the script that writes initial.bin and
// change.bin; and the curl examples, each output checked against the comment beside it.
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startWranglerDev, type WranglerDev } from "../helpers/wranglerDev";

const ROOT = resolve(__dirname, "../..");
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const run = promisify(execFile);
const hasCurl = existsSync("/usr/bin/curl") || existsSync("/bin/curl");

let app: string;
let server: WranglerDev | undefined;

/** The README's code blocks, each with its language. */
const blocks = [...README.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map(([, lang, code]) => ({ lang, code }));

/** The block whose first line is `// <file>: ...`, as a script for that file. */
function script(file: string): string {
  const found = blocks.find((block) => block.code.startsWith(`// ${file}:`));
  if (!found) throw new Error(`the README has no block for ${file}`);
  return localize(found.code);
}

/** The README's addresses pointed at the test server. */
const localize = (code: string) => code.replaceAll("localhost:8787", new URL(server!.url).host);

/** The environment without the `npm_*` variables of an enclosing `npm test`, which npm would read as its config. */
const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith("npm_")));

/** Every package named by the README's `npm install <names>` lines for an app (tarball paths left out). */
function installedByReadme(): string[] {
  const lines = blocks.filter((block) => block.lang === "sh").flatMap((block) => block.code.split("\n"));
  const installs = lines.map((line) => line.replace(/#.*/, "").trim().match(/^npm install (.+)$/)?.[1]).filter((args): args is string => !!args);
  return [...new Set(installs.flatMap((args) => args.split(/\s+/)).filter((arg) => !arg.endsWith(".tgz")))];
}

beforeAll(async () => {
  app = mkdtempSync(join(tmpdir(), "quire-readme-"));
  await Promise.all([
    startWranglerDev().then((started) => (server = started)),
    (async () => {
      await run("npm", ["pack", join(ROOT, "client"), "--pack-destination", app], { cwd: ROOT, env: cleanEnv(), timeout: 120_000 });
      const tarball = readdirSync(app).find((name) => name.endsWith(".tgz"))!;
      expect(README).toContain(tarball);
      writeFileSync(join(app, "package.json"), JSON.stringify({ name: "quire-try", private: true }));
      const args = ["install", `./${tarball}`, ...installedByReadme(), "--no-audit", "--no-fund", "--prefer-offline"];
      await run("npm", args, { cwd: app, env: cleanEnv(), timeout: 120_000 });
    })(),
  ]);
});

afterAll(async () => {
  await server?.destroy();
  if (app) rmSync(app, { recursive: true, force: true });
});

/** Runs a script of the README from the app folder with `node`, as the README says. */
async function node(file: string): Promise<string> {
  writeFileSync(join(app, file), script(file));
  const { stdout } = await run(process.execPath, [file], { cwd: app, env: cleanEnv(), timeout: 30_000 });
  return stdout;
}

describe("the README, run as written", () => {
  test("its install commands name yjs, y-websocket and ws for the scripts", () => {
    expect(installedByReadme()).toEqual(expect.arrayContaining(["yjs", "y-websocket", "ws"]));
  });

  test("the stock provider script connects, writes and stays in sync", async () => {
    writeFileSync(join(app, "stock.mjs"), script("stock.mjs"));
    const child = spawn(process.execPath, ["stock.mjs"], { cwd: app, env: cleanEnv() });
    try {
      let output = "";
      child.stdout.on("data", (chunk) => (output += chunk));
      child.stderr.on("data", (chunk) => (output += chunk));
      await expect.poll(() => output, { timeout: 30_000 }).toMatch(/synced: .*Hello, Quire\./);
    } finally {
      child.kill();
    }
  });

  test("the SDK script saves its change", async () => {
    expect((await node("sdk.mjs")).trim()).toBe("saved");
  });

  test.skipIf(!hasCurl)("the curl examples, with the files bins.mjs writes, answer what their comments say", async () => {
    await node("bins.mjs");
    expect(existsSync(join(app, "initial.bin")) && existsSync(join(app, "change.bin"))).toBe(true);
    const examples = blocks.find((block) => block.lang === "sh" && block.code.startsWith("A='Authorization"));
    const commands = logicalLines(localize(examples!.code));
    // Each command's output follows a marker line, so it can be matched with its comment.
    const marked = commands.map((command, i) => `printf '\\n@@${i}\\n'\n${command.text}`).join("\n");
    const { stdout } = await run("bash", ["-c", marked], { cwd: app, env: cleanEnv(), timeout: 60_000 });
    const outputs = stdout.split(/\n@@\d+\n/).slice(1);
    expect(outputs).toHaveLength(commands.length);
    const checked = commands.filter((command) => command.expected !== null);
    expect(checked.length).toBeGreaterThanOrEqual(10);
    for (const [i, command] of commands.entries()) {
      if (command.expected === null) continue;
      expect(outputs[i].trim(), command.text).toMatch(command.expected);
    }
    // The DELETE at the end, a newcomer's last step, leaves no error in the server's log.
    expect(server!.output()).not.toMatch(/Uncaught|\[ERROR\]/);
  });
});

/**
 * The commands of a shell block, continuation lines joined, each with the pattern its trailing
 * comment gives (`...` stands for anything; prose before the first `{` is dropped), or null.
 */
function logicalLines(code: string): Array<{ text: string; expected: RegExp | null }> {
  const joined = code.replace(/\\\n\s*/g, "");
  return joined
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.trim().startsWith("#"))
    .map((line) => {
      const comment = line.match(/\s#\s(.*)$/);
      if (!comment) return { text: line, expected: null };
      const text = line.slice(0, comment.index);
      const shown = comment[1].includes("{") ? comment[1].slice(comment[1].indexOf("{")) : comment[1];
      const pattern = shown.split("...").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*");
      return { text, expected: new RegExp(`^${pattern}$`) };
    });
}

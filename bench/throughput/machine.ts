// What a result was measured on: the machine, the runtimes, and the code (commit, dirty or not).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  wrangler: string;
  workerd: string;
  commit: string;
  branch: string;
  /** Uncommitted changes, other than earlier results, when the run started. */
  dirty: boolean;
  /** Their `git status --porcelain` lines (absent in records from before they were kept). */
  changes?: string[];
}

const packageVersion = (name: string) => {
  try {
    return (JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "not installed";
  }
};

const git = (...args: string[]) => {
  try {
    return execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
  } catch {
    return "";
  }
};

export function machineFacts(): Machine {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const changes = git("status", "--porcelain").split("\n").filter((line) => line && !/bench\/(results\/|charts\/|RESULTS\.md)/.test(line));
  return {
    cores: cpus().length,
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    wrangler: packageVersion("wrangler"),
    workerd: packageVersion("workerd"),
    commit: git("rev-parse", "--short", "HEAD") || "unknown",
    branch: git("rev-parse", "--abbrev-ref", "HEAD") || "unknown",
    dirty: changes.length > 0,
    changes,
  };
}

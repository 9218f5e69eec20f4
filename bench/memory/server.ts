// Quire under a real `wrangler dev` (test/helpers/wranglerDev.ts), with its processes told apart:
// wrangler's Node process, the workerd that runs wrangler's proxy and inspector proxy, and the
// workerd that runs the Worker (with D1, R2 and the local observability store). Also finds the
// inspector and the Worker's own port.
import { readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { mintToken } from "../../test/helpers/tokens.ts";
import { startWranglerDev, type WranglerDev } from "../../test/helpers/wranglerDev.ts";
import { cpuOf, groupMembers, groupOf, listenerOf, portsOf, rssOf } from "../throughput/procfs.ts";
import { Inspector, inspectorUrlAt, serviceInspectorUrlAt } from "./inspector.ts";

/** wrangler dev's local observability store (on unless X_LOCAL_OBSERVABILITY=false): its own isolate. */
const COLLECTOR_ID = "core:user:miniflare-observability-collector";

export type Role = "wrangler" | "proxy-workerd" | "worker-workerd";

export interface ProcessSample {
  role: Role;
  pid: number;
  rssBytes: number;
  /** Anonymous (heap) part of RSS; the rest maps files (binaries, SQLite). */
  anonBytes: number;
  cpuSeconds: number;
  /** Open descriptors on Durable Object SQLite files (database, WAL, shared memory). */
  sqliteFiles: number;
}

export interface QuireServer {
  dev: WranglerDev;
  /** ws://127.0.0.1:PORT of the port clients connect to (wrangler's, or the Worker's own). */
  wsBase: string;
  /** The Worker's own workerd port, skipping wrangler's proxy. */
  directUrl: string;
  inspector: Inspector;
  /** The local observability collector's isolate, when it runs. */
  collector: Inspector | null;
  /** A request to the Worker, so the isolate runs queued tasks (a forced GC, a snapshot). */
  poke(): Promise<unknown>;
  token(docName: string): Promise<string>;
  processes(): ProcessSample[];
  /** Bytes on disk under the persistence directory, by top-level kind (do, d1, r2, observability...). */
  diskBytes(): Record<string, number>;
  stop(): Promise<void>;
}

function anonOf(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("RssAnon:"));
    return line ? Number(line.split(/\s+/)[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function sqliteFilesOf(pid: number): number {
  let count = 0;
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (/\/do\/.*\.sqlite(-wal|-shm)?$/.test(readlinkSync(`/proc/${pid}/fd/${fd}`))) count += 1;
      } catch {
        // Closed meanwhile.
      }
    }
  } catch {
    // Gone.
  }
  return count;
}

function duBytes(path: string): number {
  let total = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) total += duBytes(full);
    else if (entry.isFile()) total += statSync(full).size;
  }
  return total;
}

/**
 * Starts wrangler dev (the project's wrangler.jsonc unless `config` names another); `via` picks the
 * port clients use: wrangler's proxy or the Worker's workerd.
 */
export async function startQuire(via: "direct" | "wrangler", config?: string): Promise<QuireServer> {
  const dev = await startWranglerDev({ config });
  try {
    const proxyPid = listenerOf(Number(new URL(dev.url).port));
    if (proxyPid === null) throw new Error("no process listens on wrangler's port");
    const members = () => groupMembers(groupOf(proxyPid));
    const roles = new Map<number, Role>();
    let direct: number | null = null;
    let inspectorUrl: string | null = null;
    let collectorUrl: string | null = null;
    for (const member of members()) {
      if (member.comm === "node") roles.set(member.pid, "wrangler");
      if (member.comm !== "workerd") continue;
      roles.set(member.pid, member.pid === proxyPid ? "proxy-workerd" : "worker-workerd");
      for (const port of portsOf(member.pid)) {
        inspectorUrl ??= await inspectorUrlAt(port);
        collectorUrl ??= await serviceInspectorUrlAt(port, COLLECTOR_ID);
        if (member.pid === proxyPid || direct !== null) continue;
        const body = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) }).then((r) => (r.ok ? r.text() : ""), () => "");
        if (body.includes('"ok":true')) direct = port;
      }
    }
    if (inspectorUrl === null) throw new Error("wrangler's inspector port was not found");
    if (direct === null) throw new Error("the Worker's own workerd port was not found");
    const inspector = await Inspector.connect(inspectorUrl);
    const collector = collectorUrl === null ? null : await Inspector.connect(collectorUrl);
    const directUrl = `http://127.0.0.1:${direct}`;
    const tokens = new Map<string, string>();
    return {
      dev,
      directUrl,
      wsBase: (via === "direct" ? directUrl : dev.url).replace(/^http/, "ws"),
      inspector,
      collector,
      poke: () => fetch(`${directUrl}/health`).then((r) => r.text()),
      async token(docName) {
        let value = tokens.get(docName);
        if (!value) {
          value = (await mintToken(directUrl, docName, "write", { userId: "bench", ttlSeconds: 24 * 3600 })).token;
          tokens.set(docName, value);
        }
        return value;
      },
      processes: () =>
        [...roles].map(([pid, role]) => ({ role, pid, rssBytes: rssOf(pid), anonBytes: anonOf(pid), cpuSeconds: cpuOf(pid), sqliteFiles: role === "worker-workerd" ? sqliteFilesOf(pid) : 0 })),
      diskBytes() {
        const sizes: Record<string, number> = {};
        const root = join(dev.persistTo, "v3");
        try {
          for (const entry of readdirSync(root, { withFileTypes: true })) if (entry.isDirectory()) sizes[entry.name] = duBytes(join(root, entry.name));
        } catch {
          // Nothing persisted yet.
        }
        return sizes;
      },
      async stop() {
        inspector.close();
        collector?.close();
        await dev.destroy();
      },
    };
  } catch (error) {
    await dev.destroy();
    throw error;
  }
}

/** Sums process samples by role. */
export function byRole(samples: ProcessSample[]): Record<Role, { rssBytes: number; anonBytes: number; cpuSeconds: number }> {
  const out = {} as Record<Role, { rssBytes: number; anonBytes: number; cpuSeconds: number }>;
  for (const s of samples) {
    const r = (out[s.role] ??= { rssBytes: 0, anonBytes: 0, cpuSeconds: 0 });
    r.rssBytes += s.rssBytes;
    r.anonBytes += s.anonBytes;
    r.cpuSeconds += s.cpuSeconds;
  }
  return out;
}

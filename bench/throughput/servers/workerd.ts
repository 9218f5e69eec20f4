// A Worker under a real `wrangler dev` (test/helpers/wranglerDev.ts), seen as a benchmark server:
// wrangler's port (its proxy Worker forwards every frame to the Worker's own workerd, as every
// local client connects), the Worker's own workerd port (as close as this machine gets to
// production's path), and the workerd processes' memory and CPU.
import { startWranglerDev, type WranglerDev } from "../../../test/helpers/wranglerDev.ts";
import { cpuOf, groupMembers, groupOf, listenerOf, portsOf, rssOf } from "../procfs.ts";
import type { Memory } from "../targets.ts";

export interface WorkerdServer {
  dev: WranglerDev;
  /** ws://127.0.0.1:PORT of the Worker's own workerd, or null when it was not found. */
  directWsBase: string | null;
  memory(): Memory;
  cpuSeconds(): number;
}

/** Starts `wrangler dev` on `config` (default: the project's) and finds the Worker's own port: the one that answers `healthPath`. */
export async function startWorkerd(config?: string, healthPath = "/health"): Promise<WorkerdServer> {
  const dev = await startWranglerDev({ config });
  const proxy = listenerOf(Number(new URL(dev.url).port));
  const group = proxy === null ? null : groupOf(proxy);
  const workerd = () => (group === null ? [] : groupMembers(group).filter((m) => m.comm.includes("workerd")));
  const memory = (): Memory => {
    const sizes = workerd().map((m) => rssOf(m.pid));
    if (sizes.length === 0) return { serverBytes: 0, covers: "workerd not found" };
    const each = sizes.map((b) => (b / 1024 / 1024).toFixed(0)).join(" + ");
    return { serverBytes: sizes.reduce((n, b) => n + b, 0), covers: `workerd processes (${each} MiB); wrangler's Node process not counted` };
  };
  const direct = await directPort(workerd().map((m) => m.pid).filter((pid) => pid !== proxy), healthPath);
  return {
    dev,
    directWsBase: direct === null ? null : `ws://127.0.0.1:${direct}`,
    memory,
    cpuSeconds: () => workerd().reduce((n, m) => n + cpuOf(m.pid), 0),
  };
}

/** Like `startWorkerd`, for a server whose clients must reach the Worker's own workerd: fails (and stops it) if that port is not found. */
export async function startWorkerdDirect(config: string): Promise<WorkerdServer & { directWsBase: string }> {
  const server = await startWorkerd(config);
  const direct = server.directWsBase;
  if (direct === null) {
    await server.dev.destroy();
    throw new Error("the Worker's own workerd port was not found");
  }
  return { ...server, directWsBase: direct };
}

/** The port of the Worker's own workerd: the one of its listening ports that answers `healthPath`. */
async function directPort(candidates: number[], healthPath: string): Promise<number | null> {
  for (const pid of candidates) {
    for (const port of portsOf(pid)) {
      const body = await fetch(`http://127.0.0.1:${port}${healthPath}`, { signal: AbortSignal.timeout(2000) }).then((r) => (r.ok ? r.text() : ""), () => "");
      if (body.includes('"ok":true')) return port;
    }
  }
  return null;
}

// Quire's own work per update as the document's history grows, inside workerd: the B4 trace in
// slices, each slice sent to the same document's room in one event (bench/perUpdate/worker.ts,
// `step/room`: decode, validate, apply, append, bookkeeping, relay encoding; no sockets, one commit
// per slice). Without the runtime's per-message costs, a cost that grows with history is Quire's.
import { join } from "node:path";
import * as encoding from "lib0/encoding";
import { startWranglerDev } from "../../test/helpers/wranglerDev.ts";
import { FrameCodec } from "../throughput/client.ts";
import { cpuOf, groupMembers, groupOf, listenerOf } from "../throughput/procfs.ts";
import type { ReplayUpdates } from "../throughput/trace.ts";

export interface SlopeSlice {
  through: number;
  /** Wall time per update of the slice's one request, microseconds. */
  wallMicros: number;
  /** workerd (Worker) CPU per update, microseconds. */
  cpuMicros: number;
}

export async function slope(trace: ReplayUpdates, slices: number): Promise<SlopeSlice[]> {
  const codec = new FrameCodec("y-websocket", "slope");
  const n = trace.updates.length;
  const bounds = Array.from({ length: slices + 1 }, (_, i) => Math.round((i * n) / slices));
  const batches = bounds.slice(1).map((to, i) => {
    const encoder = encoding.createEncoder();
    for (const update of trace.updates.slice(bounds[i], to)) encoding.writeVarUint8Array(encoder, codec.update(update));
    return encoding.toUint8Array(encoder);
  });
  const dev = await startWranglerDev({ config: join(import.meta.dirname, "..", "perUpdate", "wrangler.jsonc") });
  try {
    const proxy = listenerOf(Number(new URL(dev.url).port));
    const pids = proxy === null ? [] : groupMembers(groupOf(proxy)).filter((m) => m.comm === "workerd" && m.pid !== proxy).map((m) => m.pid);
    const cpu = () => pids.reduce((total, pid) => total + cpuOf(pid), 0);
    const doc = `${dev.url}/bench/slope-${Date.now().toString(36)}`;
    const warm = await fetch(`${doc}/step/baseline`, { method: "POST", body: new Uint8Array(0) });
    if (!warm.ok) throw new Error(`slope: ${warm.status} ${await warm.text()}`);
    const result: SlopeSlice[] = [];
    for (const [i, batch] of batches.entries()) {
      const count = bounds[i + 1] - bounds[i];
      const [c0, t0] = [cpu(), performance.now()];
      const response = await fetch(`${doc}/step/room`, { method: "POST", body: batch });
      if (!response.ok) throw new Error(`slope: ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
      result.push({ through: bounds[i + 1], wallMicros: ((performance.now() - t0) * 1000) / count, cpuMicros: ((cpu() - c0) * 1e6) / count });
    }
    return result;
  } finally {
    await dev.destroy();
  }
}

// A Chrome DevTools Protocol client for the Worker's isolate, through the inspector port wrangler
// dev opens (`--inspector-port`): heap usage after a forced GC, and heap snapshots.
import { WebSocket } from "ws";

export interface HeapUsage {
  /** V8 heap in use, bytes. */
  usedSize: number;
  /** V8 heap reserved, bytes. */
  totalSize: number;
  /** Memory the embedder (workerd) reports as held for the heap's objects, bytes. */
  embedderHeapUsedSize: number;
  /** ArrayBuffer backing stores (outside the V8 heap, owned by JS objects), bytes. */
  backingStorageSize: number;
}

interface Reply {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: unknown;
  error?: { message: string };
}

/**
 * The inspector listing of a wrangler dev inspector port, if `port` is one: wrangler's own proxy
 * answers `/json` with one entry whose socket is `/ws`. (workerd's own inspector lists one entry per
 * service, but accepts only the one session wrangler's proxy already holds.)
 */
export async function inspectorUrlAt(port: number): Promise<string | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/json`, { signal: AbortSignal.timeout(2000) });
    if (!response.ok) return null;
    const list = (await response.json()) as { webSocketDebuggerUrl?: string; description?: string }[];
    const entry = Array.isArray(list) ? list.find((e) => e.webSocketDebuggerUrl?.endsWith("/ws")) : undefined;
    return entry?.webSocketDebuggerUrl ?? null;
  } catch {
    return null;
  }
}

/**
 * A service's own inspector socket on workerd's inspector port (one entry per service in `/json`),
 * for services no one else debugs, such as wrangler's local observability collector.
 */
export async function serviceInspectorUrlAt(port: number, id: string): Promise<string | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/json`, { signal: AbortSignal.timeout(2000) });
    if (!response.ok) return null;
    const list = (await response.json()) as { id?: string; webSocketDebuggerUrl?: string }[];
    return (Array.isArray(list) ? list.find((e) => e.id === id)?.webSocketDebuggerUrl : undefined) ?? null;
  } catch {
    return null;
  }
}

/** One CDP session on the user Worker's isolate. */
export class Inspector {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly listeners = new Map<string, (params: Record<string, unknown>) => void>();

  private readonly ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on("message", (data: Buffer) => this.receive(JSON.parse(data.toString()) as Reply));
    ws.on("close", () => {
      for (const { reject } of this.pending.values()) reject(new Error("inspector connection closed"));
      this.pending.clear();
    });
  }

  static async connect(url: string): Promise<Inspector> {
    // No Origin header: wrangler's proxy accepts a tool (any User-Agent) connecting from loopback.
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1 << 30 });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return new Inspector(ws);
  }

  private receive(message: Reply): void {
    if (message.id !== undefined && this.pending.has(message.id)) {
      const { resolve, reject } = this.pending.get(message.id)!;
      this.pending.delete(message.id);
      if (message.error) reject(new Error(`CDP: ${message.error.message}`));
      else resolve(message.result);
      return;
    }
    if (message.method) this.listeners.get(message.method)?.(message.params ?? {});
  }

  call<T>(method: string, params: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`CDP ${method}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => (clearTimeout(timer), resolve(value as T)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  heapUsage(): Promise<HeapUsage> {
    return this.call<HeapUsage>("Runtime.getHeapUsage");
  }

  /**
   * A full, precise GC. V8 runs it as a task on the isolate's thread, and workerd runs such tasks
   * only when the isolate gets an event, so `poke` (a request to the Worker) is repeated until the
   * collection is done.
   */
  async collectGarbage(poke: () => Promise<unknown>, timeoutMs = 60_000): Promise<void> {
    let done = false;
    const gc = this.call("HeapProfiler.collectGarbage", {}, timeoutMs).finally(() => (done = true));
    while (!done) {
      await poke().catch(() => undefined);
      await Promise.race([gc.catch(() => undefined), sleep(100)]);
    }
    await gc;
  }

  /** Heap usage after two forced GCs (the second frees what the first only finalized). */
  async heapAfterGc(poke: () => Promise<unknown>): Promise<HeapUsage> {
    await this.collectGarbage(poke);
    await this.collectGarbage(poke);
    return this.heapUsage();
  }

  /** A heap snapshot as its JSON text (V8 collects garbage before taking it). */
  async heapSnapshot(poke: () => Promise<unknown>): Promise<string> {
    const chunks: string[] = [];
    this.listeners.set("HeapProfiler.addHeapSnapshotChunk", (params) => chunks.push(params.chunk as string));
    try {
      await this.call("HeapProfiler.enable");
      let done = false;
      const taken = this.call("HeapProfiler.takeHeapSnapshot", { reportProgress: false }, 600_000).finally(() => (done = true));
      while (!done) {
        await poke().catch(() => undefined);
        await Promise.race([taken.catch(() => undefined), sleep(250)]);
      }
      await taken;
      return chunks.join("");
    } finally {
      this.listeners.delete("HeapProfiler.addHeapSnapshotChunk");
      await this.call("HeapProfiler.disable").catch(() => undefined);
    }
  }

  close(): void {
    this.ws.close();
  }
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

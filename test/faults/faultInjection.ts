// Fault injection for the workerd fault tests: R2 and D1 bindings that fail while an outage is on,
// installed into one document object, and writers that stream batched edits with acks.
import { runInDurableObject } from "cloudflare:test";
import * as Y from "yjs";
import type { DocumentObject } from "../../src/document/DocumentObject";
import { encodeAckRequest, encodeSyncStep2 } from "../../src/protocol/messages";
import { RawClient, stubFor, tokenFor } from "../helpers/workerClient";

/** Every fault injected in this test run, by kind, printed by the tests that inject them. */
export const injectedFaults: Record<string, number> = {};

/** A dependency that fails every call while `down`; counts the calls it failed. */
export class Outage {
  down = false;
  injected = 0;

  constructor(readonly name: string) {}

  /** Throws the outage's error if it is on. */
  check(operation: string): void {
    if (!this.down) return;
    this.injected++;
    injectedFaults[this.name] = (injectedFaults[this.name] ?? 0) + 1;
    throw new Error(`${this.name} is unreachable (injected fault: ${operation})`);
  }
}

/** An R2 bucket whose every operation rejects while the outage is on. */
export function flakyBucket(bucket: R2Bucket, outage: Outage): R2Bucket {
  return new Proxy(bucket, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        outage.check(`R2 ${String(property)}`);
        return value.apply(target, args);
      };
    },
  });
}

/** A D1 database whose statements and batches reject while the outage is on. */
export function flakyDatabase(db: D1Database, outage: Outage): D1Database {
  const statement = (real: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(real, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (typeof value !== "function") return value;
        if (property === "bind") return (...args: unknown[]) => statement(value.apply(target, args));
        return async (...args: unknown[]) => {
          outage.check(`D1 ${String(property)}`);
          return value.apply(target, args);
        };
      },
    });
  return new Proxy(db, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      if (property === "prepare") return (sql: string) => statement(value.call(target, sql));
      return async (...args: unknown[]) => {
        outage.check(`D1 ${String(property)}`);
        return value.apply(target, args);
      };
    },
  });
}

interface Internals {
  compactor: { archive: { bucket: R2Bucket } };
  indexSync: { host: { db: D1Database } };
}

/** Puts flaky R2 and D1 bindings into the document's running object (until it is evicted). */
export function injectOutages(docId: string, outages: { r2?: Outage; d1?: Outage }): Promise<void> {
  return runInDurableObject(stubFor(docId), (object: DocumentObject) => {
    object.rememberDocId(docId);
    const internals = object as unknown as Internals;
    if (outages.r2) internals.compactor.archive.bucket = flakyBucket(internals.compactor.archive.bucket, outages.r2);
    if (outages.d1) internals.indexSync.host.db = flakyDatabase(internals.indexSync.host.db, outages.d1);
  });
}

/**
 * Makes every commit of the document's running object take `ms` longer to be reported durable, as
 * on a loaded machine or with replicated storage, so updates arrive while a commit is in flight and
 * the group commit batches them (the test runtime's commits are otherwise near-instant).
 */
export function slowCommits(docId: string, ms: number): Promise<void> {
  return runInDurableObject(stubFor(docId), (object: DocumentObject) => {
    const real = object.durable.bind(object);
    object.durable = () => real().then(() => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  });
}

/**
 * A client that appends numbered edits to its own root text and asks for an ack after each burst,
 * so several updates arrive during one commit and the group commit batches them.
 */
export class Writer {
  readonly doc = new Y.Doc();
  readonly text: Y.Text;
  /** Edits the server acknowledged as stored. */
  saved = 0;
  typed = 0;
  closes: number[] = [];
  private seq = 0;

  private constructor(
    readonly docId: string,
    readonly name: string,
    public client: RawClient,
  ) {
    this.text = this.doc.getText(name);
    this.watch(client);
  }

  static async connect(docId: string, name: string): Promise<Writer> {
    const writer = new Writer(docId, name, await RawClient.connect(docId, { ext: "ack", token: await tokenFor(docId, "write", name) }));
    await writer.client.waitFor("sync-step1", () => true, 30_000);
    return writer;
  }

  get open(): boolean {
    return this.client.ws.readyState === WebSocket.OPEN && this.closes.length === 0;
  }

  /** Types `count` edits, one update each, then asks for an ack; resolves once it arrives. */
  async burst(count: number, timeoutMs = 30_000): Promise<void> {
    for (let i = 0; i < count; i++) this.type();
    await this.ack(timeoutMs);
  }

  /** Types `count` edits without waiting for anything. */
  typeMany(count: number): void {
    for (let i = 0; i < count; i++) this.type();
  }

  /** Asks for an ack and waits for it; every edit typed before it is then saved. */
  async ack(timeoutMs = 30_000): Promise<void> {
    const seq = ++this.seq;
    const typed = this.typed;
    const client = this.client;
    client.send(encodeAckRequest(seq));
    // A socket's close event comes after every message sent on it, so a close first means no ack.
    const closed = client.closed.then(({ code }) => {
      if (!client.messages.some((m) => m.type === "ack" && m.seq === seq)) throw new Error(`${this.name}: closed with ${code} before ack ${seq}`);
    });
    await Promise.race([client.waitFor("ack", (m) => m.seq === seq, timeoutMs), closed]);
    this.saved = Math.max(this.saved, typed);
  }

  /** Reconnects as a provider does: answers the server's sync step 1 with what it lacks, then asks for an ack. */
  async reconnect(): Promise<void> {
    this.client = await RawClient.connect(this.docId, { ext: "ack", token: await tokenFor(this.docId, "write", this.name) });
    this.closes = [];
    this.watch(this.client);
    const step1 = await this.client.waitFor("sync-step1", () => true, 30_000);
    this.client.send(encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, step1.stateVector)));
    await this.ack();
  }

  /** The edits typed so far, as `[name:eN]` tokens. */
  expectedText(count = this.typed): string {
    return Array.from({ length: count }, (_, i) => `[${this.name}:e${i}]`).join("");
  }

  private type(): void {
    let update: Uint8Array | null = null;
    this.doc.once("update", (u: Uint8Array) => (update = u));
    this.text.insert(this.text.length, `[${this.name}:e${this.typed++}]`);
    this.client.sendUpdate(update!);
  }

  private watch(client: RawClient): void {
    void client.closed.then(({ code }) => {
      if (client === this.client) this.closes.push(code);
    });
  }
}

/** Polls `check` until it returns true, failing with `what` after `timeoutMs`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

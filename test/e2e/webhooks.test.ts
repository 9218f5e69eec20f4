// Change events against a real `wrangler dev` (its local queues) and a real HTTP receiver:
// signed delivery checked with the README's snippet, retries, dead-lettering, a burst of edits.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { mintToken } from "../helpers/tokens";
import { DEV_SECRETS, startWranglerDev, type WranglerDev } from "../helpers/wranglerDev";
import { connectStockClient, synced, waitFor, type StockClient } from "./stockClient";
import { type ReceivedRequest, startWebhookReceiver, type WebhookReceiver } from "./webhookReceiver";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** Fast retries, so retry and dead-letter tests take seconds; the debounce keeps its default. */
const VARS = { WEBHOOK_MAX_ATTEMPTS: "3", WEBHOOK_RETRY_BASE_SECONDS: "1", WEBHOOK_RETRY_MAX_SECONDS: "2", WEBHOOK_TIMEOUT_SECONDS: "5" };
const DEBOUNCE_MS = 5_000;

type Verify = (rawBody: string, header: unknown, secret: string, toleranceSeconds?: number) => boolean;

let server: WranglerDev;
let receiver: WebhookReceiver;
let verifyQuireSignature: Verify;
let clients: StockClient[] = [];
let webhookIds: string[] = [];
let docCount = 0;

/** The README's verification snippet, imported as it is printed there. */
async function readmeVerifier(): Promise<Verify> {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const block = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map(([, code]) => code).find((code) => code.includes("export function verifyQuireSignature"));
  if (!block) throw new Error("README.md has no verifyQuireSignature snippet");
  const dir = mkdtempSync(join(tmpdir(), "quire-readme-"));
  const file = join(dir, "verify.mjs");
  writeFileSync(file, block);
  try {
    return (await import(pathToFileURL(file).href)).verifyQuireSignature as Verify;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  verifyQuireSignature = await readmeVerifier();
  receiver = await startWebhookReceiver();
  server = await startWranglerDev({ vars: VARS });
});
afterAll(async () => {
  await server?.destroy();
  await receiver?.close();
});
afterEach(async () => {
  for (const client of clients) client.destroy();
  clients = [];
  for (const id of webhookIds) await api("DELETE", `/v1/webhooks/${id}`);
  webhookIds = [];
});

const newDocId = () => `e2e-events-${Date.now()}-${++docCount}`;

async function api(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${DEV_SECRETS.ADMIN_TOKEN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function createWebhook(path: string, events?: string[]): Promise<{ id: string; secret: string }> {
  const response = await api("POST", "/v1/webhooks", { url: `${receiver.url}${path}`, ...(events ? { events } : {}) });
  if (response.status !== 201) throw new Error(`creating the webhook failed: ${response.status} ${await response.text()}`);
  const webhook = (await response.json()) as { id: string; secret: string };
  webhookIds.push(webhook.id);
  return webhook;
}

async function connect(docId: string, userId: string): Promise<StockClient> {
  const { token } = await mintToken(server.url, docId, "write", { userId });
  const client = connectStockClient(server.wsUrl, docId, token);
  clients.push(client);
  await synced(client);
  return client;
}

const received = (path: string, docId: string, type?: string): ReceivedRequest[] =>
  receiver.requests.filter((r) => r.path === path && r.event.docId === docId && (!type || r.event.type === type));

async function deliveries(webhookId: string): Promise<Array<{ eventId: string; attempt: number; status: number | null; outcome: string }>> {
  const response = await api("GET", `/v1/webhooks/${webhookId}/deliveries?limit=100`);
  return ((await response.json()) as { deliveries: Array<{ eventId: string; attempt: number; status: number | null; outcome: string }> }).deliveries;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

describe("change events through the local queue to a webhook", () => {
  test("an edit is delivered as a signed document.updated within seconds, verified with the README's snippet", async () => {
    const hook = await createWebhook("/signed", ["document.updated"]);
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const docId = newDocId();
      const client = await connect(docId, "ada");
      const editedAt = Date.now();
      client.text.insert(0, `hello ${i}`);
      await waitFor("the document.updated delivery", () => received("/signed", docId, "document.updated").length > 0, 20_000);
      const [delivery] = received("/signed", docId, "document.updated");
      latencies.push(delivery.receivedAt - editedAt);

      expect(verifyQuireSignature(delivery.rawBody, delivery.headers["quire-signature"], hook.secret)).toBe(true);
      expect(verifyQuireSignature(delivery.rawBody, delivery.headers["quire-signature"], "not-the-secret")).toBe(false);
      expect(verifyQuireSignature(delivery.rawBody.replace("ada", "eve"), delivery.headers["quire-signature"], hook.secret)).toBe(false);
      expect(delivery.headers["quire-event-id"]).toBe(delivery.event.id);
      expect(delivery.headers["quire-event-type"]).toBe("document.updated");
      expect(delivery.headers["content-type"]).toBe("application/json");
      expect(delivery.event).toMatchObject({ type: "document.updated", docId, seq: 1, lastEditor: "ada" });
      expect(delivery.event.sizeBytes).toBeGreaterThan(5);
      client.destroy();
    }
    // The webhook asked for document.updated only.
    expect(receiver.requests.filter((r) => r.path === "/signed").every((r) => r.event.type === "document.updated")).toBe(true);
    console.log(`[events] edit to webhook receipt (wrangler dev, local queue): median ${median(latencies)} ms, max ${Math.max(...latencies)} ms, samples ${latencies.join(", ")}`);
    expect(Math.max(...latencies)).toBeLessThan(10_000);
  });

  test("a delivery answered with 500 is retried with the same event id and body until it succeeds", async () => {
    receiver.script("/flaky", [500, 200]);
    const hook = await createWebhook("/flaky", ["document.updated"]);
    const docId = newDocId();
    const client = await connect(docId, "bob");
    client.text.insert(0, "retry me");
    await waitFor("the retried delivery", () => received("/flaky", docId).length >= 2, 30_000);
    const [first, second] = received("/flaky", docId);
    expect([first.answeredWith, second.answeredWith]).toEqual([500, 200]);
    expect(second.headers["quire-event-id"]).toBe(first.headers["quire-event-id"]);
    expect(second.rawBody).toBe(first.rawBody);
    expect([first.headers["quire-delivery-attempt"], second.headers["quire-delivery-attempt"]]).toEqual(["1", "2"]);
    expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(1000); // WEBHOOK_RETRY_BASE_SECONDS
    expect(verifyQuireSignature(second.rawBody, second.headers["quire-signature"], hook.secret)).toBe(true);
    await expect.poll(async () => (await deliveries(hook.id)).filter((d) => d.eventId === first.event.id).map((d) => [d.attempt, d.status, d.outcome])).toEqual([
      [2, 200, "delivered"],
      [1, 500, "retrying"],
    ]);
  });

  test("a delivery that keeps failing is dead-lettered after WEBHOOK_MAX_ATTEMPTS and not tried again", async () => {
    receiver.script("/down", [503]);
    const hook = await createWebhook("/down", ["document.updated"]);
    const docId = newDocId();
    const client = await connect(docId, "carol");
    client.text.insert(0, "nobody hears this");
    await expect
      .poll(async () => (await deliveries(hook.id)).map((d) => [d.attempt, d.status, d.outcome]), { timeout: 30_000, interval: 500 })
      .toEqual([
        [3, 503, "dead_lettered"],
        [2, 503, "retrying"],
        [1, 503, "retrying"],
      ]);
    const [deadEvent] = received("/down", docId);
    expect(received("/down", docId).map((r) => r.headers["quire-delivery-attempt"])).toEqual(["1", "2", "3"]);
    expect(server.output()).toContain("delivery dead-lettered");

    // Control: the receiver recovers and the next edit's event (due a debounce period later, longer
    // than any retry delay here) arrives; the dead-lettered one never came back.
    receiver.script("/down", [200]);
    client.text.insert(0, "back again ");
    await waitFor("the next event", () => received("/down", docId).some((r) => r.event.id !== deadEvent.event.id), 30_000);
    expect(received("/down", docId).filter((r) => r.event.id === deadEvent.event.id)).toHaveLength(3);
  });

  test("a burst of 1,000 edits gives at most one document.updated per debounce period, the last reporting the final state", async () => {
    await createWebhook("/burst");
    const docId = newDocId();
    const client = await connect(docId, "dave");
    const started = Date.now();
    for (let i = 0; i < 1000; i++) client.text.insert(client.text.length, "x");
    const text = client.text.toString();
    await expect.poll(async () => ((await (await api("GET", `/v1/docs/${docId}/json`)).json()) as { text?: string }).text, { timeout: 60_000, interval: 250 }).toBe(text);
    const burstMs = Date.now() - started;
    const detail = (await (await api("GET", `/v1/docs/${docId}`)).json()) as { updateCount: number; latestSnapshotSeq: number | null };
    const lastSeq = (detail.latestSnapshotSeq ?? 0) + detail.updateCount;
    await waitFor("the event reporting the last edit", () => received("/burst", docId, "document.updated").some((r) => r.event.seq === lastSeq), 2 * DEBOUNCE_MS + 10_000);

    const updates = received("/burst", docId, "document.updated");
    const all = received("/burst", docId);
    for (let i = 1; i < updates.length; i++) expect(updates[i].receivedAt - updates[i - 1].receivedAt).toBeGreaterThan(DEBOUNCE_MS - 1500);
    expect(updates.length).toBeLessThanOrEqual(Math.ceil(burstMs / DEBOUNCE_MS) + 2);
    expect(new Set(all.map((r) => r.event.id)).size).toBe(all.length);
    console.log(
      `[events] a burst of 1,000 edits from one stock client (stored in ${lastSeq} group-commit batches over ${burstMs} ms) gave ${all.length} queue messages: ` +
        `${updates.length} document.updated, ${received("/burst", docId, "document.created").length} document.created`,
    );
  });
});

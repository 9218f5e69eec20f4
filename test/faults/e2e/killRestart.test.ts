// Crash durability: `wrangler dev` is killed with SIGKILL (the whole process group, no graceful
// shutdown) at random moments while a Quire SDK client streams edits and awaits `whenSaved()`, and
// restarted on the same state, for several rounds with compaction running. Every edit the SDK
// reported saved before a kill must be on the server after the restart, once and in order.
//
// The SDK resends whatever the server lacks when it reconnects, which would hide a lost edit, so
// after each restart the server is read by a fresh client *before* the SDK may reconnect: its
// token function waits behind a gate that opens only once that check is done.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { WebSocket } from "ws";
import * as Y from "yjs";
import { QuireProvider } from "../../../client/src/index";
import { signToken } from "../../../src/auth/tokens";
import { DEV_SECRETS, startWranglerDev, type WranglerDev } from "../../helpers/wranglerDev";
import { Gate, waitUntil } from "./faultTools";

const ROUNDS = Number(process.env.QUIRE_KILL_ROUNDS ?? 8);
/** Edits are appended this often, whether or not the server is up. */
const EDIT_EVERY_MS = 20;
/** A kill comes at a random moment this long after the SDK is back in sync. */
const KILL_AFTER_MS = { min: 20, max: 4000 };
const TOKEN_PATTERN = /\[r\d+:e\d+\]/g;

let server: WranglerDev;

beforeAll(async () => {
  // Compaction after every 20 log rows (group commit makes a row per batch), so it runs, and is
  // interrupted, in most rounds; a failed or interrupted compaction is retried after a second.
  server = await startWranglerDev({ vars: { COMPACT_MAX_UPDATES: "20", COMPACT_QUIET_SECONDS: "1", COMPACT_RETRY_SECONDS: "1" } });
});
afterAll(async () => {
  await server?.destroy();
});

const tokenFor = async (docId: string, userId: string) =>
  (await signToken(DEV_SECRETS.AUTH_SECRET, { sub: userId, doc: docId, access: "write" }, 3600)).token;

/** The document's text as a fresh client reads it from the server. */
async function serverText(docId: string): Promise<string> {
  const reader = new QuireProvider({
    url: server.url,
    docId,
    doc: new Y.Doc(),
    token: () => tokenFor(docId, "reader"),
    WebSocketPolyfill: WebSocket,
    crossTab: false,
    backoff: { initialDelayMs: 100, maxDelayMs: 1000 },
  });
  try {
    await waitUntil("a fresh client to sync", () => reader.synced, 60_000);
    return reader.doc.getText("t").toString();
  } finally {
    reader.destroy();
  }
}

/** The numbered edits in a text, failing if anything else is in it. */
function editsIn(text: string): string[] {
  const edits = text.match(TOKEN_PATTERN) ?? [];
  expect(edits.join(""), "the text holds nothing but whole edits").toBe(text);
  return edits;
}

/** Every edit of `saved` is in `text` exactly once, and they come in the order they were made. */
function expectSavedEditsIntact(text: string, saved: readonly string[], sent: ReadonlyMap<string, number>): number {
  const present = editsIn(text);
  const positions = new Map<string, number>();
  present.forEach((edit, i) => {
    expect(positions.has(edit), `${edit} appears once`).toBe(false);
    positions.set(edit, i);
  });
  // Order: the server's edits follow the order they were typed in (one writer, appending).
  const order = present.map((edit) => sent.get(edit));
  expect(order.every((n, i) => n !== undefined && (i === 0 || n > order[i - 1]!)), "edits are in typing order").toBe(true);
  const lost = saved.filter((edit) => !positions.has(edit));
  expect(lost, "edits reported saved and missing on the server").toEqual([]);
  return lost.length;
}

describe("SIGKILL of wrangler dev while the SDK streams edits", () => {
  test(`every edit reported saved survives ${ROUNDS} kills, once and in order, with compaction running`, { timeout: ROUNDS * 120_000 + 120_000 }, async () => {
    const docId = `kill-${Date.now()}`;
    const gate = new Gate();
    const provider = new QuireProvider({
      url: server.url,
      docId,
      doc: new Y.Doc(),
      token: async () => {
        await gate.passed();
        return tokenFor(docId, "writer");
      },
      WebSocketPolyfill: WebSocket,
      crossTab: false,
      backoff: { initialDelayMs: 100, maxDelayMs: 1000 },
      heartbeat: { intervalMs: 2000, timeoutMs: 5000 },
    });
    const text = provider.doc.getText("t");
    const sent = new Map<string, number>(); // edit -> typing order
    const saved = new Set<string>();
    let round = 0;
    const type = () => {
      const edit = `[r${round}:e${sent.size}]`;
      sent.set(edit, sent.size);
      text.insert(text.length, edit);
      provider.whenSaved().then(
        () => saved.add(edit),
        () => {},
      );
    };
    const typing = setInterval(type, EDIT_EVERY_MS);
    const figures = { rounds: 0, killedWhileUnsaved: 0, savedBeforeKills: 0, lost: 0 };
    try {
      for (round = 1; round <= ROUNDS; round++) {
        await waitUntil(`round ${round}: the SDK back in sync`, () => provider.synced && provider.status === "connected", 120_000);
        await new Promise((resolve) => setTimeout(resolve, KILL_AFTER_MS.min + Math.random() * (KILL_AFTER_MS.max - KILL_AFTER_MS.min)));

        gate.close(); // no reconnect until the server has been checked
        await server.kill();
        // Acks the server sent before dying may still be in the client's receive buffer; the
        // close event comes after them, so the saved set is complete once the SDK sees the loss.
        await waitUntil(`round ${round}: the SDK to notice the kill`, () => provider.status !== "connected", 30_000);
        const savedBeforeKill = [...sent.keys()].filter((edit) => saved.has(edit));
        if (provider.hasUnsavedChanges) figures.killedWhileUnsaved++;

        await server.start();
        figures.lost += expectSavedEditsIntact(await serverText(docId), savedBeforeKill, sent);
        figures.savedBeforeKills = savedBeforeKill.length;
        figures.rounds++;
        gate.open();
      }

      await waitUntil("the SDK back in sync after the last restart", () => provider.synced && provider.status === "connected", 120_000);
      clearInterval(typing);
      await provider.whenSaved();
      const finalText = await serverText(docId);
      figures.lost += expectSavedEditsIntact(finalText, [...sent.keys()], sent);
      expect(finalText).toBe(text.toString());

      const snapshots = await fetch(`${server.url}/v1/docs/${docId}/snapshots`, { headers: { authorization: `Bearer ${DEV_SECRETS.ADMIN_TOKEN}` } });
      const history = (await snapshots.json()) as { snapshots: unknown[] };
      expect(history.snapshots.length, "compaction ran during the rounds").toBeGreaterThan(0);

      console.log(
        `[faults] kill rounds survived: ${figures.rounds}; edits sent: ${sent.size}; edits saved: ${saved.size} ` +
          `(${figures.savedBeforeKills} reported saved before the last kill); kills with unsaved edits in flight: ${figures.killedWhileUnsaved}; ` +
          `snapshots kept: ${history.snapshots.length}; saved edits lost: ${figures.lost}`,
      );
      expect(figures.rounds).toBe(ROUNDS);
      expect(figures.lost).toBe(0);
    } finally {
      clearInterval(typing);
      gate.open();
      provider.destroy();
    }
  });
});

// The fuzzing scenario, shared by the run inside workerd and the run against `wrangler dev`: a
// well-behaved editor and watcher stay connected while hostile sessions run in rounds; between
// rounds, at quiet points, the document is checked (text, snapshot, storage) and the connection
// limits are flooded once. Every check that fails is collected, and the figures printed, before
// the test asserts.
import { expect } from "vitest";
import * as Y from "yjs";
import { type FuzzWorld, Rng } from "./frames";
import type { FuzzLimits } from "./oracle";
import { FuzzRun, type SessionMix } from "./runner";
import { type Connect, type FuzzSocket, isRefusal } from "./transport";
import { Editor, EDITOR_ID, Watcher, WATCHER_ID } from "./wellBehaved";

/** The editor types this often all run long. */
const EDIT_EVERY_MS = 25;

export type Admin = (path: string, init?: RequestInit) => Promise<Response>;

export interface FuzzOptions {
  name: string;
  docId: string;
  connect: Connect;
  admin: Admin;
  limits: FuzzLimits;
  frames: number;
  seed: number;
  concurrency: number;
  checkpoints: number;
  mix: SessionMix;
  /** Reads the stored document the hard way (a cold load); returns its text "text" and what it checked. */
  storedText?: () => Promise<{ text: string; detail: string }>;
}

export interface FuzzFigures {
  frames: number;
  sessions: number;
  seconds: number;
  edits: number;
  connectionUpgrades: number;
  refusedUpgrades: number;
  mismatches: number;
  /** The editor's whole text, as the server must have it. */
  text: string;
}

/** Runs the scenario and asserts its outcome; returns the figures. */
export async function fuzzDocument(options: FuzzOptions): Promise<FuzzFigures> {
  const { docId, connect, admin, limits } = options;
  const startedAt = Date.now();
  const log = (line: string) => console.log(`[faults] ${options.name}: ${line}`);

  // A 64 KiB update the document holds from the start: update floods resend it as a duplicate.
  const floodDoc = new Y.Doc();
  floodDoc.getText("flood").insert(0, "f".repeat(64 * 1024));
  const floodPayload = Y.encodeStateAsUpdate(floodDoc);
  const created = await admin(`/v1/docs/${docId}`, { method: "PUT", body: floodPayload, headers: { "Content-Type": "application/octet-stream" } });
  expect(created.status).toBe(201);

  const editor = new Editor(connect);
  const watcher = new Watcher(connect);
  let known = { at: 0, state: new Map<number, number>() };
  const knownState = () => {
    if (Date.now() - known.at > 1000) known = { at: Date.now(), state: Y.decodeStateVector(Y.encodeStateVector(watcher.doc)) };
    return known.state;
  };
  const world: FuzzWorld = { limits, protectedIds: new Set([EDITOR_ID, WATCHER_ID]), floodPayload, knownState };
  const run = new FuzzRun(connect, world, new Rng(options.seed), options.mix);
  await editor.open();
  await watcher.open();
  editor.start(EDIT_EVERY_MS);

  const problems: string[] = [];
  const check = (what: string, ok: boolean) => ok || problems.push(what);
  const disconnected = () => editor.closedWith ?? watcher.closedWith;
  let upgrades = { attempts: 0, refused: 0 };

  for (let checkpoint = 1; checkpoint <= options.checkpoints && !disconnected(); checkpoint++) {
    await run.runUntil(Math.ceil((options.frames * checkpoint) / options.checkpoints), options.concurrency, () => disconnected() !== null);
    if (disconnected()) break;
    // A quiet point: everything the editor typed is acknowledged, and mirrored by the watcher.
    await editor.pause();
    await watcher.roundTrip();
    check(`checkpoint ${checkpoint}: the watcher's text is the editor's`, watcher.doc.getText("text").toString() === editor.expectedText());
    if (checkpoint === 2) upgrades = await connectionFlood(connect, admin, docId, limits, check);
    let detail = "";
    if (checkpoint % 2 === 1) detail += await compactAndRead(admin, docId, editor.expectedText(), check, checkpoint);
    const current = await readUpdate(admin, `/v1/docs/${docId}/update`);
    check(`checkpoint ${checkpoint}: the document (GET /update) decodes with the editor's text`, current === editor.expectedText());
    if (options.storedText) {
      const stored = await options.storedText();
      check(`checkpoint ${checkpoint}: the stored document loads with the editor's text`, stored.text === editor.expectedText());
      detail += `; ${stored.detail}`;
    }
    log(`checkpoint ${checkpoint}: ${run.frames} frames in ${run.sessions} sessions, ${Math.round((Date.now() - startedAt) / 1000)} s, ${editor.typed} edits, ${run.mismatches.length} mismatches${detail}`);
    editor.start(EDIT_EVERY_MS);
  }

  const closedWell = disconnected();
  if (!closedWell) {
    await editor.pause();
    await watcher.roundTrip();
  }
  // Forged presence for the editor's id was dropped: the watcher only ever heard the editor's own states.
  const forged = watcher.editorStates.filter((state) => !editor.presenceStates.has(state));
  const figures: FuzzFigures = {
    frames: run.frames,
    sessions: run.sessions,
    seconds: Math.round((Date.now() - startedAt) / 1000),
    edits: editor.typed,
    connectionUpgrades: upgrades.attempts,
    refusedUpgrades: upgrades.refused,
    mismatches: run.mismatches.length,
    text: editor.expectedText(),
  };
  const summary = run.summary();
  log(
    `frames fuzzed: ${figures.frames} in ${figures.sessions} hostile connections (seed ${options.seed}), ${figures.seconds} s; ` +
      `connection-limit upgrades: ${upgrades.attempts} (${upgrades.refused} refused); editor edits: ${figures.edits}; ` +
      `well-behaved disconnects: ${closedWell ? 1 : 0}; forged presence states relayed: ${forged.length}; sessions not ending as documented: ${figures.mismatches}`,
  );
  log(`sessions: ${summary.sessions}`);
  log(`endings (planned -> actual): ${summary.endings}`);
  log(`frames by generator: ${summary.frames}`);
  log(`session seconds by kind: ${summary.time}`);
  const byKind = (kind: string) => run.mismatches.filter((m) => m.kind === kind);
  for (const kind of ["ending", "replies", "reason", "undecodable"]) {
    const found = byKind(kind);
    if (found.length > 0) log(`${found.length} sessions with a wrong ${kind}; first: ${found.slice(0, 8).map((m) => JSON.stringify(m)).join("\n  ")}`);
  }
  for (const problem of problems) log(`PROBLEM ${problem}`);

  expect(closedWell, "the well-behaved editor and watcher are never disconnected").toBeNull();
  expect(problems).toEqual([]);
  expect(forged.slice(0, 5), "presence states for the editor's id that the editor never sent").toEqual([]);
  expect(watcher.editorStates.length).toBeGreaterThan(0);
  expect(watcher.doc.getText("text").toString()).toBe(editor.expectedText());
  expect(byKind("ending").slice(0, 10), "hostile sessions that did not end with the documented close code (or stay open)").toEqual([]);
  expect(byKind("reason").slice(0, 10), "closes without a human-readable reason").toEqual([]);
  expect(byKind("undecodable").slice(0, 10), "frames from the server that do not decode").toEqual([]);
  expect(byKind("replies").slice(0, 10), "answers owed to frames before the one that closed the connection, never sent").toEqual([]);
  expect(run.frames).toBeGreaterThanOrEqual(options.frames);
  editor.close();
  watcher.close();
  return figures;
}

/** Reads a binary Yjs update over the admin API and returns its text "text" (throws if it does not decode). */
async function readUpdate(admin: Admin, path: string): Promise<string> {
  const response = await admin(path);
  expect(response.status, path).toBe(200);
  const doc = new Y.Doc();
  Y.applyUpdate(doc, new Uint8Array(await response.arrayBuffer()));
  return doc.getText("text").toString();
}

/** Compacts now, then reads the new snapshot back from R2: it decodes, with the editor's text. */
async function compactAndRead(admin: Admin, docId: string, expected: string, check: (what: string, ok: boolean) => void, checkpoint: number): Promise<string> {
  const response = await admin(`/v1/docs/${docId}/snapshots`, { method: "POST" });
  check(`checkpoint ${checkpoint}: compaction answers 200 or 201 (got ${response.status})`, response.status === 200 || response.status === 201);
  const { snapshot } = (await response.json()) as { snapshot: { id: string | number; size: number } };
  const text = await readUpdate(admin, `/v1/docs/${docId}/snapshots/${snapshot.id}/update`);
  check(`checkpoint ${checkpoint}: the new snapshot decodes with the editor's text`, text === expected);
  return `; snapshot ${snapshot.id} (${snapshot.size} bytes) decodes`;
}

/** Connection limits: past MAX_CONNECTIONS_PER_USER, then past MAX_CONNECTIONS_PER_DOCUMENT, the upgrade is refused with 429. */
async function connectionFlood(connect: Connect, admin: Admin, docId: string, limits: FuzzLimits, check: (what: string, ok: boolean) => void) {
  const sockets: FuzzSocket[] = [];
  let attempts = 0;
  let refused = 0;
  const open = async (userId: string): Promise<boolean> => {
    attempts++;
    const socket = await connect({ access: "read", userId, ack: false });
    if (!isRefusal(socket)) {
      sockets.push(socket);
      return true;
    }
    refused++;
    check(`a refused upgrade answers 429 too_many_connections (got ${socket.status} ${JSON.stringify(socket.body)})`, socket.status === 429 && (socket.body as { error?: { code?: string } })?.error?.code === "too_many_connections");
    return false;
  };
  try {
    let opened = 0;
    while (opened < limits.maxConnectionsPerUser && (await open("crowd"))) opened++;
    check(`one user opens ${limits.maxConnectionsPerUser} connections (opened ${opened})`, opened === limits.maxConnectionsPerUser);
    check("the next connection of that user is refused", !(await open("crowd")));
    const live = ((await (await admin(`/v1/docs/${docId}/connections`)).json()) as { connections: unknown[] }).connections.length;
    let more = 0;
    for (let i = live; i < limits.maxConnectionsPerDocument && (await open(`crowd-${i}`)); i++) more++;
    check(`the document takes connections up to ${limits.maxConnectionsPerDocument} (had ${live}, opened ${more} more)`, live + more === limits.maxConnectionsPerDocument);
    check("the next connection to the document is refused", !(await open("one-too-many")));
  } finally {
    for (const socket of sockets) socket.close(1000, "done");
    await Promise.all(sockets.map((socket) => socket.closed));
  }
  return { attempts, refused };
}

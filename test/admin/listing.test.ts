import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { upsertDocument } from "../../src/metadata/documentIndex";
import type { DocumentRecord } from "../../src/metadata/documentRecord";
import { admin, adminJson, createDoc, errorCode } from "./adminClient";

const record = (id: string, createdAt: number, updatedAt: number): DocumentRecord => ({
  id, createdAt, updatedAt, sizeBytes: 2, storedBytes: 0, updateCount: 0, snapshotCount: 0,
  latestSnapshotSeq: null, latestSnapshotAt: null, connections: 0, lastEditor: null, metadata: {},
});

/** Every id of a listing, following `nextCursor` page by page; also returns the page sizes. */
async function walk(query: string): Promise<{ ids: string[]; pages: number[] }> {
  const ids: string[] = [];
  const pages: number[] = [];
  let cursor: string | null = null;
  do {
    const page: { documents: Array<{ id: string }>; nextCursor: string | null } = await adminJson(
      "GET", `/v1/docs?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, 200,
    );
    ids.push(...page.documents.map((d) => d.id));
    pages.push(page.documents.length);
    cursor = page.nextCursor;
  } while (cursor);
  return { ids, pages };
}

describe("GET /v1/docs", () => {
  // Index rows written directly, with chosen times (ties included) to pin down the order.
  const prefix = `list-${crypto.randomUUID().slice(0, 8)}`;
  const rows = [
    record(`${prefix}:a`, 1000, 5000),
    record(`${prefix}:b`, 2000, 5000),
    record(`${prefix}:c`, 2000, 3000),
    record(`${prefix}:d`, 4000, 9000),
    record(`${prefix}:e`, 3000, 1000),
  ];
  const seeded = Promise.all(rows.map((r) => upsertDocument(env.DB, r)));
  const byId = rows.map((r) => r.id).sort();
  const byUpdated = [`${prefix}:d`, `${prefix}:b`, `${prefix}:a`, `${prefix}:c`, `${prefix}:e`];
  const byCreated = [`${prefix}:d`, `${prefix}:e`, `${prefix}:c`, `${prefix}:b`, `${prefix}:a`];

  it.each([
    ["id", byId],
    ["updated", byUpdated],
    ["created", byCreated],
  ])("pages through order=%s with a cursor, each document exactly once, ties broken by id", async (order, expected) => {
    await seeded;
    const { ids, pages } = await walk(`prefix=${prefix}&order=${order}&limit=2`);
    expect(ids).toEqual(expected);
    expect(pages).toEqual([2, 2, 1]);
  });

  it("defaults to newest update first", async () => {
    await seeded;
    expect((await walk(`prefix=${prefix}`)).ids).toEqual(byUpdated);
  });

  it("keeps its place when documents are added and removed between pages", async () => {
    await seeded;
    const p = `${prefix}-moving`;
    for (const id of ["b", "d", "f"]) await upsertDocument(env.DB, record(`${p}:${id}`, 1, 1));
    const first = await adminJson("GET", `/v1/docs?prefix=${p}&order=id&limit=2`, 200);
    expect(first.documents.map((d: { id: string }) => d.id)).toEqual([`${p}:b`, `${p}:d`]);
    await upsertDocument(env.DB, record(`${p}:a`, 1, 1)); // before the cursor: not seen
    await upsertDocument(env.DB, record(`${p}:e`, 1, 1)); // after it: seen
    const second = await adminJson("GET", `/v1/docs?prefix=${p}&order=id&limit=2&cursor=${first.nextCursor}`, 200);
    expect(second.documents.map((d: { id: string }) => d.id)).toEqual([`${p}:e`, `${p}:f`]);
    expect(second.nextCursor).toBeNull();
  });

  it("matches the prefix literally (no wildcards) and returns documents created through the API", async () => {
    const p = `${prefix}_x`;
    await createDoc(`${p}1`, { metadata: { title: "one" } });
    await createDoc(`${prefix}Ax1`);
    const page = await adminJson("GET", `/v1/docs?prefix=${p}`, 200);
    expect(page.documents).toHaveLength(1);
    expect(page.documents[0]).toMatchObject({ id: `${p}1`, metadata: { title: "one" }, sizeBytes: 2 });
    expect(page.nextCursor).toBeNull();
  });

  it.each([
    ["limit=0", "invalid_limit"],
    ["limit=1001", "invalid_limit"],
    ["limit=abc", "invalid_limit"],
    ["limit=2.5", "invalid_limit"],
    ["order=size", "invalid_order"],
    ["prefix=a%20b", "invalid_prefix"],
    ["cursor=not-a-cursor", "invalid_cursor"],
  ])("refuses %s with 400", async (query, code) => {
    expect(await errorCode(await admin("GET", `/v1/docs?${query}`), 400)).toBe(code);
  });

  it("refuses a cursor from a listing in another order", async () => {
    await seeded;
    const page = await adminJson("GET", `/v1/docs?prefix=${prefix}&order=id&limit=1`, 200);
    const response = await admin("GET", `/v1/docs?prefix=${prefix}&order=updated&cursor=${page.nextCursor}`);
    expect(await errorCode(response, 400)).toBe("invalid_cursor");
  });
});

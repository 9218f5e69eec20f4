import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { upsertDocument } from "../../src/metadata/documentIndex";
import type { Metadata } from "../../src/metadata/documentRecord";
import { admin, adminJson, errorCode } from "./adminClient";

interface Page {
  documents: Array<{ id: string; metadata: Metadata }>;
  nextCursor: string | null;
}

/** A word no other test uses, so each test searches its own documents. */
const uniqueWord = () => `w${crypto.randomUUID().replace(/-/g, "").slice(0, 10)}`;

/** Writes an index row as a document's sync would. */
async function indexDoc(id: string, metadata: Metadata, updatedAt = Date.now()): Promise<void> {
  await upsertDocument(env.DB, {
    id, createdAt: updatedAt, updatedAt, sizeBytes: 2, storedBytes: 0, updateCount: 0, snapshotCount: 0,
    latestSnapshotSeq: null, latestSnapshotAt: null, connections: 0, lastEditor: null, metadata,
  });
}

const search = (query: string) => adminJson<Page>("GET", `/v1/docs?${query}`, 200);
const ids = (page: Page) => page.documents.map((d) => d.id);

/** Every page of a listing, following `nextCursor`. */
async function allPages(query: string): Promise<string[]> {
  const found: string[] = [];
  let cursor: string | null = null;
  do {
    const page: Page = await search(`${query}${cursor ? `&cursor=${cursor}` : ""}`);
    found.push(...ids(page));
    cursor = page.nextCursor;
  } while (cursor);
  return found;
}

describe("GET /v1/docs?q= (search)", () => {
  it("ranks a title match above a tag match above a match in another value, and leaves out the rest", async () => {
    const word = uniqueWord();
    await indexDoc(`${word}-other`, { title: "Meeting notes", summary: `the ${word} review` });
    await indexDoc(`${word}-tag`, { title: "Planning", tags: ["q1", word] });
    await indexDoc(`${word}-title`, { title: `${word} 2027`, tags: ["q1"] });
    await indexDoc(`unrelated-${word.slice(0, 5)}`, { title: "Something else" });
    expect(ids(await search(`q=${word}`))).toEqual([`${word}-title`, `${word}-tag`, `${word}-other`]);
  });

  it("finds words by their start, in any order and case, accents ignored, and needs every word", async () => {
    const word = uniqueWord();
    const id = `accents-${word}`;
    await indexDoc(id, { title: `Café Über ${word}`, owner: { name: "Zoë Planung" } });
    for (const q of [word.slice(0, 6), `${word} cafe`, `CAFÉ ${word}`, `uber ${word}`, `zoe ${word}`, `plan ${word}`]) {
      expect(ids(await search(`q=${encodeURIComponent(q)}`)), q).toEqual([id]);
    }
    expect(ids(await search(`q=${encodeURIComponent(`${word} absent`)}`))).toEqual([]);
  });

  it("finds documents by the words of their id", async () => {
    const word = uniqueWord();
    await indexDoc(`team-a:${word}.quarterly_report`, {});
    expect(ids(await search(`q=${word}+report`))).toEqual([`team-a:${word}.quarterly_report`]);
    expect(ids(await search(`q=${encodeURIComponent(`team-a:${word}`)}`))).toEqual([`team-a:${word}.quarterly_report`]);
  });

  it("pages through the ranking with the same cursor pagination as listings", async () => {
    const word = uniqueWord();
    for (let i = 0; i < 7; i++) await indexDoc(`${word}-${i}`, { title: i % 2 ? word : "x", notes: `${word} `.repeat(i + 1) });
    const onePage = ids(await search(`q=${word}&limit=50`));
    expect(onePage).toHaveLength(7);
    expect(await allPages(`q=${word}&limit=2`)).toEqual(onePage);
    expect(await allPages(`q=${word}&limit=3&order=id`)).toEqual([...onePage].sort());
    // A cursor belongs to its order.
    const { nextCursor } = await search(`q=${word}&limit=2`);
    expect(await errorCode(await admin("GET", `/v1/docs?q=${word}&order=id&cursor=${nextCursor}`), 400)).toBe("invalid_cursor");
  });

  it("filters by exact metadata values (strings, numbers, booleans, array elements) and by updatedSince, with or without q", async () => {
    const word = uniqueWord();
    const t0 = Date.parse("2026-06-01T00:00:00Z");
    await indexDoc(`${word}-a`, { owner: "ada", tags: ["planning", "q1"], draft: true, priority: 2, team: word }, t0);
    await indexDoc(`${word}-b`, { owner: "bob", tags: ["planning"], draft: false, priority: 1, team: word }, t0 + 60_000);
    await indexDoc(`${word}-c`, { owner: "ada", tags: "planning", nested: { owner: "carol" }, team: word }, t0 + 120_000);
    const filtered = async (query: string) => (await allPages(`metadata.team=${word}&order=id&limit=1&${query}`)).map((id) => id.slice(-1));
    expect(await filtered("metadata.owner=ada")).toEqual(["a", "c"]);
    expect(await filtered("metadata.tags=planning")).toEqual(["a", "b", "c"]);
    expect(await filtered("metadata.tags=q1")).toEqual(["a"]);
    expect(await filtered("metadata.draft=true")).toEqual(["a"]);
    expect(await filtered("metadata.draft=false")).toEqual(["b"]);
    expect(await filtered("metadata.priority=2")).toEqual(["a"]);
    expect(await filtered("metadata.owner=carol")).toEqual([]); // nested values are not filters
    expect(await filtered("metadata.owner=Ada")).toEqual([]); // exact
    expect(await filtered("metadata.owner=ada&metadata.tags=q1")).toEqual(["a"]);
    expect(await filtered(`updatedSince=${new Date(t0 + 60_000).toISOString()}`)).toEqual(["b", "c"]);
    expect(await filtered(`updatedSince=2026-06-01T00:01:30Z&metadata.owner=ada`)).toEqual(["c"]);
    expect(ids(await search(`q=${word}&metadata.owner=ada`)).sort()).toEqual([`${word}-a`, `${word}-c`]);
  });

  it("follows metadata changes and deletions made through the API", async () => {
    const before = uniqueWord();
    const after = uniqueWord();
    const id = `renamed-${crypto.randomUUID()}`;
    await adminJson("PUT", `/v1/docs/${id}`, 201, { body: { metadata: { title: `${before} draft`, status: "draft" } } });
    expect(ids(await search(`q=${before}`))).toEqual([id]);
    await adminJson("PATCH", `/v1/docs/${id}`, 200, { body: { metadata: { title: `${after} final`, status: "final" } } });
    expect(ids(await search(`q=${before}`))).toEqual([]);
    expect(ids(await search(`q=${after}`))).toEqual([id]);
    expect(ids(await search(`q=${after}&metadata.status=final`))).toEqual([id]);
    expect(ids(await search(`q=${after}&metadata.status=draft`))).toEqual([]);
    expect((await admin("DELETE", `/v1/docs/${id}`)).status).toBe(204);
    expect(ids(await search(`q=${after}`))).toEqual([]);
  });

  it("treats search syntax in q as plain words", async () => {
    const word = uniqueWord();
    await indexDoc(`syntax-${word}`, { title: `${word} near or title` });
    for (const q of [`"${word}`, `${word} OR`, `title:${word}`, `NEAR(${word}`, `${word}*^-`]) {
      expect(ids(await search(`q=${encodeURIComponent(q)}`)), q).toEqual([`syntax-${word}`]);
    }
  });

  it.each([
    ["an empty q", "q=", "invalid_query"],
    ["a q without words", "q=%21%3F%2A", "invalid_query"],
    ["a q that is too long", `q=${"a".repeat(300)}`, "invalid_query"],
    ["relevance without q", "order=relevance", "invalid_order"],
    ["an updatedSince that is not a date", "updatedSince=yesterday", "invalid_updated_since"],
    ["a metadata filter without a key", "metadata.=x", "invalid_filter"],
    ["too many metadata filters", Array.from({ length: 11 }, (_, i) => `metadata.k${i}=v`).join("&"), "invalid_filter"],
  ])("refuses %s with a 400", async (_, query, code) => {
    expect(await errorCode(await admin("GET", `/v1/docs?${query}`), 400)).toBe(code);
  });
});

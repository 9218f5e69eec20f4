// Optional offline persistence: the document is kept in IndexedDB (y-indexeddb), so a reload while
// offline still shows, and later sends, the edits the server has not received.
import type * as Y from "yjs";

export interface OfflineStore {
  destroy(): Promise<void> | void;
  /** Deletes the stored copy. */
  clearData(): Promise<void>;
}

/** Opens the IndexedDB copy named `name` and resolves once it is applied to `doc`. */
export async function openOfflineStore(name: string, doc: Y.Doc): Promise<OfflineStore> {
  // Loaded on demand: apps that do not ask for offline persistence never load y-indexeddb.
  const { IndexeddbPersistence } = await import("y-indexeddb");
  const persistence = new IndexeddbPersistence(name, doc);
  await persistence.whenSynced;
  return persistence;
}

// Small key-value facts about the document kept in its own SQLite database (its id, counters, the
// state of its index sync and event throttle).

export class DocumentMeta {
  constructor(private readonly sql: SqlStorage) {}

  get(key: string): string | null {
    return this.sql.exec<{ value: string }>(`SELECT value FROM document_meta WHERE key = ?`, key).toArray()[0]?.value ?? null;
  }

  set(key: string, value: string): void {
    this.sql.exec(`INSERT INTO document_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value);
  }
}

/**
 * One JSON value kept under a `document_meta` key: read once, then served from memory, and written
 * through on every change, so a path that only checks it (an edit, once a sync is pending) costs no read.
 */
export class CachedMetaValue<T> {
  private cached: T | null = null;

  constructor(
    private readonly meta: DocumentMeta,
    private readonly key: string,
    /** The value while nothing is stored. */
    private readonly initial: () => T,
  ) {}

  get(): T {
    if (this.cached === null) {
      const stored = this.meta.get(this.key);
      this.cached = stored === null ? this.initial() : (JSON.parse(stored) as T);
    }
    return this.cached;
  }

  set(value: T): void {
    this.meta.set(this.key, JSON.stringify(value));
    this.cached = value;
  }

  /** Forgets the cached value after the storage under it was deleted. */
  forget(): void {
    this.cached = null;
  }
}

// Small key-value facts about the document kept in its own SQLite database (its id, counters).

export class DocumentMeta {
  constructor(private readonly sql: SqlStorage) {}

  get(key: string): string | null {
    return this.sql.exec<{ value: string }>(`SELECT value FROM document_meta WHERE key = ?`, key).toArray()[0]?.value ?? null;
  }

  set(key: string, value: string): void {
    this.sql.exec(`INSERT INTO document_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value);
  }
}

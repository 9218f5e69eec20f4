// Revoked access to one document: the time (in seconds, like a token's `iat`) before which tokens
// of a user, or of everyone, no longer open a connection. Kept in the document's own SQLite table.

/** The row that revokes everyone's tokens (user ids are never empty). */
const EVERYONE = "";

export class Revocations {
  constructor(private readonly sql: SqlStorage) {}

  /** Refuses, from now on, tokens issued at or before `at` for `userId`, or for everyone. Returns `at`. */
  revoke(userId: string | null, at = Math.floor(Date.now() / 1000)): number {
    this.sql.exec(
      `INSERT INTO revocations (user_id, revoked_at) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET revoked_at = MAX(revoked_at, excluded.revoked_at)`,
      userId ?? EVERYONE, at,
    );
    return at;
  }

  /**
   * Whether a token of `userId` issued at `issuedAt` (seconds) was revoked. A token without an
   * issue time counts as issued before any revocation.
   */
  isRevoked(userId: string, issuedAt: number | null): boolean {
    const row = this.sql
      .exec<{ at: number | null }>(`SELECT MAX(revoked_at) AS at FROM revocations WHERE user_id IN (?, ?)`, userId, EVERYONE)
      .one();
    return row.at !== null && (issuedAt === null || issuedAt <= row.at);
  }
}

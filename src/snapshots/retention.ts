// Retention: keep the newest N snapshots and the newest one of each of the last D days (UTC).
import type { SnapshotRecord } from "./snapshotIndex";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The snapshots retention lets go of. The newest snapshot is always kept whatever the settings,
 * because a cold load starts from it.
 */
export function expiredSnapshots(snapshots: readonly SnapshotRecord[], now: number, keepLatest: number, keepDays: number): SnapshotRecord[] {
  const newestFirst = [...snapshots].sort((a, b) => b.seq - a.seq);
  const kept = new Set(newestFirst.slice(0, Math.max(1, keepLatest)).map((s) => s.seq));
  const today = Math.floor(now / DAY_MS);
  const daysSeen = new Set<number>();
  for (const snapshot of newestFirst) {
    const day = Math.floor(snapshot.createdAt / DAY_MS);
    if (today - day >= keepDays || daysSeen.has(day)) continue;
    daysSeen.add(day);
    kept.add(snapshot.seq);
  }
  return newestFirst.filter((s) => !kept.has(s.seq));
}

/**
 * The next time retention would let a snapshot go if no new snapshot came: the first UTC midnight
 * after `now` at which one expires, or null when none ever will (at most keepLatest snapshots, or
 * none kept only for its day). Lets an idle document's alarm wake exactly when there is work.
 */
export function nextExpiry(snapshots: readonly SnapshotRecord[], now: number, keepLatest: number, keepDays: number): number | null {
  if (expiredSnapshots(snapshots, now, keepLatest, keepDays).length > 0) return now;
  const today = Math.floor(now / DAY_MS);
  for (let day = today + 1; day <= today + keepDays + 1; day++) {
    if (expiredSnapshots(snapshots, day * DAY_MS, keepLatest, keepDays).length > 0) return day * DAY_MS;
  }
  return null;
}

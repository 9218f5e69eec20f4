// Summaries of V8 heap snapshots: bytes and object counts per constructor (node type and name), and
// the difference between two summaries, largest growth first.

export interface HeapSummary {
  /** Sum of every node's self size, bytes. */
  totalBytes: number;
  nodes: number;
  /** `type:name` (for objects the constructor name) to count and self size. */
  groups: Record<string, { count: number; bytes: number }>;
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: (string[] | string)[] } };
  nodes: number[];
  strings: string[];
}

/** Names that would make one group per value (strings, numbers, code); grouped by type instead. */
const BY_TYPE_ONLY = new Set(["string", "concatenated string", "sliced string", "number", "code", "regexp", "symbol", "bigint"]);

export function summarize(json: string): HeapSummary {
  const snap = JSON.parse(json) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0] as string[];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
  const groups: Record<string, { count: number; bytes: number }> = {};
  let totalBytes = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]];
    const size = snap.nodes[i + sizeAt];
    const name = BY_TYPE_ONLY.has(type) ? "" : snap.strings[snap.nodes[i + nameAt]].slice(0, 60);
    const key = `${type}:${name}`;
    const group = (groups[key] ??= { count: 0, bytes: 0 });
    group.count += 1;
    group.bytes += size;
    totalBytes += size;
  }
  return { totalBytes, nodes: snap.nodes.length / width, groups };
}

export interface GroupDelta {
  group: string;
  count: number;
  bytes: number;
  countDelta: number;
  bytesDelta: number;
}

/** Groups of `after` compared with `before`, the largest absolute byte change first. */
export function compare(before: HeapSummary, after: HeapSummary, top = 15): GroupDelta[] {
  const keys = new Set([...Object.keys(before.groups), ...Object.keys(after.groups)]);
  const rows: GroupDelta[] = [];
  for (const group of keys) {
    const a = before.groups[group] ?? { count: 0, bytes: 0 };
    const b = after.groups[group] ?? { count: 0, bytes: 0 };
    rows.push({ group, count: b.count, bytes: b.bytes, countDelta: b.count - a.count, bytesDelta: b.bytes - a.bytes });
  }
  return rows.sort((x, y) => Math.abs(y.bytesDelta) - Math.abs(x.bytesDelta)).slice(0, top);
}

/** The largest groups of one summary. */
export function largest(summary: HeapSummary, top = 15): { group: string; count: number; bytes: number }[] {
  return Object.entries(summary.groups)
    .map(([group, g]) => ({ group, ...g }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, top);
}

/**
 * How many instances of each named constructor the heap holds (0 when absent). The bundler renames
 * some classes with a leading underscore (Yjs's `Doc` and `Item` become `_Doc`, `_Item`): both count.
 */
export function instances(summary: HeapSummary, names: string[]): Record<string, number> {
  const count = (name: string) => summary.groups[`object:${name}`]?.count ?? 0;
  return Object.fromEntries(names.map((name) => [name, count(name) + count(`_${name}`)]));
}

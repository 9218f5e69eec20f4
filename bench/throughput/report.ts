// Small statistics, number formats, and tables as plain text (console) or Markdown (RESULTS.md).

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The median where null means "never happened", larger than any value; null if the median is one. */
export function medianOrNull(values: (number | null | undefined)[]): number | null {
  const present = values.filter((v) => v !== undefined);
  if (present.length === 0) return null;
  const m = median(present.map((v) => v ?? Infinity));
  return Number.isFinite(m) ? m : null;
}

export const fmt = (value: number | null | undefined, digits = 1) => (value !== null && value !== undefined && Number.isFinite(value) ? value.toFixed(digits) : "-");
export const mib = (bytes: number) => (bytes > 0 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : "-");
export const int = (value: number | null | undefined) => (value !== null && value !== undefined && Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "-");
/** Milliseconds with a precision that suits their size. */
export const ms = (value: number | null | undefined) => (value === null || value === undefined || !Number.isFinite(value) ? "-" : value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : int(value));

export interface Table {
  /** Short id, also the chart's file name. */
  id: string;
  title: string;
  header: string[];
  rows: string[][];
  /** Sentences printed under the table. */
  notes: string[];
}

const isNumeric = (cell: string) => /^[-+<>~\d.,\s]*(ms|s|%|x|MiB|\/s|µs)?$/.test(cell);

/** A plain-text table: columns padded, numbers right-aligned. */
export function textTable(table: Table): string {
  const { header, rows } = table;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const numeric = header.map((_, i) => rows.every((r) => isNumeric(r[i] ?? "")));
  const line = (cells: string[]) => cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ").trimEnd();
  const notes = table.notes.map((note) => `   ${note}`);
  return [table.title, line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line), ...notes].join("\n");
}

/** A Markdown table, numeric columns right-aligned. */
export function markdownTable(table: Table): string {
  const { header, rows } = table;
  const numeric = header.map((_, i) => rows.every((r) => isNumeric(r[i] ?? "")));
  const escape = (cell: string) => cell.replaceAll("|", "\\|");
  const line = (cells: string[]) => `| ${cells.map(escape).join(" | ")} |`;
  return [line(header), `|${numeric.map((n) => (n ? "---:" : "---")).join("|")}|`, ...rows.map(line)].join("\n");
}

/** A plain-text table from its parts (bench/perUpdate uses this form). */
export const table = (title: string, header: string[], rows: string[][]) => textTable({ id: "", title, header, rows, notes: [] });

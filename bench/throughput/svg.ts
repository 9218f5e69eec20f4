// Grouped horizontal bar charts as plain SVG: one group per server, one bar per series, value labels
// at the bar ends, and a log scale when the values span orders of magnitude.

export interface Chart {
  /** File name without extension. */
  id: string;
  title: string;
  /** Appended to value labels: "ms", "updates/s", "MiB". */
  unit: string;
  series: string[];
  /** Per group, one value per series; `marks` adds words to a value's label, such as "did not finish". */
  groups: { label: string; values: (number | null)[]; marks?: (string | null)[] }[];
  /** Which way is better, said under the title. */
  better: "lower" | "higher";
}

const COLORS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759"];
const WIDTH = 960;
const LABEL_W = 300;
const VALUE_W = 190;
const PLOT_W = WIDTH - LABEL_W - VALUE_W;
const BAR_H = 14;
const BAR_GAP = 3;
const GROUP_GAP = 12;
const TOP = 74;
/** Values spanning more than this factor get a log scale. */
const LOG_SPAN = 30;

const escape = (text: string) => text.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]!);
const short = (v: number) => (v >= 1e6 ? `${+(v / 1e6).toFixed(1)}M` : v >= 1e3 ? `${+(v / 1e3).toFixed(1)}k` : `${+v.toPrecision(3)}`);
const label = (v: number) => (v >= 100 ? Math.round(v).toLocaleString("en-US") : v >= 10 ? v.toFixed(1) : v.toFixed(2));

interface Scale {
  x(value: number): number;
  ticks: number[];
  log: boolean;
}

function scaleFor(values: number[]): Scale {
  const positive = values.filter((v) => v > 0);
  const max = Math.max(...positive, 1e-9);
  const min = Math.min(...positive, max);
  if (max / min > LOG_SPAN) {
    const lo = Math.floor(Math.log10(min));
    const hi = Math.max(lo + 1, Math.ceil(Math.log10(max)));
    const ticks = Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i));
    return { log: true, ticks, x: (v) => (Math.max(0, Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * PLOT_W };
  }
  const magnitude = 10 ** Math.floor(Math.log10(max));
  const step = [0.1, 0.2, 0.5, 1, 2, 5].map((m) => m * magnitude).find((s) => max / s <= 6)!;
  const top = Math.ceil(max / step) * step;
  const ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
  return { log: false, ticks, x: (v) => (v / top) * PLOT_W };
}

/** The chart as a standalone SVG document. */
export function renderSvg(chart: Chart): string {
  const scale = scaleFor(chart.groups.flatMap((g) => g.values.filter((v): v is number => v !== null && Number.isFinite(v))));
  const groupH = chart.series.length * (BAR_H + BAR_GAP) - BAR_GAP;
  const height = TOP + chart.groups.length * (groupH + GROUP_GAP) + 34;
  const plotBottom = height - 30;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${WIDTH}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="10" y="20" font-size="14" font-weight="bold">${escape(chart.title)}</text>`);
  out.push(`<text x="10" y="38" fill="#555">${escape(`${chart.unit}, ${chart.better} is better${scale.log ? "; log scale" : ""}`)}</text>`);
  chart.series.forEach((name, i) => {
    const x = 10 + i * 200;
    out.push(`<rect x="${x}" y="48" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/><text x="${x + 17}" y="58">${escape(name)}</text>`);
  });
  for (const tick of scale.ticks) {
    const x = LABEL_W + scale.x(tick);
    out.push(`<line x1="${x}" y1="${TOP - 6}" x2="${x}" y2="${plotBottom}" stroke="#e3e3e3"/>`);
    out.push(`<text x="${x}" y="${plotBottom + 14}" text-anchor="middle" fill="#555">${short(tick)}</text>`);
  }
  chart.groups.forEach((group, g) => {
    const y0 = TOP + g * (groupH + GROUP_GAP);
    out.push(`<text x="${LABEL_W - 8}" y="${y0 + groupH / 2 + 4}" text-anchor="end">${escape(group.label)}</text>`);
    group.values.forEach((value, s) => {
      const y = y0 + s * (BAR_H + BAR_GAP);
      if (value === null || !Number.isFinite(value)) {
        out.push(`<text x="${LABEL_W + 4}" y="${y + BAR_H - 3}" fill="#999">no result</text>`);
        return;
      }
      const w = Math.max(1, scale.x(value));
      out.push(`<rect x="${LABEL_W}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${COLORS[s % COLORS.length]}"/>`);
      const mark = group.marks?.[s] ? ` (${group.marks[s]})` : "";
      out.push(`<text x="${(LABEL_W + w + 4).toFixed(1)}" y="${y + BAR_H - 3}">${escape(`${label(value)} ${chart.unit}${mark}`)}</text>`);
    });
  });
  out.push(`<line x1="${LABEL_W}" y1="${TOP - 6}" x2="${LABEL_W}" y2="${plotBottom}" stroke="#333"/>`);
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

// Geometry of horizontal bar charts (ranked breakdowns, MRR movements, the funnel and the
// quota bars): each row has its label above the bar so long names never need truncating,
// and negative values grow left from a shared zero line.
import { max, min, scaleLinear } from "d3";
import { round } from "./sparkline";

export interface BarInput {
  key: string;
  label: string;
  value: number | null;
}

export interface BarRow {
  key: string;
  label: string;
  value: number | null;
  /** Top of the row; the label baseline is labelY, the bar spans barY … barY + barHeight. */
  y: number;
  labelY: number;
  barY: number;
  barHeight: number;
  /** Left edge and width of the bar (0 wide when the value is null or 0). */
  x: number;
  width: number;
  /** Where the value label goes and which side of it is anchored. */
  valueX: number;
  valueAnchor: "start" | "end";
}

export interface BarChart {
  width: number;
  height: number;
  zeroX: number;
  rows: BarRow[];
  /** The x position of a value on the chart's scale (for reference lines). */
  xOf(value: number): number;
}

export interface BarOptions {
  width?: number;
  rowHeight?: number;
  /** Room kept beside the bars for the value labels. */
  valueRoom?: number;
  /** Values the scale must include, e.g. 1 for the 100 % quota line. */
  include?: number[];
}

export function barChart(items: readonly BarInput[], options: BarOptions = {}): BarChart {
  const { width = 480, rowHeight = 42, valueRoom = 84, include = [] } = options;
  const values = [...items.map((i) => i.value ?? 0), ...include, 0];
  const low = min(values) ?? 0;
  const high = max(values) ?? 0;
  const left = low < 0 ? valueRoom : 0;
  const right = width - (high > 0 || low >= 0 ? valueRoom : 0);
  const x = scaleLinear().domain([low, high > low ? high : low + 1]).range([left, right]);
  const zeroX = round(x(0));

  const rows = items.map((item, index): BarRow => {
    const y = index * rowHeight;
    const value = item.value;
    const end = value === null ? zeroX : round(x(value));
    const negative = value !== null && value < 0;
    return {
      key: item.key,
      label: item.label,
      value,
      y,
      labelY: y + 15,
      barY: y + 21,
      barHeight: 14,
      x: Math.min(zeroX, end),
      width: round(Math.abs(end - zeroX)),
      valueX: negative ? end - 6 : end + 6,
      valueAnchor: negative ? "end" : "start",
    };
  });
  return { width, height: Math.max(items.length * rowHeight, rowHeight), zeroX, rows, xOf: (v) => round(x(v)) };
}

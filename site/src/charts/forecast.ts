// Geometry of the forecast accuracy chart of "Next three months": one column per month of
// the 12 ending at the report's month, its forecast_accuracy (docs/kpis.md, rule 39) from a
// zero line — below it when the forecast missed by more than the revenue — up to 100 %;
// months without a score get no column and are named in the table.
import { min, scaleLinear } from "d3";
import type { Formatter } from "../lib/format";
import { monthLabel } from "../lib/format";
import type { SeriesValue } from "./sparkline";

/** Whole pixels: a small chart needs no more, and the page stays light. */
const round = Math.round;

export interface AccuracyColumn {
  month: string;
  value: number | null;
  x: number;
  width: number;
  /** Top and height of the column (0 without a score). */
  y: number;
  height: number;
  labelX: number;
}

export interface AccuracyChart {
  width: number;
  height: number;
  columns: AccuracyColumn[];
  /** The y of 0 % and of 100 %. */
  zeroY: number;
  fullY: number;
  /** The scored months' accuracies, the numbers the marks encode. */
  values: number[];
}

/** Null when no month has a score: the page says so instead of drawing empty axes. */
export function accuracyChart(points: readonly SeriesValue[], width = 480, height = 150): AccuracyChart | null {
  const values = points.map((p) => p.value).filter((v): v is number => v !== null && Number.isFinite(v));
  if (values.length === 0) return null;
  const top = 14;
  const bottom = 22;
  const left = 36;
  const y = scaleLinear().domain([Math.min(0, min(values) ?? 0), 1]).range([height - bottom, top]);
  const band = (width - left) / Math.max(points.length, 1);
  const columns = points.map((p, i): AccuracyColumn => {
    const x = left + i * band + band * 0.15;
    const value = p.value !== null && Number.isFinite(p.value) ? p.value : null;
    const from = y(0);
    const to = value === null ? from : y(value);
    return {
      month: p.month,
      value,
      x: round(x),
      width: round(band * 0.7),
      y: round(Math.min(from, to)),
      height: round(Math.abs(to - from)),
      labelX: round(x + band * 0.35),
    };
  });
  return { width, height, columns, zeroY: round(y(0)), fullY: round(y(1)), values };
}

/** The chart's <desc>: the latest scored month, the best and the worst. */
export function describeAccuracy(chart: AccuracyChart, format: Formatter): string {
  const scored = chart.columns.filter((c): c is AccuracyColumn & { value: number } => c.value !== null);
  const last = scored.at(-1)!;
  const best = scored.reduce((a, b) => (b.value > a.value ? b : a));
  const worst = scored.reduce((a, b) => (b.value < a.value ? b : a));
  const pct = (v: number) => format.value("ratio", v);
  if (scored.length === 1) return `Forecast accuracy, one month scored: ${pct(last.value)} in ${monthLabel(last.month)}.`;
  return `Forecast accuracy over ${scored.length} scored months: ${pct(last.value)} in ${monthLabel(last.month)}; best ${pct(best.value)} in ${monthLabel(best.month)}, worst ${pct(worst.value)} in ${monthLabel(worst.month)}.`;
}

// Geometry of a headline's 12-month sparkline: a line through the months that have a value
// (gaps where a month has none) and a dot on the report's month.
import { extent, line, scaleLinear } from "d3";

export interface SeriesValue {
  month: string;
  value: number | null;
}

export interface Sparkline {
  width: number;
  height: number;
  /** SVG path data; null when fewer than one month has a value. */
  path: string | null;
  points: { x: number; y: number; month: string; value: number }[];
  /** The report's month (the last point of the series) when it has a value. */
  current: { x: number; y: number } | null;
}

export function sparkline(series: readonly SeriesValue[], width = 120, height = 32, inset = 3): Sparkline {
  const known = series.flatMap((point, index) => (point.value === null ? [] : [{ ...point, value: point.value, index }]));
  const x = scaleLinear().domain([0, Math.max(series.length - 1, 1)]).range([inset, width - inset]);
  const [low = 0, high = 0] = extent(known, (p) => p.value);
  // A flat series sits mid-height rather than on the floor.
  const y = scaleLinear()
    .domain(low === high ? [low - 1, high + 1] : [low, high])
    .range([height - inset, inset]);
  const points = known.map((p) => ({ x: round(x(p.index)), y: round(y(p.value)), month: p.month, value: p.value }));
  const path =
    known.length === 0
      ? null
      : line<SeriesValue & { index?: number }>()
          .defined((p) => p.value !== null)
          .x((_, i) => round(x(i)))
          .y((p) => round(y(p.value ?? 0)))(series as SeriesValue[]);
  const last = series.length - 1;
  const lastPoint = series[last];
  const current = lastPoint && lastPoint.value !== null ? { x: round(x(last)), y: round(y(lastPoint.value)) } : null;
  return { width, height, path, points, current };
}

/** Two decimals keep the markup small without a visible difference. */
export function round(value: number): number {
  return Math.round(value * 100) / 100;
}

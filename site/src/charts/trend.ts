// Geometry of the revenue trend: one bar per month of the 12 ending at the report's month,
// and the same months a year earlier as a dashed line with dots, on one hand-drawn y axis.
import { max, line, scaleBand, scaleLinear } from "d3";
import { round } from "./sparkline";

export interface TrendMonth {
  month: string;
  value: number | null;
  year_ago: number | null;
}

export interface TrendChart {
  width: number;
  height: number;
  plot: { left: number; right: number; top: number; bottom: number };
  bars: { x: number; y: number; width: number; height: number; month: string; value: number; current: boolean }[];
  /** Months without a value, marked on the axis so a gap is not read as zero. */
  missing: { x: number; month: string }[];
  prior: { path: string | null; points: { x: number; y: number; month: string; value: number }[] };
  yTicks: { y: number; value: number }[];
  xLabels: { x: number; month: string }[];
}

export function trendChart(months: readonly TrendMonth[], width = 720, height = 280): TrendChart {
  const plot = { left: 56, right: width - 8, top: 12, bottom: height - 28 };
  const x = scaleBand<string>().domain(months.map((m) => m.month)).range([plot.left, plot.right]).paddingInner(0.3).paddingOuter(0.15);
  const top = max(months, (m) => Math.max(m.value ?? 0, m.year_ago ?? 0)) ?? 0;
  const y = scaleLinear().domain([0, top > 0 ? top : 1]).nice(5).range([plot.bottom, plot.top]);
  const center = (month: string) => round((x(month) ?? 0) + x.bandwidth() / 2);
  const last = months.at(-1)?.month;

  const bars = months.flatMap((m) =>
    m.value === null
      ? []
      : [{
          x: round(x(m.month) ?? 0),
          y: round(Math.min(y(m.value), y(0))),
          width: round(x.bandwidth()),
          height: round(Math.abs(y(0) - y(m.value))),
          month: m.month,
          value: m.value,
          current: m.month === last,
        }],
  );
  const missing = months.filter((m) => m.value === null).map((m) => ({ x: center(m.month), month: m.month }));
  const priorPoints = months.flatMap((m) => (m.year_ago === null ? [] : [{ x: center(m.month), y: round(y(m.year_ago)), month: m.month, value: m.year_ago }]));
  const priorPath =
    priorPoints.length === 0
      ? null
      : line<TrendMonth>()
          .defined((m) => m.year_ago !== null)
          .x((m) => center(m.month))
          .y((m) => round(y(m.year_ago ?? 0)))(months as TrendMonth[]);
  return {
    width,
    height,
    plot,
    bars,
    missing,
    prior: { path: priorPath, points: priorPoints },
    yTicks: y.ticks(5).map((value) => ({ y: round(y(value)), value })),
    xLabels: months.map((m) => ({ x: center(m.month), month: m.month })),
  };
}

// Geometry of the pipeline movement waterfall (docs/kpis.md, "Pipeline movement"): one
// row per class in shared/pipeline-movement.ts order, label above the bar like the other
// horizontal charts. Open at start and at end are full bars from zero; every other class
// floats from the running total, right for what it adds, left for what it takes away.
import { max, scaleLinear } from "d3";
import { MOVEMENTS, type Movement } from "../../../shared/pipeline-movement";
import { round } from "./sparkline";

export type WaterfallKind = "total" | "increase" | "decrease";

export interface WaterfallRow {
  movement: Movement;
  label: string;
  kind: WaterfallKind;
  /** The class's value, unsigned (the kind says which way it goes). */
  value: number;
  /** The running total after this row (the row's own value for the totals). */
  after: number;
  labelY: number;
  barY: number;
  barHeight: number;
  x: number;
  width: number;
  /** Where the running total stands after the row, for the connector to the next one. */
  endX: number;
  valueX: number;
}

export interface Waterfall {
  width: number;
  height: number;
  zeroX: number;
  rows: WaterfallRow[];
}

/**
 * The rows of the classes that moved value, and the two totals always. `values` by class;
 * classes absent or 0 are left out of the drawing (the table lists every class).
 */
export function waterfallChart(values: ReadonlyMap<string, number>, options: { width?: number; rowHeight?: number; valueRoom?: number } = {}): Waterfall {
  const { width = 480, rowHeight = 42, valueRoom = 84 } = options;
  let running = 0;
  type Placed = { movement: Movement; label: string; kind: WaterfallKind; value: number; before: number; after: number };
  const placed = MOVEMENTS.flatMap((m): Placed[] => {
    const value = values.get(m.id) ?? 0;
    if (m.sign === 0) {
      running = value;
      return [{ movement: m.id, label: m.label, kind: "total", value, before: 0, after: value }];
    }
    if (value === 0) return [];
    const before = running;
    running += m.sign * value;
    return [{ movement: m.id, label: m.label, kind: m.sign > 0 ? "increase" : "decrease", value, before, after: running }];
  });
  const high = max(placed.flatMap((p) => [p.before, p.after])) ?? 0;
  const x = scaleLinear().domain([0, high > 0 ? high : 1]).range([0, width - valueRoom]);
  const rows = placed.map((p, index): WaterfallRow => {
    const y = index * rowHeight;
    const from = round(x(Math.min(p.before, p.after)));
    const to = round(x(Math.max(p.before, p.after)));
    return {
      movement: p.movement,
      label: p.label,
      kind: p.kind,
      value: p.value,
      after: p.after,
      labelY: y + 15,
      barY: y + 21,
      barHeight: 14,
      x: from,
      width: round(to - from),
      endX: round(x(p.after)),
      valueX: to + 6,
    };
  });
  return { width, height: Math.max(rows.length * rowHeight, rowHeight), zeroX: round(x(0)), rows };
}

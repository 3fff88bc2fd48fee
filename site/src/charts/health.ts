// Geometry of the at-risk accounts chart: one horizontal bar per account on the 0–100
// health scale, split into what its revenue trend (40 %), loyalty (30 %) and engagement
// (30 %) contribute (docs/kpis.md, "Health score"), with the at-risk line drawn across.
import { scaleLinear } from "d3";
import type { AtRiskAccount } from "../../../shared/report";
import { round } from "./sparkline";

/** The weights of the health score, in the order the segments are drawn. */
export const HEALTH_COMPONENTS = [
  { key: "revenue", label: "Revenue trend", weight: 0.4 },
  { key: "loyalty", label: "Loyalty (NPS)", weight: 0.3 },
  { key: "engagement", label: "Engagement", weight: 0.3 },
] as const;
export type HealthComponent = (typeof HEALTH_COMPONENTS)[number]["key"];

export interface HealthSegment {
  key: HealthComponent;
  /** Points of the 100 this component contributes (weight × component × 100). */
  points: number;
  x: number;
  width: number;
}

export interface HealthRow {
  account: AtRiskAccount;
  labelY: number;
  barY: number;
  barHeight: number;
  segments: HealthSegment[];
  scoreX: number;
}

export interface HealthChart {
  width: number;
  height: number;
  rows: HealthRow[];
  /** The x of the at-risk line and of the scale's 0 and 100. */
  lineX: number;
  zeroX: number;
  fullX: number;
}

export function healthChart(accounts: readonly AtRiskAccount[], below: number, width = 480, rowHeight = 42): HealthChart {
  const valueRoom = 40;
  const x = scaleLinear().domain([0, 100]).range([0, width - valueRoom]);
  const rows = accounts.map((account, index): HealthRow => {
    const y = index * rowHeight;
    let sum = 0;
    const segments = HEALTH_COMPONENTS.map(({ key, weight }) => {
      const points = weight * account[key] * 100;
      const segment = { key, points: round(points), x: round(x(sum)), width: round(x(sum + points) - x(sum)) };
      sum += points;
      return segment;
    });
    return { account, labelY: y + 15, barY: y + 21, barHeight: 14, segments, scoreX: round(x(sum)) + 6 };
  });
  return {
    width,
    height: Math.max(rows.length, 1) * rowHeight + 18,
    rows,
    lineX: round(x(below)),
    zeroX: round(x(0)),
    fullX: round(x(100)),
  };
}

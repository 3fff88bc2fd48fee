// Geometry of the NPS distribution: one 100 % bar split into detractors, passives and
// promoters (the order of the 0–10 scale), each segment named in text under the bar.
import { round } from "./sparkline";

export interface NpsCounts {
  promoters: number | null;
  passives: number | null;
  detractors: number | null;
}

export interface NpsSegment {
  key: "detractors" | "passives" | "promoters";
  label: string;
  count: number;
  share: number;
  x: number;
  width: number;
}

export interface NpsChart {
  width: number;
  height: number;
  total: number;
  segments: NpsSegment[];
}

const ORDER = [
  ["detractors", "Detractors (0–6)"],
  ["passives", "Passives (7–8)"],
  ["promoters", "Promoters (9–10)"],
] as const;

/** Null when there were no responses: the page says so instead of drawing an empty bar. */
export function npsChart(counts: NpsCounts, width = 480, height = 64): NpsChart | null {
  const total = (counts.promoters ?? 0) + (counts.passives ?? 0) + (counts.detractors ?? 0);
  if (total <= 0) return null;
  let x = 0;
  const segments = ORDER.map(([key, label]) => {
    const count = counts[key] ?? 0;
    const segment = { key, label, count, share: count / total, x: round(x), width: round((count / total) * width) };
    x += (count / total) * width;
    return segment;
  });
  return { width, height, total, segments };
}

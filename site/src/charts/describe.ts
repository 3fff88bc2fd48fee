// The sentences in each chart's <desc>: what a sighted reader takes from the picture, said
// in words (the trend's direction, the leader of a ranking, the funnel's end result).
import type { Formatter } from "../lib/format";
import { monthLabel } from "../lib/format";
import type { BarInput } from "./bars";
import type { NpsChart } from "./nps";
import type { SeriesValue } from "./sparkline";
import type { TrendMonth } from "./trend";

const percent = (format: Formatter, share: number) => format.value("ratio", share);

function extremes(series: readonly SeriesValue[]) {
  const known = series.filter((p): p is { month: string; value: number } => p.value !== null);
  if (known.length === 0) return null;
  const low = known.reduce((a, b) => (b.value < a.value ? b : a));
  const high = known.reduce((a, b) => (b.value > a.value ? b : a));
  return { low, high, first: known[0]!, last: known.at(-1)! };
}

/** "rose from $120,000 in February 2026 to $150,000 in March 2026" */
function movement(format: Formatter, unit: string, from: { month: string; value: number }, to: { month: string; value: number }) {
  const verb = to.value > from.value ? "rose" : to.value < from.value ? "fell" : "held steady";
  const a = format.value(unit, from.value);
  const b = format.value(unit, to.value);
  return verb === "held steady"
    ? `held steady at ${b} from ${monthLabel(from.month)} to ${monthLabel(to.month)}`
    : `${verb} from ${a} in ${monthLabel(from.month)} to ${b} in ${monthLabel(to.month)}`;
}

export function describeSparkline(name: string, unit: string, series: readonly SeriesValue[], format: Formatter): string {
  const e = extremes(series);
  if (!e) return `${name}: no data in the 12 months shown.`;
  if (e.first === e.last) return `${name} has one month of data: ${format.value(unit, e.last.value)} in ${monthLabel(e.last.month)}.`;
  return `${name} ${movement(format, unit, e.first, e.last)}; lowest ${format.value(unit, e.low.value)} in ${monthLabel(e.low.month)}, highest ${format.value(unit, e.high.value)} in ${monthLabel(e.high.month)}.`;
}

export function describeTrend(name: string, unit: string, months: readonly TrendMonth[], format: Formatter): string {
  const current = months.at(-1);
  const previous = months.at(-2);
  if (!current || current.value === null) return `${name}: no data for the report's month.`;
  const parts: string[] = [];
  parts.push(
    previous && previous.value !== null
      ? `${name} ${movement(format, unit, { month: previous.month, value: previous.value }, { month: current.month, value: current.value })}`
      : `${name} was ${format.value(unit, current.value)} in ${monthLabel(current.month)}`,
  );
  if (current.year_ago !== null && current.year_ago !== 0) {
    const change = (current.value - current.year_ago) / Math.abs(current.year_ago);
    parts.push(`${percent(format, Math.abs(change))} ${change >= 0 ? "above" : "below"} the same month a year earlier (${format.value(unit, current.year_ago)})`);
  } else {
    parts.push("no figure for the same month a year earlier");
  }
  const e = extremes(months);
  const range = e && e.low !== e.high ? ` Over the 12 months it ranged from ${format.value(unit, e.low.value)} (${monthLabel(e.low.month)}) to ${format.value(unit, e.high.value)} (${monthLabel(e.high.month)}).` : "";
  return `${parts.join(", ")}.${range}`;
}

export function describeRanking(name: string, dimension: string, unit: string, items: readonly BarInput[], format: Formatter): string {
  const known = items.filter((i): i is BarInput & { value: number } => i.value !== null);
  if (known.length === 0) return `${name} by ${dimension}: no data this month.`;
  const sorted = [...known].sort((a, b) => b.value - a.value);
  const total = known.reduce((sum, i) => sum + i.value, 0);
  const [first, second] = sorted;
  // A share of the total means something for sums (money, counts), not for rates or scores.
  const share = total > 0 && (unit === "money" || unit === "count") ? ` (${percent(format, first!.value / total)} of the total)` : "";
  const next = second ? `, followed by ${second.label} with ${format.value(unit, second.value)}` : "";
  return `${name} by ${dimension}, ${known.length} ${known.length === 1 ? "item" : "items"}: ${first!.label} leads with ${format.value(unit, first!.value)}${share}${next}.`;
}

export function describeFunnel(stages: readonly BarInput[], format: Formatter): string {
  const first = stages[0];
  const last = stages.at(-1);
  if (!first || first.value === null || !last) return "Deals reaching each stage: no data this month.";
  const steps = stages.slice(1).map((s) => `${format.value("count", s.value)} reached ${s.label}`);
  const overall = last.value !== null && first.value > 0 ? ` Overall, ${percent(format, last.value / first.value)} of new deals reached ${last.label}.` : "";
  return `Of ${format.value("count", first.value)} deals at ${first.label}, ${steps.join(", ")}.${overall}`;
}

export function describeQuota(rows: readonly { label: string; value: number | null }[], format: Formatter): string {
  const withQuota = rows.filter((r): r is { label: string; value: number } => r.value !== null);
  if (withQuota.length === 0) return "No rep has a quota this month.";
  const atQuota = withQuota.filter((r) => r.value >= 1).length;
  const best = withQuota.reduce((a, b) => (b.value > a.value ? b : a));
  return `${atQuota} of ${withQuota.length} reps with a quota reached 100%; the highest attainment is ${best.label} at ${format.value("ratio", best.value)}.`;
}

export function describeNps(score: number | null, chart: NpsChart, format: Formatter): string {
  const parts = [...chart.segments].reverse().map((s) => `${format.value("count", s.count)} ${s.key} (${percent(format, s.share)})`);
  const lead = score === null ? "NPS not computed" : `NPS ${format.value("score", score)}`;
  return `${lead} from ${format.value("count", chart.total)} responses: ${parts.join(", ")}.`;
}

export function describeMovements(items: readonly BarInput[], format: Formatter): string {
  const known = items.filter((i): i is BarInput & { value: number } => i.value !== null);
  if (known.length === 0) return "No MRR movements this month.";
  const net = known.reduce((sum, i) => sum + i.value, 0);
  const list = known.map((i) => `${i.label} ${signed(format, i.value)}`);
  return `MRR movements: ${list.join(", ")}; net ${signed(format, net)}.`;
}

function signed(format: Formatter, value: number): string {
  const text = format.value("money", Math.abs(value));
  return value > 0 ? `+${text}` : value < 0 ? `−${text}` : text;
}

/** "3 accounts score below 70: Northwind is lowest at 21 (revenue trend the weakest part)…" */
export function describeAtRisk(accounts: readonly { name: string; score: number; revenue: number; loyalty: number; engagement: number }[], below: number): string {
  if (accounts.length === 0) return `No customer account scores below ${below}.`;
  const weakest = (a: (typeof accounts)[number]) =>
    ([["revenue trend", a.revenue], ["loyalty", a.loyalty], ["engagement", a.engagement]] as const).reduce((m, c) => (c[1] < m[1] ? c : m))[0];
  const [first] = accounts;
  const rest = accounts.length > 1 ? `; the highest of them, ${accounts.at(-1)!.name}, scores ${accounts.at(-1)!.score}` : "";
  return `${accounts.length} ${accounts.length === 1 ? "account scores" : "accounts score"} below ${below}: ${first!.name} is lowest at ${first!.score}, its weakest part ${weakest(first!)}${rest}.`;
}

/** The waterfall in words: where the open pipeline started and ended, what added and took away. */
export function describeWaterfall(
  steps: readonly { movement: string; label: string; sign: number; deals: number; value: number }[],
  month: string,
  format: Formatter,
): string {
  const total = (id: string) => steps.find((s) => s.movement === id) ?? { deals: 0, value: 0 };
  const deals = (n: number) => `${format.value("count", n)} ${n === 1 ? "deal" : "deals"}`;
  const start = total("open_start");
  const end = total("open_end");
  const list = (sign: number) =>
    steps.filter((s) => s.sign === sign && s.value !== 0).map((s) => `${s.label.toLowerCase()} ${format.value("money", s.value)}`).join(", ");
  const added = list(1);
  const removed = list(-1);
  return `The open pipeline went from ${format.value("money", start.value)} (${deals(start.deals)}) at the start of ${monthLabel(month)} to ${format.value("money", end.value)} (${deals(end.deals)}) at its end.` +
    (added ? ` Added: ${added}.` : " Nothing was added.") +
    (removed ? ` Taken away: ${removed}.` : " Nothing was taken away.");
}

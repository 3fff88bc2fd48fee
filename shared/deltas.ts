// The comparison lines of a headline (vs M−1, vs M−12, year to date): which way the value
// moved, whether that is good for this KPI, and the words that say both, so colour is never
// the only signal. A still-maturing cohort month (maturing.ts) gets no verdict. Shared by
// the site's tiles and the digest (workers/reports/digest.ts).
import type { Headline } from "./report";
import { type Formatter, shortMonth } from "./format";
import { addMonths } from "./months";

/** How a KPI's change is stated: money and counts relatively; ratios, scores and durations by their difference. */
export const changeKindOf = (unit: string): Headline["change_kind"] => (unit === "money" || unit === "count" ? "relative" : "difference");

/** "maturing": a change of a young cohort month, shown but judged neither way. */
export type Tone = "good" | "bad" | "flat" | "none" | "maturing";

export interface Delta {
  /** "vs Feb 2026" */
  reference: string;
  /** "+12.5%", "−2.1 pp", "—" */
  text: string;
  arrow: "▲" | "▼" | "▬" | "";
  tone: Tone;
  /** The sentence a screen reader hears: "up 12.5% vs Feb 2026, better". */
  spoken: string;
}

/** The word a tile or a table shows beside a change; none for a maturing or missing one. */
export const VERDICTS: Record<Tone, string> = { good: "better", bad: "worse", flat: "flat", none: "", maturing: "" };

/** Good or bad from the direction in which the KPI improves. */
export function toneOf(change: number | null, direction: "up" | "down"): Tone {
  if (change === null || !Number.isFinite(change)) return "none";
  // Changes below half a basis point print as ±0 and should not be coloured.
  if (Math.abs(change) < 0.00005) return "flat";
  return (change > 0) === (direction === "up") ? "good" : "bad";
}

/** `maturing`: the headline's month is a cohort still maturing, so no verdict either way. */
export function delta(change: number | null, headline: Headline, reference: string, format: Formatter, maturing = false): Delta {
  const judged = toneOf(change, headline.direction as "up" | "down");
  const tone: Tone = maturing && judged !== "none" ? "maturing" : judged;
  const text = format.change(headline.change_kind, headline.unit, change);
  const moved = judged === "good" || judged === "bad";
  const arrow = judged === "none" ? "" : !moved ? "▬" : change! > 0 ? "▲" : "▼";
  const movement = judged === "none" ? "no comparison" : !moved ? "unchanged" : change! > 0 ? "up" : "down";
  const verdict = tone === "good" ? ", better" : tone === "bad" ? ", worse" : tone === "maturing" ? ", not judged: the cohort is still maturing" : "";
  const spoken = tone === "none" ? `${reference}: no data` : `${movement} ${text.replace(/^[+−±]/, "")} ${reference}${verdict}`;
  return { reference, text, arrow, tone, spoken };
}

/** The three comparisons a headline tile shows; none judged when its month is still maturing. */
export function headlineDeltas(headline: Headline, month: string, format: Formatter, maturing = false): Delta[] {
  const year = Number(month.slice(0, 4));
  return [
    delta(headline.change_mom, headline, `vs ${shortMonth(addMonths(month, -1), true)}`, format, maturing),
    delta(headline.change_yoy, headline, `vs ${shortMonth(addMonths(month, -12), true)}`, format, maturing),
    delta(headline.change_ytd, headline, `YTD vs ${year - 1}`, format, maturing),
  ];
}

// The comparison lines of a headline (vs M−1, vs M−12, year to date): which way the value
// moved, whether that is good for this KPI, and the words that say both, so colour is never
// the only signal.
import type { Headline } from "../../../shared/report";
import { type Formatter, shortMonth } from "./format";
import { addMonths } from "../../../shared/months";

export type Tone = "good" | "bad" | "flat" | "none";

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

/** Good or bad from the direction in which the KPI improves. */
export function toneOf(change: number | null, direction: "up" | "down"): Tone {
  if (change === null || !Number.isFinite(change)) return "none";
  // Changes below half a basis point print as ±0 and should not be coloured.
  if (Math.abs(change) < 0.00005) return "flat";
  return (change > 0) === (direction === "up") ? "good" : "bad";
}

export function delta(change: number | null, headline: Headline, reference: string, format: Formatter): Delta {
  const tone = toneOf(change, headline.direction as "up" | "down");
  const text = format.change(headline.change_kind, headline.unit, change);
  const arrow = tone === "none" ? "" : tone === "flat" ? "▬" : change! > 0 ? "▲" : "▼";
  const movement = tone === "none" ? "no comparison" : tone === "flat" ? "unchanged" : change! > 0 ? "up" : "down";
  const verdict = tone === "good" ? ", better" : tone === "bad" ? ", worse" : "";
  const spoken = tone === "none" ? `${reference}: no data` : `${movement} ${text.replace(/^[+−±]/, "")} ${reference}${verdict}`;
  return { reference, text, arrow, tone, spoken };
}

/** The three comparisons a headline tile shows. */
export function headlineDeltas(headline: Headline, month: string, format: Formatter): Delta[] {
  const year = Number(month.slice(0, 4));
  return [
    delta(headline.change_mom, headline, `vs ${shortMonth(addMonths(month, -1), true)}`, format),
    delta(headline.change_yoy, headline, `vs ${shortMonth(addMonths(month, -12), true)}`, format),
    delta(headline.change_ytd, headline, `YTD vs ${year - 1}`, format),
  ];
}

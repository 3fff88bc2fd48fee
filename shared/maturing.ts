// Young cohorts. A cohort KPI measures a month's entrants by what they have done since ("of
// leads created in M, the share that reached customer"), so it keeps rising for as long as
// its members take to convert: a month that has only just ended reads 0 % and would be
// judged WORSE against mature months. Such a month is shown as "still maturing": its value,
// without a better / worse verdict. Derived from the report's own 12-month series (by the
// site at build time, by the digest); nothing here changes what the API or the CSV say.
import type { Headline, Report } from "./report";
import { monthBounds } from "./months";
import { DAY_MS } from "./units";
import { type Formatter, instantLabel, monthLabel } from "./format";

/** Each cohort KPI and the KPI that says how long its members typically take to convert. */
export const COHORT_KPIS: Readonly<Record<string, string>> = {
  lead_conversion_rate: "customer_lifecycle_days",
  mql_to_customer_rate: "customer_lifecycle_days",
  sql_to_customer_rate: "customer_lifecycle_days",
  opportunity_win_rate: "sales_cycle_days",
};

/** The rule in words, for the glossary (and the README): the one statement of it. */
export const MATURING_RULE =
  "A cohort KPI (lead conversion rate, MQL → customer, SQL → customer, opportunity win rate) counts what a month's entrants have done since they entered, so it keeps rising until they have had time to convert. " +
  "The workspace's typical time to convert is the median of the monthly lead-to-customer times (customer_lifecycle_days; for opportunity win rate the sales cycle, sales_cycle_days) in the report's 12 months, months without a value left out. " +
  "A month is still maturing when it ended less than that typical time before the report's data was last updated (its data-as-of instant; without any event, the time it was computed): even its last entrants have not had the typical time. " +
  "A still-maturing month shows its value, marked as such, and its changes against earlier months without a better or worse verdict. When the report holds no value of the typical time, no month is marked.";

export interface Maturity {
  kpi: string;
  /** The KPI the typical time comes from. */
  timeKpi: string;
  /** The median of its monthly values in the report's 12 months, in days; null without any. */
  typicalDays: number | null;
  /** The instant the cohort's age is measured at: the report's data_as_of (else computed_at). */
  asOf: number;
  /** Days from the end of `month` (in the workspace's zone) to asOf. */
  ageDays(month: string): number;
  /** Whether the cohort of `month` is still maturing. */
  maturing(month: string): boolean;
}

/** The median: the middle value, or the mean of the two middle values of an even count. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function allHeadlines(report: Report): Headline[] {
  return [...report.headlines, ...report.leads.conversion, ...report.activity.responsiveness, ...report.customers.metrics];
}

/** The maturity of a cohort KPI's months in this report; null for a KPI that is not a cohort. */
export function maturityOf(kpi: string, report: Report): Maturity | null {
  const timeKpi = COHORT_KPIS[kpi];
  if (!timeKpi) return null;
  const times = allHeadlines(report).find((h) => h.kpi === timeKpi)?.series ?? [];
  const typicalDays = median(times.flatMap((p) => (p.value === null || !Number.isFinite(p.value) ? [] : [p.value])));
  const asOf = Date.parse(report.freshness.data_as_of ?? report.freshness.computed_at);
  const ageDays = (month: string) => (asOf - monthBounds(month, report.workspace.timezone).end) / DAY_MS;
  return {
    kpi,
    timeKpi,
    typicalDays,
    asOf,
    ageDays,
    maturing: (month) => typicalDays !== null && ageDays(month) < typicalDays,
  };
}

/** How the typical time reads in a sentence: "a lead typically takes 64 days to become a customer". */
const TYPICAL: Record<string, (time: string) => string> = {
  customer_lifecycle_days: (time) => `a lead typically takes ${time} to become a customer`,
  sales_cycle_days: (time) => `a won deal typically takes ${time} from creation to close`,
};

/**
 * The sentence under a table or in a tile that holds still-maturing months: which KPIs, why,
 * and the figures the rule used. Null when none of them is maturing in `month`.
 */
export function maturingNote(maturities: readonly Maturity[], names: ReadonlyMap<string, string>, month: string, format: Formatter, timeZone: string): string | null {
  const young = maturities.filter((m) => m.maturing(month));
  const first = young[0];
  if (!first) return null;
  const list = young.map((m) => names.get(m.kpi) ?? m.kpi);
  const reasons = [...new Set(young.map((m) => m.timeKpi))].map((timeKpi) => {
    const time = format.value("days", young.find((m) => m.timeKpi === timeKpi)!.typicalDays);
    return TYPICAL[timeKpi]?.(time) ?? `the typical ${timeKpi} is ${time}`;
  });
  const age = first.ageDays(month);
  const ended = age < 0 ? "had not ended at" : `ended ${format.value("days", age)} before`;
  const update = instantLabel(new Date(first.asOf).toISOString(), timeZone);
  return `Still maturing: ${list.join(", ")}. ${monthLabel(month)} ${ended} the data's last update (${update}); ${reasons.join(" and ")} (the median over these 12 months), so this cohort can still convert: its changes are not judged better or worse.`;
}

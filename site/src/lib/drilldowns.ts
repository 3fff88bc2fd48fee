// Links from a report to its drill-down pages (shared/drilldown.ts): only to the values
// whose members the report carries, so no link leads nowhere.
import { KPI_BY_ID } from "../../../shared/catalog";
import { drilldownHref, drilldownId } from "../../../shared/drilldown";
import type { Drilldown, Report } from "../../../shared/report";

/** The link to the drill-down page of (kpi, dimension, key), or null when the report has none. */
export type DrillLink = (kpi: string, dimension: string, key: string) => string | null;

export function drillLinks(report: Report): DrillLink {
  const ids = new Set((report.drilldowns ?? []).map((d) => d.id));
  return (kpi, dimension, key) => (ids.has(drilldownId(kpi, dimension, key)) ? drilldownHref(kpi, dimension, key) : null);
}

const NOUNS: Record<string, [one: string, many: string]> = {
  deal: ["deal", "deals"],
  lead: ["lead", "leads"],
  activity: ["activity", "activities"],
  account: ["account", "accounts"],
  survey: ["response", "responses"],
  rep: ["rep", "reps"],
  marketing_spend: ["spend source", "spend sources"],
};

/** What a side's members are, in words: "deals", or "reps and deals" when it holds several kinds. */
export function membersNoun(side: Drilldown["numerator"], count = side.count): string {
  const kinds = [...new Set(side.members.map((m) => m.type))];
  if (kinds.length === 0) return count === 1 ? "member" : "members";
  return kinds.map((k) => NOUNS[k]?.[count === 1 ? 0 : 1] ?? k).join(" and ");
}

/** The question a link answers, by the kind of member behind it: "Which deals?" */
export function drillQuestion(report: Report, kpi: string, dimension: string, key: string): string {
  const drill = (report.drilldowns ?? []).find((d) => d.id === drilldownId(kpi, dimension, key));
  return drill ? `Which ${membersNoun(drill.numerator, 2)}?` : "Which members?";
}

/** Every report's drill-downs as static pages: [report, drill-down] pairs. */
export const drilldownPages = <T extends { report: Report }>(loaded: readonly T[]) =>
  loaded.flatMap((l) => (l.report.drilldowns ?? []).map((drilldown) => ({ loaded: l, drilldown })));

/** A drill-down's heading: "Revenue won — EMEA" (the KPI's name, and the key unless overall). */
export function drilldownHeading(drilldown: Drilldown): string {
  const name = KPI_BY_ID.get(drilldown.kpi)?.name ?? drilldown.kpi;
  return drilldown.dimension === "all" ? name : `${name} — ${drilldown.label}`;
}

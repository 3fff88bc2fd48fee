// Assembles a monthly report from month documents (pure: no I/O). The documents of M and
// the 23 months before it give the headline deltas, year to date and 12-month series.
import { type Dimension, type KpiId, kpiDefinition, scaleOf } from "../../shared/catalog";
import { changeKindOf } from "../../shared/deltas";
import { addMonths, monthRange } from "../../shared/months";
import { MOVEMENT_IDS } from "../../shared/pipeline-movement";
import {
  REPORT_SCHEMA_VERSION, type AtRiskAccount, type ForecastSection, type MovementStep, type PipelineMovementSection, type SlippedDeal, type Breakdown, type CustomerHealth, type Headline, type Item, type LeaderboardRow, type Report,
} from "../../shared/report";
import type { MonthDocument, ValueRecord } from "../kpi/month-document";
import { LEAD_STAGES } from "../model/events";
import type { MovementAmount, PipelineMovement } from "../kpi/movement-document";
import type { AccountHealthRow, ForecastRow, SlippedDealRow } from "./inputs";
import { CHANGE_KPIS, type ChangeValue, whatChanged } from "./changes";

export interface ReportInput {
  workspace: { slug: string; name: string; timezone: string; currency: string };
  month: string;
  /** Month documents by month; months not computed are simply absent. */
  documents: ReadonlyMap<string, MonthDocument>;
  /** Display names by dimension and key (reps, products); keys without one show as is. */
  names: { rep: Record<string, string>; product: Record<string, string> };
  /** Each rep's current team, for the leaderboard. */
  teams: Record<string, string | null>;
  publication: { version: number; published_at: string; share_token: string };
  /** The at-risk accounts of M (inputs.ts atRiskAccountsFor) and the score they are below. */
  atRisk?: { below: number; accounts: readonly AccountHealthRow[] };
  /** The waterfall of M overall and by team (inputs.ts movementFor); without it, no section. */
  movement?: { all: PipelineMovement; team: PipelineMovement } | null;
  /** The largest slipped deals of M (inputs.ts slippedDealsFor). */
  slipped?: readonly SlippedDealRow[];
  /** The forecast made at start(M+1), overall (inputs.ts forecastFor); without it, no section. */
  forecast?: { madeAtStartOf: string; rows: readonly ForecastRow[] };
}

export const HEADLINE_KPIS = [
  "revenue_won", "deals_won", "win_rate", "avg_deal_size", "open_pipeline_value", "new_leads", "mrr", "nps",
] as const satisfies readonly KpiId[];

/** Lead stages in lifecycle order, then leads without a stage (docs/kpis.md, rule 9). */
const LEAD_STAGE_ORDER: readonly string[] = [...LEAD_STAGES, "unknown"];

function records(document: MonthDocument | undefined, kpi: KpiId, dimension: Dimension): ValueRecord[] {
  return document?.kpis[kpi]?.values.filter((v) => v.dimension === dimension) ?? [];
}

function overall(document: MonthDocument | undefined, kpi: KpiId): ValueRecord | undefined {
  return records(document, kpi, "all").find((v) => v.key === "all");
}

/**
 * Year to date over `months`: Σ of a total; Σ numerator ÷ Σ denominator of a ratio or a
 * mean (never a mean of monthly values), at the catalog's scale (nps: 100); null for
 * states (their catalog entry says so), medians and derived KPIs.
 */
export function yearToDate(kpi: KpiId, months: string[], documents: ReadonlyMap<string, MonthDocument>): number | null {
  const { state, aggregation } = kpiDefinition(kpi);
  if (state) return null;
  const values = months.map((m) => overall(documents.get(m), kpi));
  if (aggregation === "total") return values.reduce((sum, v) => sum + (v?.value ?? 0), 0);
  if (aggregation === "ratio" || aggregation === "mean") {
    let numerator = 0;
    let denominator = 0;
    for (const v of values) {
      numerator += v?.numerator ?? 0;
      denominator += v?.denominator ?? 0;
    }
    return denominator === 0 ? null : (scaleOf(kpi) * numerator) / denominator;
  }
  return null;
}

/** How the KPI's changes are stated (shared/deltas.ts). */
const changeKind = (kpi: KpiId) => changeKindOf(kpiDefinition(kpi).unit);

function change(kind: Headline["change_kind"], current: number | null, base: number | null): number | null {
  if (current === null || base === null) return null;
  if (kind === "difference") return current - base;
  return base === 0 ? null : (current - base) / Math.abs(base);
}

export function headline(kpi: KpiId, month: string, documents: ReadonlyMap<string, MonthDocument>): Headline {
  const definition = kpiDefinition(kpi);
  const valueOf = (m: string) => overall(documents.get(m), kpi)?.value ?? null;
  const kind = changeKind(kpi);
  const year = month.slice(0, 4);
  const ytd = yearToDate(kpi, monthRange(`${year}-01`, month), documents);
  const ytdYearAgo = yearToDate(kpi, monthRange(`${Number(year) - 1}-01`, addMonths(month, -12)), documents);
  const value = valueOf(month);
  const previous = valueOf(addMonths(month, -1));
  const yearAgo = valueOf(addMonths(month, -12));
  return {
    kpi,
    name: definition.name,
    unit: definition.unit,
    direction: definition.direction,
    formula: definition.formula,
    value,
    previous,
    year_ago: yearAgo,
    ytd,
    ytd_year_ago: ytdYearAgo,
    change_mom: change(kind, value, previous),
    change_yoy: change(kind, value, yearAgo),
    change_ytd: change(kind, ytd, ytdYearAgo),
    change_kind: kind,
    series: monthRange(addMonths(month, -11), month).map((m) => ({ month: m, value: valueOf(m) })),
  };
}

function item(record: ValueRecord, label: string): Item {
  const result: Item = { key: record.key, label, value: record.value };
  if (record.numerator !== undefined) result.numerator = record.numerator;
  if (record.denominator !== undefined) result.denominator = record.denominator;
  return result;
}

const byValueDescending = (a: Item, b: Item) => (b.value ?? -Infinity) - (a.value ?? -Infinity) || a.key.localeCompare(b.key);

function breakdown(
  document: MonthDocument | undefined,
  kpi: KpiId,
  dimension: Dimension,
  label: (key: string) => string = (key) => key,
  order: (a: Item, b: Item) => number = byValueDescending,
): Breakdown {
  const definition = kpiDefinition(kpi);
  return {
    kpi,
    name: definition.name,
    unit: definition.unit,
    dimension,
    formula: definition.formula,
    items: records(document, kpi, dimension).map((r) => item(r, label(r.key))).sort(order),
  };
}

function leaderboard(input: ReportInput, document: MonthDocument | undefined): LeaderboardRow[] {
  const byRep = (kpi: KpiId) => new Map(records(document, kpi, "rep").map((r) => [r.key, r.value]));
  const revenue = byRep("revenue_won");
  const deals = byRep("deals_won");
  const winRate = byRep("win_rate");
  const quota = byRep("quota_attainment");
  const handoffs = byRep("handoffs");
  // A total: a rep without a row handed nothing off, once the month has the KPI at all.
  const noHandoff = overall(document, "handoffs") === undefined ? null : 0;
  const reps = new Set([...revenue.keys(), ...deals.keys(), ...winRate.keys(), ...quota.keys(), ...handoffs.keys()]);
  return [...reps]
    .map((rep) => ({
      rep_id: rep,
      name: input.names.rep[rep] ?? rep,
      team: input.teams[rep] ?? null,
      revenue_won: revenue.get(rep) ?? null,
      deals_won: deals.get(rep) ?? null,
      win_rate: winRate.get(rep) ?? null,
      quota_attainment: quota.get(rep) ?? null,
      handoffs: handoffs.get(rep) ?? noHandoff,
    }))
    .sort((a, b) => (b.revenue_won ?? -1) - (a.revenue_won ?? -1) || a.name.localeCompare(b.name));
}

/** The pipeline's stage order, read back from the chain of conversion pairs "a>b". */
function pipelineOrder(conversions: ValueRecord[]): string[] {
  const next = new Map(conversions.map((c) => c.key.split(">") as [string, string]));
  const targets = new Set(next.values());
  const first = [...next.keys()].find((stage) => !targets.has(stage));
  const order: string[] = [];
  for (let stage = first; stage !== undefined && !order.includes(stage); stage = next.get(stage)) order.push(stage);
  return order;
}

/** A loss reason as recorded (lower-cased, trimmed: docs/kpis.md), `unknown` in words. */
const reasonLabel = (key: string) => (key === "unknown" ? "No reason given" : key.charAt(0).toUpperCase() + key.slice(1));

/**
 * The values "What changed" reads (changes.ts), from the documents already read: the
 * overall values of M and the 12 months before it, the breakdowns of M and M−1.
 */
function changeValues(month: string, documents: ReadonlyMap<string, MonthDocument>): ChangeValue[] {
  const withBreakdowns = new Set([month, addMonths(month, -1)]);
  return monthRange(addMonths(month, -12), month).flatMap((m) =>
    CHANGE_KPIS.flatMap((kpi) =>
      (documents.get(m)?.kpis[kpi]?.values ?? [])
        .filter((v) => withBreakdowns.has(m) || v.dimension === "all")
        .map((v) => ({ month: m, kpi, dimension: v.dimension, key: v.key, value: v.value, denominator: v.denominator })),
    ),
  );
}

/** Component scores are kept to 4 decimals: enough for any display, stable in the content hash. */
const component = (value: number) => Math.round(value * 10_000) / 10_000;

function customerHealth(input: ReportInput, document: MonthDocument, headlines: (kpis: readonly KpiId[]) => Headline[]): CustomerHealth {
  const atRisk = overall(document, "accounts_at_risk");
  const accounts = (input.atRisk?.accounts ?? []).map((a): AtRiskAccount => ({
    account_id: a.account_id,
    name: a.name,
    owner_rep_id: a.owner_rep_id,
    owner: a.owner_rep_id === null ? null : (input.names.rep[a.owner_rep_id] ?? a.owner_rep_id),
    segment: a.segment,
    mrr: a.mrr,
    revenue: component(a.revenue),
    loyalty: component(a.loyalty),
    engagement: component(a.engagement),
    score: a.score,
  }));
  return {
    metrics: headlines(["customer_health", "accounts_at_risk"]),
    by_segment: breakdown(document, "customer_health", "segment"),
    at_risk_below: input.atRisk?.below ?? 70,
    // The ratio's numerator is the number of accounts at risk.
    at_risk_count: atRisk?.numerator ?? null,
    at_risk: accounts,
  };
}

const SLIPPAGE_KPIS = [
  "slipped_deals", "slipped_value", "pushed_deals", "pushed_value", "pulled_in_deals", "pulled_in_value",
] as const satisfies readonly KpiId[];

/** Every class in the waterfall's order (shared/pipeline-movement.ts), 0 where no deal moved that way. */
const steps = (movements: Record<string, MovementAmount> | undefined): MovementStep[] =>
  MOVEMENT_IDS.map((movement) => ({ movement, deals: movements?.[movement]?.deals ?? 0, value: movements?.[movement]?.value ?? 0 }));

function pipelineMovement(
  input: ReportInput,
  document: MonthDocument,
  headlines: (kpis: readonly KpiId[]) => Headline[],
): PipelineMovementSection | undefined {
  if (!input.movement) return undefined;
  const { all, team } = input.movement;
  const slipped = (input.slipped ?? []).map((d): SlippedDeal => ({
    deal_id: d.deal_id,
    name: d.name,
    owner_rep_id: d.owner_rep_id,
    owner: d.owner_rep_id === null ? null : (input.names.rep[d.owner_rep_id] ?? d.owner_rep_id),
    value: d.converted,
    planned_close: new Date(d.planned).toISOString(),
    expected_close: d.expected === null ? null : new Date(d.expected).toISOString(),
    pushed: Boolean(d.pushed),
  }));
  return {
    overall: steps(all.groups.find((g) => g.key === "all")?.movements),
    by_team: team.groups.map((g) => ({ key: g.key, movements: steps(g.movements) })),
    slippage: headlines(SLIPPAGE_KPIS),
    // A total the month's run computed with its movement: no row means no deal slipped.
    slipped_count: overall(document, "slipped_deals")?.value ?? 0,
    slipped,
  };
}

/** The months whose forecast accuracy the report draws: the 12 ending at M. */
const ACCURACY_MONTHS = 12;

/**
 * "Next three months" (docs/kpis.md, rule 39): the stored forecast made at start(M+1) —
 * never one computed now, so the report shows what was forecast — and forecast_accuracy of
 * the trailing months from their documents.
 */
function forecastSection(input: ReportInput): ForecastSection | undefined {
  if (!input.forecast) return undefined;
  const { madeAtStartOf, rows } = input.forecast;
  const first = rows[0];
  return {
    made_at_start_of: madeAtStartOf,
    made_at: first ? new Date(first.made_at).toISOString() : null,
    months: rows.map((r) => ({
      month: r.target_month,
      weighted: r.weighted,
      // The stored Σ of the three trailing months (forecast_run_rate's numerator) ÷ 3.
      run_rate: r.trailing_revenue / 3,
      deals: r.deals,
      pipeline: r.pipeline,
      quota: r.quota,
      coverage: r.quota ? r.pipeline / r.quota : null,
    })),
    accuracy: monthRange(addMonths(input.month, -(ACCURACY_MONTHS - 1)), input.month).map((m) => ({
      month: m,
      value: overall(input.documents.get(m), "forecast_accuracy")?.value ?? null,
    })),
  };
}

/** Everything the report shows, from the documents; throws if M itself was never computed. */
export function assembleReport(input: ReportInput): Report {
  const { month, documents } = input;
  const document = documents.get(month);
  if (!document) throw new Error(`the KPIs of ${month} have not been computed`);
  const headlines = (kpis: readonly KpiId[]) => kpis.map((kpi) => headline(kpi, month, documents));
  const revenue = (m: string) => overall(documents.get(m), "revenue_won")?.value ?? null;
  const stagesOrder = (a: Item, b: Item) => LEAD_STAGE_ORDER.indexOf(a.key) - LEAD_STAGE_ORDER.indexOf(b.key);
  const conversions = records(document, "stage_conversion", "stage");
  const pipeline = pipelineOrder(conversions);
  const inPipeline = (a: Item, b: Item) => pipeline.indexOf(a.key) - pipeline.indexOf(b.key);
  const count = (kpi: KpiId) => overall(document, kpi)?.value ?? null;
  const repName = (key: string) => input.names.rep[key] ?? key;
  // Losses are negative so that a chart of the movements shows gains and losses apart.
  const movement = (kpi: KpiId, label: string, sign = 1): Item => {
    const value = count(kpi);
    return { key: kpi, label, value: value === null ? null : sign * value };
  };

  return {
    schema_version: REPORT_SCHEMA_VERSION,
    workspace: input.workspace,
    month,
    version: input.publication.version,
    published_at: input.publication.published_at,
    share_token: input.publication.share_token,
    freshness: { data_as_of: document.data_as_of, computed_at: document.computed_at, catalog_version: document.catalog_version },
    headlines: headlines(HEADLINE_KPIS),
    changes: whatChanged({
      month,
      currency: input.workspace.currency,
      values: changeValues(month, documents),
      label: (dimension, key) => (dimension === "reason" ? reasonLabel(key) : dimension === "rep" ? repName(key) : key),
    }),
    revenue_trend: {
      unit: "money",
      months: monthRange(addMonths(month, -11), month).map((m) => ({ month: m, value: revenue(m), year_ago: revenue(addMonths(m, -12)) })),
    },
    funnel: {
      // The funnel keeps the pipeline's order, not a ranking.
      reached: records(document, "stage_reached", "stage").map((r) => item(r, r.key)).sort(inPipeline),
      conversion: conversions
        .map((r) => item(r, r.key.replace(">", " → ")))
        .sort((a, b) => pipeline.indexOf(a.key.split(">")[0]!) - pipeline.indexOf(b.key.split(">")[0]!)),
    },
    leaderboard: leaderboard(input, document),
    breakdowns: {
      revenue_by_region: breakdown(document, "revenue_won", "region"),
      revenue_by_product: breakdown(document, "revenue_won", "product", (key) => input.names.product[key] ?? key),
      revenue_by_source: breakdown(document, "revenue_won", "source"),
    },
    leads: {
      new_by_source: breakdown(document, "new_leads", "source"),
      by_stage: breakdown(document, "leads_by_stage", "stage", (key) => key, stagesOrder),
      conversion: headlines(["lead_conversion_rate", "mql_to_customer_rate", "sql_to_customer_rate", "customer_lifecycle_days", "cost_per_lead"]),
    },
    activity: {
      by_type: breakdown(document, "activities", "type"),
      responsiveness: headlines([
        "lead_response_minutes", "responded_within_1h", "leads_followed_up",
        "customer_response_minutes", "positive_reply_rate", "meeting_booking_rate",
      ]),
      selling_time: {
        share: headline("selling_time_share", month, documents),
        // By team: a few bars however many reps there are.
        by_team: breakdown(document, "selling_time_share", "team"),
      },
    },
    customers: {
      nps: {
        score: count("nps"),
        promoters: count("nps_promoters"),
        passives: count("nps_passives"),
        detractors: count("nps_detractors"),
      },
      mrr_movements: [
        movement("new_mrr", "New"),
        movement("expansion_mrr", "Expansion"),
        movement("reactivation_mrr", "Reactivation"),
        movement("contraction_mrr", "Contraction", -1),
        movement("churned_mrr", "Churned", -1),
      ],
      metrics: headlines([
        "mrr", "active_customers", "logo_churn_rate", "revenue_churn_rate", "net_revenue_retention", "arpa", "customer_lifetime_value",
      ]),
      churn_by_rep: breakdown(document, "logo_churn_rate", "rep", repName),
    },
    health: customerHealth(input, document, headlines),
    losses: {
      lost_revenue_by_reason: breakdown(document, "lost_revenue", "reason", reasonLabel),
      deals_lost_by_reason: breakdown(document, "deals_lost", "reason", reasonLabel),
      competitive_by_team: breakdown(document, "competitive_loss_rate", "team"),
      metrics: headlines(["lost_revenue", "deals_lost", "competitive_loss_rate"]),
    },
    acquisition: {
      // The lifetime value it is set against is in customers.metrics.
      metrics: headlines(["customer_acquisition_cost", "ltv_to_cac", "avg_lead_score"]),
    },
    pipeline_movement: pipelineMovement(input, document, headlines),
    forecast: forecastSection(input),
    warnings: document.warnings,
  };
}

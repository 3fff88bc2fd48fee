// The published monthly report: the contract between the Worker (which assembles and
// publishes it) and the site (which renders it). Versioned: a breaking change is a new
// REPORT_SCHEMA_VERSION, and the site refuses versions it does not know.
import { z } from "zod";
import { MOVEMENT_IDS } from "./pipeline-movement";

export const REPORT_SCHEMA_VERSION = 1;

const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/);
const nullableNumber = z.number().nullable();

/** A KPI's value in one month. */
export const SeriesPoint = z.object({ month, value: nullableNumber });

/** A headline KPI: M with M−1, M−12 and year to date, the change against each, 12 months. */
export const Headline = z.object({
  kpi: z.string(),
  name: z.string(),
  unit: z.string(),
  direction: z.enum(["up", "down"]),
  formula: z.string(),
  value: nullableNumber,
  previous: nullableNumber,
  year_ago: nullableNumber,
  /** Year to date (January … M): Σ for totals, Σ numerator ÷ Σ denominator for ratios; null for states. */
  ytd: nullableNumber,
  /** The same months a year earlier. */
  ytd_year_ago: nullableNumber,
  /** Relative changes ((a − b) ÷ |b|) for money and counts; differences for ratios and scores. */
  change_mom: nullableNumber,
  change_yoy: nullableNumber,
  change_ytd: nullableNumber,
  change_kind: z.enum(["relative", "difference"]),
  series: z.array(SeriesPoint),
});

/** One labelled value of a breakdown (a rep, a region, a stage…). */
export const Item = z.object({
  key: z.string(),
  label: z.string(),
  value: nullableNumber,
  numerator: nullableNumber.optional(),
  denominator: nullableNumber.optional(),
});

/** A KPI broken down by one dimension, items sorted for display. */
export const Breakdown = z.object({
  kpi: z.string(),
  name: z.string(),
  unit: z.string(),
  dimension: z.string(),
  formula: z.string(),
  items: z.array(Item),
});

export const LeaderboardRow = z.object({
  rep_id: z.string(),
  name: z.string(),
  team: z.string().nullable(),
  revenue_won: nullableNumber,
  deals_won: nullableNumber,
  win_rate: nullableNumber,
  quota_attainment: nullableNumber,
  /** Deals created in M from this rep's leads and owned by another rep (catalog 2; absent before). */
  handoffs: nullableNumber.optional(),
});

/**
 * A customer account whose health score is below the at-risk line at the end of M, with
 * the three components of its score (each 0–1, docs/kpis.md "Health score").
 */
export const AtRiskAccount = z.object({
  account_id: z.string(),
  name: z.string(),
  owner_rep_id: z.string().nullable(),
  /** The owner's display name, else the rep id; null without an owner. */
  owner: z.string().nullable(),
  segment: z.string(),
  /** MRR at the end of the month, converted to the workspace currency. */
  mrr: z.number(),
  revenue: z.number().min(0).max(1),
  loyalty: z.number().min(0).max(1),
  engagement: z.number().min(0).max(1),
  score: z.number().int().min(0).max(100),
});

/** Customer health at the end of M (catalog version 2). */
export const CustomerHealth = z.object({
  /** customer_health and accounts_at_risk. */
  metrics: z.array(Headline),
  by_segment: Breakdown,
  /** Accounts below this score are at risk. */
  at_risk_below: z.number(),
  /** How many accounts are at risk in all (the list may be cut to the lowest scores). */
  at_risk_count: nullableNumber,
  /** The at-risk accounts, lowest score first, at most AT_RISK_LIST_LIMIT. */
  at_risk: z.array(AtRiskAccount),
});

/** Why deals were lost in M (catalog version 2). */
export const Losses = z.object({
  lost_revenue_by_reason: Breakdown,
  deals_lost_by_reason: Breakdown,
  /** competitive_loss_rate by team: where a competitor takes the deals. */
  competitive_by_team: Breakdown,
  /** lost_revenue, deals_lost and competitive_loss_rate. */
  metrics: z.array(Headline),
});

/** Deals and converted value of one movement class (shared/pipeline-movement.ts). */
export const MovementStep = z.object({
  movement: z.enum(MOVEMENT_IDS as [string, ...string[]]),
  deals: z.number(),
  value: z.number(),
});

/** A deal expected to close in M (at the start of M or when first seen) still open at start(M+1). */
export const SlippedDeal = z.object({
  deal_id: z.string(),
  name: z.string(),
  owner_rep_id: z.string().nullable(),
  /** The owner's display name, else the rep id; null without an owner. */
  owner: z.string().nullable(),
  /** The amount at start(M+1), converted to the workspace currency (null without a rate). */
  value: nullableNumber,
  /** The expected close the month began with (ISO instant). */
  planned_close: z.string(),
  /** The expected close at start(M+1), null when it was cleared. */
  expected_close: z.string().nullable(),
  /** Its expected close moved out of M during M. */
  pushed: z.boolean(),
});

/** How the open pipeline moved in M (docs/kpis.md, "Pipeline movement"), and what slipped. */
export const PipelineMovementSection = z.object({
  /** Every class of the overall waterfall, in shared/pipeline-movement.ts order (0 where none). */
  overall: z.array(MovementStep),
  /** The same by the owner's team at each edge, teams by name. */
  by_team: z.array(z.object({ key: z.string(), movements: z.array(MovementStep) })),
  /** slipped, pushed and pulled-in deals: counts and values. */
  slippage: z.array(Headline),
  /** How many deals slipped in all (the list may be cut to the largest). */
  slipped_count: nullableNumber,
  /** The slipped deals, largest converted value first, at most SLIPPED_LIST_LIMIT. */
  slipped: z.array(SlippedDeal),
});

/** One month of the forecast (docs/kpis.md, rule 39), overall, as stored when it was made. */
export const ForecastMonth = z.object({
  month,
  /** Σ converted amount × P(won | stage) of the open deals placed in the month. */
  weighted: z.number(),
  /** The mean revenue won of the three months before the forecast was made. */
  run_rate: z.number(),
  /** The open deals placed in the month and their converted amount (unweighted). */
  deals: z.number().int(),
  pipeline: z.number(),
  /** The month's total quota; null without quotas. */
  quota: nullableNumber,
  /** pipeline ÷ quota; null without quotas. */
  coverage: nullableNumber,
});

/**
 * "Next three months": the forecast made at start(M+1) for M+1 … M+3 (absent in older
 * reports), and how accurate the forecasts of the 12 months ending at M were.
 */
export const ForecastSection = z.object({
  /** The month at whose start the forecast is made: M+1. */
  made_at_start_of: month,
  /** When it was stored (ISO instant); null while M+1 has not been computed: "not yet made". */
  made_at: z.string().nullable(),
  /** M+1, M+2, M+3 in order; empty while the forecast is not made yet. */
  months: z.array(ForecastMonth),
  /** forecast_accuracy of the 12 months ending at M, oldest first; null where none was scored. */
  accuracy: z.array(SeriesPoint),
});

/**
 * A sentence of "What changed" (workers/reports/changes.ts): written from a fixed template
 * with its numbers, the KPI it is about, and the drill-down page of the value behind it.
 */
export const ChangeSentence = z.object({
  kpi: z.string(),
  text: z.string(),
  /**
   * The value (of `kpi`, month M) whose members it names: the report links the sentence to
   * that value's drill-down page (shared/drilldown.ts); null without one.
   */
  members: z.object({ dimension: z.string(), key: z.string() }).nullable(),
  /** The value lies outside the KPI's range over the trailing 12 months. */
  outside_range: z.boolean(),
});

/** One member of a drill-down (workers/kpi/members.ts Member). */
export const DrilldownMember = z.object({
  type: z.string(),
  id: z.string(),
  name: z.string().nullable(),
  owner_name: z.string().nullable(),
  amount: nullableNumber,
  currency: z.string().nullable(),
  converted: nullableNumber,
  contribution: z.number(),
  placed_at: z.string().nullable(),
  connection_kind: z.string().nullable(),
  crm_id: z.string(),
});

/** A side of a drill-down: all its members' count and total, the largest of them listed. */
export const DrilldownSide = z.object({
  count: z.number().int(),
  total: z.number(),
  members: z.array(DrilldownMember),
});

/**
 * The members behind a value the report links to (a tile, a leaderboard row, a bar, a
 * sentence): its page is `deals/<id>/` below the report (shared/drilldown.ts).
 */
export const Drilldown = z.object({
  id: z.string(),
  kpi: z.string(),
  dimension: z.string(),
  key: z.string(),
  /** The key as the report shows it (a rep's name, a region). */
  label: z.string(),
  value: nullableNumber,
  numerator: DrilldownSide,
  /** For ratios and means: what it is divided by. */
  denominator: DrilldownSide.nullable(),
});

export const Report = z.object({
  schema_version: z.literal(REPORT_SCHEMA_VERSION),
  workspace: z.object({ slug: z.string(), name: z.string(), timezone: z.string(), currency: z.string() }),
  month,
  /** 1 for the first publication; a later version revises it after late events. */
  version: z.number().int().positive(),
  published_at: z.string(),
  /** Unguessable token of the private share link /r/<share_token>/. */
  share_token: z.string(),
  freshness: z.object({ data_as_of: z.string().nullable(), computed_at: z.string(), catalog_version: z.string() }),
  headlines: z.array(Headline),
  /** Three to six sentences on what changed against M−1 (absent in older reports). */
  changes: z.array(ChangeSentence).optional(),
  revenue_trend: z.object({
    unit: z.string(),
    months: z.array(z.object({ month, value: nullableNumber, year_ago: nullableNumber })),
  }),
  funnel: z.object({ reached: z.array(Item), conversion: z.array(Item) }),
  leaderboard: z.array(LeaderboardRow),
  breakdowns: z.object({
    revenue_by_region: Breakdown,
    revenue_by_product: Breakdown,
    revenue_by_source: Breakdown,
  }),
  leads: z.object({
    new_by_source: Breakdown,
    by_stage: Breakdown,
    conversion: z.array(Headline),
  }),
  activity: z.object({
    by_type: Breakdown,
    responsiveness: z.array(Headline),
    /** selling_time_share overall and by team (catalog version 2; absent in older reports). */
    selling_time: z.object({ share: Headline, by_team: Breakdown }).optional(),
  }),
  customers: z.object({
    nps: z.object({
      score: nullableNumber,
      promoters: nullableNumber,
      passives: nullableNumber,
      detractors: nullableNumber,
    }),
    mrr_movements: z.array(Item),
    metrics: z.array(Headline),
    /** logo_churn_rate by the account owner rep at start(M) (catalog version 2). */
    churn_by_rep: Breakdown.optional(),
  }),
  /**
   * The sections of catalog version 2. Optional: a report published before them stays
   * valid under this schema version, and the site simply leaves the sections out.
   */
  health: CustomerHealth.optional(),
  losses: Losses.optional(),
  /** customer_acquisition_cost, ltv_to_cac, avg_lead_score (customer_lifetime_value is in customers.metrics). */
  acquisition: z.object({ metrics: z.array(Headline) }).optional(),
  /** The waterfall of the open pipeline and the slipped deals (absent in older reports). */
  pipeline_movement: PipelineMovementSection.optional(),
  /** The forecast for the next three months (catalog version 3; absent in older reports). */
  forecast: ForecastSection.optional(),
  /** The members behind the values the report links to (absent in older reports: no links). */
  drilldowns: z.array(Drilldown).optional(),
  warnings: z.record(z.string(), z.number().int()),
});

export type Report = z.infer<typeof Report>;
export type Headline = z.infer<typeof Headline>;
export type Breakdown = z.infer<typeof Breakdown>;
export type Item = z.infer<typeof Item>;
export type LeaderboardRow = z.infer<typeof LeaderboardRow>;
export type AtRiskAccount = z.infer<typeof AtRiskAccount>;
export type CustomerHealth = z.infer<typeof CustomerHealth>;
export type Losses = z.infer<typeof Losses>;
export type MovementStep = z.infer<typeof MovementStep>;
export type SlippedDeal = z.infer<typeof SlippedDeal>;
export type PipelineMovementSection = z.infer<typeof PipelineMovementSection>;
export type ChangeSentence = z.infer<typeof ChangeSentence>;
export type ForecastMonth = z.infer<typeof ForecastMonth>;
export type ForecastSection = z.infer<typeof ForecastSection>;
export type Drilldown = z.infer<typeof Drilldown>;
export type DrilldownMember = z.infer<typeof DrilldownMember>;

/**
 * The export folder's index: every published report (latest version per month). `public`
 * is the workspace's `public_reports` setting at export time: only then does the site list
 * the report on `/` and build `/<workspace>/<month>/`; every report gets `/r/<share_token>/`.
 * Absent (an index from before the setting) means private.
 */
export const ReportIndex = z.object({
  generated_at: z.string(),
  reports: z.array(
    z.object({
      workspace: z.string(),
      workspace_name: z.string(),
      public: z.boolean().default(false),
      month,
      version: z.number().int(),
      share_token: z.string(),
      published_at: z.string(),
      file: z.string(),
    }),
  ),
});
export type ReportIndex = z.infer<typeof ReportIndex>;

// The published monthly report: the contract between the Worker (which assembles and
// publishes it) and the site (which renders it). Versioned: a breaking change is a new
// REPORT_SCHEMA_VERSION, and the site refuses versions it does not know.
import { z } from "zod";

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
  }),
  warnings: z.record(z.string(), z.number().int()),
});

export type Report = z.infer<typeof Report>;
export type Headline = z.infer<typeof Headline>;
export type Breakdown = z.infer<typeof Breakdown>;
export type Item = z.infer<typeof Item>;
export type LeaderboardRow = z.infer<typeof LeaderboardRow>;

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

// Family F, the forecast (docs/kpis.md, rule 39): what the start of month M expected of M,
// M+1 and M+2 — each open deal weighted by the workspace's own win rate for its stage,
// placed in the month of its expected close — the run rate of the three months before,
// and the coverage of quota by the open pipeline. It is made ONCE, by the first
// computation of M at or after start(M), from the state at start(M) (history via stateAt),
// and stored in `forecasts`; recomputes after late events never rewrite it, so the
// accuracy published once M has closed measures what was really forecast.
//
// Cost: the stage rates read the deals that can be open at one of the 12 month starts
// before M (the open ones and those closed or changed since start(M−12): the index ranges
// of facts.ts OPEN_DEALS), each at the starts it can have been open at — one status
// lookup in its own history (the primary key's range), the stage only where it was open;
// the placement reads the deals that can be open at start(M). Every large-table access is
// an index SEARCH (EXPLAIN QUERY PLAN). In better-sqlite3 on the bench workspace making it
// takes ~0.2–0.4 s at size 0.1 and ~0.6 s at size 0.3 (movement.pipeline: ~0.2 s and
// ~0.36 s, same runs); once stored, a recompute's store statement costs ~2 ms.
import { addMonths, startOfMonth } from "../../shared/months";
import { dealsOpenBetween, openAt, repTeamKeys } from "./facts";
import { kpiLiteral, P, rateAt, ratio, stateAt, teamAt, total, unionAll } from "./sql";

/**
 * ?20 (after sql.ts P, whose ?18 and ?19 only the members statements bind): JSON
 * [{offset, month, start, end}] for M−12 … M+2, start and end in the workspace's time zone.
 */
export const FORECAST_MONTHS = "?20";

/** The value bound to FORECAST_MONTHS for month M (engine.ts engineParams). */
export function forecastMonths(month: string, timezone: string): string {
  const offsets = Array.from({ length: 15 }, (_, i) => i - 12);
  return JSON.stringify(
    offsets.map((offset) => {
      const m = addMonths(month, offset);
      return { offset, month: m, start: startOfMonth(m, timezone), end: startOfMonth(addMonths(m, 1), timezone) };
    }),
  );
}

/** Rule 39: a stage's own win rate needs at least this many deals; below, the workspace's. */
export const MIN_STAGE_DEALS = 10;

const at = (field: string, instant: string, column?: "value_num") => stateAt("d", "deal", "d.deal_id", field, instant, column);

/**
 * The forecast of M is still to be made: M has begun (the state at start(M) is known) and
 * nothing is stored for it yet. Uncorrelated, so evaluated once; the month list and the
 * open pipeline are empty otherwise, and a computation after the first costs no history read.
 */
const TO_BE_MADE = `(${P.computedAt} >= ${P.start}
  AND NOT EXISTS (SELECT 1 FROM forecasts x WHERE x.workspace_id = ${P.workspace} AND x.month = ${P.month}))`;

/**
 * The forecast made at start(M) = P.start, one row per target month (M, M+1, M+2),
 * dimension (all, rep, team) and key: deals, pipeline, weighted, trailing_revenue, quota.
 */
export const FORECAST_AT_START = `WITH months AS MATERIALIZED (
  SELECT m.value ->> '$.offset' AS offset, m.value ->> '$.month' AS month, m.value ->> '$.start' AS start, m.value ->> '$.end' AS end
  FROM json_each(${FORECAST_MONTHS}) m WHERE ${TO_BE_MADE}),
ahead AS (SELECT * FROM months WHERE offset >= 0),
-- Rule 39: who was in which stage at the 12 month starts before M (start(M−12) … start(M−1)).
history AS MATERIALIZED (
  SELECT d.deal_id, d.created_at, d.closed_at, m.start, ${at("status", "m.start")} AS status
  FROM (${dealsOpenBetween(P.yoyStart, P.prevStart)}) c
  CROSS JOIN deals d ON d.workspace_id = ${P.workspace} AND d.deal_id = c.deal_id
  -- Only the starts the deal can have been open at: a deal closed before a start and unchanged
  -- since was closed then (its current status is its status at that start), so it costs no lookup.
  CROSS JOIN months m ON m.offset < 0 AND d.created_at < m.start
    AND (d.status IS NULL OR d.status = 'open' OR d.closed_at >= m.start OR d.updated_at > m.start)
  WHERE d.deleted_at IS NULL),
-- The stage is looked up only where the deal was open.
in_stage AS (
  SELECT DISTINCT h.deal_id, ${at("stage", "h.start")} AS stage
  FROM history h CROSS JOIN deals d ON d.workspace_id = ${P.workspace} AND d.deal_id = h.deal_id
  WHERE ${openAt("h", "h.status", "h.start")}),
-- Won afterwards: won by start(M), the instant the forecast is made.
outcome AS MATERIALIZED (
  SELECT s.deal_id, s.stage, COALESCE(${at("status", P.start)} = 'won', 0) AS won
  FROM in_stage s CROSS JOIN deals d ON d.workspace_id = ${P.workspace} AND d.deal_id = s.deal_id),
overall_rate AS (
  SELECT CASE WHEN COUNT(*) = 0 THEN NULL ELSE TOTAL(won) / COUNT(*) END AS rate
  FROM (SELECT deal_id, MAX(won) AS won FROM outcome GROUP BY deal_id)),
stage_rate AS (
  SELECT stage, TOTAL(won) / COUNT(*) AS rate FROM outcome WHERE stage IS NOT NULL
  GROUP BY stage HAVING COUNT(*) >= ${MIN_STAGE_DEALS}),
-- The open pipeline at start(M), every attribute as of that instant (rule 9's reading at start(M)).
open_now AS MATERIALIZED (
  SELECT d.deal_id, d.created_at, d.closed_at,
    ${at("status", P.start)} AS status,
    ${at("owner_rep_id", P.start)} AS owner,
    ${at("stage", P.start)} AS stage,
    ${at("amount", P.start, "value_num")} AS amount,
    COALESCE(${at("currency", P.start)}, ${P.base}) AS currency,
    ${at("expected_close_at", P.start, "value_num")} AS expected
  FROM (${dealsOpenBetween(P.start, P.start)}) c
  CROSS JOIN deals d ON d.workspace_id = ${P.workspace} AND d.deal_id = c.deal_id
  WHERE d.deleted_at IS NULL AND d.created_at < ${P.start} AND ${TO_BE_MADE}),
placed AS MATERIALIZED (
  SELECT COALESCE(o.owner, 'unknown') AS rep, ${teamAt("o.owner", P.start)} AS team,
    -- No expected close, or one already past: the month itself (docs/spec-readings.md).
    (SELECT a.month FROM ahead a WHERE COALESCE(MAX(o.expected, ${P.start}), ${P.start}) >= a.start
      AND COALESCE(MAX(o.expected, ${P.start}), ${P.start}) < a.end) AS target,
    o.amount * ${rateAt("o.currency", P.month)} AS converted,
    COALESCE((SELECT r.rate FROM stage_rate r WHERE r.stage = o.stage), (SELECT rate FROM overall_rate)) AS probability
  FROM open_now o WHERE ${openAt("o", "o.status", P.start)}),
pipeline AS (
  SELECT f.target, dim.dimension, ${repTeamKeys.key} AS key,
    COUNT(*) AS deals, TOTAL(f.converted) AS pipeline, TOTAL(f.converted * f.probability) AS weighted
  FROM placed f ${repTeamKeys.join} WHERE f.target IS NOT NULL GROUP BY 1, 2, 3),
-- Quotas of the target months (rule 10: deleted reps have none), teams at start(M).
quota AS (
  SELECT f.target, dim.dimension, ${repTeamKeys.key} AS key, TOTAL(f.amount) AS quota
  FROM (SELECT a.month AS target, q.rep_id AS rep, q.amount, ${teamAt("q.rep_id", P.start)} AS team
    FROM ahead a CROSS JOIN quotas q ON q.workspace_id = ${P.workspace} AND q.month = a.month
    WHERE NOT EXISTS (SELECT 1 FROM reps r WHERE r.workspace_id = ${P.workspace} AND r.rep_id = q.rep_id AND r.deleted_at IS NOT NULL)) f
  ${repTeamKeys.join} GROUP BY 1, 2, 3),
-- revenue_won of M−3 … M−1 as that KPI counts it (rule 8): each month at its own rate.
trailing AS (
  SELECT dim.dimension, ${repTeamKeys.key} AS key, TOTAL(f.converted) AS revenue
  FROM (SELECT COALESCE(d.owner_rep_id, 'unknown') AS rep, ${teamAt("d.owner_rep_id", "d.closed_at")} AS team,
      d.amount * ${rateAt(`COALESCE(d.currency, ${P.base})`, "m.month")} AS converted
    FROM months m CROSS JOIN deals d ON d.workspace_id = ${P.workspace} AND d.status = 'won'
      AND d.closed_at >= m.start AND d.closed_at < m.end
    WHERE m.offset BETWEEN -3 AND -1 AND d.deleted_at IS NULL) f
  ${repTeamKeys.join} GROUP BY 1, 2),
terms AS (${unionAll(
  "SELECT target, dimension, key, deals, pipeline, weighted, 0 AS revenue, NULL AS quota FROM pipeline",
  "SELECT target, dimension, key, 0, 0, 0, 0, quota FROM quota",
  "SELECT a.month, t.dimension, t.key, 0, 0, 0, t.revenue, NULL FROM trailing t CROSS JOIN ahead a",
  "SELECT month, 'all', 'all', 0, 0, 0, 0, NULL FROM ahead",
)})
SELECT target AS target_month, dimension, key, SUM(deals) AS deals, TOTAL(pipeline) AS pipeline, TOTAL(weighted) AS weighted,
  TOTAL(revenue) AS trailing_revenue, SUM(quota) AS quota
FROM terms GROUP BY target, dimension, key`;

/**
 * Stores the forecast of M, once: the first computation at or after start(M) writes it
 * (FORECAST_AT_START is empty unless TO_BE_MADE), later ones never.
 */
export const STORE_FORECAST = `INSERT INTO forecasts
  (workspace_id, month, target_month, dimension, key, deals, pipeline, weighted, trailing_revenue, quota, made_at)
SELECT ${P.workspace}, ${P.month}, target_month, dimension, key, deals, pipeline, weighted, trailing_revenue, quota, ${P.computedAt}
FROM (${FORECAST_AT_START}) WHERE ${TO_BE_MADE}
ON CONFLICT DO NOTHING`;

/** The stored forecast made at start(M) for M itself (the primary key's prefix serves it). */
const FORECAST_OF_MONTH = `(SELECT * FROM forecasts WHERE workspace_id = ${P.workspace} AND month = ${P.month} AND target_month = ${P.month})`;

/** The month's forecast KPIs, read from the stored forecast: never from the current state. */
export const FORECAST_VALUES = unionAll(
  total("forecast_weighted", "weighted", FORECAST_OF_MONTH),
  // A mean over the three trailing months: the numerator their revenue, the denominator 3.
  `SELECT ${kpiLiteral("forecast_run_rate", "mean")} AS kpi, dimension, key, trailing_revenue / 3.0 AS value,
    trailing_revenue AS numerator, 3 AS denominator FROM ${FORECAST_OF_MONTH}`,
  ratio("pipeline_coverage", "pipeline", "quota", FORECAST_OF_MONTH, "quota IS NOT NULL OR dimension = 'all'"),
);

/**
 * forecast_accuracy of M (rule 39) against revenue_won of the same run (already in the
 * staging run, like pipeline_velocity): only once M has closed and a forecast was made
 * for it. Keys: those of the forecast or of revenue_won; a missing forecast counts 0.
 */
const REVENUE = kpiLiteral("revenue_won", "total");
export const FORECAST_ACCURACY = `WITH forecast AS (SELECT dimension, key, weighted FROM ${FORECAST_OF_MONTH}),
revenue AS (SELECT dimension, key, value FROM kpi_values_staging
  WHERE run = ${P.run} AND kpi = ${REVENUE} AND dimension IN ('all', 'rep', 'team')),
keys AS (SELECT dimension, key FROM forecast UNION SELECT dimension, key FROM revenue)
SELECT ${kpiLiteral("forecast_accuracy", "derived")} AS kpi, k.dimension, k.key,
  CASE WHEN COALESCE(r.value, 0) = 0 THEN NULL ELSE 1.0 - ABS(COALESCE(f.weighted, 0) - r.value) / r.value END AS value,
  NULL AS numerator, NULL AS denominator
FROM keys k
LEFT JOIN forecast f ON f.dimension = k.dimension AND f.key = k.key
LEFT JOIN revenue r ON r.dimension = k.dimension AND r.key = k.key
WHERE ${P.computedAt} >= ${P.end} AND EXISTS (SELECT 1 FROM forecast)`;

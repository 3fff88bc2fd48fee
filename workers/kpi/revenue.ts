// Family A, revenue and deals: deals won, lost and created in M, open pipeline at
// start(M+1), growth against M−1 and M−12, and quota attainment.
import { closedDeals, DEAL_PLANS, DEALS_CREATED_IN_MONTH, DEALS_WON_IN_MONTH, OPEN_DEALS, regionKey, repTeamKeys } from "./facts";
import { count, MeasuredFacts, sum } from "./measures";
import { days, dimensionJoin, kpiLiteral, P, rateAt, ratio, stateAt, teamAt, total, unionAll } from "./sql";

/**
 * Revenue of a won deal's product line p (docs/kpis.md, rule 15): quantity × unit_price × rate;
 * a deal w without lines counts whole under its own row.
 */
const LINE_REVENUE = "CASE WHEN p.product_id IS NULL THEN w.converted ELSE p.quantity * p.unit_price * w.rate END";

/**
 * A won deal's amount over a year (docs/kpis.md, rule 27): converted × 12 ÷ term_months,
 * the term 12 months when it has none; null without an amount or a usable rate.
 */
const annualised = (converted: string, termMonths: string) => `${converted} * 12.0 / COALESCE(${termMonths}, 12)`;

const DEAL_KEYS = {
  all: "'all'",
  rep: "f.rep",
  team: "f.team",
  region: "f.region",
  source: "f.source",
  segment: "f.segment",
};

const dealKeys = dimensionJoin(DEAL_KEYS);
/** Closed deals also break down by loss reason; only lost deals carry that key (docs/kpis.md, rule 26). */
const closedKeys = dimensionJoin({ ...DEAL_KEYS, reason: "f.reason" });
const stateKeys = dimensionJoin({ all: "'all'", rep: "f.rep", team: "f.team", region: "f.region" });

/** Deals won or lost in M (facts.ts closedDeals), by every deal key and, lost ones, by reason. */
export const CLOSED = new MeasuredFacts({
  with: `WITH closed AS MATERIALIZED (${closedDeals(P.start, P.end, P.month)})`,
  from: "closed",
  keyed: { ...closedKeys, where: "dim.dimension <> 'reason' OR f.status = 'lost'" },
  member: { type: "'deal'", id: "f.deal_id", placedAt: "f.closed_at", amount: "f.amount", currency: `COALESCE(f.currency, ${P.base})`, converted: "f.converted" },
  measures: {
    won: count("status = 'won'"),
    lost: count("status = 'lost'"),
    revenue: sum("converted", "status = 'won'"),
    won_priced: count("status = 'won' AND converted IS NOT NULL"),
    annualised: sum(annualised("converted", "term_months"), "status = 'won'"),
    lost_revenue: sum("converted", "status = 'lost'"),
    competitive_lost: count("status = 'lost' AND competitive"),
    cycle_days: sum(days("(closed_at - created_at)"), "status = 'won'"),
    expansion_won: count("status = 'won' AND kind = 'expansion'"),
    expansion_revenue: sum("converted", "status = 'won' AND kind = 'expansion'"),
  },
});

const CLOSED_IN_MONTH = `${CLOSED.agg}
${unionAll(
  CLOSED.total("revenue_won", "revenue", "won > 0"),
  CLOSED.total("deals_won", "won", "won > 0"),
  CLOSED.total("deals_lost", "lost", "lost > 0"),
  CLOSED.ratio("win_rate", "won", "won + lost"),
  CLOSED.ratio("win_loss_ratio", "won", "lost"),
  CLOSED.ratio("avg_deal_size", "revenue", "won_priced", "won > 0"),
  CLOSED.ratio("sales_cycle_days", "cycle_days", "won", "won > 0"),
  CLOSED.total("expansion_revenue", "expansion_revenue", "expansion_won > 0"),
  CLOSED.ratio("upsell_rate", "expansion_won", "won", "won > 0"),
  CLOSED.median("sales_cycle_days_median", days("(closed_at - created_at)"), "won"),
  CLOSED.ratio("acv", "annualised", "won_priced", "won > 0"),
  CLOSED.total("lost_revenue", "lost_revenue", "lost > 0"),
  CLOSED.ratio("competitive_loss_rate", "competitive_lost", "lost", "lost > 0"),
)}`;

/**
 * Product lines of deals won in M (docs/kpis.md, rule 15): line revenue = quantity ×
 * unit_price × rate; a deal without lines counts under `unknown` with its amount.
 */
const PRODUCTS_WON = `WITH won AS MATERIALIZED (${DEALS_WON_IN_MONTH}),
lines AS (
  SELECT w.deal_id, COALESCE(p.product_id, 'unknown') AS product, w.rate,
    ${LINE_REVENUE} AS revenue,
    p.quantity
  FROM won w LEFT JOIN deal_products p ON p.workspace_id = ${P.workspace} AND p.deal_id = w.deal_id),
keyed AS (
  SELECT 'product' AS dimension, product AS key, * FROM lines
  UNION ALL SELECT 'all', 'all', * FROM lines WHERE quantity IS NOT NULL),
agg AS (
  SELECT dimension, key,
    TOTAL(revenue) AS revenue,
    COUNT(DISTINCT deal_id) AS won,
    TOTAL(CASE WHEN rate IS NOT NULL THEN quantity END) AS quantity,
    TOTAL(CASE WHEN quantity IS NOT NULL THEN revenue END) AS line_revenue,
    SUM(quantity IS NOT NULL) AS lines
  FROM keyed GROUP BY dimension, key)
${unionAll(
  total("revenue_won", "revenue", "agg", "dimension = 'product'"),
  total("deals_won", "won", "agg", "dimension = 'product'"),
  ratio("avg_selling_price", "line_revenue", "quantity", "agg", "lines > 0"),
)}`;

/** Deals created in M: the opportunity cohort. */
const CREATED_IN_MONTH = `WITH created AS MATERIALIZED (${DEALS_CREATED_IN_MONTH}),
keyed AS (SELECT f.*, dim.dimension, ${dealKeys.key} AS key FROM created f ${dealKeys.join}),
agg AS (SELECT dimension, key, COUNT(*) AS created, SUM(status = 'won') AS won FROM keyed GROUP BY dimension, key)
${unionAll(
  total("new_opportunities", "created", "agg"),
  ratio("opportunity_win_rate", "won", "created", "agg"),
)}`;

const OPEN_AT_END = `WITH open AS MATERIALIZED (
  SELECT o.*,
    COALESCE(o.owner, 'unknown') AS rep,
    COALESCE(${stateAt("owner", "rep", "o.owner", "team", P.end)}, 'unknown') AS team,
    ${regionKey(stateAt("account", "account", "o.account_id", "region", P.end), stateAt("owner", "rep", "o.owner", "region", P.end))} AS region,
    o.amount * o.rate AS converted
  FROM (${OPEN_DEALS}) o
  LEFT JOIN reps owner ON owner.workspace_id = ${P.workspace} AND owner.rep_id = o.owner
  LEFT JOIN accounts account ON account.workspace_id = ${P.workspace} AND account.account_id = o.account_id),
partial AS (SELECT rep, team, region, COUNT(*) AS deals, TOTAL(converted) AS value FROM open GROUP BY rep, team, region),
keyed AS (SELECT f.*, dim.dimension, ${stateKeys.key} AS key FROM partial f ${stateKeys.join}),
agg AS (SELECT dimension, key, SUM(deals) AS deals, TOTAL(value) AS value FROM keyed GROUP BY dimension, key)
${unionAll(
  total("open_pipeline_value", "value", "agg"),
  total("open_deals", "deals", "agg"),
)}`;

/**
 * Revenue won in M, M−1 and M−12 by rep, team, region and product line; a growth key
 * exists when either month has a won deal with it (docs/kpis.md, rule 11).
 */
const GROWTH = `WITH won AS MATERIALIZED (
  SELECT 'current' AS period, * FROM (${closedDeals(P.start, P.end, P.month)}) WHERE status = 'won'
  UNION ALL SELECT 'previous', * FROM (${closedDeals(P.prevStart, P.start, P.prevMonth)}) WHERE status = 'won'
  UNION ALL SELECT 'year_ago', * FROM (${closedDeals(P.yoyStart, P.yoyEnd, P.yoyMonth)}) WHERE status = 'won'),
rows AS (
  SELECT w.period, dim.dimension,
    CASE dim.dimension WHEN 'all' THEN 'all' WHEN 'rep' THEN w.rep WHEN 'team' THEN w.team ELSE w.region END AS key,
    w.converted AS revenue
  FROM won w CROSS JOIN (SELECT 'all' AS dimension UNION ALL SELECT 'rep' UNION ALL SELECT 'team' UNION ALL SELECT 'region') dim
  UNION ALL
  SELECT w.period, 'product', COALESCE(p.product_id, 'unknown'),
    ${LINE_REVENUE}
  FROM won w LEFT JOIN deal_products p ON p.workspace_id = ${P.workspace} AND p.deal_id = w.deal_id),
agg AS (
  SELECT dimension, key,
    TOTAL(CASE WHEN period = 'current' THEN revenue END) AS current,
    TOTAL(CASE WHEN period = 'previous' THEN revenue END) AS previous,
    TOTAL(CASE WHEN period = 'year_ago' THEN revenue END) AS year_ago,
    SUM(period = 'current') AS in_current, SUM(period = 'previous') AS in_previous, SUM(period = 'year_ago') AS in_year_ago
  FROM rows GROUP BY dimension, key)
${unionAll(
  ratio("sales_growth", "current - previous", "previous", "agg", "in_current > 0 OR in_previous > 0"),
  ratio("sales_growth_yoy", "current - year_ago", "year_ago", "agg", "in_current > 0 OR in_year_ago > 0"),
)}`;

const NOT_DELETED_REP = (rep: string) =>
  `NOT EXISTS (SELECT 1 FROM reps r WHERE r.workspace_id = ${P.workspace} AND r.rep_id = ${rep} AND r.deleted_at IS NOT NULL)`;

/**
 * Quotas (docs/kpis.md, rule 10): reps with a quota for M are the keys, their team is taken at
 * start(M+1); year to date sums only the months in which the rep has a quota. Revenue is
 * read once for the months January … M (each converted at its own month), by owner.
 */
const QUOTAS = `WITH month_quota AS MATERIALIZED (
  SELECT q.rep_id, q.amount AS quota, ${teamAt("q.rep_id", P.end)} AS team
  FROM quotas q WHERE q.workspace_id = ${P.workspace} AND q.month = ${P.month} AND ${NOT_DELETED_REP("q.rep_id")}),
year_months AS (
  SELECT m.value ->> '$.month' AS month, m.value ->> '$.start' AS start, m.value ->> '$.end' AS end
  FROM json_each(${P.yearMonths}) m),
rep_revenue AS (
  SELECT ym.month, d.owner_rep_id AS rep_id,
    TOTAL(d.amount * ${rateAt(`COALESCE(d.currency, ${P.base})`, "ym.month")}) AS revenue
  FROM year_months ym
  CROSS JOIN deals d ON d.workspace_id = ${P.workspace} AND d.status = 'won' AND d.closed_at >= ym.start AND d.closed_at < ym.end
  WHERE d.deleted_at IS NULL AND d.owner_rep_id IN (SELECT rep_id FROM month_quota)
  GROUP BY ym.month, d.owner_rep_id),
month_revenue AS (
  SELECT mq.rep_id, mq.team, mq.quota, COALESCE(r.revenue, 0) AS revenue
  FROM month_quota mq LEFT JOIN rep_revenue r ON r.rep_id = mq.rep_id AND r.month = ${P.month}),
year_quota AS (
  SELECT mq.rep_id, mq.team, TOTAL(q.amount) AS quota, TOTAL(r.revenue) AS revenue
  FROM month_quota mq
  CROSS JOIN year_months ym
  CROSS JOIN quotas q ON q.workspace_id = ${P.workspace} AND q.month = ym.month AND q.rep_id = mq.rep_id
  LEFT JOIN rep_revenue r ON r.rep_id = q.rep_id AND r.month = q.month
  GROUP BY mq.rep_id, mq.team),
keys AS (SELECT 'all' AS dimension UNION ALL SELECT 'rep' UNION ALL SELECT 'team'),
month_agg AS (
  SELECT k.dimension, CASE k.dimension WHEN 'all' THEN 'all' WHEN 'rep' THEN rep_id ELSE team END AS key,
    TOTAL(revenue) AS revenue, TOTAL(quota) AS quota, SUM(revenue >= quota) AS at_quota, COUNT(*) AS reps
  FROM month_revenue CROSS JOIN keys k GROUP BY 1, 2),
year_agg AS (
  SELECT k.dimension, CASE k.dimension WHEN 'all' THEN 'all' WHEN 'rep' THEN rep_id ELSE team END AS key,
    TOTAL(revenue) AS revenue, TOTAL(quota) AS quota
  FROM year_quota CROSS JOIN keys k GROUP BY 1, 2)
${unionAll(
  ratio("quota_attainment", "revenue", "quota", "month_agg"),
  ratio("reps_at_quota", "at_quota", "reps", "month_agg", "dimension <> 'rep'"),
  ratio("quota_attainment_ytd", "revenue", "quota", "year_agg"),
)}`;

/** Slippage (docs/kpis.md, rule 38): the month's deal plans (facts.ts DEAL_PLANS) per rep and team. */
const SLIPPAGE = `WITH facts AS MATERIALIZED (${DEAL_PLANS}),
keyed AS (SELECT f.*, dim.dimension, ${repTeamKeys.key} AS key FROM facts f ${repTeamKeys.join}
  WHERE f.slipped OR f.pushed OR f.pulled_in),
agg AS (
  SELECT dimension, key,
    SUM(slipped) AS slipped, TOTAL(CASE WHEN slipped THEN converted END) AS slipped_value,
    SUM(pushed) AS pushed, TOTAL(CASE WHEN pushed THEN converted END) AS pushed_value,
    SUM(pulled_in) AS pulled_in, TOTAL(CASE WHEN pulled_in THEN converted END) AS pulled_in_value
  FROM keyed GROUP BY dimension, key)
${unionAll(
  total("slipped_deals", "slipped", "agg", "slipped > 0"),
  total("slipped_value", "slipped_value", "agg", "slipped > 0"),
  total("pushed_deals", "pushed", "agg", "pushed > 0"),
  total("pushed_value", "pushed_value", "agg", "pushed > 0"),
  total("pulled_in_deals", "pulled_in", "agg", "pulled_in > 0"),
  total("pulled_in_value", "pulled_in_value", "agg", "pulled_in > 0"),
)}`;

export const REVENUE_QUERIES = {
  closed_in_month: CLOSED_IN_MONTH,
  products_won: PRODUCTS_WON,
  created_in_month: CREATED_IN_MONTH,
  open_at_end: OPEN_AT_END,
  growth: GROWTH,
  quotas: QUOTAS,
  slippage: SLIPPAGE,
};

/**
 * pipeline_velocity per key from that key's own components of the same month
 * (docs/kpis.md, rule 13); runs after the queries above have written them into the
 * month's staging run. A key without open deals has open_deals 0 (a count), so its
 * velocity is 0; a missing ratio or mean makes it null.
 */
const [OPEN, SIZE, RATE, CYCLE] = [
  kpiLiteral("open_deals", "total"), kpiLiteral("avg_deal_size", "ratio"),
  kpiLiteral("win_rate", "ratio"), kpiLiteral("sales_cycle_days", "mean"),
];
export const PIPELINE_VELOCITY = `SELECT ${kpiLiteral("pipeline_velocity", "derived")} AS kpi, k.dimension, k.key,
    CASE WHEN size.value IS NULL OR rate.value IS NULL OR cycle.value IS NULL OR cycle.value = 0
      THEN NULL ELSE COALESCE(open.value, 0) * size.value * rate.value / cycle.value END AS value,
    NULL AS numerator, NULL AS denominator
  FROM (SELECT DISTINCT dimension, key FROM kpi_values_staging
        WHERE run = ${P.run} AND dimension IN ('all', 'rep', 'team')
          AND kpi IN (${OPEN}, ${SIZE}, ${RATE}, ${CYCLE})) k
  LEFT JOIN kpi_values_staging open ON open.run = ${P.run} AND open.kpi = ${OPEN} AND open.dimension = k.dimension AND open.key = k.key
  LEFT JOIN kpi_values_staging size ON size.run = ${P.run} AND size.kpi = ${SIZE} AND size.dimension = k.dimension AND size.key = k.key
  LEFT JOIN kpi_values_staging rate ON rate.run = ${P.run} AND rate.kpi = ${RATE} AND rate.dimension = k.dimension AND rate.key = k.key
  LEFT JOIN kpi_values_staging cycle ON cycle.run = ${P.run} AND cycle.kpi = ${CYCLE} AND cycle.dimension = k.dimension AND cycle.key = k.key`;

/** The measured facts of this family: their values' members (members.ts). */
export const REVENUE_FACTS: MeasuredFacts[] = [CLOSED];

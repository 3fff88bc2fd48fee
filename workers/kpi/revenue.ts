// Family A, revenue and deals: deals won, lost and created in M, open pipeline at
// start(M+1), growth against M−1 and M−12, and quota attainment.
import { closedDeals, DEAL_PLANS, DEALS_CREATED_IN_MONTH, DEALS_WON_IN_MONTH, OPEN_DEALS, regionKey, repTeamKeys } from "./facts";
import { count, MeasuredFacts, sum } from "./measures";
import { days, dimensionJoin, kpiLiteral, P, rateAt, stateAt, teamAt, unionAll } from "./sql";

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
 * Product lines of deals won in M (docs/kpis.md, rule 15), one row per (deal, product): line
 * revenue = quantity × unit_price × rate; a deal without lines counts under `unknown` with
 * its amount. Overall only for avg_selling_price, over the rows with priced lines.
 */
const PRODUCTS = new MeasuredFacts({
  with: `WITH won AS MATERIALIZED (${DEALS_WON_IN_MONTH}),
lines AS (
  SELECT w.deal_id, w.closed_at, w.amount, w.currency, w.converted, COALESCE(p.product_id, 'unknown') AS product,
    SUM(${LINE_REVENUE}) AS revenue,
    SUM(CASE WHEN p.quantity IS NOT NULL THEN ${LINE_REVENUE} END) AS line_revenue,
    SUM(CASE WHEN w.rate IS NOT NULL THEN p.quantity END) AS quantity,
    COUNT(p.quantity) AS lines
  FROM won w LEFT JOIN deal_products p ON p.workspace_id = ${P.workspace} AND p.deal_id = w.deal_id
  GROUP BY w.deal_id, COALESCE(p.product_id, 'unknown'))`,
  from: "lines",
  keyed: { ...dimensionJoin({ all: "'all'", product: "f.product" }), where: "dim.dimension = 'product' OR f.lines > 0" },
  member: { type: "'deal'", id: "f.deal_id", placedAt: "f.closed_at", amount: "f.amount", currency: `COALESCE(f.currency, ${P.base})`, converted: "f.converted" },
  measures: {
    won: count(),
    revenue: sum("revenue"),
    line_revenue: sum("line_revenue"),
    quantity: sum("quantity"),
    lines: sum("lines"),
  },
});

const PRODUCTS_WON = `${PRODUCTS.agg}
${unionAll(
  PRODUCTS.total("revenue_won", "revenue", "dimension = 'product'", ["product"]),
  PRODUCTS.total("deals_won", "won", "dimension = 'product'", ["product"]),
  PRODUCTS.ratio("avg_selling_price", "line_revenue", "quantity", "lines > 0"),
)}`;

/** Deals created in M: the opportunity cohort. */
const CREATED = new MeasuredFacts({
  with: `WITH created AS MATERIALIZED (${DEALS_CREATED_IN_MONTH})`,
  from: "created",
  keyed: dealKeys,
  member: { type: "'deal'", id: "f.deal_id", placedAt: "f.created_at", amount: "f.amount", currency: `COALESCE(f.currency, ${P.base})` },
  measures: { created: count(), won: count("status = 'won'") },
});

const CREATED_IN_MONTH = `${CREATED.agg}
${unionAll(
  CREATED.total("new_opportunities", "created"),
  CREATED.ratio("opportunity_win_rate", "won", "created"),
)}`;

/** The open pipeline at start(M+1) (facts.ts OPEN_DEALS), summed per rep, team and region before the breakdowns. */
const OPEN_PIPELINE = new MeasuredFacts({
  with: `WITH open AS MATERIALIZED (
  SELECT o.*,
    COALESCE(o.owner, 'unknown') AS rep,
    COALESCE(${stateAt("owner", "rep", "o.owner", "team", P.end)}, 'unknown') AS team,
    ${regionKey(stateAt("account", "account", "o.account_id", "region", P.end), stateAt("owner", "rep", "o.owner", "region", P.end))} AS region,
    o.amount * o.rate AS converted
  FROM (${OPEN_DEALS}) o
  LEFT JOIN reps owner ON owner.workspace_id = ${P.workspace} AND owner.rep_id = o.owner
  LEFT JOIN accounts account ON account.workspace_id = ${P.workspace} AND account.account_id = o.account_id)`,
  from: "open",
  keyed: stateKeys,
  preaggregateBy: ["rep", "team", "region"],
  // A state at start(M+1): nothing placed it in the month.
  member: { type: "'deal'", id: "f.deal_id", placedAt: "NULL", amount: "f.amount", currency: "f.currency", converted: "f.converted" },
  measures: { deals: count(), value: sum("converted") },
});

const OPEN_AT_END = `${OPEN_PIPELINE.agg}
${unionAll(
  OPEN_PIPELINE.total("open_pipeline_value", "value"),
  OPEN_PIPELINE.total("open_deals", "deals"),
)}`;

const GROWTH_FACTS = new MeasuredFacts({
  with: `WITH won AS MATERIALIZED (
  SELECT 'current' AS period, * FROM (${closedDeals(P.start, P.end, P.month)}) WHERE status = 'won'
  UNION ALL SELECT 'previous', * FROM (${closedDeals(P.prevStart, P.start, P.prevMonth)}) WHERE status = 'won'
  UNION ALL SELECT 'year_ago', * FROM (${closedDeals(P.yoyStart, P.yoyEnd, P.yoyMonth)}) WHERE status = 'won'),
facts AS (
  SELECT 'deal' AS grain, w.period, w.deal_id, w.closed_at, w.amount, w.currency, w.converted, w.rep, w.team, w.region,
    NULL AS product, w.converted AS revenue
  FROM won w
  UNION ALL
  SELECT 'line', w.period, w.deal_id, w.closed_at, w.amount, w.currency, w.converted, NULL, NULL, NULL,
    COALESCE(p.product_id, 'unknown'), ${LINE_REVENUE}
  FROM won w LEFT JOIN deal_products p ON p.workspace_id = ${P.workspace} AND p.deal_id = w.deal_id)`,
  from: "facts",
  // A deal counts whole in the rep, team and region breakdowns, by its lines in the product one.
  keyed: {
    ...dimensionJoin({ all: "'all'", rep: "f.rep", team: "f.team", region: "f.region", product: "f.product" }),
    where: "(dim.dimension = 'product') = (f.grain = 'line')",
  },
  member: { type: "'deal'", id: "f.deal_id", placedAt: "f.closed_at", amount: "f.amount", currency: `COALESCE(f.currency, ${P.base})`, converted: "f.converted" },
  measures: {
    current: sum("revenue", "period = 'current'"),
    previous: sum("revenue", "period = 'previous'"),
    year_ago: sum("revenue", "period = 'year_ago'"),
    in_current: count("period = 'current'"),
    in_previous: count("period = 'previous'"),
    in_year_ago: count("period = 'year_ago'"),
  },
});

/**
 * Revenue won in M, M−1 and M−12 by rep, team, region and product line; a growth key
 * exists when either month has a won deal with it (docs/kpis.md, rule 11).
 */
const GROWTH = `${GROWTH_FACTS.agg}
${unionAll(
  GROWTH_FACTS.ratio("sales_growth", "current - previous", "previous", "in_current > 0 OR in_previous > 0"),
  GROWTH_FACTS.ratio("sales_growth_yoy", "current - year_ago", "year_ago", "in_current > 0 OR in_year_ago > 0"),
)}`;

const NOT_DELETED_REP = (rep: string) =>
  `NOT EXISTS (SELECT 1 FROM reps r WHERE r.workspace_id = ${P.workspace} AND r.rep_id = ${rep} AND r.deleted_at IS NOT NULL)`;

/**
 * Quotas (docs/kpis.md, rule 10): reps with a quota for M are the keys, their team is taken at
 * start(M+1); year to date sums only the months in which the rep has a quota. Revenue is
 * read once for the months January … M (each converted at its own month), by owner.
 */
const QUOTA_FACTS = new MeasuredFacts({
  with: `WITH month_quota AS MATERIALIZED (
  SELECT q.rep_id, q.amount AS quota, ${teamAt("q.rep_id", P.end)} AS team
  FROM quotas q WHERE q.workspace_id = ${P.workspace} AND q.month = ${P.month} AND ${NOT_DELETED_REP("q.rep_id")}),
year_months AS (
  SELECT m.value ->> '$.month' AS month, m.value ->> '$.start' AS start, m.value ->> '$.end' AS end
  FROM json_each(${P.yearMonths}) m),
won AS MATERIALIZED (
  SELECT ym.month, d.deal_id, d.owner_rep_id AS rep_id, d.closed_at, d.amount, COALESCE(d.currency, ${P.base}) AS currency,
    d.amount * ${rateAt(`COALESCE(d.currency, ${P.base})`, "ym.month")} AS converted
  FROM year_months ym
  CROSS JOIN deals d ON d.workspace_id = ${P.workspace} AND d.status = 'won' AND d.closed_at >= ym.start AND d.closed_at < ym.end
  WHERE d.deleted_at IS NULL AND d.owner_rep_id IN (SELECT rep_id FROM month_quota)
    AND EXISTS (SELECT 1 FROM quotas q WHERE q.workspace_id = ${P.workspace} AND q.month = ym.month AND q.rep_id = d.owner_rep_id)),
rep_quota AS (
  SELECT mq.rep_id, mq.team, mq.quota,
    (SELECT TOTAL(w.converted) FROM won w WHERE w.rep_id = mq.rep_id AND w.month = ${P.month}) AS revenue,
    (SELECT TOTAL(q.amount) FROM year_months ym
       JOIN quotas q ON q.workspace_id = ${P.workspace} AND q.month = ym.month AND q.rep_id = mq.rep_id) AS ytd_quota
  FROM month_quota mq),
facts AS (
  SELECT 'rep' AS member_type, r.rep_id AS member_id, r.rep_id, r.team, NULL AS month, NULL AS closed_at,
    r.quota AS amount, ${P.base} AS currency, r.quota AS converted, r.quota, r.ytd_quota, r.revenue >= r.quota AS at_quota
  FROM rep_quota r
  UNION ALL
  SELECT 'deal', w.deal_id, w.rep_id, mq.team, w.month, w.closed_at, w.amount, w.currency, w.converted, NULL, NULL, NULL
  FROM won w JOIN month_quota mq ON mq.rep_id = w.rep_id)`,
  from: "facts",
  keyed: dimensionJoin({ all: "'all'", rep: "f.rep_id", team: "f.team" }),
  member: { type: "f.member_type", id: "f.member_id", placedAt: "f.closed_at", amount: "f.amount", currency: "f.currency", converted: "f.converted" },
  measures: {
    revenue: sum("converted", `member_type = 'deal' AND month = ${P.month}`),
    quota: sum("quota", "member_type = 'rep'"),
    at_quota: count("member_type = 'rep' AND at_quota"),
    reps: count("member_type = 'rep'"),
    ytd_revenue: sum("converted", "member_type = 'deal'"),
    ytd_quota: sum("ytd_quota", "member_type = 'rep'"),
  },
});

/**
 * Quotas (docs/kpis.md, rule 10): reps with a quota for M are the keys, their team is taken at
 * start(M+1); year to date sums only the months in which the rep has a quota. The members:
 * the reps (with their quota) and their won deals of January … M (each converted at its
 * own month), read once.
 */
const QUOTAS = `${QUOTA_FACTS.agg}
${unionAll(
  QUOTA_FACTS.ratio("quota_attainment", "revenue", "quota"),
  QUOTA_FACTS.ratio("reps_at_quota", "at_quota", "reps", "dimension <> 'rep'", ["all", "team"]),
  QUOTA_FACTS.ratio("quota_attainment_ytd", "ytd_revenue", "ytd_quota"),
)}`;

/** Slippage (docs/kpis.md, rule 38): the month's deal plans (facts.ts DEAL_PLANS) per rep and team. */
const PLANS = new MeasuredFacts({
  with: `WITH plans AS MATERIALIZED (${DEAL_PLANS})`,
  from: "plans",
  keyed: { ...repTeamKeys, where: "f.slipped OR f.pushed OR f.pulled_in" },
  // The plan as of start(M) placed a slipped or pushed deal in M, its new expected close a pulled-in one.
  member: {
    type: "'deal'", id: "f.deal_id", placedAt: `CASE WHEN f.pulled_in THEN f.expected ELSE f.planned END`,
    amount: "f.amount", currency: "f.currency", converted: "f.converted",
  },
  measures: {
    slipped: count("slipped"), slipped_value: sum("converted", "slipped"),
    pushed: count("pushed"), pushed_value: sum("converted", "pushed"),
    pulled_in: count("pulled_in"), pulled_in_value: sum("converted", "pulled_in"),
  },
});

const SLIPPAGE = `${PLANS.agg}
${unionAll(
  PLANS.total("slipped_deals", "slipped", "slipped > 0"),
  PLANS.total("slipped_value", "slipped_value", "slipped > 0"),
  PLANS.total("pushed_deals", "pushed", "pushed > 0"),
  PLANS.total("pushed_value", "pushed_value", "pushed > 0"),
  PLANS.total("pulled_in_deals", "pulled_in", "pulled_in > 0"),
  PLANS.total("pulled_in_value", "pulled_in_value", "pulled_in > 0"),
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
export const REVENUE_FACTS: MeasuredFacts[] = [CLOSED, PRODUCTS, CREATED, OPEN_PIPELINE, GROWTH_FACTS, QUOTA_FACTS, PLANS];

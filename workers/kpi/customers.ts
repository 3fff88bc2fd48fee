// Family E, customers and loyalty: survey scores in M, and MRR per account at start(M)
// and start(M+1) with its movements, churn, retention, ARPA and lifetime value; the
// acquisition cost of M's new customers and LTV : CAC (the health score: health.ts).
import {
  accountNotDeleted, accountOwnerAt, inMonth, NEW_CUSTOMERS_IN_MONTH, regionKey, subscriptionHadMrrBefore, subscriptionMrrAt,
  subscriptionRate, withAccountKeysAt,
} from "./facts";
import type { MeasuredFacts } from "./measures";
import { dimensionJoin, kpiLiteral, P, ratio, teamAt, total, unionAll } from "./sql";

const surveyKeys = dimensionJoin({
  all: "'all'", rep: "f.rep", team: "f.team", region: "f.region", segment: "f.segment",
});

/**
 * Survey responses in M. Region: the account's (else its owner rep's), else the response
 * rep's (docs/kpis.md, rule 18); team: the rep's team when the response was given.
 */
const SURVEYS = `WITH facts AS MATERIALIZED (
  SELECT s.survey, s.score, COALESCE(s.rep_id, 'unknown') AS rep, ${teamAt("s.rep_id", "s.occurred_at")} AS team,
    ${regionKey("account.region", "account_owner.region", "rep.region")} AS region, COALESCE(account.segment, 'unknown') AS segment
  FROM survey_responses s
  LEFT JOIN accounts account ON account.workspace_id = s.workspace_id AND account.account_id = s.account_id
  LEFT JOIN reps account_owner ON account_owner.workspace_id = s.workspace_id AND account_owner.rep_id = account.owner_rep_id
  LEFT JOIN reps rep ON rep.workspace_id = s.workspace_id AND rep.rep_id = s.rep_id
  WHERE s.workspace_id = ${P.workspace} AND ${inMonth("s.occurred_at")}),
keyed AS (SELECT f.*, dim.dimension, ${surveyKeys.key} AS key FROM facts f ${surveyKeys.join}),
agg AS (
  SELECT dimension, key,
    SUM(survey = 'nps') AS responses,
    SUM(survey = 'nps' AND score >= 9) AS promoters,
    SUM(survey = 'nps' AND score >= 7 AND score < 9) AS passives,
    SUM(survey = 'nps' AND score < 7) AS detractors,
    SUM(survey = 'csat') AS csat_responses, TOTAL(CASE WHEN survey = 'csat' THEN score END) AS csat_total,
    SUM(survey = 'employee') AS employee_responses, TOTAL(CASE WHEN survey = 'employee' THEN score END) AS employee_total
  FROM keyed GROUP BY dimension, key)
${unionAll(
  ratio("nps", "promoters - detractors", "responses", "agg", "responses > 0"),
  total("nps_promoters", "promoters", "agg", "responses > 0"),
  total("nps_passives", "passives", "agg", "responses > 0"),
  total("nps_detractors", "detractors", "agg", "responses > 0"),
  ratio("csat", "csat_total", "csat_responses", "agg", "csat_responses > 0"),
  ratio("employee_satisfaction", "employee_total", "employee_responses", "agg", "employee_responses > 0"),
)}`;

const mrrKeys = dimensionJoin({ all: "'all'", region: "f.region", segment: "f.segment", rep: "f.start_rep" });

/**
 * MRR per account at start(M) (a) and start(M+1) (b), both at M's rate (docs/kpis.md, rule 16),
 * over accounts that are not deleted; subscriptions without a usable rate are left out.
 * Region and segment: the account's at start(M+1) (region else its owner rep's then); rep
 * (churn and retention only, the other KPIs do not list it): the account's owner at start(M)
 * (docs/kpis.md, rule 37). `movements` is materialized so that each account's keys are
 * looked up once, not once per dimension row.
 */
const MRR = `WITH subscription_mrr AS MATERIALIZED (
  SELECT s.account_id, ${subscriptionRate(P.end)} AS rate,
    COALESCE(${subscriptionMrrAt(P.start)}, 0) AS a,
    COALESCE(${subscriptionMrrAt(P.end)}, 0) AS b,
    ${subscriptionHadMrrBefore(P.start)} AS had_mrr
  FROM subscriptions s
  WHERE s.workspace_id = ${P.workspace} AND s.account_id IS NOT NULL
    AND ${accountNotDeleted("s.account_id")}),
account_mrr AS (
  SELECT account_id, TOTAL(a * rate) AS a, TOTAL(b * rate) AS b, MAX(had_mrr) AS had_mrr
  FROM subscription_mrr WHERE rate IS NOT NULL GROUP BY account_id),
movements AS MATERIALIZED (
  SELECT m.a, m.b, m.region, m.segment, COALESCE(m.start_owner, 'unknown') AS start_rep,
    CASE WHEN m.a = 0 AND m.b > 0 AND NOT m.had_mrr THEN m.b ELSE 0 END AS new_mrr,
    CASE WHEN m.a = 0 AND m.b > 0 AND m.had_mrr THEN m.b ELSE 0 END AS reactivation_mrr,
    CASE WHEN m.a > 0 AND m.b > m.a THEN m.b - m.a ELSE 0 END AS expansion_mrr,
    CASE WHEN m.b > 0 AND m.b < m.a THEN m.a - m.b ELSE 0 END AS contraction_mrr,
    CASE WHEN m.a > 0 AND m.b = 0 THEN m.a ELSE 0 END AS churned_mrr
  FROM (${withAccountKeysAt(
    `SELECT p.*, ${accountOwnerAt("p.account_id", P.start)} AS start_owner FROM account_mrr p WHERE p.a > 0 OR p.b > 0`,
    P.end,
  )}) m),
keyed AS (SELECT f.*, dim.dimension, ${mrrKeys.key} AS key FROM movements f ${mrrKeys.join}),
agg AS (
  SELECT dimension, key, TOTAL(a) AS start_mrr, TOTAL(b) AS mrr,
    TOTAL(new_mrr) AS new_mrr, TOTAL(reactivation_mrr) AS reactivation_mrr, TOTAL(expansion_mrr) AS expansion_mrr,
    TOTAL(contraction_mrr) AS contraction_mrr, TOTAL(churned_mrr) AS churned_mrr,
    SUM(b > 0) AS active, SUM(a > 0) AS start_active, SUM(a > 0 AND b = 0) AS churned
  FROM keyed GROUP BY dimension, key)
${unionAll(
  total("mrr", "mrr", "agg"),
  total("new_mrr", "new_mrr", "agg"),
  total("expansion_mrr", "expansion_mrr", "agg"),
  total("contraction_mrr", "contraction_mrr", "agg"),
  total("churned_mrr", "churned_mrr", "agg"),
  total("reactivation_mrr", "reactivation_mrr", "agg"),
  total("active_customers", "active", "agg"),
  ratio("logo_churn_rate", "churned", "start_active", "agg"),
  ratio("revenue_churn_rate", "churned_mrr + contraction_mrr", "start_mrr", "agg"),
  ratio("net_revenue_retention", "start_mrr + expansion_mrr - contraction_mrr - churned_mrr", "start_mrr", "agg"),
  ratio("arpa", "mrr", "active", "agg"),
  `SELECT ${kpiLiteral("customer_lifetime_value", "derived")}, dimension, key,
     CASE WHEN active = 0 OR start_active = 0 OR churned = 0 THEN NULL
       ELSE (mrr / active) / (churned * 1.0 / start_active) END, NULL, NULL
   FROM agg`,
)}`;

/**
 * Customer acquisition cost: all marketing spend of M over the new customers of M
 * (docs/kpis.md, rules 35 and 36); null without new customers, 0 when there was no spend.
 */
const ACQUISITION_COST = `WITH agg AS (
  SELECT 'all' AS dimension, 'all' AS key,
    (SELECT TOTAL(amount) FROM marketing_spend WHERE workspace_id = ${P.workspace} AND month = ${P.month}) AS spend,
    (SELECT COUNT(*) FROM (${NEW_CUSTOMERS_IN_MONTH})) AS customers)
${ratio("customer_acquisition_cost", "spend", "customers", "agg")}`;

export const CUSTOMER_QUERIES = { surveys: SURVEYS, mrr: MRR, acquisition_cost: ACQUISITION_COST };

const LTV = kpiLiteral("customer_lifetime_value", "derived");
const CAC = kpiLiteral("customer_acquisition_cost", "ratio");

/**
 * LTV : CAC of M from the run's own overall values (docs/kpis.md, rule 36), so it runs
 * after CUSTOMER_QUERIES: null when either is null or 0.
 */
export const LTV_TO_CAC = `SELECT ${kpiLiteral("ltv_to_cac", "derived")} AS kpi, 'all' AS dimension, 'all' AS key,
    CASE WHEN ltv.value IS NULL OR cac.value IS NULL OR ltv.value = 0 OR cac.value = 0
      THEN NULL ELSE ltv.value / cac.value END AS value,
    NULL AS numerator, NULL AS denominator
  FROM (SELECT 1) one
  LEFT JOIN kpi_values_staging ltv ON ltv.run = ${P.run} AND ltv.kpi = ${LTV} AND ltv.dimension = 'all' AND ltv.key = 'all'
  LEFT JOIN kpi_values_staging cac ON cac.run = ${P.run} AND cac.kpi = ${CAC} AND cac.dimension = 'all' AND cac.key = 'all'`;

/** The measured facts of this family: their values' members (members.ts). */
export const CUSTOMER_FACTS: MeasuredFacts[] = [];

// Family E, customers and loyalty: survey scores in M, and MRR per account at start(M)
// and start(M+1) with its movements, churn, retention, ARPA and lifetime value; the
// acquisition cost of M's new customers and LTV : CAC (the health score: health.ts).
import {
  accountNotDeleted, accountOwnerAt, customerStartInMonth, inMonth, NEW_CUSTOMERS_IN_MONTH, regionKey, subscriptionHadMrrBefore, subscriptionMrrAt,
  subscriptionRate, withAccountKeysAt,
} from "./facts";
import { count, MeasuredFacts, sum } from "./measures";
import { SURVEY_KINDS } from "../model/entities";
import { dimensionJoin, kpiLiteral, P, teamAt, unionAll } from "./sql";

/** Every survey kind, as an SQL list. */
const SURVEY_KINDS_SQL = `(${SURVEY_KINDS.map((kind) => `'${kind}'`).join(", ")})`;

const surveyKeys = dimensionJoin({
  all: "'all'", rep: "f.rep", team: "f.team", region: "f.region", segment: "f.segment",
});

/**
 * Survey responses in M, one row per response. Region: the account's (else its owner rep's),
 * else the response rep's (docs/kpis.md, rule 18); team: the rep's team when the response
 * was given. Every survey kind is named so that the survey_responses_time index reads M's
 * range of each kind, not every response of the workspace.
 */
export const SURVEY_RESPONSES = new MeasuredFacts({
  with: `WITH facts AS MATERIALIZED (
  SELECT s.response_id, s.occurred_at, s.survey, s.score, COALESCE(s.rep_id, 'unknown') AS rep,
    ${teamAt("s.rep_id", "s.occurred_at")} AS team,
    ${regionKey("account.region", "account_owner.region", "rep.region")} AS region, COALESCE(account.segment, 'unknown') AS segment
  FROM survey_responses s
  LEFT JOIN accounts account ON account.workspace_id = s.workspace_id AND account.account_id = s.account_id
  LEFT JOIN reps account_owner ON account_owner.workspace_id = s.workspace_id AND account_owner.rep_id = account.owner_rep_id
  LEFT JOIN reps rep ON rep.workspace_id = s.workspace_id AND rep.rep_id = s.rep_id
  WHERE s.workspace_id = ${P.workspace} AND s.survey IN ${SURVEY_KINDS_SQL} AND ${inMonth("s.occurred_at")})`,
  from: "facts",
  keyed: surveyKeys,
  member: { type: "'survey'", id: "f.response_id", placedAt: "f.occurred_at" },
  measures: {
    responses: count("survey = 'nps'"),
    promoters: count("survey = 'nps' AND score >= 9"),
    passives: count("survey = 'nps' AND score >= 7 AND score < 9"),
    detractors: count("survey = 'nps' AND score < 7"),
    csat_responses: count("survey = 'csat'"),
    csat_total: sum("score", "survey = 'csat'"),
    employee_responses: count("survey = 'employee'"),
    employee_total: sum("score", "survey = 'employee'"),
  },
});

const SURVEYS = `${SURVEY_RESPONSES.agg}
${unionAll(
  SURVEY_RESPONSES.ratio("nps", "promoters - detractors", "responses", "responses > 0"),
  SURVEY_RESPONSES.total("nps_promoters", "promoters", "responses > 0"),
  SURVEY_RESPONSES.total("nps_passives", "passives", "responses > 0"),
  SURVEY_RESPONSES.total("nps_detractors", "detractors", "responses > 0"),
  SURVEY_RESPONSES.ratio("csat", "csat_total", "csat_responses", "csat_responses > 0"),
  SURVEY_RESPONSES.ratio("employee_satisfaction", "employee_total", "employee_responses", "employee_responses > 0"),
)}`;

const mrrKeys = dimensionJoin({ all: "'all'", region: "f.region", segment: "f.segment", rep: "f.start_rep" });

/**
 * MRR per account at start(M) (a) and start(M+1) (b), both at M's rate (docs/kpis.md, rule 16),
 * over accounts that are not deleted; subscriptions without a usable rate are left out.
 * Region and segment: the account's at start(M+1) (region else its owner rep's then); rep
 * (churn and retention only, the other KPIs do not list it): the account's owner at start(M)
 * (docs/kpis.md, rule 37). `movements` is materialized so that each account's keys are
 * looked up once, not once per dimension row. One row per account with MRR at either edge:
 * the members of every MRR KPI are accounts, placed at no instant (they compare two states).
 */
export const ACCOUNT_MRR = new MeasuredFacts({
  with: `WITH subscription_mrr AS MATERIALIZED (
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
  SELECT m.account_id, m.a, m.b, m.had_mrr, m.region, m.segment, COALESCE(m.start_owner, 'unknown') AS start_rep
  FROM (${withAccountKeysAt(
    `SELECT p.*, ${accountOwnerAt("p.account_id", P.start)} AS start_owner FROM account_mrr p WHERE p.a > 0 OR p.b > 0`,
    P.end,
  )}) m)`,
  from: "movements",
  keyed: mrrKeys,
  // The account's MRR at start(M+1), already in the base currency (its subscriptions may have several).
  member: { type: "'account'", id: "f.account_id", placedAt: "NULL", amount: "f.b", currency: P.base, converted: "f.b" },
  // The movements of an account's MRR from a to b (docs/kpis.md, Glossary: new_mrr … churned_mrr):
  // each account is in at most one of new, reactivation, expansion, contraction and churn.
  measures: {
    start_mrr: sum("a", "a > 0"),
    mrr: sum("b", "b > 0"),
    new_mrr: sum("b", "a = 0 AND b > 0 AND NOT had_mrr"),
    reactivation_mrr: sum("b", "a = 0 AND b > 0 AND had_mrr"),
    expansion_mrr: sum("b - a", "a > 0 AND b > a"),
    contraction_mrr: sum("a - b", "b > 0 AND b < a"),
    churned_mrr: sum("a", "a > 0 AND b = 0"),
    active: count("b > 0"),
    start_active: count("a > 0"),
    churned: count("a > 0 AND b = 0"),
  },
});

const MRR = `${ACCOUNT_MRR.agg}
${unionAll(
  ACCOUNT_MRR.total("mrr", "mrr"),
  ACCOUNT_MRR.total("new_mrr", "new_mrr"),
  ACCOUNT_MRR.total("expansion_mrr", "expansion_mrr"),
  ACCOUNT_MRR.total("contraction_mrr", "contraction_mrr"),
  ACCOUNT_MRR.total("churned_mrr", "churned_mrr"),
  ACCOUNT_MRR.total("reactivation_mrr", "reactivation_mrr"),
  ACCOUNT_MRR.total("active_customers", "active"),
  ACCOUNT_MRR.ratio("logo_churn_rate", "churned", "start_active"),
  ACCOUNT_MRR.ratio("revenue_churn_rate", "churned_mrr + contraction_mrr", "start_mrr"),
  ACCOUNT_MRR.ratio("net_revenue_retention", "start_mrr + expansion_mrr - contraction_mrr - churned_mrr", "start_mrr"),
  ACCOUNT_MRR.ratio("arpa", "mrr", "active"),
  `SELECT ${kpiLiteral("customer_lifetime_value", "derived")}, dimension, key,
     CASE WHEN active = 0 OR start_active = 0 OR churned = 0 THEN NULL
       ELSE (mrr / active) / (churned * 1.0 / start_active) END, NULL, NULL
   FROM agg`,
)}`;

/**
 * Customer acquisition cost: all marketing spend of M over the new customers of M
 * (docs/kpis.md, rules 35 and 36); null without new customers, 0 when there was no spend.
 * One row per spend row of M (its source) and per new customer account, or a single empty
 * row when there are neither, so that the overall value is stored (null over 0) as ever.
 */
export const ACQUISITION = new MeasuredFacts({
  with: `WITH acquisition AS (
  SELECT 'marketing_spend' AS kind, source AS ref, amount AS spend FROM marketing_spend
    WHERE workspace_id = ${P.workspace} AND month = ${P.month}
  UNION ALL
  SELECT 'account' AS kind, account_id AS ref, NULL AS spend FROM (${NEW_CUSTOMERS_IN_MONTH})),
month_acquisition AS (SELECT a.* FROM (SELECT 1) edge LEFT JOIN acquisition a ON 1)`,
  from: "month_acquisition",
  keyed: { join: "CROSS JOIN (SELECT 'all' AS dimension) dim", key: "'all'", names: ["all"] },
  // Spend is in the workspace's currency (docs/kpis.md, rule 17); a month's spend row has no instant.
  member: {
    type: "f.kind",
    id: "f.ref",
    placedAt: `CASE f.kind WHEN 'account' THEN ${customerStartInMonth("f.ref")} END`,
    amount: "f.spend",
    currency: `CASE f.kind WHEN 'marketing_spend' THEN ${P.base} END`,
    converted: "f.spend",
  },
  measures: {
    spend: sum("spend", "kind = 'marketing_spend'"),
    customers: count("kind = 'account'"),
  },
});

const ACQUISITION_COST = `${ACQUISITION.agg}
${ACQUISITION.ratio("customer_acquisition_cost", "spend", "customers")}`;

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
export const CUSTOMER_FACTS: MeasuredFacts[] = [SURVEY_RESPONSES, ACCOUNT_MRR, ACQUISITION];

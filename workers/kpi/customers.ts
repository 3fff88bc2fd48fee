// Family E, customers and loyalty: survey scores in M, and MRR per account at start(M)
// and start(M+1) with its movements, churn, retention, ARPA and lifetime value.
import { accountNotDeleted, inMonth, regionKey, subscriptionMrrAt } from "./facts";
import { dimensionJoin, kpiLiteral, P, rateAt, ratio, stateAt, teamAt, total, unionAll } from "./sql";

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

/** An account's attribute at start(M+1). */
const accountAt = (field: string) => stateAt("x", "account", "m.account_id", field, P.end);

/**
 * MRR per account at start(M) (a) and start(M+1) (b), both at M's rate (docs/kpis.md, rule 16),
 * over accounts that are not deleted; subscriptions without a usable rate are left out.
 * Region: the account's at start(M+1), else its owner rep's then.
 */
const MRR = `WITH subscription_mrr AS MATERIALIZED (
  SELECT s.account_id,
    ${rateAt(`COALESCE(${stateAt("s", "subscription", "s.subscription_id", "currency", P.end)}, ${P.base})`, P.month)} AS rate,
    COALESCE(${subscriptionMrrAt(P.start)}, 0) AS a,
    COALESCE(${subscriptionMrrAt(P.end)}, 0) AS b,
    EXISTS (SELECT 1 FROM field_history h WHERE h.workspace_id = ${P.workspace} AND h.entity_type = 'subscription'
      AND h.entity_id = s.subscription_id AND h.field = 'mrr' AND h.value_num > 0 AND h.occurred_at < ${P.start}) AS had_mrr
  FROM subscriptions s
  WHERE s.workspace_id = ${P.workspace} AND s.account_id IS NOT NULL
    AND ${accountNotDeleted("s.account_id")}),
account_mrr AS (
  SELECT account_id, TOTAL(a * rate) AS a, TOTAL(b * rate) AS b, MAX(had_mrr) AS had_mrr
  FROM subscription_mrr WHERE rate IS NOT NULL GROUP BY account_id),
account_state AS (
  SELECT m.*, ${accountAt("region")} AS own_region, ${accountAt("segment")} AS own_segment,
    ${accountAt("owner_rep_id")} AS owner_rep_id
  FROM account_mrr m LEFT JOIN accounts x ON x.workspace_id = ${P.workspace} AND x.account_id = m.account_id
  WHERE m.a > 0 OR m.b > 0),
movements AS (
  SELECT m.a, m.b,
    ${regionKey("m.own_region", stateAt("owner", "rep", "m.owner_rep_id", "region", P.end))} AS region,
    COALESCE(m.own_segment, 'unknown') AS segment,
    CASE WHEN m.a = 0 AND m.b > 0 AND NOT m.had_mrr THEN m.b ELSE 0 END AS new_mrr,
    CASE WHEN m.a = 0 AND m.b > 0 AND m.had_mrr THEN m.b ELSE 0 END AS reactivation_mrr,
    CASE WHEN m.a > 0 AND m.b > m.a THEN m.b - m.a ELSE 0 END AS expansion_mrr,
    CASE WHEN m.b > 0 AND m.b < m.a THEN m.a - m.b ELSE 0 END AS contraction_mrr,
    CASE WHEN m.a > 0 AND m.b = 0 THEN m.a ELSE 0 END AS churned_mrr
  FROM account_state m LEFT JOIN reps owner ON owner.workspace_id = ${P.workspace} AND owner.rep_id = m.owner_rep_id),
keyed AS (SELECT f.*, dim.dimension, ${dimensionJoin({ all: "'all'", region: "f.region", segment: "f.segment" }).key} AS key
  FROM movements f ${dimensionJoin({ all: "'all'", region: "f.region", segment: "f.segment" }).join}),
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

export const CUSTOMER_QUERIES = { surveys: SURVEYS, mrr: MRR };

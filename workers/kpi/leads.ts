// Family C, leads and lifecycle: new leads, lifecycle cohorts (created, first reached mql
// / sql / customer in M), leads by stage at start(M+1), and marketing spend per source.
import type { MeasuredFacts } from "./measures";
import { LEAD_STAGES } from "../model/events";
import { closedDeals, DEALS_CREATED_IN_MONTH, firstTouchOf, inMonth, repTeamKeys } from "./facts";
import { days, dimensionJoin, kpiLiteral, P, ratio, stateAt, teamAt, total, unionAll } from "./sql";

/** The instant a lead first reached `stage`: its earliest history entry at that stage or later. */
function reachedAt(stage: (typeof LEAD_STAGES)[number]): string {
  const atOrLater = LEAD_STAGES.slice(LEAD_STAGES.indexOf(stage)).map((s) => `'${s}'`).join(", ");
  return `(SELECT MIN(h.occurred_at) FROM field_history h WHERE h.workspace_id = ${P.workspace}
    AND h.entity_type = 'lead' AND h.entity_id = l.lead_id AND h.field = 'stage' AND h.value_text IN (${atOrLater}))`;
}

/** By first touch only the leads created in M, the cohort of lead_conversion_rate (docs/kpis.md, rule 29). */
const leadKeys = dimensionJoin({ all: "'all'", source: "f.source", rep: "f.rep", team: "f.team", first_touch: "f.first_touch" });

/**
 * Leads whose cohorts may include M: created in M, or with a stage entry in M (a lead
 * first reaches a stage at one of its own stage entries). The leads created in M also give
 * their current score and their first touch (docs/kpis.md, rule 29).
 */
const COHORTS = `WITH candidates AS MATERIALIZED (
  SELECT l.* FROM leads l WHERE l.workspace_id = ${P.workspace} AND l.deleted_at IS NULL AND l.lead_id IN (
    SELECT lead_id FROM leads WHERE workspace_id = ${P.workspace} AND ${inMonth("created_at")}
    UNION SELECT entity_id FROM field_history WHERE workspace_id = ${P.workspace} AND entity_type = 'lead'
      AND field = 'stage' AND ${inMonth("occurred_at")})),
facts AS MATERIALIZED (
  SELECT l.lead_id, l.created_at,
    COALESCE(l.source, 'unknown') AS source,
    COALESCE(l.owner_rep_id, 'unknown') AS rep,
    ${teamAt("l.owner_rep_id", "l.created_at")} AS team,
    ${inMonth("l.created_at")} AS is_new,
    l.score,
    CASE WHEN ${inMonth("l.created_at")} THEN ${firstTouchOf("l.lead_id")} END AS first_touch,
    ${reachedAt("mql")} AS mql_at,
    ${reachedAt("sql")} AS sql_at,
    ${reachedAt("customer")} AS customer_at
  FROM candidates l),
keyed AS (SELECT f.*, dim.dimension, ${leadKeys.key} AS key FROM facts f ${leadKeys.join}
  WHERE dim.dimension <> 'first_touch' OR f.is_new),
agg AS (
  SELECT dimension, key,
    SUM(is_new) AS created,
    SUM(is_new AND customer_at IS NOT NULL) AS created_converted,
    SUM(is_new AND score IS NOT NULL) AS scored,
    TOTAL(CASE WHEN is_new THEN score END) AS score_total,
    SUM(${inMonth("mql_at")}) AS mql,
    SUM(${inMonth("mql_at")} AND customer_at IS NOT NULL) AS mql_converted,
    SUM(${inMonth("sql_at")}) AS sql,
    SUM(${inMonth("sql_at")} AND customer_at IS NOT NULL) AS sql_converted,
    SUM(${inMonth("customer_at")}) AS customers,
    TOTAL(CASE WHEN ${inMonth("customer_at")} THEN ${days("(customer_at - created_at)")} END) AS lifecycle_days
  FROM keyed GROUP BY dimension, key)
${unionAll(
  total("new_leads", "created", "agg", "created > 0"),
  ratio("lead_conversion_rate", "created_converted", "created", "agg", "created > 0"),
  ratio("mql_to_customer_rate", "mql_converted", "mql", "agg", "mql > 0"),
  ratio("sql_to_customer_rate", "sql_converted", "sql", "agg", "sql > 0"),
  ratio("customer_lifecycle_days", "lifecycle_days", "customers", "agg", "customers > 0"),
  ratio("avg_lead_score", "score_total", "scored", "agg", "created > 0"),
)}`;

/** Leads created before start(M+1) by their stage at that instant; every stage is listed. */
const BY_STAGE = `WITH lifecycle AS (SELECT value AS stage FROM json_each('${JSON.stringify(LEAD_STAGES)}')),
state AS (
  SELECT COALESCE(${stateAt("l", "lead", "l.lead_id", "stage", P.end)}, 'unknown') AS stage
  FROM leads l WHERE l.workspace_id = ${P.workspace} AND l.deleted_at IS NULL AND l.created_at < ${P.end}),
counts AS (SELECT stage, COUNT(*) AS leads FROM state GROUP BY stage)
SELECT ${kpiLiteral("leads_by_stage", "total")} AS kpi, 'stage' AS dimension, s.stage AS key, COALESCE(c.leads, 0) AS value,
  NULL AS numerator, NULL AS denominator
FROM lifecycle s LEFT JOIN counts c ON c.stage = s.stage
UNION ALL
SELECT ${kpiLiteral("leads_by_stage", "total")}, 'stage', stage, leads, NULL, NULL FROM counts
WHERE stage NOT IN (SELECT stage FROM lifecycle)`;

/**
 * Spend against leads and revenue per source (docs/kpis.md, rule 17): a source without
 * a spend row has spend 0; overall uses all spend of M.
 */
const SPEND = `WITH spend AS (
  SELECT source, TOTAL(amount) AS amount FROM marketing_spend
  WHERE workspace_id = ${P.workspace} AND month = ${P.month} GROUP BY source),
new_leads AS (
  SELECT COALESCE(source, 'unknown') AS source, COUNT(*) AS leads FROM leads
  WHERE workspace_id = ${P.workspace} AND deleted_at IS NULL AND ${inMonth("created_at")}
  GROUP BY 1),
revenue AS (
  SELECT source, TOTAL(converted) AS revenue FROM (${closedDeals(P.start, P.end, P.month)})
  WHERE status = 'won' GROUP BY source),
sources AS (SELECT source FROM spend UNION SELECT source FROM new_leads UNION SELECT source FROM revenue),
per_source AS (
  SELECT s.source, COALESCE(sp.amount, 0) AS spend, COALESCE(n.leads, 0) AS leads, COALESCE(r.revenue, 0) AS revenue,
    sp.source IS NOT NULL AS has_spend, n.source IS NOT NULL AS has_leads, r.source IS NOT NULL AS has_revenue
  FROM sources s
  LEFT JOIN spend sp ON sp.source = s.source
  LEFT JOIN new_leads n ON n.source = s.source
  LEFT JOIN revenue r ON r.source = s.source),
agg AS (
  SELECT 'source' AS dimension, source AS key, spend, leads, revenue, has_spend, has_leads, has_revenue FROM per_source
  UNION ALL
  SELECT 'all', 'all', TOTAL(spend), TOTAL(leads), TOTAL(revenue), MAX(has_spend), MAX(has_leads), MAX(has_revenue) FROM per_source)
${unionAll(
  ratio("cost_per_lead", "spend", "leads", "agg", "has_spend OR has_leads"),
  ratio("revenue_per_spend", "revenue", "spend", "agg", "has_spend OR has_revenue"),
)}`;


/**
 * Handoffs (docs/kpis.md, rule 28): deals created in M from a lead whose owner at the
 * deal's created_at and the deal's own (current, rule 8) owner are both known and differ;
 * keyed by that lead owner, who handed off, with the team at the deal's created_at.
 */
const HANDOFFS = `WITH created AS MATERIALIZED (
  SELECT c.created_at, c.owner_rep_id, ${stateAt("l", "lead", "l.lead_id", "owner_rep_id", "c.created_at")} AS lead_owner
  FROM (${DEALS_CREATED_IN_MONTH}) c
  JOIN leads l ON l.workspace_id = ${P.workspace} AND l.lead_id = c.lead_id),
handoffs AS (
  SELECT lead_owner AS rep, ${teamAt("lead_owner", "created_at")} AS team FROM created
  WHERE owner_rep_id IS NOT NULL AND lead_owner IS NOT NULL AND lead_owner <> owner_rep_id),
keyed AS (SELECT dim.dimension, ${repTeamKeys.key} AS key FROM handoffs f ${repTeamKeys.join}),
agg AS (SELECT dimension, key, COUNT(*) AS handoffs FROM keyed GROUP BY dimension, key)
${total("handoffs", "handoffs", "agg")}`;

export const LEAD_QUERIES = { cohorts: COHORTS, by_stage: BY_STAGE, spend: SPEND, handoffs: HANDOFFS };

/** The measured facts of this family: their values' members (members.ts). */
export const LEAD_FACTS: MeasuredFacts[] = [];

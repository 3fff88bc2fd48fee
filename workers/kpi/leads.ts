// Family C, leads and lifecycle: new leads, lifecycle cohorts (created, first reached mql
// / sql / customer in M), leads by stage at start(M+1), and marketing spend per source.
import { count, MeasuredFacts, sum } from "./measures";
import { LEAD_STAGES } from "../model/events";
import { closedDeals, DEALS_CREATED_IN_MONTH, firstTouchOf, inMonth, repTeamKeys } from "./facts";
import { days, dimensionJoin, P, stateAt, teamAt, unionAll } from "./sql";

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
const COHORT_LEADS = `WITH candidates AS MATERIALIZED (
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
  FROM candidates l)`;

/**
 * The lead cohorts of M, each a lead's measures; a lead is placed in M by the instant it
 * joined the cohort its KPI reads (created, or first reached mql / sql / customer).
 */
const cohortFacts = (placedAt: string) =>
  new MeasuredFacts({
    with: COHORT_LEADS,
    from: "facts",
    keyed: { ...leadKeys, where: "dim.dimension <> 'first_touch' OR f.is_new" },
    member: { type: "'lead'", id: "f.lead_id", placedAt },
    measures: {
      created: count("is_new"),
      created_converted: count("is_new AND customer_at IS NOT NULL"),
      scored: count("is_new AND score IS NOT NULL"),
      score_total: sum("score", "is_new"),
      mql: count(inMonth("mql_at")),
      mql_converted: count(`${inMonth("mql_at")} AND customer_at IS NOT NULL`),
      sql: count(inMonth("sql_at")),
      sql_converted: count(`${inMonth("sql_at")} AND customer_at IS NOT NULL`),
      customers: count(inMonth("customer_at")),
      lifecycle_days: sum(days("(customer_at - created_at)"), inMonth("customer_at")),
    },
  });

/** The created cohort (leads created in M) and those first reaching mql, sql and customer in M. */
const LEADS_CREATED = cohortFacts("f.created_at");
const LEADS_REACHING_MQL = cohortFacts("f.mql_at");
const LEADS_REACHING_SQL = cohortFacts("f.sql_at");
const LEADS_REACHING_CUSTOMER = cohortFacts("f.customer_at");

/** One statement for every cohort: the four share their facts and measures, so one `agg` serves them all. */
const COHORTS = `${LEADS_CREATED.agg}
${unionAll(
  LEADS_CREATED.total("new_leads", "created", "created > 0"),
  LEADS_CREATED.ratio("lead_conversion_rate", "created_converted", "created", "created > 0"),
  LEADS_REACHING_MQL.ratio("mql_to_customer_rate", "mql_converted", "mql", "mql > 0"),
  LEADS_REACHING_SQL.ratio("sql_to_customer_rate", "sql_converted", "sql", "sql > 0"),
  LEADS_REACHING_CUSTOMER.ratio("customer_lifecycle_days", "lifecycle_days", "customers", "customers > 0"),
  LEADS_CREATED.ratio("avg_lead_score", "score_total", "scored", "created > 0"),
)}`;

/**
 * Leads created before start(M+1) with their stage at that instant (docs/kpis.md, rule 9),
 * and each lifecycle stage once without a lead, so that every stage is listed (with 0 when
 * no lead is at it). A state: nothing placed the leads in M.
 */
const LEADS_AT_END = new MeasuredFacts({
  with: `WITH facts AS (
  SELECT l.lead_id, COALESCE(${stateAt("l", "lead", "l.lead_id", "stage", P.end)}, 'unknown') AS stage
  FROM leads l WHERE l.workspace_id = ${P.workspace} AND l.deleted_at IS NULL AND l.created_at < ${P.end}
  UNION ALL SELECT NULL, value FROM json_each('${JSON.stringify(LEAD_STAGES)}'))`,
  from: "facts",
  keyed: { join: "CROSS JOIN (SELECT 'stage' AS dimension) dim", key: "f.stage", names: ["stage"] },
  member: { type: "'lead'", id: "f.lead_id", placedAt: "NULL" },
  measures: { leads: count("lead_id IS NOT NULL") },
});

const BY_STAGE = `${LEADS_AT_END.agg}
${LEADS_AT_END.total("leads_by_stage", "leads")}`;

/**
 * Spend against leads and revenue per source (docs/kpis.md, rule 17), one row per member:
 * M's spend rows (the member is the source's spend), the leads created in M and the deals
 * won in M (source: the deal's own, else its lead's). A source without a spend row has
 * spend 0; overall reads all spend of M. Summed per source before it is keyed, as the
 * values need only the sources.
 */
const SPEND_AND_RETURNS = new MeasuredFacts({
  with: `WITH facts AS (
  SELECT 'marketing_spend' AS member_type, source AS member_id, source, NULL AS placed_at,
    amount, ${P.base} AS currency, amount AS converted
  FROM marketing_spend WHERE workspace_id = ${P.workspace} AND month = ${P.month}
  UNION ALL
  SELECT 'lead', lead_id, COALESCE(source, 'unknown'), created_at, NULL, NULL, NULL FROM leads
  WHERE workspace_id = ${P.workspace} AND deleted_at IS NULL AND ${inMonth("created_at")}
  UNION ALL
  SELECT 'deal', deal_id, source, closed_at, amount, COALESCE(currency, ${P.base}), converted
  FROM (${closedDeals(P.start, P.end, P.month)}) WHERE status = 'won')`,
  from: "facts",
  keyed: dimensionJoin({ all: "'all'", source: "f.source" }),
  member: {
    type: "f.member_type", id: "f.member_id", placedAt: "f.placed_at",
    amount: "f.amount", currency: "f.currency", converted: "f.converted",
  },
  measures: {
    spend_rows: count("member_type = 'marketing_spend'"),
    spend: sum("amount", "member_type = 'marketing_spend'"),
    leads: count("member_type = 'lead'"),
    won: count("member_type = 'deal'"),
    revenue: sum("converted", "member_type = 'deal'"),
  },
  preaggregateBy: ["source"],
});

const SPEND = `${SPEND_AND_RETURNS.agg}
${unionAll(
  SPEND_AND_RETURNS.ratio("cost_per_lead", "spend", "leads", "spend_rows > 0 OR leads > 0"),
  SPEND_AND_RETURNS.ratio("revenue_per_spend", "revenue", "spend", "spend_rows > 0 OR won > 0"),
)}`;

/**
 * Handoffs (docs/kpis.md, rule 28): deals created in M from a lead whose owner at the
 * deal's created_at and the deal's own (current, rule 8) owner are both known and differ;
 * keyed by that lead owner, who handed off, with the team at the deal's created_at. The
 * members are the deals handed off, placed by their created_at.
 */
const HANDED_OFF_DEALS = new MeasuredFacts({
  with: `WITH created AS MATERIALIZED (
  SELECT c.deal_id, c.created_at, c.owner_rep_id, ${stateAt("l", "lead", "l.lead_id", "owner_rep_id", "c.created_at")} AS lead_owner
  FROM (${DEALS_CREATED_IN_MONTH}) c
  JOIN leads l ON l.workspace_id = ${P.workspace} AND l.lead_id = c.lead_id),
handed_off AS (
  SELECT deal_id, created_at, lead_owner AS rep, ${teamAt("lead_owner", "created_at")} AS team FROM created
  WHERE owner_rep_id IS NOT NULL AND lead_owner IS NOT NULL AND lead_owner <> owner_rep_id)`,
  from: "handed_off",
  keyed: repTeamKeys,
  member: { type: "'deal'", id: "f.deal_id", placedAt: "f.created_at" },
  measures: { handoffs: count() },
});

const HANDOFFS = `${HANDED_OFF_DEALS.agg}
${HANDED_OFF_DEALS.total("handoffs", "handoffs")}`;

export const LEAD_QUERIES = { cohorts: COHORTS, by_stage: BY_STAGE, spend: SPEND, handoffs: HANDOFFS };

/** The measured facts of this family: their values' members (members.ts). */
export const LEAD_FACTS: MeasuredFacts[] = [
  LEADS_CREATED, LEADS_REACHING_MQL, LEADS_REACHING_SQL, LEADS_REACHING_CUSTOMER, LEADS_AT_END, SPEND_AND_RETURNS, HANDED_OFF_DEALS,
];

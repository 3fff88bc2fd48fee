// Instants before an event's own whose months its KPIs may change. Recomputing runs from
// the earliest dirty month forward, so the earliest such instant per entity is enough:
// the first event or the earliest created_at / closed_at ever recorded for every entity a
// delivery touched (directly or through an activity's deal and lead), which covers cohort
// months a late event moves an entity out of and deletions excluded from every month; and
// the inbound activities that a new outbound contact now answers (customer response,
// docs/kpis.md, rule 20): those at or after the previous outbound contact on the same lead
// (inbounds with that lead) or account (inbounds with that account and no lead) — older
// ones keep their earlier answer, so an old inbound never dirties every month since.
import type { D1Database } from "@cloudflare/workers-types";
import { INSTANT_FIELDS } from "./entities";
import { CONTACT_TYPES_SQL } from "./events";

const INSTANT_FIELDS_SQL = INSTANT_FIELDS.map((name) => `'${name}'`).join(", ");

/**
 * The first inbound activity that outbound contact o may now answer: inbounds matched on
 * `inbound` (with `$` for the activity alias) at or after the latest outbound contact
 * matched on `outbound` before o's first recorded instant (earlier ones keep their earlier
 * answer), and before o. o's first instant covers an activity logged again later. The
 * lead / account index is named: the planner would otherwise range over the time index.
 */
const firstAnsweredInbound = (index: string, inbound: string, outbound: string) => `(SELECT i.occurred_at
    FROM activities i INDEXED BY ${index}
    WHERE i.workspace_id = o.workspace_id AND ${inbound.replaceAll("$", "i")} AND i.direction = 'inbound'
      AND i.occurred_at < o.occurred_at
      AND i.occurred_at >= COALESCE((SELECT p.occurred_at FROM activities p INDEXED BY ${index}
        WHERE p.workspace_id = o.workspace_id AND ${outbound.replaceAll("$", "p")} AND p.direction = 'outbound'
          AND p.type IN ${CONTACT_TYPES_SQL} AND p.occurred_at < o.first_at
        ORDER BY p.occurred_at DESC LIMIT 1), -9e15)
    ORDER BY i.occurred_at LIMIT 1)`;

export const DEPENDENT_INSTANTS = `WITH delivered AS MATERIALIZED (
  SELECT * FROM canonical_events WHERE inbox_id IN (SELECT value FROM json_each(?1))),
touched AS (
  SELECT workspace_id, entity_type, entity_id FROM delivered
  UNION SELECT workspace_id, 'deal', data ->> '$.deal_id' FROM delivered WHERE type = 'activity.logged' AND data ->> '$.deal_id' IS NOT NULL
  UNION SELECT workspace_id, 'lead', data ->> '$.lead_id' FROM delivered WHERE type = 'activity.logged' AND data ->> '$.lead_id' IS NOT NULL),
outbound AS MATERIALIZED (
  SELECT e.workspace_id, e.occurred_at, e.data ->> '$.lead_id' AS lead_id, e.data ->> '$.account_id' AS account_id,
    (SELECT MIN(h.occurred_at) FROM field_history h WHERE h.workspace_id = e.workspace_id AND h.entity_type = 'activity'
       AND h.entity_id = e.entity_id) AS first_at
  FROM delivered e WHERE e.type = 'activity.logged' AND e.data ->> '$.direction' = 'outbound'
    AND e.data ->> '$.type' IN ${CONTACT_TYPES_SQL})
SELECT t.workspace_id, (SELECT MIN(CASE WHEN h.field IN (${INSTANT_FIELDS_SQL}) AND h.value_num < h.occurred_at
                                   THEN h.value_num ELSE h.occurred_at END)
    FROM field_history h WHERE h.workspace_id = t.workspace_id AND h.entity_type = t.entity_type AND h.entity_id = t.entity_id) AS instant
  FROM touched t
UNION ALL SELECT o.workspace_id, ${firstAnsweredInbound("activities_lead", "$.lead_id = o.lead_id", "$.lead_id = o.lead_id")}
  FROM outbound o WHERE o.lead_id IS NOT NULL
UNION ALL SELECT o.workspace_id, ${firstAnsweredInbound("activities_account", "$.account_id = o.account_id AND $.lead_id IS NULL", "$.account_id = o.account_id")}
  FROM outbound o WHERE o.account_id IS NOT NULL`;

/** The earliest dependent instant of the given inbox rows, by workspace, with its time zone. */
export async function dependentInstants(
  db: D1Database,
  inboxIds: number[],
): Promise<{ workspaceId: string; timezone: string; instant: number }[]> {
  const { results } = await db
    .prepare(
      `SELECT d.workspace_id, w.timezone, MIN(d.instant) AS instant FROM (${DEPENDENT_INSTANTS}) d
       JOIN workspaces w ON w.id = d.workspace_id WHERE d.instant IS NOT NULL GROUP BY d.workspace_id, w.timezone`,
    )
    .bind(JSON.stringify(inboxIds))
    .all<{ workspace_id: string; timezone: string; instant: number }>();
  return results.map((r) => ({ workspaceId: r.workspace_id, timezone: r.timezone, instant: r.instant }));
}

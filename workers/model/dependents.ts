// Instants before an event's own whose months its KPIs may change. Recomputing runs from
// the earliest dirty month forward, so the earliest such instant per entity is enough:
// the first event or the earliest created_at / closed_at ever recorded for every entity a
// delivery touched (directly or through an activity's deal and lead), which covers cohort
// months a late event moves an entity out of and deletions excluded from every month, and
// the inbound activities that a new outbound contact answers.
import type { D1Database } from "@cloudflare/workers-types";

const DEPENDENT_INSTANTS = `WITH delivered AS (SELECT * FROM canonical_events WHERE inbox_id IN (SELECT value FROM json_each(?1))),
touched AS (
  SELECT workspace_id, entity_type, entity_id FROM delivered
  UNION SELECT workspace_id, 'deal', data ->> '$.deal_id' FROM delivered WHERE type = 'activity.logged' AND data ->> '$.deal_id' IS NOT NULL
  UNION SELECT workspace_id, 'lead', data ->> '$.lead_id' FROM delivered WHERE type = 'activity.logged' AND data ->> '$.lead_id' IS NOT NULL),
outbound AS (SELECT workspace_id, occurred_at, data ->> '$.lead_id' AS lead_id, data ->> '$.account_id' AS account_id
  FROM delivered WHERE type = 'activity.logged' AND data ->> '$.direction' = 'outbound')
SELECT t.workspace_id, (SELECT MIN(CASE WHEN h.field IN ('created_at', 'closed_at') AND h.value_num < h.occurred_at
                                   THEN h.value_num ELSE h.occurred_at END)
    FROM field_history h WHERE h.workspace_id = t.workspace_id AND h.entity_type = t.entity_type AND h.entity_id = t.entity_id) AS instant
  FROM touched t
UNION ALL SELECT o.workspace_id, CASE WHEN o.lead_id IS NOT NULL
    THEN (SELECT MIN(a.occurred_at) FROM activities a WHERE a.workspace_id = o.workspace_id AND a.lead_id = o.lead_id
            AND a.occurred_at < o.occurred_at AND a.direction = 'inbound')
    ELSE (SELECT MIN(a.occurred_at) FROM activities a WHERE a.workspace_id = o.workspace_id AND a.account_id = o.account_id
            AND a.occurred_at < o.occurred_at AND a.direction = 'inbound') END
  FROM outbound o`;

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

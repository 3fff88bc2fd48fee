// Instants before an event's own whose months its KPIs may change: cohort months of the
// deals and leads the deliveries touched (directly or through an activity), the instants
// their leads first reached each stage, and inbound activities a new outbound contact answers.
import type { D1Database } from "@cloudflare/workers-types";

const DEPENDENT_INSTANTS = `WITH delivered AS (SELECT * FROM canonical_events WHERE inbox_id IN (SELECT value FROM json_each(?1))),
deals_touched AS (
  SELECT workspace_id, entity_id AS deal_id FROM delivered WHERE entity_type = 'deal'
  UNION SELECT workspace_id, data ->> '$.deal_id' FROM delivered WHERE type = 'activity.logged'),
leads_touched AS (
  SELECT workspace_id, entity_id AS lead_id FROM delivered WHERE entity_type = 'lead'
  UNION SELECT workspace_id, data ->> '$.lead_id' FROM delivered WHERE type = 'activity.logged'),
outbound AS (SELECT workspace_id, occurred_at, data ->> '$.lead_id' AS lead_id, data ->> '$.account_id' AS account_id
  FROM delivered WHERE type = 'activity.logged' AND data ->> '$.direction' = 'outbound')
SELECT workspace_id, MIN(created_at, COALESCE(closed_at, created_at)) AS instant FROM deals
  WHERE (workspace_id, deal_id) IN (SELECT workspace_id, deal_id FROM deals_touched)
UNION ALL SELECT workspace_id, created_at FROM leads WHERE (workspace_id, lead_id) IN (SELECT workspace_id, lead_id FROM leads_touched)
UNION ALL SELECT workspace_id, MIN(occurred_at) FROM lead_stage_history
  WHERE (workspace_id, lead_id) IN (SELECT workspace_id, lead_id FROM leads_touched) GROUP BY workspace_id, lead_id, stage
UNION ALL SELECT o.workspace_id, CASE WHEN o.lead_id IS NOT NULL
    THEN (SELECT MIN(a.occurred_at) FROM activities a WHERE a.workspace_id = o.workspace_id AND a.lead_id = o.lead_id
            AND a.occurred_at < o.occurred_at AND a.direction = 'inbound')
    ELSE (SELECT MIN(a.occurred_at) FROM activities a WHERE a.workspace_id = o.workspace_id AND a.account_id = o.account_id
            AND a.occurred_at < o.occurred_at AND a.direction = 'inbound') END
  FROM outbound o`;

/** Dependent instants of the given inbox rows, by workspace. */
export async function dependentInstants(db: D1Database, inboxIds: number[]): Promise<Map<string, number[]>> {
  const { results } = await db
    .prepare(DEPENDENT_INSTANTS)
    .bind(JSON.stringify(inboxIds))
    .all<{ workspace_id: string; instant: number | null }>();
  const byWorkspace = new Map<string, number[]>();
  for (const { workspace_id, instant } of results) {
    if (instant !== null) byWorkspace.set(workspace_id, [...(byWorkspace.get(workspace_id) ?? []), instant]);
  }
  return byWorkspace;
}

// Instants before an event's own whose months its KPIs may change: cohort months of the
// deals and leads a delivery touched (directly or through an activity), the instants its
// leads first reached each stage, and inbound activities a new outbound contact answers.
import type { D1Database } from "@cloudflare/workers-types";

const DEPENDENT_INSTANTS = `WITH delivered AS (SELECT * FROM canonical_events WHERE inbox_id = ?1),
deals_touched AS (
  SELECT entity_id AS deal_id FROM delivered WHERE entity_type = 'deal'
  UNION SELECT data ->> '$.deal_id' FROM delivered WHERE type = 'activity.logged'),
leads_touched AS (
  SELECT entity_id AS lead_id FROM delivered WHERE entity_type = 'lead'
  UNION SELECT data ->> '$.lead_id' FROM delivered WHERE type = 'activity.logged'),
outbound AS (SELECT occurred_at, data ->> '$.lead_id' AS lead_id, data ->> '$.account_id' AS account_id
  FROM delivered WHERE type = 'activity.logged' AND data ->> '$.direction' = 'outbound')
SELECT MIN(created_at, COALESCE(closed_at, created_at)) AS instant FROM deals
  WHERE workspace_id = ?2 AND deal_id IN (SELECT deal_id FROM deals_touched)
UNION ALL SELECT created_at FROM leads WHERE workspace_id = ?2 AND lead_id IN (SELECT lead_id FROM leads_touched)
UNION ALL SELECT MIN(occurred_at) FROM lead_stage_history
  WHERE workspace_id = ?2 AND lead_id IN (SELECT lead_id FROM leads_touched) GROUP BY lead_id, stage
UNION ALL SELECT MIN(a.occurred_at) FROM activities a JOIN outbound o
  ON (a.lead_id = o.lead_id OR (o.lead_id IS NULL AND a.account_id = o.account_id))
  WHERE a.workspace_id = ?2 AND a.direction = 'inbound' AND a.occurred_at < o.occurred_at`;

export async function dependentInstants(db: D1Database, workspaceId: string, inboxId: number): Promise<number[]> {
  const { results } = await db.prepare(DEPENDENT_INSTANTS).bind(inboxId, workspaceId).all<{ instant: number | null }>();
  return results.flatMap((r) => (r.instant === null ? [] : [r.instant]));
}

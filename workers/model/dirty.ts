// Dirty months: (workspace, month) pairs whose KPIs must be recomputed.
import type { D1Database } from "@cloudflare/workers-types";

export async function markDirty(db: D1Database, workspaceId: string, months: string[], now: number): Promise<void> {
  if (months.length === 0) return;
  await db
    .prepare(
      `INSERT INTO dirty_months (workspace_id, month, marked_at) SELECT ?1, value, ?2 FROM json_each(?3) WHERE true
       ON CONFLICT (workspace_id, month) DO UPDATE SET marked_at = excluded.marked_at`,
    )
    .bind(workspaceId, now, JSON.stringify([...new Set(months)]))
    .run();
}

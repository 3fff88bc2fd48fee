// How far ingestion has got for a workspace: counts and oldest rows across the inbox, dead
// letters, canonical events and dirty months. One set-based statement in raw D1 (README.md).
import type { D1Database } from "@cloudflare/workers-types";

export interface IngestCounts {
  pending: number;
  failed: number;
  processed: number;
  deadLetters: number;
  /** The latest instant of an applied event. */
  latestEventAt: number | null;
  dirtyMonths: number;
  /** Receipt of the oldest pending, and failed, delivery. */
  oldestPendingAt: number | null;
  oldestFailedAt: number | null;
}

export async function ingestCounts(db: D1Database, workspaceId: string): Promise<IngestCounts> {
  // Each count and minimum is a range of the inbox_workspace index (workspace, status, received_at).
  const row = await db
    .prepare(
      `SELECT
         (SELECT COUNT(*) FROM inbox WHERE workspace_id = ?1 AND status = 'pending') AS pending,
         (SELECT COUNT(*) FROM inbox WHERE workspace_id = ?1 AND status = 'failed') AS failed,
         (SELECT COUNT(*) FROM inbox WHERE workspace_id = ?1 AND status = 'processed') AS processed,
         (SELECT COUNT(*) FROM dead_letters WHERE workspace_id = ?1) AS deadLetters,
         (SELECT MAX(occurred_at) FROM canonical_events WHERE workspace_id = ?1) AS latestEventAt,
         (SELECT COUNT(*) FROM dirty_months WHERE workspace_id = ?1) AS dirtyMonths,
         (SELECT MIN(received_at) FROM inbox WHERE workspace_id = ?1 AND status = 'pending') AS oldestPendingAt,
         (SELECT MIN(received_at) FROM inbox WHERE workspace_id = ?1 AND status = 'failed') AS oldestFailedAt`,
    )
    .bind(workspaceId)
    .first<IngestCounts>();
  return row!;
}

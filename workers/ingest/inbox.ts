// The inbox of raw deliveries: stored idempotently before the webhook is acknowledged,
// then handed to the "events" queue by id. The cron sweep re-enqueues what was missed.
import type { D1Database, Queue } from "@cloudflare/workers-types";
import type { InboxMessage } from "../env";
import { sendAll } from "../lib/queue";
import type { SplitDelivery } from "../sources/adapter";

/** A pending row not processed this long after it was (last) enqueued is enqueued again. */
export const SWEEP_AFTER_MS = 5 * 60 * 1000;

/**
 * Stores the deliveries (one atomic batch) and returns the ids of rows that are new;
 * deliveries already in the inbox are duplicates and come back as nothing.
 */
export async function storeDeliveries(
  db: D1Database,
  workspaceId: string,
  connectionId: string,
  deliveries: SplitDelivery[],
  now: number,
): Promise<number[]> {
  const insert = db.prepare(
    `INSERT INTO inbox (workspace_id, connection_id, delivery_id, received_at, headers, body, enqueued_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?4)
     ON CONFLICT (connection_id, delivery_id) DO NOTHING
     RETURNING id`,
  );
  const results = await db.batch<{ id: number }>(
    deliveries.map((d) =>
      insert.bind(workspaceId, connectionId, d.deliveryId, now, JSON.stringify(d.headers), d.body),
    ),
  );
  return results.flatMap((r) => r.results.map((row) => row.id));
}

export async function enqueue(queue: Queue<InboxMessage>, inboxIds: number[]): Promise<void> {
  await sendAll(queue, inboxIds.map((inboxId) => ({ inboxId })));
}

/** Re-enqueues pending rows left unprocessed for SWEEP_AFTER_MS; returns how many. */
export async function sweepInbox(db: D1Database, queue: Queue<InboxMessage>, now: number): Promise<number> {
  const { results } = await db
    .prepare(
      `UPDATE inbox SET enqueued_at = ?1
       WHERE id IN (SELECT id FROM inbox WHERE status = 'pending' AND enqueued_at < ?2 ORDER BY id LIMIT 1000)
       RETURNING id`,
    )
    .bind(now, now - SWEEP_AFTER_MS)
    .all<{ id: number }>();
  const ids = results.map((r) => r.id).sort((a, b) => a - b);
  await enqueue(queue, ids);
  return ids.length;
}

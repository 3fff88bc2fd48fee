// The inbox of raw deliveries: stored idempotently before the webhook is acknowledged,
// then handed to the "events" queue by id. The cron sweep re-enqueues what was missed.
import type { D1Database, Queue } from "@cloudflare/workers-types";
import { DAY_MS, MINUTE_MS } from "../../shared/units";
import type { PlacedDatabase } from "../db/placement";
import type { InboxMessage, WorkspaceDatabaseName } from "../env";
import { backoffDelayMs, type Backoff } from "../lib/backoff";
import { sendAll } from "../lib/queue";
import type { SplitDelivery } from "../sources/adapter";

/** A pending row not processed this long after it was (last) enqueued is enqueued again. */
export const SWEEP_AFTER_MS = 5 * MINUTE_MS;

/**
 * Stores the deliveries (one atomic batch) and returns the ids of rows to enqueue: the new
 * ones, and those already stored that had failed (a redelivery is a retry, not a
 * duplicate). Deliveries already pending or processed are duplicates and come back as nothing.
 */
export async function storeDeliveries(
  db: D1Database,
  workspaceId: string,
  connectionId: string,
  deliveries: SplitDelivery[],
  now: number,
): Promise<number[]> {
  if (deliveries.length === 0) return []; // D1 refuses an empty batch
  const insert = db.prepare(
    `INSERT INTO inbox (workspace_id, connection_id, delivery_id, received_at, headers, body, enqueued_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?4)
     ON CONFLICT (connection_id, delivery_id) DO UPDATE SET status = 'pending', enqueued_at = excluded.enqueued_at, retry_at = NULL
       WHERE inbox.status = 'failed'
     RETURNING id`,
  );
  const results = await db.batch<{ id: number }>(
    deliveries.map((d) =>
      insert.bind(workspaceId, connectionId, d.deliveryId, now, JSON.stringify(d.headers), d.body),
    ),
  );
  return results.flatMap((r) => r.results.map((row) => row.id));
}

/** Hands rows of the database `database` to the queue (inbox ids are numbered per database). */
export async function enqueue(queue: Queue<InboxMessage>, database: WorkspaceDatabaseName, inboxIds: number[]): Promise<void> {
  await sendAll(queue, inboxIds.map((inboxId) => ({ inboxId, database })));
}

/** Rows handed to the queue per sweep or requeue (each a bounded statement). */
export const ROWS_PER_SWEEP = 1000;

const FAILED_RETRY_BACKOFF: Backoff = { firstMs: 30 * MINUTE_MS, maxMs: DAY_MS };

/**
 * When a row whose queue retries ran out is retried by the sweep: 30 minutes after its
 * first failure, then twice as long after each further round of retries, at most a day.
 * Rows keep being retried daily: a D1 outage of days loses nothing.
 */
export function failedRetryDelayMs(failures: number): number {
  return backoffDelayMs(failures, FAILED_RETRY_BACKOFF);
}

/**
 * Re-enqueues the database's pending rows left unprocessed for SWEEP_AFTER_MS, and failed
 * rows whose retry time has come (they become pending again); returns how many. Rows of
 * `paused` workspaces (a move copies them) are left as they are.
 */
export async function sweepInbox(
  { name, db }: PlacedDatabase,
  queue: Queue<InboxMessage>,
  now: number,
  paused: ReadonlySet<string> = new Set(),
): Promise<number> {
  const skip = JSON.stringify([...paused]);
  const [pending, failed] = await db.batch<{ id: number }>([
    db
      .prepare(
        `UPDATE inbox SET enqueued_at = ?1
         WHERE id IN (SELECT id FROM inbox WHERE status = 'pending' AND enqueued_at < ?2
           AND workspace_id NOT IN (SELECT value FROM json_each(?3)) ORDER BY id LIMIT ${ROWS_PER_SWEEP})
         RETURNING id`,
      )
      .bind(now, now - SWEEP_AFTER_MS, skip),
    db
      .prepare(
        `UPDATE inbox SET status = 'pending', enqueued_at = ?1, retry_at = NULL
         WHERE id IN (SELECT id FROM inbox WHERE status = 'failed' AND retry_at <= ?1
           AND workspace_id NOT IN (SELECT value FROM json_each(?2)) ORDER BY retry_at LIMIT ${ROWS_PER_SWEEP})
         RETURNING id`,
      )
      .bind(now, skip),
  ]);
  const ids = [...pending!.results, ...failed!.results].map((r) => r.id).sort((a, b) => a - b);
  await enqueue(queue, name, ids);
  return ids.length;
}

/** Queue attempts of one round (wrangler.toml: max_retries = 5 for "events"). */
const ATTEMPTS_PER_ROUND = 5;

/** failedRetryDelayMs of a row, from its attempts so far (rounds of ATTEMPTS_PER_ROUND). */
const RETRY_DELAY_SQL = `CASE ${[1, 2, 3, 4, 5, 6]
  .map((round) => `WHEN attempts <= ${round * ATTEMPTS_PER_ROUND} THEN ${failedRetryDelayMs(round)}`)
  .join(" ")} ELSE ${failedRetryDelayMs(7)} END`;

/** Rows whose queue retries ran out: failed, with the time the sweep retries them. */
export async function markFailed(db: D1Database, inboxIds: number[], now: number): Promise<void> {
  await db
    .prepare(
      `UPDATE inbox SET status = 'failed', retry_at = ?2 + ${RETRY_DELAY_SQL}
       WHERE status = 'pending' AND id IN (SELECT value FROM json_each(?1))`,
    )
    .bind(JSON.stringify(inboxIds), now)
    .run();
}

/** An admin's requeue of a workspace's failed rows (at most ROWS_PER_SWEEP a call); returns how many. */
export async function requeueFailed(
  { name, db }: PlacedDatabase,
  queue: Queue<InboxMessage>,
  workspaceId: string,
  now: number,
): Promise<number> {
  const { results } = await db
    .prepare(
      `UPDATE inbox SET status = 'pending', enqueued_at = ?2, retry_at = NULL
       WHERE id IN (SELECT id FROM inbox WHERE workspace_id = ?1 AND status = 'failed' ORDER BY received_at LIMIT ${ROWS_PER_SWEEP})
       RETURNING id`,
    )
    .bind(workspaceId, now)
    .all<{ id: number }>();
  const ids = results.map((r) => r.id).sort((a, b) => a - b);
  await enqueue(queue, name, ids);
  return ids.length;
}

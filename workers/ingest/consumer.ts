// Consumer of the "events" queue: loads the batch's inbox rows, lets each row's source
// adapter map it to native events, validates them with zod and applies the valid events
// set-based, in groups of bounded size (each group one atomic D1 batch); invalid ones
// become dead letters. When the batch fails, each delivery is tried alone so that one bad
// delivery cannot hold back the rest.
import type { D1Database, Message, MessageBatch } from "@cloudflare/workers-types";
import { monthOf } from "../../shared/months";
import { MINUTE_MS, SECOND_MS } from "../../shared/units";
import { placementsByIds } from "../db/directory";
import { messageDatabase, workspaceDb } from "../db/placement";
import type { Env, InboxMessage, WorkspaceDatabaseName } from "../env";
import { backoffDelayMs } from "../lib/backoff";
import { applyDeliveries, type Delivery, type Rejected } from "../model/apply";
import { dependentInstants } from "../model/dependents";
import { markDirty } from "../model/dirty";
import {
  type CanonicalEvent,
  inAcceptedWindow,
  parseInstant,
  type Validation,
  validateEvent,
} from "../model/events";
import { adapterFor } from "../sources";
import type { Normalized, SourceAdapter } from "../sources/adapter";
import { type ConnectionWithoutSecret, loadConnection } from "../db/connections";
import { markFailed } from "./inbox";

/** The instant a rejected event claims, when it has a readable one (for the month's warnings). */
function occurredAtOf(event: unknown, receivedAt: number): number | null {
  const value = typeof event === "object" && event !== null ? (event as { occurred_at?: unknown }).occurred_at : null;
  const instant = typeof value === "string" ? parseInstant(value) : null;
  // Outside the accepted window it is counted in no month (the dead letter keeps the text).
  return instant !== null && inAcceptedWindow(instant, receivedAt) ? instant : null;
}

type InboxRow = { id: number; connection_id: string; received_at: number; headers: string; body: string };

/**
 * Raw bytes loaded and normalized at a time: a queue batch may carry 100 deliveries of
 * 1,000 events each, which neither fits a Worker's memory at once nor one D1 batch.
 */
export const MAX_LOAD_BYTES = 2 * 1024 * 1024;

/**
 * Events applied in one D1 batch (one transaction: D1 serves nothing else meanwhile).
 * Every apply statement's work is proportional to the events it carries, so this bounds
 * how long one batch holds the database, whatever the size of the queue batch: about a
 * quarter of a second on the large workspace (BENCHMARKS.md). A delivery is never split
 * (it is applied whole or not at all); the documented maximum delivery is 1,000 events.
 */
export const MAX_EVENTS_PER_APPLY = 1_000;

/** Consecutive runs of items whose summed weight stays within `limit` (an item heavier alone is a run of one). */
export function boundedRuns<T>(items: T[], weight: (item: T) => number, limit: number): T[][] {
  const runs: T[][] = [];
  let current: T[] = [];
  let total = 0;
  for (const item of items) {
    const w = weight(item);
    if (current.length > 0 && total + w > limit) {
      runs.push(current);
      current = [];
      total = 0;
    }
    current.push(item);
    total += w;
  }
  if (current.length > 0) runs.push(current);
  return runs;
}

/**
 * One delivery's events and rejected items. Its content never fails the delivery: an
 * adapter that throws rejects the delivery's body as one item, an item that fails
 * validation (or throws in it) is rejected alone, and the valid items beside it stand.
 */
function mapDelivery(adapter: SourceAdapter, row: InboxRow, connection: ConnectionWithoutSecret): { events: CanonicalEvent[]; rejected: Rejected[] } {
  let normalized: Normalized;
  try {
    // The delivery was verified at the webhook; no adapter's normalize reads the secret
    // (close, hubspot, native, pipedrive, salesforce, stripe), so it is never decrypted here.
    const withoutSecret = { ...connection, secret: null };
    normalized = adapter.normalize({ body: row.body, headers: JSON.parse(row.headers) as Record<string, string> }, withoutSecret);
  } catch (error) {
    const reason = `the ${connection.kind} delivery could not be mapped: ${String(error).slice(0, 500)}`;
    return { events: [], rejected: [{ position: 0, eventId: null, reason, payload: row.body }] };
  }
  const events: CanonicalEvent[] = [];
  const rejected: Rejected[] = [...normalized.rejected];
  for (const { position, event } of normalized.events) {
    let result: Validation;
    try {
      result = validateEvent(event, row.received_at);
    } catch (error) {
      result = { ok: false, eventId: null, reason: `the event could not be validated: ${String(error).slice(0, 500)}` };
    }
    if (result.ok) events.push(result.event);
    else rejected.push({ position, eventId: result.eventId, reason: result.reason, payload: event, occurredAt: occurredAtOf(event, row.received_at) });
  }
  return { events, rejected };
}

/** Normalizes the given inbox rows with their connections' adapters. */
async function normalize(db: D1Database, rows: InboxRow[], connections: Map<string, ConnectionWithoutSecret>): Promise<Delivery[]> {
  const deliveries: Delivery[] = [];
  for (const row of rows) {
    let connection = connections.get(row.connection_id);
    if (!connection) {
      const loaded = await loadConnection(db, null, row.connection_id);
      if (!loaded) throw new Error(`inbox ${row.id}: connection ${row.connection_id} is gone`);
      connections.set(row.connection_id, (connection = loaded));
    }
    const { events, rejected } = mapDelivery(adapterFor(connection.kind), row, connection);
    deliveries.push({
      inboxId: row.id,
      workspaceId: connection.workspaceId,
      connectionId: connection.id,
      timezone: connection.timezone,
      events,
      rejected,
    });
  }
  return deliveries;
}

/** Marks the months before their events' own that applied inbox rows change. */
async function markDependents(db: D1Database, inboxIds: number[], now: number): Promise<void> {
  for (const { workspaceId, timezone, instant } of await dependentInstants(db, inboxIds)) {
    await markDirty(db, workspaceId, [monthOf(instant, timezone)], now);
  }
}

/** Rows already applied whose dependent months are looked up together (a retry's rows). */
const APPLIED_ROWS_PER_LOOKUP = 10;

/**
 * The rows among `sizes` the consumer may apply in `database`: those of workspaces placed
 * there and not paused. A paused workspace's rows stay pending (the move copies them and
 * enqueues them in the new database); rows left in the old database after a switch are
 * the new database's to apply.
 */
async function applicable<Row extends { workspace_id: string }>(env: Env, database: WorkspaceDatabaseName, rows: Row[]): Promise<Row[]> {
  if (rows.length === 0) return rows;
  const placements = await placementsByIds(env.DB_DIRECTORY, rows.map((row) => row.workspace_id));
  return rows.filter((row) => {
    const placement = placements.get(row.workspace_id);
    return placement !== undefined && placement.database === database && placement.pausedAt === null;
  });
}

/**
 * Applies the pending rows among `inboxIds` of `database` (processed ones are not applied
 * again, so a retry re-applies nothing): loaded a few megabytes at a time, applied in
 * groups of at most MAX_EVENTS_PER_APPLY events, each group atomic, then their earlier
 * months marked.
 */
export async function processInboxRows(env: Env, database: WorkspaceDatabaseName, inboxIds: number[], now: number): Promise<void> {
  const db = workspaceDb(env, database);
  const { results: unprocessed } = await db
    .prepare(
      `SELECT id, workspace_id, length(body) AS bytes FROM inbox WHERE id IN (SELECT value FROM json_each(?1)) AND status <> 'processed' ORDER BY id`,
    )
    .bind(JSON.stringify(inboxIds))
    .all<{ id: number; workspace_id: string; bytes: number }>();
  const sizes = await applicable(env, database, unprocessed);
  const connections = new Map<string, ConnectionWithoutSecret>();
  for (const chunk of boundedRuns(sizes, (row) => row.bytes, MAX_LOAD_BYTES)) {
    const { results: rows } = await db.prepare(
      `SELECT id, connection_id, received_at, headers, body FROM inbox WHERE id IN (SELECT value FROM json_each(?1)) AND status <> 'processed'
       ORDER BY id`,
    )
      .bind(JSON.stringify(chunk.map((row) => row.id)))
      .all<InboxRow>();
    const deliveries = await normalize(db, rows, connections);
    for (const group of boundedRuns(deliveries, (d) => d.events.length + d.rejected.length, MAX_EVENTS_PER_APPLY)) {
      await applyDeliveries(db, group, now);
      await markDependents(db, group.map((d) => d.inboxId), now);
    }
  }
  // The events' own months are marked with them; a retry after marking the earlier months
  // failed finds its rows already applied, and must still mark those months.
  const pending = new Set(unprocessed.map((row) => row.id));
  const applied = inboxIds.filter((id) => !pending.has(id));
  for (const ids of boundedRuns(applied, () => 1, APPLIED_ROWS_PER_LOOKUP)) await markDependents(db, ids, now);
}

/** A failed delivery is retried by the queue after 5 s, doubling, at most 5 minutes (then events-dlq). */
const RETRY_BACKOFF = { firstMs: 5 * SECOND_MS, maxMs: 5 * MINUTE_MS };

async function retry(env: Env, message: Message<InboxMessage>, error: unknown): Promise<void> {
  const { inboxId } = message.body;
  const database = messageDatabase(env, message.body.database);
  console.error(`events: ${database} inbox ${inboxId} failed (attempt ${message.attempts})`, error);
  try {
    await workspaceDb(env, database)
      .prepare(`UPDATE inbox SET attempts = attempts + 1, error = ?2 WHERE id = ?1`)
      .bind(inboxId, String(error).slice(0, 1000))
      .run();
  } catch {
    // The database is unavailable: the queue's retry is what matters.
  }
  message.retry({ delaySeconds: backoffDelayMs(message.attempts, RETRY_BACKOFF) / SECOND_MS });
}

/** The batch's messages by the database holding their rows. */
function byDatabase(env: Env, messages: readonly Message<InboxMessage>[]): Map<WorkspaceDatabaseName, Message<InboxMessage>[]> {
  const groups = new Map<WorkspaceDatabaseName, Message<InboxMessage>[]>();
  for (const message of messages) {
    const database = messageDatabase(env, message.body.database);
    groups.set(database, [...(groups.get(database) ?? []), message]);
  }
  return groups;
}

/**
 * Applies a batch, each database's messages on their own: one database failing (or slow)
 * retries only its messages, never another database's.
 */
export async function consumeEvents(batch: MessageBatch<InboxMessage>, env: Env): Promise<void> {
  const groups = [...byDatabase(env, batch.messages)];
  const applied = await Promise.all(groups.map(([database, messages]) => consumeFrom(env, database, messages)));
  if (applied.every(Boolean)) return batch.ackAll();
  groups.forEach(([, messages], i) => {
    if (applied[i]) for (const message of messages) message.ack();
  });
}

/**
 * Applies one database's messages together; true when that worked (the caller acks them).
 * Otherwise each is tried alone, acked or retried on its own, and the answer is false.
 */
async function consumeFrom(env: Env, database: WorkspaceDatabaseName, messages: Message<InboxMessage>[]): Promise<boolean> {
  try {
    await processInboxRows(env, database, messages.map((m) => m.body.inboxId), Date.now());
    return true;
  } catch (error) {
    if (messages.length === 1) {
      await retry(env, messages[0]!, error);
      return false;
    }
  }
  for (const message of messages) {
    try {
      await processInboxRows(env, database, [message.body.inboxId], Date.now());
      message.ack();
    } catch (error) {
      await retry(env, message, error);
    }
  }
  return false;
}

/**
 * Messages that exhausted their queue retries: the row is kept, marked failed, and the
 * sweep retries it later with a slow backoff (failedRetryDelayMs); an admin can requeue it
 * at once and a redelivery by the sender does too.
 */
export async function consumeDeadEvents(batch: MessageBatch<InboxMessage>, env: Env): Promise<void> {
  const groups = [...byDatabase(env, batch.messages)];
  const marked = await Promise.all(
    groups.map(async ([database, messages]) => {
      try {
        await markFailed(workspaceDb(env, database), messages.map((m) => m.body.inboxId), Date.now());
        return true;
      } catch (error) {
        console.error(`events-dlq: ${database} unavailable, retried`, error);
        return false;
      }
    }),
  );
  if (marked.every(Boolean)) return batch.ackAll();
  groups.forEach(([, messages], i) => {
    for (const message of messages) {
      if (marked[i]) message.ack();
      else message.retry();
    }
  });
}

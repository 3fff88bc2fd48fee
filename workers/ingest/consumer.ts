// Consumer of the "events" queue: loads the batch's inbox rows, lets each row's source
// adapter map it to native events, validates them with zod and applies all valid events of
// the batch in one set-based D1 batch; invalid ones become dead letters. When the batch
// fails, each delivery is tried alone so that one bad delivery cannot hold back the rest.
import type { Message, MessageBatch } from "@cloudflare/workers-types";
import { monthOf } from "../../shared/months";
import type { Env, InboxMessage } from "../env";
import { applyDeliveries, type Delivery, type Rejected } from "../model/apply";
import { dependentInstants } from "../model/dependents";
import { markDirty } from "../model/dirty";
import { type CanonicalEvent, parseInstant, validateEvent } from "../model/events";
import { adapterFor } from "../sources";
import { type LoadedConnection, loadConnection } from "./connections";

/** The instant a rejected event claims, when it has a readable one (for the month's warnings). */
function occurredAtOf(event: unknown): number | null {
  const value = typeof event === "object" && event !== null ? (event as { occurred_at?: unknown }).occurred_at : null;
  return typeof value === "string" ? parseInstant(value) : null;
}

type InboxRow = { id: number; connection_id: string; headers: string; body: string };

/** Normalizes the pending rows among `inboxIds` (processed ones are skipped). */
async function prepare(env: Env, inboxIds: number[]): Promise<Delivery[]> {
  const { results } = await env.DB.prepare(
    `SELECT id, connection_id, headers, body FROM inbox WHERE id IN (SELECT value FROM json_each(?1)) AND status <> 'processed'`,
  )
    .bind(JSON.stringify(inboxIds))
    .all<InboxRow>();
  const connections = new Map<string, LoadedConnection>();
  const deliveries: Delivery[] = [];
  for (const row of results) {
    let connection = connections.get(row.connection_id);
    if (!connection) {
      const loaded = await loadConnection(env.DB, env.SECRETS_KEY, row.connection_id);
      if (!loaded) throw new Error(`inbox ${row.id}: connection ${row.connection_id} is gone`);
      connections.set(row.connection_id, (connection = loaded));
    }
    const adapter = adapterFor(connection.kind);
    if (!adapter) throw new Error(`inbox ${row.id}: no adapter for ${connection.kind}`);
    const normalized = adapter.normalize({ body: row.body, headers: JSON.parse(row.headers) as Record<string, string> }, connection);
    const events: CanonicalEvent[] = [];
    const rejected: Rejected[] = [...normalized.rejected];
    for (const { position, event } of normalized.events) {
      const result = validateEvent(event);
      if (result.ok) events.push(result.event);
      else rejected.push({ position, eventId: result.eventId, reason: result.reason, payload: event, occurredAt: occurredAtOf(event) });
    }
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

/** Applies the inbox rows in one atomic batch, then marks the earlier months they change. */
export async function processInboxRows(env: Env, inboxIds: number[], now: number): Promise<void> {
  await applyDeliveries(env.DB, await prepare(env, inboxIds), now);
  // The events' own months are marked in the batch; earlier months they change are found
  // now, from every row of the message batch: a retry after this step failed finds its rows
  // already applied, and must still mark them.
  for (const { workspaceId, timezone, instant } of await dependentInstants(env.DB, inboxIds)) {
    await markDirty(env.DB, workspaceId, [monthOf(instant, timezone)], now);
  }
}

async function retry(env: Env, message: Message<InboxMessage>, error: unknown): Promise<void> {
  const { inboxId } = message.body;
  console.error(`events: inbox ${inboxId} failed (attempt ${message.attempts})`, error);
  await env.DB.prepare(`UPDATE inbox SET attempts = attempts + 1, error = ?2 WHERE id = ?1`)
    .bind(inboxId, String(error).slice(0, 1000))
    .run()
    .catch(() => undefined);
  message.retry({ delaySeconds: Math.min(300, 5 * 2 ** (message.attempts - 1)) });
}

export async function consumeEvents(batch: MessageBatch<InboxMessage>, env: Env): Promise<void> {
  try {
    await processInboxRows(env, batch.messages.map((m) => m.body.inboxId), Date.now());
    batch.ackAll();
    return;
  } catch (error) {
    if (batch.messages.length === 1) return retry(env, batch.messages[0]!, error);
  }
  for (const message of batch.messages) {
    try {
      await processInboxRows(env, [message.body.inboxId], Date.now());
      message.ack();
    } catch (error) {
      await retry(env, message, error);
    }
  }
}

/** Messages that exhausted their retries: keep the row, marked failed, out of the sweep. */
export async function consumeDeadEvents(batch: MessageBatch<InboxMessage>, env: Env): Promise<void> {
  const ids = batch.messages.map((m) => m.body.inboxId);
  await env.DB.prepare(
    `UPDATE inbox SET status = 'failed' WHERE status = 'pending' AND id IN (SELECT value FROM json_each(?1))`,
  )
    .bind(JSON.stringify(ids))
    .run();
  batch.ackAll();
}

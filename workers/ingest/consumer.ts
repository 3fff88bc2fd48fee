// Consumer of the "events" queue: loads an inbox row, lets its source adapter map it to
// native events, validates each with zod and applies the valid ones; invalid ones become
// dead letters. A failure leaves the row pending and the message is retried.
import type { MessageBatch } from "@cloudflare/workers-types";
import type { Env, InboxMessage } from "../env";
import { type Rejected, applyDelivery } from "../model/apply";
import { type CanonicalEvent, parseInstant, validateEvent } from "../model/events";
import { markDirty } from "../model/dirty";
import { dependentInstants } from "../model/dependents";
import { monthOf } from "../../shared/months";
import { adapterFor } from "../sources";
import { loadConnection } from "./connections";

/** The instant a rejected event claims, when it has a readable one (for the month's warnings). */
function occurredAtOf(event: unknown): number | null {
  const value = typeof event === "object" && event !== null ? (event as { occurred_at?: unknown }).occurred_at : null;
  return typeof value === "string" ? parseInstant(value) : null;
}

type InboxRow = { id: number; connection_id: string; headers: string; body: string; status: string };

export async function processInboxRow(env: Env, inboxId: number, now: number): Promise<void> {
  const row = await env.DB.prepare(`SELECT id, connection_id, headers, body, status FROM inbox WHERE id = ?1`)
    .bind(inboxId)
    .first<InboxRow>();
  if (!row || row.status === "processed") return;
  const connection = await loadConnection(env.DB, env.SECRETS_KEY, row.connection_id);
  if (!connection) throw new Error(`inbox ${inboxId}: connection ${row.connection_id} is gone`);
  const adapter = adapterFor(connection.kind);
  if (!adapter) throw new Error(`inbox ${inboxId}: no adapter for ${connection.kind}`);

  const normalized = adapter.normalize(
    { body: row.body, headers: JSON.parse(row.headers) as Record<string, string> },
    connection,
  );
  const events: CanonicalEvent[] = [];
  const rejected: Rejected[] = [...normalized.rejected];
  for (const { position, event } of normalized.events) {
    const result = validateEvent(event);
    if (result.ok) events.push(result.event);
    else rejected.push({ position, eventId: result.eventId, reason: result.reason, payload: event, occurredAt: occurredAtOf(event) });
  }
  await applyDelivery(env.DB, {
    inboxId,
    workspaceId: connection.workspaceId,
    connectionId: connection.id,
    timezone: connection.timezone,
    events,
    rejected,
    now,
  });
  // The events' own months are marked in the batch; earlier months they change are found now.
  const instants = await dependentInstants(env.DB, connection.workspaceId, inboxId);
  await markDirty(env.DB, connection.workspaceId, instants.map((t) => monthOf(t, connection.timezone)), now);
}

export async function consumeEvents(batch: MessageBatch<InboxMessage>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    const { inboxId } = message.body;
    try {
      await processInboxRow(env, inboxId, Date.now());
      message.ack();
    } catch (error) {
      console.error(`events: inbox ${inboxId} failed (attempt ${message.attempts})`, error);
      await env.DB.prepare(`UPDATE inbox SET attempts = attempts + 1, error = ?2 WHERE id = ?1`)
        .bind(inboxId, String(error).slice(0, 1000))
        .run()
        .catch(() => undefined);
      message.retry({ delaySeconds: Math.min(300, 5 * 2 ** (message.attempts - 1)) });
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

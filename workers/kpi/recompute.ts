// Runs the KPI engine for recompute jobs: the "recompute" queue consumer and the
// synchronous range recompute of the API.
import type { D1Database, Message, MessageBatch } from "@cloudflare/workers-types";
import { monthRange } from "../../shared/months";
import { MINUTE_MS, SECOND_MS } from "../../shared/units";
import { type Placement, placementsByIds } from "../db/directory";
import { workspaceDb } from "../db/placement";
import { findWorkspaceById } from "../db/workspaces";
import { holdMonth } from "../ingest/held";
import type { Env, RecomputeMessage } from "../env";
import { backoffDelayMs } from "../lib/backoff";
import { markDirty } from "../model/dirty";
import { computeMonth, dataAsOf, type WorkspaceSettings } from "./engine";

/** Computes every month of [from, to] in order; returns the months computed. */
export async function recomputeRange(
  db: D1Database,
  workspace: WorkspaceSettings,
  from: string,
  to: string,
  now = Date.now(),
): Promise<string[]> {
  const months = monthRange(from, to);
  const asOf = await dataAsOf(db, workspace.id);
  for (const month of months) await computeMonth(db, workspace, month, { dataAsOf: asOf, now });
  return months;
}

/** A failed recompute is retried after 10 s, then twice as long each time, at most 5 minutes. */
const RETRY_BACKOFF = { firstMs: 10 * SECOND_MS, maxMs: 5 * MINUTE_MS };

/**
 * Computes each job's month in its workspace's database (the directory says which, one
 * read per batch). The batch's databases run side by side, so a failing or slow database
 * delays only its own jobs. A paused workspace's job is held until its move is over.
 */
export async function consumeRecompute(batch: MessageBatch<RecomputeMessage>, env: Env): Promise<void> {
  let placements: Map<string, Placement>;
  try {
    placements = await placementsByIds(env.DB_DIRECTORY, batch.messages.map((m) => m.body.workspaceId));
  } catch (error) {
    console.error("recompute: the directory is unavailable", error);
    for (const message of batch.messages) message.retry({ delaySeconds: backoffDelayMs(message.attempts, RETRY_BACKOFF) / SECOND_MS });
    return;
  }
  const byDatabase = new Map<string, Message<RecomputeMessage>[]>();
  for (const message of batch.messages) {
    const database = placements.get(message.body.workspaceId)?.database ?? "";
    byDatabase.set(database, [...(byDatabase.get(database) ?? []), message]);
  }
  await Promise.all([...byDatabase.values()].map((messages) => recomputeJobs(env, placements, messages)));
}

async function recomputeJobs(env: Env, placements: Map<string, Placement>, messages: Message<RecomputeMessage>[]): Promise<void> {
  // A batch may hold the same month twice (a dirty fan-out and the trailing months): compute once.
  const done = new Set<string>();
  for (const message of messages) {
    const { workspaceId, month } = message.body;
    const id = `${workspaceId}/${month}`;
    try {
      const placement = placements.get(workspaceId);
      if (placement?.pausedAt != null) await holdMonth(env.DB_DIRECTORY, workspaceId, month);
      else if (placement && !done.has(id)) {
        const db = workspaceDb(env, placement);
        const workspace = await findWorkspaceById(db, workspaceId);
        if (workspace) await computeMonth(db, workspace, month);
        done.add(id);
      }
      message.ack();
    } catch (error) {
      console.error(`recompute: ${id} failed (attempt ${message.attempts})`, error);
      message.retry({ delaySeconds: backoffDelayMs(message.attempts, RETRY_BACKOFF) / SECOND_MS });
    }
  }
}

/**
 * Recomputes whose retries ran out: the month is marked dirty again, so the next cron
 * fans it out once more (from that month on) instead of leaving it stale silently.
 */
export async function consumeDeadRecomputes(batch: MessageBatch<RecomputeMessage>, env: Env): Promise<void> {
  const now = Date.now();
  const placements = await placementsByIds(env.DB_DIRECTORY, batch.messages.map((m) => m.body.workspaceId));
  const failed: Message<RecomputeMessage>[] = [];
  for (const message of batch.messages) {
    const { workspaceId, month } = message.body;
    const placement = placements.get(workspaceId);
    try {
      if (placement?.pausedAt != null) await holdMonth(env.DB_DIRECTORY, workspaceId, month);
      else if (placement) await markDirty(workspaceDb(env, placement), workspaceId, [month], now);
      console.error(`recompute: ${workspaceId}/${month} ran out of retries; marked dirty again`);
    } catch (error) {
      console.error(`recompute-dlq: ${workspaceId}/${month} could not be marked dirty (its database is unavailable)`, error);
      failed.push(message);
    }
  }
  if (failed.length === 0) return batch.ackAll();
  for (const message of batch.messages) {
    if (failed.includes(message)) message.retry();
    else message.ack();
  }
}

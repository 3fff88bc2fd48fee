// Runs the KPI engine for recompute jobs: the "recompute" queue consumer and the
// synchronous range recompute of the API.
import type { D1Database, MessageBatch } from "@cloudflare/workers-types";
import { monthRange } from "../../shared/months";
import { MINUTE_MS, SECOND_MS } from "../../shared/units";
import { findWorkspaceById } from "../db/workspaces";
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

export async function consumeRecompute(batch: MessageBatch<RecomputeMessage>, env: Env): Promise<void> {
  // A batch may hold the same month twice (a dirty fan-out and the trailing months): compute once.
  const done = new Set<string>();
  for (const message of batch.messages) {
    const { workspaceId, month } = message.body;
    const id = `${workspaceId}/${month}`;
    try {
      if (!done.has(id)) {
        const workspace = await findWorkspaceById(env.DB, workspaceId);
        if (workspace) await computeMonth(env.DB, workspace, month);
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
  for (const message of batch.messages) {
    const { workspaceId, month } = message.body;
    console.error(`recompute: ${workspaceId}/${month} ran out of retries; marked dirty again`);
    await markDirty(env.DB, workspaceId, [month], now);
  }
  batch.ackAll();
}

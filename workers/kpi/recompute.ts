// Runs the KPI engine for recompute jobs: the "recompute" queue consumer and the
// synchronous range recompute of the API.
import type { D1Database, MessageBatch } from "@cloudflare/workers-types";
import { monthRange } from "../../shared/months";
import { MINUTE_MS, SECOND_MS } from "../../shared/units";
import type { Env, RecomputeMessage } from "../env";
import { markDirty } from "../model/dirty";
import { computeMonth, dataAsOf, type WorkspaceSettings } from "./engine";

export async function loadSettings(db: D1Database, workspaceId: string): Promise<WorkspaceSettings | null> {
  const row = await db
    .prepare("SELECT id, timezone, currency, pipeline_stages FROM workspaces WHERE id = ?1")
    .bind(workspaceId)
    .first<{ id: string; timezone: string; currency: string; pipeline_stages: string }>();
  if (!row) return null;
  return { id: row.id, timezone: row.timezone, currency: row.currency, pipelineStages: JSON.parse(row.pipeline_stages) };
}

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
const RETRY_FIRST_SECONDS = 10;
const RETRY_MAX_SECONDS = (5 * MINUTE_MS) / SECOND_MS;

const retryDelaySeconds = (attempts: number) => Math.min(RETRY_MAX_SECONDS, RETRY_FIRST_SECONDS * 2 ** (attempts - 1));

export async function consumeRecompute(batch: MessageBatch<RecomputeMessage>, env: Env): Promise<void> {
  // A batch may hold the same month twice (a dirty fan-out and the trailing months): compute once.
  const done = new Set<string>();
  for (const message of batch.messages) {
    const { workspaceId, month } = message.body;
    const id = `${workspaceId}/${month}`;
    try {
      if (!done.has(id)) {
        const workspace = await loadSettings(env.DB, workspaceId);
        if (workspace) await computeMonth(env.DB, workspace, month);
        done.add(id);
      }
      message.ack();
    } catch (error) {
      console.error(`recompute: ${id} failed (attempt ${message.attempts})`, error);
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
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

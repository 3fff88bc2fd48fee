// Retention: raw bodies of processed deliveries are dropped after RAW_BODY_RETENTION_DAYS
// (their canonical events stay, so every month can still be recomputed; the inbox row
// stays too, so a redelivery is still recognised as a duplicate), and each workspace keeps
// its newest DEAD_LETTERS_PER_WORKSPACE dead letters; webhook ids retired by a connection's
// rotation are deleted once their grace period has ended. Each run does a bounded amount.
import type { D1Database } from "@cloudflare/workers-types";
import { DAY_MS } from "../../shared/units";
import type { Env } from "../env";

export const DEFAULT_RAW_BODY_RETENTION_DAYS = 90;
export const DEFAULT_DEAD_LETTERS_PER_WORKSPACE = 10_000;
/** Rows changed per statement: each statement stays short. */
const ROWS_PER_RUN = 1000;

function setting(value: string | undefined, fallback: number): number {
  const number = Number(value);
  return value !== undefined && Number.isInteger(number) && number > 0 ? number : fallback;
}

/** Drops raw bodies past retention; returns how many. */
export async function dropOldBodies(db: D1Database, retentionDays: number, now: number): Promise<number> {
  const result = await db
    .prepare(
      `UPDATE inbox SET body = '', headers = '{}'
       WHERE id IN (SELECT id FROM inbox WHERE status = 'processed' AND body <> '' AND processed_at < ?1
                    ORDER BY processed_at LIMIT ${ROWS_PER_RUN})`,
    )
    .bind(now - retentionDays * DAY_MS)
    .run();
  return result.meta.changes;
}

/** Deletes each workspace's dead letters beyond the newest `cap`; returns how many. */
export async function capDeadLetters(db: D1Database, cap: number): Promise<number> {
  const { results } = await db
    .prepare(
      `SELECT workspace_id FROM dead_letters GROUP BY workspace_id HAVING COUNT(*) > ?1`,
    )
    .bind(cap)
    .all<{ workspace_id: string }>();
  let deleted = 0;
  for (const { workspace_id } of results) {
    const result = await db
      .prepare(
        `DELETE FROM dead_letters WHERE id IN (
           SELECT id FROM dead_letters WHERE workspace_id = ?1 ORDER BY created_at, id
           LIMIT MIN(${ROWS_PER_RUN}, (SELECT COUNT(*) FROM dead_letters WHERE workspace_id = ?1) - ?2))`,
      )
      .bind(workspace_id, cap)
      .run();
    deleted += result.meta.changes;
  }
  return deleted;
}

/**
 * Deletes retired webhook ids whose grace period has ended (they already answer 404:
 * workers/db/connections.ts `loadConnectionForWebhook`); returns how many. The table holds one
 * row per rotation, so a scan of it is short.
 */
export async function purgeExpiredWebhookIds(db: D1Database, now: number): Promise<number> {
  const result = await db
    .prepare(
      `DELETE FROM retired_webhook_ids
       WHERE id IN (SELECT id FROM retired_webhook_ids WHERE expires_at <= ?1 LIMIT ${ROWS_PER_RUN})`,
    )
    .bind(now)
    .run();
  return result.meta.changes;
}

/** Retention of one workspace database (the cron runs each database on its own). */
export async function applyRetention(env: Env, db: D1Database, now: number): Promise<number> {
  const bodies = await dropOldBodies(db, setting(env.RAW_BODY_RETENTION_DAYS, DEFAULT_RAW_BODY_RETENTION_DAYS), now);
  const letters = await capDeadLetters(db, setting(env.DEAD_LETTERS_PER_WORKSPACE, DEFAULT_DEAD_LETTERS_PER_WORKSPACE));
  const webhookIds = await purgeExpiredWebhookIds(db, now);
  return bodies + letters + webhookIds;
}

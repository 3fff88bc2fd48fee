// What arrives for a workspace while a move has paused it (workers/db/moves.ts): its
// deliveries and its recompute jobs wait in the directory, and are released into the
// workspace's database once it is resumed: by the move itself, and by every cron run for
// whatever a request still held after that (it read the directory just before the resume).
import type { D1Database, Queue } from "@cloudflare/workers-types";
import { and, asc, eq, inArray } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { heldDeliveries, heldMonths } from "../db/directory-schema";
import { placementsByIds } from "../db/directory";
import { workspaceDb } from "../db/placement";
import type { Env, InboxMessage } from "../env";
import { markDirty } from "../model/dirty";
import type { SplitDelivery } from "../sources/adapter";
import { enqueue, storeDeliveries } from "./inbox";

/** Held rows released per call: each is one inbox write in the workspace's database. */
export const HELD_PER_RELEASE = 100;

/**
 * Keeps a paused workspace's deliveries; a delivery held twice (a sender's retry) is kept
 * once. Its inbox row is written when the workspace is resumed, where the inbox's own
 * idempotency (connection, delivery id) drops a delivery it already had before the move.
 */
export async function holdDeliveries(
  directory: D1Database,
  workspaceId: string,
  connectionId: string,
  deliveries: SplitDelivery[],
  now: number,
): Promise<void> {
  if (deliveries.length === 0) return;
  const orm = drizzle(directory);
  await orm.batch(
    deliveries.map((d) =>
      orm
        .insert(heldDeliveries)
        .values({ workspaceId, connectionId, deliveryId: d.deliveryId, receivedAt: now, headers: JSON.stringify(d.headers), body: d.body })
        .onConflictDoNothing(),
    ) as [never, ...never[]],
  );
}

/** Keeps a paused workspace's recompute job: the month is marked dirty when it is resumed. */
export async function holdMonth(directory: D1Database, workspaceId: string, month: string): Promise<void> {
  await drizzle(directory).insert(heldMonths).values({ workspaceId, month }).onConflictDoNothing();
}

/**
 * Releases up to HELD_PER_RELEASE of a resumed workspace's held deliveries into its
 * database's inbox (enqueued there) and marks its held months dirty; returns how many
 * deliveries were released. Each held row is deleted only after its inbox write, so a
 * failure releases it again next time (the inbox write is idempotent).
 */
export async function releaseHeld(env: Env, queue: Queue<InboxMessage>, workspaceId: string, now: number): Promise<number> {
  const directory = drizzle(env.DB_DIRECTORY);
  const placement = (await placementsByIds(env.DB_DIRECTORY, [workspaceId])).get(workspaceId);
  if (!placement || placement.pausedAt !== null) return 0;
  const db = workspaceDb(env, placement);
  const rows = await directory
    .select()
    .from(heldDeliveries)
    .where(eq(heldDeliveries.workspaceId, workspaceId))
    .orderBy(asc(heldDeliveries.id))
    .limit(HELD_PER_RELEASE)
    .all();
  const stored: number[] = [];
  for (const row of rows) {
    const delivery = { deliveryId: row.deliveryId, headers: JSON.parse(row.headers) as Record<string, string>, body: row.body };
    stored.push(...(await storeDeliveries(db, workspaceId, row.connectionId, [delivery], row.receivedAt)));
  }
  if (rows.length > 0) {
    await directory.delete(heldDeliveries).where(inArray(heldDeliveries.id, rows.map((row) => row.id)));
    // Not sent: the rows are pending and the sweep enqueues them within minutes.
    await enqueue(queue, placement.database, stored).catch((error: unknown) => console.error("held: enqueue failed, left to the sweep", error));
  }
  const months = await directory.select({ month: heldMonths.month }).from(heldMonths).where(eq(heldMonths.workspaceId, workspaceId)).limit(90).all();
  if (months.length > 0) {
    await markDirty(db, workspaceId, months.map((m) => m.month), now);
    await directory.delete(heldMonths).where(and(eq(heldMonths.workspaceId, workspaceId), inArray(heldMonths.month, months.map((m) => m.month))));
  }
  return rows.length;
}

/** Workspaces with anything held that are no longer paused (the cron releases them). */
export async function resumedWithHeld(directory: D1Database): Promise<string[]> {
  const { results } = await directory
    .prepare(
      `SELECT h.workspace_id AS id
       FROM (SELECT DISTINCT workspace_id FROM held_deliveries UNION SELECT workspace_id FROM held_months) h
       JOIN directory_workspaces w ON w.id = h.workspace_id WHERE w.paused_at IS NULL`,
    )
    .all<{ id: string }>();
  return results.map((row) => row.id);
}

// No delivery is lost and none is applied twice: a consumer failure is retried, a row that
// was stored but never enqueued is recovered by the cron sweep.
import type { D1Database } from "@cloudflare/workers-types";
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { boundedRuns, MAX_EVENTS_PER_APPLY } from "../../workers/ingest/consumer";
import { storeDeliveries } from "../../workers/ingest/inbox";
import worker from "../../workers/index";
import { createNativeConnection, createWorkspace, event, workspaceDbOf } from "./helpers";

/** The database holding the workspace under test (the directory places it). */
let db: D1Database;

let connection: { id: string; secret: string };
let workspaceId: string;

const body = (dealId: string) =>
  JSON.stringify({
    events: [
      event(`${dealId}-1`, "deal.upserted", "2026-03-01T00:00:00Z", { deal_id: dealId, amount: 10, stage: "demo" }),
      event(`${dealId}-2`, "deal.upserted", "2026-03-02T00:00:00Z", { deal_id: dealId, amount: 20 }),
    ],
  });

/** Stores a delivery as the webhook route does, without enqueueing it. */
async function storeOnly(deliveryId: string, dealId: string, receivedAt: number) {
  const [id] = await storeDeliveries(db, workspaceId, connection.id, [{ deliveryId, body: body(dealId), headers: {} }], receivedAt);
  return id!;
}

async function runConsumer(inboxId: number, attempts: number) {
  const batch = createMessageBatch("events", [{ id: `m-${inboxId}-${attempts}`, timestamp: new Date(), attempts, body: { inboxId } }]);
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

const counts = async (dealId: string) =>
  db.prepare(
    `SELECT (SELECT COUNT(*) FROM canonical_events WHERE entity_id = ?1) AS events,
            (SELECT COUNT(*) FROM field_history WHERE entity_id = ?1) AS history,
            (SELECT amount FROM deals WHERE deal_id = ?1) AS amount`,
  )
    .bind(dealId)
    .first();

beforeAll(async () => {
  await createWorkspace("guarantees");
  db = await workspaceDbOf("guarantees");
  connection = await createNativeConnection("guarantees");
  workspaceId = (await db.prepare("SELECT id FROM workspaces WHERE slug = 'guarantees'").first<{ id: string }>())!.id;
});

describe("the events consumer", () => {
  it("retries a delivery whose first attempt fails, then applies it exactly once", async () => {
    const inboxId = await storeOnly("retry-1", "D-R", Date.now());
    // A storage failure in the middle of the apply batch.
    await db.exec("CREATE TRIGGER storage_down BEFORE INSERT ON field_history BEGIN SELECT RAISE(ABORT, 'storage down'); END;");
    const first = await runConsumer(inboxId, 1);
    expect(first.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual([`m-${inboxId}-1`]);
    expect(first.explicitAcks).toEqual([]);
    // The batch is atomic: nothing of the delivery was applied, the row is still pending.
    expect(await counts("D-R")).toEqual({ events: 0, history: 0, amount: null });
    expect(await db.prepare("SELECT status, attempts, error FROM inbox WHERE id = ?1").bind(inboxId).first()).toEqual({
      status: "pending",
      attempts: 1,
      error: expect.stringContaining("storage down"),
    });

    await db.exec("DROP TRIGGER storage_down");
    const second = await runConsumer(inboxId, 2);
    expect(second.ackAll).toBe(true);
    // Two events; history: deal_id, amount, stage from the first and deal_id, amount from the second.
    expect(await counts("D-R")).toEqual({ events: 2, history: 5, amount: 20 });

    // A redelivered message, even for a row reset to pending, changes nothing.
    await db.prepare("UPDATE inbox SET status = 'pending' WHERE id = ?1").bind(inboxId).run();
    const third = await runConsumer(inboxId, 3);
    expect(third.ackAll).toBe(true);
    expect(await counts("D-R")).toEqual({ events: 2, history: 5, amount: 20 });
  });

  it("applies a batch's good deliveries even when one of them fails", async () => {
    const good = await storeOnly("batch-good", "D-G", Date.now());
    // A row whose connection no longer exists cannot be normalized.
    const [bad] = await storeDeliveries(db, workspaceId, "c_gone", [{ deliveryId: "batch-bad", body: body("D-B"), headers: {} }], Date.now());
    const batch = createMessageBatch("events", [
      { id: "m-good", timestamp: new Date(), attempts: 1, body: { inboxId: good } },
      { id: "m-bad", timestamp: new Date(), attempts: 1, body: { inboxId: bad! } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["m-good"]);
    expect(result.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(["m-bad"]);
    expect(await counts("D-G")).toEqual({ events: 2, history: 5, amount: 20 });
  });

  it("marks the earlier months a delivery changes even when that step failed the first time", async () => {
    const first = await storeOnly("months-1", "D-M", Date.now());
    expect((await runConsumer(first, 1)).ackAll).toBe(true);
    await db.prepare("DELETE FROM dirty_months").run();
    // A later change to D-M (first seen on 2026-03-01) arrives; marking March fails once.
    const later = JSON.stringify(event("D-M-3", "deal.upserted", "2026-06-10T00:00:00Z", { deal_id: "D-M", amount: 30 }));
    const [second] = await storeDeliveries(db, workspaceId, connection.id, [{ deliveryId: "months-2", body: later, headers: {} }], Date.now());
    await db.exec("CREATE TRIGGER march_down BEFORE INSERT ON dirty_months WHEN NEW.month = '2026-03' BEGIN SELECT RAISE(ABORT, 'down'); END;");
    expect((await runConsumer(second!, 1)).retryMessages).toHaveLength(1);
    await db.exec("DROP TRIGGER march_down");
    // The delivery itself was applied; the retry still marks March.
    expect((await counts("D-M"))!.amount).toBe(30);
    expect((await runConsumer(second!, 2)).ackAll).toBe(true);
    const { results } = await db.prepare("SELECT month FROM dirty_months ORDER BY month").all();
    expect(results.map((r) => r.month)).toEqual(["2026-03", "2026-06"]);
  });

  it("applies a queue batch of large deliveries whole, in apply groups of bounded size", async () => {
    // Three backfill deliveries of 1,000 events (the documented maximum): 3,000 events are
    // more than one apply group holds (1,000), so they are applied in three groups.
    expect(MAX_EVENTS_PER_APPLY).toBe(1_000);
    const ids: number[] = [];
    for (const part of [0, 1, 2]) {
      const events = Array.from({ length: 1000 }, (_, i) =>
        event(`bulk-${part}-${i}`, "activity.logged", "2026-03-03T00:00:00Z", { activity_id: `BULK-${part}-${i}`, type: "call" }),
      );
      const [id] = await storeDeliveries(db, workspaceId, connection.id, [{ deliveryId: `bulk-${part}`, body: JSON.stringify({ events }), headers: {} }], Date.now());
      ids.push(id!);
    }
    const batch = createMessageBatch("events", ids.map((inboxId) => ({ id: `bulk-${inboxId}`, timestamp: new Date(), attempts: 1, body: { inboxId } })));
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).ackAll).toBe(true);
    const applied = await db.prepare(
      `SELECT (SELECT COUNT(*) FROM activities WHERE workspace_id = ?1 AND activity_id LIKE 'BULK-%') AS activities,
              (SELECT COUNT(*) FROM inbox WHERE id IN (SELECT value FROM json_each(?2)) AND status = 'processed') AS processed`,
    )
      .bind(workspaceId, JSON.stringify(ids))
      .first();
    expect(applied).toEqual({ activities: 3000, processed: 3 });
  });

  it("packs deliveries into runs that stay within the limit, never splitting one", () => {
    expect(boundedRuns([1000, 1000, 1000], (n) => n, 2000)).toEqual([[1000, 1000], [1000]]);
    expect(boundedRuns([10, 2500, 10, 10], (n) => n, 2000)).toEqual([[10], [2500], [10, 10]]);
    expect(boundedRuns([], (n: number) => n, 2000)).toEqual([]);
  });

  it("marks a row failed when its message reaches the dead-letter queue", async () => {
    const inboxId = await storeOnly("dead-1", "D-X", Date.now());
    const batch = createMessageBatch("events-dlq", [{ id: "dlq-1", timestamp: new Date(), attempts: 1, body: { inboxId } }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).ackAll).toBe(true);
    expect(await db.prepare("SELECT status FROM inbox WHERE id = ?1").bind(inboxId).first()).toEqual({ status: "failed" });
  });
});

describe("the cron sweep", () => {
  it("re-enqueues rows left unprocessed for more than 5 minutes, and only those", async () => {
    const now = Date.now();
    const stale = await storeOnly("lost-1", "D-S", now - 6 * 60 * 1000);
    const recent = await storeOnly("recent-1", "D-T", now - 60 * 1000);

    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: new Date(now), cron: "*/5 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);

    const enqueuedAt = async (id: number) =>
      (await db.prepare("SELECT enqueued_at FROM inbox WHERE id = ?1").bind(id).first<{ enqueued_at: number }>())!.enqueued_at;
    expect(await enqueuedAt(stale)).toBe(now);
    expect(await enqueuedAt(recent)).toBe(now - 60 * 1000);

    // The real queue delivers the swept row to the real consumer.
    const deadline = Date.now() + 20_000;
    while ((await db.prepare("SELECT status FROM inbox WHERE id = ?1").bind(stale).first<{ status: string }>())!.status !== "processed") {
      if (Date.now() > deadline) throw new Error("swept row was not processed");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await counts("D-S")).toEqual({ events: 2, history: 5, amount: 20 });
    expect(await counts("D-T")).toEqual({ events: 0, history: 0, amount: null });
  });
});

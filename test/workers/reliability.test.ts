// Reliability: no input stops the service and no accepted delivery is lost — instants out
// of range, prototype-named types and absurd nesting are dead letters beside applied
// neighbours; failed rows are retried, requeued and redelivered; a failing workspace never
// blocks another's cron; work per request is bounded; raw bodies and dead letters are
// bounded in time and number.
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
import { addMonths, monthOf } from "../../shared/months";
import { capDeadLetters, dropOldBodies, purgeExpiredWebhookIds } from "../../workers/cron/retention";
import { failedRetryDelayMs, storeDeliveries } from "../../workers/ingest/inbox";
import worker from "../../workers/index";
import { call, createNativeConnection, createWorkspace, event, placementOf, postNative, standardSignature, waitForInbox, workspaceDbOf } from "./helpers";

/** The database holding the workspace under test (the directory places it). */
let db: D1Database;

let connection: { id: string; secret: string };
let workspaceId: string;

const deal = (id: string, at: string, data: Record<string, unknown> = {}) =>
  event(id, "deal.upserted", at, { deal_id: id, amount: 10, ...data });

async function deadLetters(): Promise<{ event_id: string | null; reason: string; payload: string }[]> {
  const { results } = await db.prepare("SELECT event_id, reason, payload FROM dead_letters WHERE workspace_id = ?1 ORDER BY id")
    .bind(workspaceId)
    .all<{ event_id: string | null; reason: string; payload: string }>();
  return results;
}

async function dealIds(): Promise<string[]> {
  const { results } = await db.prepare("SELECT deal_id FROM deals WHERE workspace_id = ?1 ORDER BY deal_id").bind(workspaceId).all<{ deal_id: string }>();
  return results.map((r) => r.deal_id);
}

async function runQueue(queue: string, bodies: unknown[], attempts = 1) {
  const batch = createMessageBatch(queue, bodies.map((body, i) => ({ id: `${queue}-${i}-${Math.random()}`, timestamp: new Date(), attempts, body })));
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

async function runCron(cron: string, at: number) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: new Date(at), cron }), env, ctx);
  await waitOnExecutionContext(ctx);
}

async function inboxRow(id: number) {
  return db.prepare("SELECT status, retry_at, body FROM inbox WHERE id = ?1").bind(id).first<{ status: string; retry_at: number | null; body: string }>();
}

beforeAll(async () => {
  await createWorkspace("reliable", { timezone: "UTC" });
  db = await workspaceDbOf("reliable");
  connection = await createNativeConnection("reliable");
  workspaceId = (await db.prepare("SELECT id FROM workspaces WHERE slug = 'reliable'").first<{ id: string }>())!.id;
});

describe("instants outside the accepted window", () => {
  it("are dead letters with the reason, and the valid event beside them is applied", async () => {
    const events = [
      deal("D-far-future", "9999-12-31T00:00:00Z"),
      deal("D-year-one", "2026-03-01T00:00:00Z", { closed_at: "0001-01-01T00:00:00Z", status: "won" }),
      deal("D-1999", "1999-12-31T23:59:59Z"),
      deal("D-fine", "2026-03-02T00:00:00Z"),
    ];
    expect((await postNative(connection, JSON.stringify({ events }))).status).toBe(202);
    await waitForInbox();
    expect(await dealIds()).toEqual(["D-fine"]);
    const letters = await deadLetters();
    expect(letters.map((l) => [l.event_id, l.reason])).toEqual([
      ["D-far-future", "occurred_at: 9999-12-31T00:00:00.000Z is outside the accepted window (2000-01-01 up to one year after receipt)"],
      ["D-year-one", "data.closed_at: 0001-01-01T00:00:00.000Z is outside the accepted window (2000-01-01 up to one year after receipt)"],
      ["D-1999", "occurred_at: 1999-12-31T23:59:59.000Z is outside the accepted window (2000-01-01 up to one year after receipt)"],
    ]);
  });

  it("never make the latest month later than the current month plus one", async () => {
    await db.prepare("DELETE FROM dirty_months").run();
    const inTenMonths = new Date(Date.now() + 300 * 24 * 3600 * 1000).toISOString();
    expect((await postNative(connection, JSON.stringify(deal("D-ahead", inTenMonths)))).status).toBe(202);
    await waitForInbox();
    // The event's month, ten months ahead, is marked; the cron's jobs stop at current + 1.
    const limit = addMonths(monthOf(Date.now(), "UTC"), 1);
    await runCron("*/5 * * * *", Date.now() + 60_000);
    expect(await computedMonthsUntil(limit)).toBe(limit);
  });
});

/** Waits for the real recompute queue to compute `month`; returns the latest month computed. */
async function computedMonthsUntil(month: string): Promise<string | null> {
  const latest = async () =>
    (await db.prepare("SELECT MAX(month) AS month FROM kpi_values WHERE workspace_id = ?1").bind(workspaceId).first<{ month: string | null }>())!.month;
  const deadline = Date.now() + 30_000;
  while ((await latest()) === null || (await latest())! < month) {
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return latest();
}

describe("items no consumer can apply", () => {
  it("become dead letters one by one, whatever their type or nesting, and the rest is applied", async () => {
    const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
    const body = `{"events":[
      ${JSON.stringify(event("E-ctor", "constructor", "2026-03-03T00:00:00Z", {}))},
      ${JSON.stringify(event("E-proto", "__proto__", "2026-03-03T00:00:00Z", {}))},
      ${JSON.stringify(event("E-tostring", "toString", "2026-03-03T00:00:00Z", {}))},
      {"id":"E-deep","type":"deal.upserted","occurred_at":"2026-03-03T00:00:00Z","data":{"deal_id":"D-deep","amount":${nested(3000)}}},
      ${JSON.stringify(deal("D-neighbour", "2026-03-03T00:00:00Z"))}]}`;
    // Stored as the webhook would store it, then consumed by the real consumer.
    const [id] = await storeDeliveries(db, workspaceId, connection.id, [{ deliveryId: "hostile-1", body, headers: {} }], Date.now());
    expect((await runQueue("events", [{ inboxId: id }])).ackAll).toBe(true);
    expect(await dealIds()).toContain("D-neighbour");
    expect(await dealIds()).not.toContain("D-deep");
    const letters = (await deadLetters()).filter((l) => l.event_id?.startsWith("E-"));
    expect(letters.map((l) => [l.event_id, l.reason.split(":")[0]])).toEqual([
      ["E-ctor", "type"],
      ["E-proto", "type"],
      ["E-tostring", "type"],
      ["E-deep", "data.amount"],
    ]);
    expect(letters[0]!.reason).toBe('type: unknown event type "constructor"');
    expect((await inboxRow(id!))!.status).toBe("processed");
  });
});

describe("a delivery whose retries ran out", () => {
  it("is marked failed with a slow retry, and the sweep retries it when that time comes", async () => {
    const now = Date.now();
    const [id] = await storeDeliveries(db, workspaceId, connection.id, [{ deliveryId: "failed-1", body: JSON.stringify(deal("D-retried", "2026-03-04T00:00:00Z")), headers: {} }], now);
    expect((await runQueue("events-dlq", [{ inboxId: id }])).ackAll).toBe(true);
    const failed = (await inboxRow(id!))!;
    expect(failed.status).toBe("failed");
    // Its first round of queue retries: the sweep takes it again 30 minutes later.
    expect(failedRetryDelayMs(1)).toBe(30 * 60 * 1000);
    expect(failed.retry_at! - now).toBeGreaterThanOrEqual(30 * 60 * 1000);
    expect(failed.retry_at! - now).toBeLessThan(31 * 60 * 1000);
    // Later rounds wait longer, at most a day.
    expect([2, 3, 7, 20].map(failedRetryDelayMs)).toEqual([3_600_000, 7_200_000, 86_400_000, 86_400_000]);

    const status = await (await call("GET", "/api/v1/workspaces/reliable/ingest-status")).json<{ failed: number; oldest_failed_at: string | null }>();
    expect(status.failed).toBe(1);
    expect(status.oldest_failed_at).toBe(new Date(now).toISOString());

    await runCron("*/5 * * * *", now + 10 * 60 * 1000); // too early: still failed
    expect((await inboxRow(id!))!.status).toBe("failed");
    await runCron("*/5 * * * *", failed.retry_at! + 1000);
    await waitForInbox();
    expect((await inboxRow(id!))!.status).toBe("processed");
    expect(await dealIds()).toContain("D-retried");
  });

  it("is requeued by its sender's redelivery instead of being answered as a duplicate", async () => {
    const body = JSON.stringify(deal("D-redelivered", "2026-03-05T00:00:00Z"));
    const [id] = await storeDeliveries(db, workspaceId, connection.id, [{ deliveryId: "redelivered-1", body, headers: {} }], Date.now());
    await runQueue("events-dlq", [{ inboxId: id }]);
    expect((await inboxRow(id!))!.status).toBe("failed");
    const response = await postNative(connection, body, { id: "redelivered-1" });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ status: "accepted", deliveries: 1 });
    await waitForInbox();
    expect((await inboxRow(id!))!.status).toBe("processed");
    // Once processed, the same delivery again is a duplicate.
    expect(await (await postNative(connection, body, { id: "redelivered-1" })).json()).toEqual({ status: "duplicate" });
  });

  it("is requeued by an admin, and a read token cannot", async () => {
    const [id] = await storeDeliveries(db, workspaceId, connection.id, [{ deliveryId: "requeued-1", body: JSON.stringify(deal("D-requeued", "2026-03-06T00:00:00Z")), headers: {} }], Date.now());
    await runQueue("events-dlq", [{ inboxId: id }]);
    const token = await (await call("POST", "/api/v1/workspaces/reliable/tokens", { scopes: ["read"], name: "dashboard" })).json<{ token: string }>();
    expect((await call("POST", "/api/v1/workspaces/reliable/ingest/requeue", undefined, token.token)).status).toBe(403);
    const response = await call("POST", "/api/v1/workspaces/reliable/ingest/requeue");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ requeued: 1 });
    await waitForInbox();
    expect((await inboxRow(id!))!.status).toBe("processed");
  });
});

describe("faults", () => {
  it("a queue send failing at the webhook loses nothing: the sweep applies the stored delivery", async () => {
    const failingQueue = {
      send: async () => {
        throw new Error("queue unavailable");
      },
      sendBatch: async () => {
        throw new Error("queue unavailable");
      },
    };
    // The real route, with a queue binding whose sends fail: stored, answered 202, not enqueued.
    const body = JSON.stringify(deal("D-unqueued", "2026-03-08T00:00:00Z"));
    const timestamp = String(Math.floor(Date.now() / 1000));
    const request = new Request(`https://quotient.test/webhooks/${connection.id}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "webhook-id": "unqueued-1",
        "webhook-timestamp": timestamp,
        "webhook-signature": await standardSignature(connection.secret, "unqueued-1", timestamp, body),
      },
      body,
    });
    const response = await worker.fetch!(request as never, { ...env, EVENTS_QUEUE: failingQueue } as never, createExecutionContext());
    expect(response.status).toBe(202);
    const row = await db.prepare("SELECT id, status FROM inbox WHERE delivery_id = 'unqueued-1'").first<{ id: number; status: string }>();
    expect(row!.status).toBe("pending");
    await runCron("*/5 * * * *", Date.now() + 6 * 60 * 1000);
    await waitForInbox();
    expect((await inboxRow(row!.id))!.status).toBe("processed");
    expect(await dealIds()).toContain("D-unqueued");
  });

  it("D1 failing during apply for longer than the retries loses nothing: the automatic retry applies it once", async () => {
    const [id] = await storeDeliveries(db, workspaceId, connection.id, [{ deliveryId: "outage-1", body: JSON.stringify(deal("D-outage", "2026-03-09T00:00:00Z")), headers: {} }], Date.now());
    await db.exec("CREATE TRIGGER outage BEFORE INSERT ON canonical_events BEGIN SELECT RAISE(ABORT, 'D1 is down'); END;");
    for (let attempt = 1; attempt <= 5; attempt++) expect((await runQueue("events", [{ inboxId: id }], attempt)).retryMessages).toHaveLength(1);
    // The queue gives up: the message goes to the dead-letter queue.
    await runQueue("events-dlq", [{ inboxId: id }]);
    await db.exec("DROP TRIGGER outage");
    const failed = (await inboxRow(id!))!;
    expect(failed.status).toBe("failed");
    // Five attempts are one round: retried 30 minutes after.
    expect(failed.retry_at! - Date.now()).toBeGreaterThan(29 * 60 * 1000);
    await runCron("*/5 * * * *", failed.retry_at! + 1000);
    await waitForInbox();
    expect((await inboxRow(id!))!.status).toBe("processed");
    const counted = await db.prepare("SELECT COUNT(*) AS n FROM canonical_events WHERE entity_id = 'D-outage'").first<{ n: number }>();
    expect(counted!.n).toBe(1);
  });
});

describe("a recompute whose retries ran out", () => {
  it("marks its month dirty again", async () => {
    await db.prepare("DELETE FROM dirty_months").run();
    expect((await runQueue("recompute-dlq", [{ workspaceId, month: "2026-03" }])).ackAll).toBe(true);
    const { results } = await db.prepare("SELECT month FROM dirty_months WHERE workspace_id = ?1").bind(workspaceId).all();
    expect(results).toEqual([{ month: "2026-03" }]);
  });
});

describe("the cron", () => {
  it("fans out one workspace's months when another's step throws", async () => {
    // In the same database as the healthy workspace: the cron's steps over one database.
    await createWorkspace("broken", { timezone: "UTC", database: (await placementOf("reliable")).database });
    const broken = (await db.prepare("SELECT id FROM workspaces WHERE slug = 'broken'").first<{ id: string }>())!.id;
    // A time zone no runtime knows makes every month computation of that workspace throw.
    await db.prepare("UPDATE workspaces SET timezone = 'Nowhere/Atlantis' WHERE id = ?1").bind(broken).run();
    const now = Date.now();
    await db.prepare("DELETE FROM dirty_months").run();
    await db.prepare("DELETE FROM kpi_values WHERE workspace_id = ?1").bind(workspaceId).run();
    await db.prepare("INSERT INTO dirty_months (workspace_id, month, marked_at) VALUES (?1, '2026-03', ?3), (?2, '2026-03', ?3)")
      .bind(broken, workspaceId, now - 1000)
      .run();
    await runCron("*/5 * * * *", now);
    // The healthy workspace's months are computed by the real recompute queue …
    expect(await computedMonthsUntil(monthOf(now, "UTC"))).toBeTruthy();
    const march = await db.prepare("SELECT COUNT(*) AS n FROM kpi_values WHERE workspace_id = ?1 AND month = '2026-03'").bind(workspaceId).first<{ n: number }>();
    expect(march!.n).toBeGreaterThan(0);
    // … and the failing workspace's mark stays for the next run.
    const { results } = await db.prepare("SELECT workspace_id FROM dirty_months WHERE marked_at <= ?1").bind(now).all<{ workspace_id: string }>();
    expect(results.map((r) => r.workspace_id)).toEqual([broken]);
    await db.prepare("DELETE FROM dirty_months").run();
    await db.prepare("UPDATE workspaces SET timezone = 'UTC' WHERE id = ?1").bind(broken).run();
  });
});

describe("bounded work", () => {
  it("refuses a recompute of more than 36 months with the limit", async () => {
    const response = await call("POST", "/api/v1/workspaces/reliable/recompute", { from: "0000-01", to: "9999-12" });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    expect(JSON.stringify(await response.json())).toContain("at most 36 months per request");
    expect((await call("POST", "/api/v1/workspaces/reliable/recompute", { from: "2023-01", to: "2026-01" })).status).toBe(400);
  });

  it("refuses an API body over 1 MB", async () => {
    const rows = Array.from({ length: 30_000 }, (_, i) => ({ rep_id: `R-${i}-${"x".repeat(20)}`, month: "2026-03", amount: 1000 }));
    const response = await call("PUT", "/api/v1/workspaces/reliable/quotas", rows);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ status: 413, detail: "the request body is over 1048576 bytes" });
  });
});

describe("retention", () => {
  it("drops the raw bodies of deliveries processed more than the retention ago, keeping the rows", async () => {
    const now = Date.now();
    const [old, recent] = await storeDeliveries(db, workspaceId, connection.id, [
      { deliveryId: "old-1", body: JSON.stringify(deal("D-old", "2026-03-07T00:00:00Z")), headers: {} },
      { deliveryId: "recent-1", body: JSON.stringify(deal("D-recent", "2026-03-07T00:00:00Z")), headers: {} },
    ], now);
    expect((await runQueue("events", [{ inboxId: old }, { inboxId: recent }])).ackAll).toBe(true);
    await db.prepare("UPDATE inbox SET processed_at = ?2 WHERE id = ?1").bind(old, now - 91 * 86_400_000).run();
    expect(await dropOldBodies(db, 90, now)).toBe(1);
    expect((await inboxRow(old!))!.body).toBe("");
    expect((await inboxRow(recent!))!.body).not.toBe("");
    // Its events stay, and a redelivery is still a duplicate.
    expect(await dealIds()).toContain("D-old");
    const again = await postNative(connection, JSON.stringify(deal("D-old", "2026-03-07T00:00:00Z")), { id: "old-1" });
    expect(await again.json()).toEqual({ status: "duplicate" });
  });

  it("keeps each workspace's newest dead letters up to the cap", async () => {
    const before = (await deadLetters()).length;
    expect(before).toBeGreaterThan(3);
    expect(await capDeadLetters(db, 3)).toBe(before - 3);
    const kept = await deadLetters();
    expect(kept).toHaveLength(3);
    // The newest three are kept: the prototype-named types and the deep nesting.
    expect(kept.map((l) => l.event_id)).toEqual(["E-proto", "E-tostring", "E-deep"]);
  });

  it("deletes a rotated-away webhook id once its grace period has ended, and not before", async () => {
    const rotated = await call("POST", `/api/v1/workspaces/reliable/connections/${connection.id}/rotate`, { grace_seconds: 60 });
    expect(rotated.status).toBe(200);
    const { previous_webhook_url_expires_at: expiresAt } = (await rotated.json()) as { previous_webhook_url_expires_at: string };
    const retired = () => db.prepare("SELECT id FROM retired_webhook_ids WHERE connection_id = ?1").bind(connection.id).all();
    const expires = Date.parse(expiresAt);
    // One millisecond before the end of the grace period the old id stays; at its end it goes.
    expect(await purgeExpiredWebhookIds(db, expires - 1)).toBe(0);
    expect((await retired()).results).toHaveLength(1);
    expect(await purgeExpiredWebhookIds(db, expires)).toBe(1);
    expect((await retired()).results).toHaveLength(0);
  });
});

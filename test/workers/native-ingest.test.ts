// The native webhook endpoint: Standard Webhooks verification, limits, idempotent storage
// and the answers design.md specifies.
import type { D1Database } from "@cloudflare/workers-types";
import { beforeAll, describe, expect, it } from "vitest";
import { verifyStandardWebhook } from "../../workers/sources/native";
import { createNativeConnection, createWorkspace, event, ORIGIN, postNative, standardSignature, waitForInbox, workspaceDbOf } from "./helpers";
import { exports } from "cloudflare:workers";

/** The database holding the workspace under test (the directory places it). */
let db: D1Database;

// The Standard Webhooks specification's known vector (workers/sources/native.ts verifies it).
const VECTOR = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: "1614265330",
  body: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};
const vectorHeaders = (overrides: Record<string, string> = {}) =>
  new Headers({
    "webhook-id": VECTOR.id,
    "webhook-timestamp": VECTOR.timestamp,
    "webhook-signature": VECTOR.signature,
    ...overrides,
  });
const vectorNow = Number(VECTOR.timestamp) * 1000;

describe("Standard Webhooks verification", () => {
  it("accepts the known test vector", async () => {
    expect(await standardSignature(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
    expect(await verifyStandardWebhook(vectorHeaders(), VECTOR.body, VECTOR.secret, vectorNow)).toEqual({ ok: true });
  });

  it("accepts when any of several signatures matches (key rotation)", async () => {
    const headers = vectorHeaders({
      "webhook-signature": `v1,bm90IHRoZSByaWdodCBzaWduYXR1cmUgYXQgYWxsIQ== v1a,abc ${VECTOR.signature}`,
    });
    expect(await verifyStandardWebhook(headers, VECTOR.body, VECTOR.secret, vectorNow)).toEqual({ ok: true });
  });

  it("rejects a tampered body, a wrong secret and a non-v1 signature", async () => {
    expect((await verifyStandardWebhook(vectorHeaders(), '{"test": 2432232315}', VECTOR.secret, vectorNow)).ok).toBe(false);
    expect((await verifyStandardWebhook(vectorHeaders(), VECTOR.body, "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", vectorNow)).ok).toBe(false);
    const v2 = vectorHeaders({ "webhook-signature": VECTOR.signature.replace("v1,", "v2,") });
    expect((await verifyStandardWebhook(v2, VECTOR.body, VECTOR.secret, vectorNow)).ok).toBe(false);
  });

  it("enforces the 5-minute tolerance both ways", async () => {
    const verify = (skewSeconds: number) =>
      verifyStandardWebhook(vectorHeaders(), VECTOR.body, VECTOR.secret, vectorNow + skewSeconds * 1000);
    expect(await verify(300)).toEqual({ ok: true });
    expect(await verify(-300)).toEqual({ ok: true });
    expect(await verify(301)).toEqual({ ok: false, reason: "webhook-timestamp is too old" });
    expect(await verify(-301)).toEqual({ ok: false, reason: "webhook-timestamp is in the future" });
  });
});

describe("POST /webhooks/:connectionId (native)", () => {
  let connection: { id: string; secret: string };
  const inboxCount = async () =>
    (await db.prepare("SELECT COUNT(*) AS n FROM inbox WHERE connection_id = ?1").bind(connection.id).first<{ n: number }>())!.n;
  const repEvent = (id: string, name: string) =>
    JSON.stringify(event(id, "rep.upserted", "2026-03-02T09:00:00Z", { rep_id: "R-1", name }));

  beforeAll(async () => {
    await createWorkspace("ingest", { timezone: "America/New_York" });
    db = await workspaceDbOf("ingest");
    connection = await createNativeConnection("ingest");
  });

  it("answers 202 for a signed delivery and applies it through the queue", async () => {
    const response = await postNative(connection, repEvent("evt_1", "Ava Reed"));
    expect(response.status).toBe(202);
    await waitForInbox();
    const rep = await db.prepare("SELECT name FROM reps WHERE rep_id = 'R-1'").first();
    expect(rep).toEqual({ name: "Ava Reed" });
  });

  it("answers 401 and stores nothing for a wrong secret, stale or future timestamp, missing headers", async () => {
    const before = await inboxCount();
    const body = repEvent("evt_x", "Mallory");
    const now = Math.floor(Date.now() / 1000);
    const wrongSecret = await standardSignature("whsec_" + btoa("x".repeat(32)), "m1", String(now), body);
    const cases = [
      postNative(connection, body, { id: "m1", signature: wrongSecret }),
      // Well past the 5 minutes either way: the Worker's clock may tick into the next second
      // after `now` (the exact edges are tested on the adapter with a fixed clock above).
      postNative(connection, body, { timestamp: now - 310 }),
      postNative(connection, body, { timestamp: now + 310 }),
      postNative(connection, body, { headers: { "webhook-signature": "" } }),
    ];
    for (const response of await Promise.all(cases)) {
      expect(response.status).toBe(401);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
    }
    const noHeaders = await exports.default.fetch(
      new Request(`${ORIGIN}/webhooks/${connection.id}`, { method: "POST", body }),
    );
    expect(noHeaders.status).toBe(401);
    expect(await inboxCount()).toBe(before);
  });

  it("answers 413 over 1 MiB or over 1000 events", async () => {
    const big = JSON.stringify({ events: [], padding: "x".repeat(1024 * 1024) });
    expect((await postNative(connection, big)).status).toBe(413);
    const many = JSON.stringify({
      events: Array.from({ length: 1001 }, (_, i) => event(`many_${i}`, "rep.upserted", "2026-03-02T09:00:00Z", { rep_id: `R-${i}` })),
    });
    expect((await postNative(connection, many)).status).toBe(413);
  });

  it("answers 400 for a body that is not JSON, and stores nothing", async () => {
    const before = await inboxCount();
    const response = await postNative(connection, "rep_id=R-1&name=Ava");
    expect(response.status).toBe(400);
    expect(((await response.json()) as { detail: string }).detail).toBe("body is not JSON");
    expect(await inboxCount()).toBe(before);
  });

  it("answers 404 for an unknown connection", async () => {
    const response = await postNative({ id: "c_00000000000000000000000000000000", secret: connection.secret }, repEvent("e", "x"));
    expect(response.status).toBe(404);
  });

  it("answers 200 for a repeated webhook-id and applies the delivery once", async () => {
    const body = JSON.stringify({
      events: [event("evt_dup", "deal.upserted", "2026-03-05T10:00:00Z", { deal_id: "D-9", amount: "100.00", status: "open" })],
    });
    expect((await postNative(connection, body, { id: "msg_dup" })).status).toBe(202);
    expect((await postNative(connection, body, { id: "msg_dup" })).status).toBe(200);
    await waitForInbox();
    const rows = await db.prepare(
      "SELECT (SELECT COUNT(*) FROM inbox WHERE delivery_id = 'msg_dup') AS deliveries, (SELECT COUNT(*) FROM field_history WHERE entity_id = 'D-9') AS history",
    ).first();
    // One inbox row; three field_history rows (deal_id, amount, status) written once.
    expect(rows).toEqual({ deliveries: 1, history: 3 });
  });

  it("answers 503 with Retry-After when the inbox cannot be written, so the sender retries", async () => {
    await db.exec("CREATE TRIGGER inbox_down BEFORE INSERT ON inbox BEGIN SELECT RAISE(ABORT, 'disk full'); END;");
    try {
      const response = await postNative(connection, repEvent("evt_503", "Later"));
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("30");
    } finally {
      await db.exec("DROP TRIGGER inbox_down");
    }
    // The retry succeeds once storage is back.
    expect((await postNative(connection, repEvent("evt_503", "Later"))).status).toBe(202);
  });

  it("marks the touched month dirty in the workspace time zone", async () => {
    // 03:30 UTC on 1 April is still 31 March in New York (UTC−4).
    const body = JSON.stringify(event("evt_tz", "deal.upserted", "2026-04-01T03:30:00Z", { deal_id: "D-tz" }));
    expect((await postNative(connection, body)).status).toBe(202);
    await waitForInbox();
    const { results } = await db.prepare("SELECT month FROM dirty_months ORDER BY month").all();
    expect(results.map((r) => r.month)).toContain("2026-03");
    expect(results.map((r) => r.month)).not.toContain("2026-04");
  });
});

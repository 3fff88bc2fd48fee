// Workspaces spread over two workspace databases (DB_WS_1, DB_WS_2) with a directory
// (DB_DIRECTORY): placement, isolation, the webhook → directory → database path, the cron
// per database, and a move between databases under concurrent deliveries.
import type { D1Database } from "@cloudflare/workers-types";
import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { runScheduled } from "../../workers/cron/scheduled";
import worker from "../../workers/index";
import { MOVED_TABLES } from "../../workers/db/moves";
import { storeDeliveries } from "../../workers/ingest/inbox";
import { workspaceDatabaseNames } from "../../workers/db/placement";
import {
  call,
  createNativeConnection,
  createWorkspace,
  event,
  placementOf,
  postNative,
  waitForInbox,
  workspaceDbOf,
} from "./helpers";

const DB_1 = env.DB_WS_1!;
const DB_2 = env.DB_WS_2!;

const count = async (db: D1Database, sql: string, ...params: unknown[]) =>
  (await db.prepare(sql).bind(...params).first<{ n: number }>())!.n;

/** Rows of the workspace in each table of one database (every table a workspace owns). */
async function rowsOf(db: D1Database, workspaceId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of MOVED_TABLES) counts[table.name] = await count(db, `SELECT COUNT(*) AS n FROM ${table.name} WHERE ${table.key} = ?1`, workspaceId);
  return counts;
}

const nonEmpty = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));

async function token(slug: string, scopes: string[]) {
  const response = await call("POST", `/api/v1/workspaces/${slug}/tokens`, { scopes });
  expect(response.status).toBe(201);
  return ((await response.json()) as { token: string }).token;
}

function deal(id: string, amount: number, day = "10") {
  return event(`ev-${id}`, "deal.upserted", `2026-03-${day}T10:00:00Z`, { deal_id: id, owner_rep_id: "R-1", amount, status: "won" });
}

describe("placement", () => {
  it("puts a new workspace in the database with the fewest workspaces, or the one the ADMIN_TOKEN names", async () => {
    expect(workspaceDatabaseNames(env)).toEqual(["DB_WS_1", "DB_WS_2"]);
    // Both empty: the first in order; then the other; then the first again (1 and 1).
    const placed = [];
    for (const slug of ["place-a", "place-b", "place-c"]) {
      const response = await call("POST", "/api/v1/workspaces", { slug, name: slug });
      expect(response.status).toBe(201);
      placed.push(((await response.json()) as { database: string }).database);
    }
    expect(placed).toEqual(["DB_WS_1", "DB_WS_2", "DB_WS_1"]);
    // Named: DB_WS_2 although it has fewer… and again although it now has as many.
    const named = await call("POST", "/api/v1/workspaces", { slug: "place-d", name: "D", database: "DB_WS_2" });
    expect(await named.json()).toMatchObject({ slug: "place-d", database: "DB_WS_2" });
    expect((await placementOf("place-d")).database).toBe("DB_WS_2");

    // The rows are where the directory says, and only there.
    for (const [slug, own, other] of [["place-a", DB_1, DB_2], ["place-b", DB_2, DB_1], ["place-d", DB_2, DB_1]] as const) {
      expect(await count(own, "SELECT COUNT(*) AS n FROM workspaces WHERE slug = ?1", slug), slug).toBe(1);
      expect(await count(other, "SELECT COUNT(*) AS n FROM workspaces WHERE slug = ?1", slug), slug).toBe(0);
    }
    // A slug is taken in every database, not only in the one it would go to.
    expect((await call("POST", "/api/v1/workspaces", { slug: "place-b", name: "again", database: "DB_WS_1" })).status).toBe(409);
    const unknown = await call("POST", "/api/v1/workspaces", { slug: "place-x", name: "X", database: "DB_WS_9" });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(await unknown.json())).toContain("DB_WS_1, DB_WS_2");
    expect((await call("GET", "/api/v1/workspaces/place-x")).status).toBe(404);
    // Only the ADMIN_TOKEN creates (and places) workspaces.
    const admin = await token("place-a", ["admin"]);
    expect((await call("POST", "/api/v1/workspaces", { slug: "place-y", name: "Y", database: "DB_WS_1" }, admin)).status).toBe(403);
    // The listing reads each workspace from its own database, in slug order.
    const listed = (await (await call("GET", "/api/v1/workspaces?limit=100")).json()) as { items: { slug: string }[] };
    expect(listed.items.map((w) => w.slug).filter((s) => s.startsWith("place-"))).toEqual(["place-a", "place-b", "place-c", "place-d"]);
  });
});

describe("isolation between databases", () => {
  let one: { id: string; secret: string };
  let two: { id: string; secret: string };
  let oneToken: string;
  let twoToken: string;

  beforeAll(async () => {
    await createWorkspace("iso-one", { database: "DB_WS_1" });
    await createWorkspace("iso-two", { database: "DB_WS_2" });
    one = await createNativeConnection("iso-one");
    two = await createNativeConnection("iso-two");
    oneToken = await token("iso-one", ["admin"]);
    twoToken = await token("iso-two", ["admin"]);
    expect((await postNative(one, JSON.stringify({ events: [deal("ONE-1", 100)] }))).status).toBe(202);
    expect((await postNative(two, JSON.stringify({ events: [deal("TWO-1", 700)] }))).status).toBe(202);
    await waitForInbox();
  });

  it("keeps every row of a workspace in its own database", async () => {
    const oneId = (await placementOf("iso-one")).id;
    const twoId = (await placementOf("iso-two")).id;
    // 1 workspace row, 1 connection, 1 token, 1 inbox row, 1 event, the deal, its rep …
    expect(nonEmpty(await rowsOf(DB_2, oneId))).toEqual({});
    expect(nonEmpty(await rowsOf(DB_1, twoId))).toEqual({});
    expect(await rowsOf(DB_1, oneId)).toMatchObject({ workspaces: 1, connections: 1, api_tokens: 1, inbox: 1, canonical_events: 1, deals: 1 });
    expect(await rowsOf(DB_2, twoId)).toMatchObject({ workspaces: 1, connections: 1, api_tokens: 1, inbox: 1, canonical_events: 1, deals: 1 });
  });

  it("never lets a token reach the other database's workspace", async () => {
    for (const [own, other, bearer] of [["iso-one", "iso-two", oneToken], ["iso-two", "iso-one", twoToken]] as const) {
      expect((await call("GET", `/api/v1/workspaces/${own}`, undefined, bearer)).status).toBe(200);
      for (const path of ["", "/connections", "/tokens", "/months/2026-03", "/ingest", "/dead-letters"]) {
        expect((await call("GET", `/api/v1/workspaces/${other}${path}`, undefined, bearer)).status, `${other}${path}`).toBe(404);
      }
      const listed = (await (await call("GET", "/api/v1/workspaces", undefined, bearer)).json()) as { items: { slug: string }[] };
      expect(listed.items.map((w) => w.slug)).toEqual([own]);
    }
  });

  it("sends a connection's deliveries to its workspace's database, even when the other holds a row with its id", async () => {
    // A row in DB_WS_2 claiming iso-one's connection id for iso-two: the directory, not a
    // lookup in every database, decides where the webhook goes.
    const twoId = (await placementOf("iso-two")).id;
    await DB_2.prepare(
      `INSERT INTO connections (id, workspace_id, kind, name, secret_ciphertext, config) SELECT ?1, ?2, kind, 'impostor', secret_ciphertext, config FROM connections WHERE id = ?3`,
    )
      .bind(one.id, twoId, two.id)
      .run();
    expect((await postNative(one, JSON.stringify({ events: [deal("ONE-2", 200)] }))).status).toBe(202);
    await waitForInbox();
    expect(await count(DB_1, "SELECT COUNT(*) AS n FROM deals WHERE deal_id = 'ONE-2'")).toBe(1);
    expect(await count(DB_2, "SELECT COUNT(*) AS n FROM deals WHERE deal_id = 'ONE-2'")).toBe(0);
    expect(await count(DB_2, "SELECT COUNT(*) AS n FROM inbox WHERE connection_id = ?1", one.id)).toBe(0);
    await DB_2.prepare("DELETE FROM connections WHERE id = ?1").bind(one.id).run();
  });
});

describe("webhook → directory → database", () => {
  it("finds the workspace's database from the webhook id in the directory, enqueues the row with it, and applies it there", async () => {
    await createWorkspace("path-two", { database: "DB_WS_2" });
    const connection = await createNativeConnection("path-two");
    const placement = await placementOf("path-two");
    expect(await env.DB_DIRECTORY.prepare("SELECT workspace_id FROM directory_webhook_ids WHERE id = ?1").bind(connection.id).first()).toEqual({
      workspace_id: placement.id,
    });
    const response = await postNative(connection, JSON.stringify({ events: [deal("PATH-1", 1500), deal("PATH-2", 500, "11")] }));
    expect(response.status).toBe(202);
    await waitForInbox();
    expect(await count(DB_2, "SELECT COUNT(*) AS n FROM inbox WHERE connection_id = ?1 AND status = 'processed'", connection.id)).toBe(1);
    expect(await count(DB_1, "SELECT COUNT(*) AS n FROM inbox WHERE connection_id = ?1", connection.id)).toBe(0);
    // The KPIs are computed in that database: revenue won in March = 1,500 + 500.
    expect((await call("POST", "/api/v1/workspaces/path-two/recompute", { from: "2026-03", to: "2026-03" })).status).toBe(200);
    const month = (await (await call("GET", "/api/v1/workspaces/path-two/months/2026-03")).json()) as {
      kpis: Record<string, { values: { dimension: string; value: number }[] }>;
    };
    expect(month.kpis.revenue_won!.values.find((v) => v.dimension === "all")!.value).toBe(2000);

    // A rotated webhook id is registered too; the retired one works through its grace period.
    const rotated = await call("POST", `/api/v1/workspaces/path-two/connections/${connection.id}/rotate`, { grace_seconds: 600 });
    expect(rotated.status).toBe(200);
    const webhookId = ((await rotated.json()) as { webhook_url: string }).webhook_url.split("/").pop()!;
    expect(await env.DB_DIRECTORY.prepare("SELECT workspace_id FROM directory_webhook_ids WHERE id = ?1").bind(webhookId).first()).toEqual({
      workspace_id: placement.id,
    });
    expect((await postNative({ id: webhookId, secret: connection.secret }, JSON.stringify({ events: [deal("PATH-3", 1)] }))).status).toBe(202);
    expect((await postNative(connection, JSON.stringify({ events: [deal("PATH-4", 1)] }))).status).toBe(202);
    await waitForInbox();
    expect(await count(DB_2, "SELECT COUNT(*) AS n FROM deals WHERE deal_id IN ('PATH-3', 'PATH-4')")).toBe(2);
    expect((await postNative({ id: "c_unknown", secret: connection.secret }, "{}")).status).toBe(404);
  });
});

describe("the cron, per database", () => {
  it("sweeps and fans out one database while the other fails", async () => {
    await createWorkspace("cron-one", { database: "DB_WS_1", timezone: "UTC" });
    await createWorkspace("cron-two", { database: "DB_WS_2", timezone: "UTC" });
    const oneId = (await placementOf("cron-one")).id;
    const twoId = (await placementOf("cron-two")).id;
    const two = await createNativeConnection("cron-two");
    expect((await postNative(two, JSON.stringify({ events: [deal("CRON-1", 300)] }))).status).toBe(202);
    await waitForInbox();
    const now = Date.now();
    for (const [db, id] of [[DB_1, oneId], [DB_2, twoId]] as const) {
      await db.prepare("DELETE FROM dirty_months").run();
      await db.prepare("INSERT INTO dirty_months (workspace_id, month, marked_at) VALUES (?1, '2026-03', ?2)").bind(id, now - 1000).run();
    }
    // DB_WS_1 is down for writes: its sweep and its fan-out (which clears marks) throw.
    await DB_1.exec("CREATE TRIGGER down_inbox BEFORE UPDATE ON inbox BEGIN SELECT RAISE(ABORT, 'DB_WS_1 down'); END;");
    await DB_1.exec("CREATE TRIGGER down_marks BEFORE DELETE ON dirty_months BEGIN SELECT RAISE(ABORT, 'DB_WS_1 down'); END;");
    try {
      const ctx = createExecutionContext();
      const runs = await runScheduled(createScheduledController({ scheduledTime: new Date(now), cron: "*/5 * * * *" }), env, ctx);
      await waitOnExecutionContext(ctx);
      // DB_WS_2's dirty March is fanned out: March through the current month, one job each.
      const months = (new Date(now).getUTCFullYear() - 2026) * 12 + new Date(now).getUTCMonth() - 2 + 1;
      expect(runs.find((r) => r.database === "DB_WS_2")).toMatchObject({ dirty: months });
      expect(runs.find((r) => r.database === "DB_WS_1")).toMatchObject({ dirty: 0, swept: 0 });
      // … and computed by the recompute queue in DB_WS_2: revenue won in March = 300.
      const deadline = Date.now() + 30_000;
      while ((await count(DB_2, "SELECT COUNT(*) AS n FROM kpi_values WHERE workspace_id = ?1 AND month = '2026-03'", twoId)) === 0) {
        if (Date.now() > deadline) throw new Error("DB_WS_2's March was never computed");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(await count(DB_2, "SELECT value AS n FROM kpi_values WHERE workspace_id = ?1 AND month = '2026-03' AND kpi = 'revenue_won' AND dimension = 'all'", twoId)).toBe(300);
      // DB_WS_2's marks are cleared, DB_WS_1's stay for the next run.
      expect(await count(DB_2, "SELECT COUNT(*) AS n FROM dirty_months WHERE marked_at <= ?1", now)).toBe(0);
      expect(await count(DB_1, "SELECT COUNT(*) AS n FROM dirty_months WHERE workspace_id = ?1", oneId)).toBe(1);
    } finally {
      await DB_1.exec("DROP TRIGGER down_inbox");
      await DB_1.exec("DROP TRIGGER down_marks");
      await DB_1.prepare("DELETE FROM dirty_months").run();
    }
  });
});

describe("the events consumer, per database", () => {
  it("applies one database's messages of a batch while the other's fail, and retries only those", async () => {
    await createWorkspace("queue-one", { database: "DB_WS_1" });
    await createWorkspace("queue-two", { database: "DB_WS_2" });
    const rows: Record<string, number> = {};
    for (const [slug, db] of [["queue-one", DB_1], ["queue-two", DB_2]] as const) {
      const connection = await createNativeConnection(slug);
      // Stored as the webhook stores them, but not enqueued: this test hands them to the consumer.
      const [id] = await storeDeliveries(db, (await placementOf(slug)).id, connection.id, [{ deliveryId: `${slug}-1`, headers: {}, body: JSON.stringify({ events: [deal(`Q-${slug}`, 5)] }) }], Date.now());
      rows[slug] = id!;
    }
    await DB_1.exec("CREATE TRIGGER queue_down BEFORE INSERT ON canonical_events BEGIN SELECT RAISE(ABORT, 'DB_WS_1 down'); END;");
    try {
      const batch = createMessageBatch("events", [
        { id: "m-one", timestamp: new Date(), attempts: 1, body: { inboxId: rows["queue-one"], database: "DB_WS_1" } },
        { id: "m-two", timestamp: new Date(), attempts: 1, body: { inboxId: rows["queue-two"], database: "DB_WS_2" } },
      ]);
      const ctx = createExecutionContext();
      await worker.queue(batch, env, ctx);
      const result = await getQueueResult(batch, ctx);
      expect(result.ackAll).toBe(false);
      expect(result.explicitAcks).toEqual(["m-two"]);
      expect(result.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(["m-one"]);
    } finally {
      await DB_1.exec("DROP TRIGGER queue_down");
    }
    expect(await count(DB_2, "SELECT COUNT(*) AS n FROM deals WHERE deal_id = 'Q-queue-two'")).toBe(1);
    expect(await DB_1.prepare("SELECT status, attempts FROM inbox WHERE id = ?1").bind(rows["queue-one"]).first()).toEqual({ status: "pending", attempts: 1 });
    // The retry, once DB_WS_1 is back, applies it.
    const retried = createMessageBatch("events", [{ id: "m-one", timestamp: new Date(), attempts: 2, body: { inboxId: rows["queue-one"], database: "DB_WS_1" } }]);
    const ctx = createExecutionContext();
    await worker.queue(retried, env, ctx);
    expect((await getQueueResult(retried, ctx)).ackAll).toBe(true);
    expect(await count(DB_1, "SELECT COUNT(*) AS n FROM deals WHERE deal_id = 'Q-queue-one'")).toBe(1);
  });
});

describe("moving a workspace", () => {
  it("moves acme to DB_WS_2 under concurrent deliveries: every delivery applied once, the old copy gone", async () => {
    // A neighbour in the target, with inbox rows and dead letters of its own: the moved
    // rows' ids are renumbered above them.
    await createWorkspace("neighbour", { database: "DB_WS_2", timezone: "UTC" });
    const neighbour = await createNativeConnection("neighbour");
    for (let i = 0; i < 3; i++) expect((await postNative(neighbour, JSON.stringify({ events: [deal(`N-${i}`, 10)] }))).status).toBe(202);

    await createWorkspace("acme", { database: "DB_WS_1", timezone: "UTC" });
    const acme = await createNativeConnection("acme");
    const acmeId = (await placementOf("acme")).id;
    // Before the move: 5 deliveries of one deal each, and one with an invalid event (a dead letter).
    let expectedRevenue = 0;
    for (let i = 0; i < 5; i++) {
      expect((await postNative(acme, JSON.stringify({ events: [deal(`A-${i}`, 100 * (i + 1))] }), { id: `acme-${i}` })).status).toBe(202);
      expectedRevenue += 100 * (i + 1);
    }
    expect((await postNative(acme, JSON.stringify({ events: [{ id: "bad", type: "deal.upserted", occurred_at: "not a date", data: {} }] }))).status).toBe(202);
    await waitForInbox();
    expect((await call("POST", "/api/v1/workspaces/acme/recompute", { from: "2026-03", to: "2026-03" })).status).toBe(200);
    const before = await rowsOf(DB_1, acmeId);
    expect(before).toMatchObject({ workspaces: 1, inbox: 6, canonical_events: 5, deals: 5, dead_letters: 1 });

    const started = await call("POST", "/api/v1/admin/workspaces/acme/move", { to: "DB_WS_2" });
    expect(started.status).toBe(202);
    expect(await started.json()).toMatchObject({ from: "DB_WS_1", to: "DB_WS_2", state: "settling" });
    // Paused: reads go on, writes wait; a second move is refused.
    expect((await call("GET", "/api/v1/workspaces/acme")).status).toBe(200);
    const write = await call("PATCH", "/api/v1/workspaces/acme", { name: "Acme moving" });
    expect(write.status).toBe(503);
    expect(write.headers.get("retry-after")).toBe("60");
    expect((await call("POST", "/api/v1/admin/workspaces/acme/move", { to: "DB_WS_2" })).status).toBe(409);

    // Deliveries keep arriving: one after each step, concurrently with the next step, plus
    // a sender's redelivery of a delivery applied before the move and one of a delivery
    // sent during it (each must be applied once).
    const states: string[] = [];
    const posts: Promise<Response>[] = [];
    let sent = 0;
    const post = (id: string, amount: number) => {
      expectedRevenue += amount;
      return postNative(acme, JSON.stringify({ events: [deal(`M-${id}`, amount)] }), { id: `move-${id}` });
    };
    posts.push(postNative(acme, JSON.stringify({ events: [deal("A-0", 100)] }), { id: "acme-0" }));
    let move: { state: string; tables: { table: string; source_rows: number; target_rows: number; source_checksum: string; target_checksum: string }[]; released_deliveries: number | null };
    do {
      const step = call("POST", "/api/v1/admin/workspaces/acme/move/step");
      posts.push(post(String(sent), 10 + sent));
      sent++;
      const response = await step;
      expect(response.status).toBe(200);
      move = (await response.json()) as typeof move;
      states.push(move.state);
      if (sent === 2) posts.push(postNative(acme, JSON.stringify({ events: [deal("M-1", 11)] }), { id: "move-1" }));
    } while (move.state !== "done" && move.state !== "failed");
    for (const response of await Promise.all(posts)) expect([200, 202]).toContain(response.status);
    expect(move.state).toBe("done");
    expect(states).toEqual(expect.arrayContaining(["copying", "verifying", "resuming", "deleting", "done"]));
    // Every table verified: the same rows and checksum on both sides.
    expect(move.tables.map((t) => t.table).sort()).toEqual(MOVED_TABLES.map((t) => t.name).sort());
    for (const table of move.tables) {
      expect(table.target_rows, table.table).toBe(table.source_rows);
      expect(table.target_checksum, table.table).toBe(table.source_checksum);
    }
    expect(move.tables.find((t) => t.table === "canonical_events")!.source_rows).toBeGreaterThanOrEqual(5);
    // The deliveries sent while it was paused were held, then released into DB_WS_2.
    expect(move.released_deliveries).toBeGreaterThan(0);

    // After it: every delivery applied once, in DB_WS_2 only.
    await waitForInbox(30_000);
    expect((await placementOf("acme")).database).toBe("DB_WS_2");
    expect(nonEmpty(await rowsOf(DB_1, acmeId))).toEqual({});
    expect(await count(env.DB_DIRECTORY, "SELECT COUNT(*) AS n FROM held_deliveries")).toBe(0);
    const after = await rowsOf(DB_2, acmeId);
    // 6 deliveries before, `sent` during (the two redeliveries are duplicates): one inbox row and event each.
    expect(after).toMatchObject({ workspaces: 1, connections: 1, inbox: 6 + sent, canonical_events: 5 + sent, deals: 5 + sent, dead_letters: 1 });
    expect(await count(DB_2, "SELECT COUNT(*) AS n FROM inbox WHERE workspace_id = ?1 AND status <> 'processed'", acmeId)).toBe(0);
    // Inbox ids stay unique in DB_WS_2 and the events point at the moved rows.
    expect(await count(DB_2, "SELECT COUNT(*) AS n FROM canonical_events e LEFT JOIN inbox i ON i.id = e.inbox_id AND i.workspace_id = e.workspace_id WHERE e.workspace_id = ?1 AND i.id IS NULL", acmeId)).toBe(0);
    expect(await count(DB_2, "SELECT COUNT(*) AS n FROM dead_letters d JOIN inbox i ON i.id = d.inbox_id WHERE d.workspace_id = ?1 AND i.workspace_id = ?1", acmeId)).toBe(1);
    // The neighbour is untouched, and new rows of either get fresh ids.
    expect(await count(DB_2, "SELECT COUNT(*) AS n FROM deals WHERE deal_id LIKE 'N-%'")).toBe(3);
    expect((await postNative(neighbour, JSON.stringify({ events: [deal("N-after", 10)] }))).status).toBe(202);
    await waitForInbox();
    expect(await count(DB_2, "SELECT COUNT(*) AS n FROM (SELECT id FROM inbox GROUP BY id HAVING COUNT(*) > 1)")).toBe(0);

    // The API serves acme from DB_WS_2: revenue won in March is every deal once.
    expect((await call("PATCH", "/api/v1/workspaces/acme", { name: "Acme moved" })).status).toBe(200);
    expect((await call("POST", "/api/v1/workspaces/acme/recompute", { from: "2026-03", to: "2026-03" })).status).toBe(200);
    const month = (await (await call("GET", "/api/v1/workspaces/acme/months/2026-03")).json()) as {
      kpis: Record<string, { values: { dimension: string; value: number }[] }>;
    };
    expect(month.kpis.revenue_won!.values.find((v) => v.dimension === "all")!.value).toBe(expectedRevenue);
    const db = await workspaceDbOf("acme");
    expect(db).toBe(DB_2);
  });

  it("copies again when the old copy changed after it was copied, and holds a paused workspace's recomputes", async () => {
    await createWorkspace("drift", { database: "DB_WS_1", timezone: "UTC" });
    const drift = await createNativeConnection("drift");
    const driftId = (await placementOf("drift")).id;
    expect((await postNative(drift, JSON.stringify({ events: [deal("DR-1", 100), deal("DR-2", 200)] }))).status).toBe(202);
    await waitForInbox();
    expect((await call("POST", "/api/v1/admin/workspaces/drift/move", { to: "DB_WS_2" })).status).toBe(202);

    // A recompute job for the paused workspace: held in the directory, not computed.
    const batch = createMessageBatch("recompute", [{ id: "held-1", timestamp: new Date(), attempts: 1, body: { workspaceId: driftId, month: "2026-03" } }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["held-1"]);
    expect(await count(env.DB_DIRECTORY, "SELECT COUNT(*) AS n FROM held_months WHERE workspace_id = ?1 AND month = '2026-03'", driftId)).toBe(1);
    expect(await count(DB_1, "SELECT COUNT(*) AS n FROM kpi_values WHERE workspace_id = ?1", driftId)).toBe(0);

    const step = async () => (await (await call("POST", "/api/v1/admin/workspaces/drift/move/step")).json()) as { state: string; attempt: number; reason: string | null };
    let move = await step();
    while (move.state !== "verifying") move = await step();
    // A write that began before the pause lands in the old copy after it was copied.
    await DB_1.prepare("UPDATE deals SET amount = 999 WHERE workspace_id = ?1 AND deal_id = 'DR-1'").bind(driftId).run();
    const states = [move.state];
    while (move.state !== "done" && move.state !== "failed") {
      move = await step();
      states.push(move.state);
    }
    // The verification saw the deals differ: the copy was deleted and made again.
    expect(states).toContain("resetting");
    expect(move).toMatchObject({ state: "done", attempt: 2 });
    expect(move.reason).toContain("deals");
    expect(await DB_2.prepare("SELECT amount FROM deals WHERE workspace_id = ?1 AND deal_id = 'DR-1'").bind(driftId).first()).toEqual({ amount: 999 });
    expect(await count(DB_2, "SELECT COUNT(*) AS n FROM deals WHERE workspace_id = ?1", driftId)).toBe(2);
    expect(nonEmpty(await rowsOf(DB_1, driftId))).toEqual({});
    // The held month is dirty in the new database, nothing is left held.
    expect(await count(DB_2, "SELECT COUNT(*) AS n FROM dirty_months WHERE workspace_id = ?1 AND month = '2026-03'", driftId)).toBe(1);
    expect(await count(env.DB_DIRECTORY, "SELECT COUNT(*) AS n FROM held_months")).toBe(0);
  });

  it("refuses a move to where the workspace is, to an unknown database, and without the ADMIN_TOKEN", async () => {
    await createWorkspace("stay", { database: "DB_WS_1" });
    expect((await call("POST", "/api/v1/admin/workspaces/stay/move", { to: "DB_WS_1" })).status).toBe(409);
    expect((await call("POST", "/api/v1/admin/workspaces/stay/move", { to: "DB_WS_7" })).status).toBe(400);
    expect((await call("POST", "/api/v1/admin/workspaces/nobody/move", { to: "DB_WS_2" })).status).toBe(404);
    const admin = await token("stay", ["admin"]);
    expect((await call("POST", "/api/v1/admin/workspaces/stay/move", { to: "DB_WS_2" }, admin)).status).toBe(403);
    // No move under way: nothing to advance.
    expect((await call("POST", "/api/v1/admin/workspaces/stay/move/step")).status).toBe(404);
  });

  it("copies every table a workspace database has", async () => {
    const { results } = await DB_1.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name <> 'd1_migrations'",
    ).all<{ name: string }>();
    expect(MOVED_TABLES.map((t) => t.name).sort()).toEqual(results.map((r) => r.name).sort());
    // The AUTOINCREMENT tables are the ones a move renumbers.
    const { results: numbered } = await DB_1.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%AUTOINCREMENT%' AND name <> 'd1_migrations'").all<{ name: string }>();
    expect(numbered.map((r) => r.name).sort()).toEqual(["dead_letters", "deploy_hook_calls", "inbox"]);
  });
});

describe("adopting the workspaces of a database from before the directory", () => {
  it("registers each workspace with its database, webhook ids and tokens; a slug taken elsewhere is a conflict", async () => {
    // As a deployment from before the directory left them: rows in DB_WS_2, nothing in the directory.
    const tokenText = "qt_" + "ab".repeat(32);
    const tokenHash = [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(tokenText)))]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("");
    await DB_2.batch([
      DB_2.prepare("INSERT INTO workspaces (id, slug, name) VALUES ('ws_legacy', 'legacy', 'Legacy')"),
      DB_2.prepare("INSERT INTO connections (id, workspace_id, kind, name) VALUES ('c_legacy', 'ws_legacy', 'native', 'legacy')"),
      DB_2.prepare("INSERT INTO api_tokens (id, workspace_id, token_hash, scopes) VALUES ('tok_legacy', 'ws_legacy', ?1, '[\"read\"]')").bind(tokenHash),
      // The same slug as a workspace the directory already places in DB_WS_1.
      DB_2.prepare("INSERT INTO workspaces (id, slug, name) VALUES ('ws_clash', 'iso-one', 'Clash')"),
    ]);
    expect((await call("GET", "/api/v1/workspaces/legacy")).status).toBe(404);
    expect((await call("GET", "/api/v1/workspaces/legacy", undefined, tokenText)).status).toBe(401);

    const pages = [];
    let cursor: string | null = null;
    do {
      const response = await call("POST", `/api/v1/admin/directory/adopt${cursor ? `?cursor=${cursor}` : ""}`);
      expect(response.status).toBe(200);
      const page = (await response.json()) as { adopted: number; already_registered: number; conflicts: string[]; next_cursor: string | null };
      pages.push(page);
      cursor = page.next_cursor;
    } while (cursor);
    // Two pages at least (one per database); only the legacy workspace was missing.
    expect(pages.length).toBeGreaterThanOrEqual(2);
    expect(pages.reduce((n, p) => n + p.adopted, 0)).toBe(1);
    expect(pages.flatMap((p) => p.conflicts)).toEqual(["iso-one"]);
    expect((await placementOf("legacy")).database).toBe("DB_WS_2");
    expect((await placementOf("iso-one")).database).toBe("DB_WS_1");
    expect((await call("GET", "/api/v1/workspaces/legacy", undefined, tokenText)).status).toBe(200);
    expect(await env.DB_DIRECTORY.prepare("SELECT workspace_id FROM directory_webhook_ids WHERE id = 'c_legacy'").first()).toEqual({ workspace_id: "ws_legacy" });
    // Again: nothing more to register.
    const again = (await (await call("POST", "/api/v1/admin/directory/adopt")).json()) as { adopted: number };
    expect(again.adopted).toBe(0);
    await DB_2.prepare("DELETE FROM workspaces WHERE id = 'ws_clash'").run();
  });
});

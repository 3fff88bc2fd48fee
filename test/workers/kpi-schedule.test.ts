// Scheduling: a late event marks its month dirty, the cron fans out recompute jobs on the
// real queue, and exactly the months whose KPIs depend on the event change.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import type { D1Database } from "@cloudflare/workers-types";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../workers/index";
import { call, createNativeConnection, createWorkspace, event, postNative, waitForInbox, workspaceDbOf } from "./helpers";

/** The database holding the workspace under test (the directory places it). */
let db: D1Database;

type Row = { month: string; kpi: string; dimension: string; key: string; value: number | null; computed_at: number };

let connection: { id: string; secret: string };
let workspaceId: string;

const won = (id: string, created: string, closed: string, amount: number) => [
  event(`${id}-open`, "deal.upserted", created, { deal_id: id, owner_rep_id: "R-1", amount, status: "open" }),
  event(`${id}-won`, "deal.upserted", closed, { deal_id: id, status: "won" }),
];

async function values(): Promise<Row[]> {
  const { results } = await db.prepare(
    "SELECT month, kpi, dimension, key, value, computed_at FROM kpi_values WHERE workspace_id = ?1 ORDER BY month, kpi, dimension, key",
  )
    .bind(workspaceId)
    .all<Row>();
  return results;
}

async function runCron(cron: string, at = Date.now()) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: new Date(at), cron }), env, ctx);
  await waitOnExecutionContext(ctx);
}

beforeAll(async () => {
  await createWorkspace("late", { timezone: "UTC" });
  db = await workspaceDbOf("late");
  connection = await createNativeConnection("late");
  workspaceId = (await db.prepare("SELECT id FROM workspaces WHERE slug = 'late'").first<{ id: string }>())!.id;
  // One deal won in each month from January to June 2026, each created and won in its month.
  const events = ["01", "02", "03", "04", "05", "06"].flatMap((m, i) =>
    won(`D-${m}`, `2026-${m}-02T10:00:00Z`, `2026-${m}-20T10:00:00Z`, 1000 * (i + 1)),
  );
  expect((await postNative(connection, JSON.stringify({ events }))).status).toBe(202);
  await waitForInbox();
  expect((await call("POST", "/api/v1/workspaces/late/recompute", { from: "2026-01", to: "2026-06" })).status).toBe(200);
  await db.prepare("DELETE FROM dirty_months").run();
});

describe("a late event", () => {
  it("recomputes its month and those that depend on it, and changes exactly the affected months", async () => {
    const before = await values();
    // A deal created and won in March arrives late.
    const late = won("D-late", "2026-03-05T10:00:00Z", "2026-03-25T10:00:00Z", 500);
    expect((await postNative(connection, JSON.stringify({ events: late }))).status).toBe(202);
    await waitForInbox();
    const { results: dirty } = await db.prepare("SELECT month FROM dirty_months WHERE workspace_id = ?1").bind(workspaceId).all();
    expect(dirty.map((d) => d.month)).toEqual(["2026-03"]);

    await runCron("*/5 * * * *");
    // The real recompute queue runs the jobs; wait until March has been recomputed.
    const marchBefore = before.find((r) => r.month === "2026-03")!.computed_at;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const after = await values();
      const pending = ["2026-03", "2026-04", "2026-05", "2026-06"].some(
        (m) => after.find((r) => r.month === m)!.computed_at <= marchBefore,
      );
      if (!pending) break;
      if (Date.now() > deadline) throw new Error("recompute jobs did not run");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const after = await values();
    const changed = new Set<string>();
    const recomputed = new Set<string>();
    for (const row of before) {
      const now = after.find((r) => r.month === row.month && r.kpi === row.kpi && r.dimension === row.dimension && r.key === row.key);
      if (!now || now.value !== row.value) changed.add(row.month);
      if (now && now.computed_at !== row.computed_at) recomputed.add(row.month);
    }
    // March: revenue 3000 → 3500, deals 1 → 2; April: sales_growth against March moves.
    expect([...changed].sort()).toEqual(["2026-03", "2026-04"]);
    // Months before the late event are not recomputed at all.
    expect([...recomputed].sort()).toEqual(["2026-03", "2026-04", "2026-05", "2026-06"]);
    const revenue = (m: string) => after.find((r) => r.month === m && r.kpi === "revenue_won" && r.dimension === "all")!.value;
    expect(revenue("2026-03")).toBe(3500);
    // April growth: (4000 − 3500) / 3500.
    const growth = after.find((r) => r.month === "2026-04" && r.kpi === "sales_growth" && r.dimension === "all")!.value;
    expect(growth).toBeCloseTo(500 / 3500, 12);
    // The marks were consumed.
    expect((await db.prepare("SELECT COUNT(*) AS n FROM dirty_months").first<{ n: number }>())!.n).toBe(0);
  });

  it("marks the cohort month of an earlier deal when a later event changes it", async () => {
    // D-01 was created in January; reopening it in June changes January's opportunity win rate.
    const reopen = event("D-01-reopen", "deal.upserted", "2026-06-10T10:00:00Z", { deal_id: "D-01", status: "open" });
    expect((await postNative(connection, JSON.stringify(reopen))).status).toBe(202);
    await waitForInbox();
    const { results } = await db.prepare("SELECT month FROM dirty_months WHERE workspace_id = ?1 ORDER BY month").bind(workspaceId).all();
    expect(results.map((r) => r.month)).toEqual(["2026-01", "2026-06"]);
  });

  it("marks the old cohort month when a late event moves a deal's created_at later", async () => {
    await db.prepare("DELETE FROM dirty_months").run();
    // D-02 was created (first event) on 2026-02-02; a correction moves it to March.
    const moved = event("D-02-moved", "deal.upserted", "2026-06-20T10:00:00Z", { deal_id: "D-02", created_at: "2026-03-10T00:00:00Z" });
    expect((await postNative(connection, JSON.stringify(moved))).status).toBe(202);
    await waitForInbox();
    const { results } = await db.prepare("SELECT month FROM dirty_months WHERE workspace_id = ?1 ORDER BY month").bind(workspaceId).all();
    // February (the month it leaves), March (the month it enters) and June (the event).
    expect(results.map((r) => r.month)).toEqual(["2026-02", "2026-03", "2026-06"]);
  });
});

describe("a late outbound contact", () => {
  it("marks the months of the inbound activities it now answers, not of those an earlier contact answered", async () => {
    const activity = (id: string, at: string, direction: string, type = "email") =>
      event(id, "activity.logged", at, { activity_id: id, type, direction, rep_id: "R-1", lead_id: "L-answer" });
    const history = [
      activity("A-in-jan", "2026-01-10T10:00:00Z", "inbound"),
      activity("A-out-jan", "2026-01-12T10:00:00Z", "outbound"), // answers the January inbound
      activity("A-in-apr", "2026-04-05T10:00:00Z", "inbound"), // unanswered so far
      activity("A-note-may", "2026-05-01T10:00:00Z", "outbound", "note"), // not a contact: answers nothing
    ];
    expect((await postNative(connection, JSON.stringify({ events: history }))).status).toBe(202);
    await waitForInbox();
    await db.prepare("DELETE FROM dirty_months").run();
    const answer = activity("A-out-jun", "2026-06-10T10:00:00Z", "outbound");
    expect((await postNative(connection, JSON.stringify(answer))).status).toBe(202);
    await waitForInbox();
    const { results } = await db.prepare("SELECT month FROM dirty_months WHERE workspace_id = ?1 ORDER BY month").bind(workspaceId).all();
    // April: its inbound's response time is now 66 days; June: the contact itself. January
    // keeps its answer of 12 January, so it (and February, March) are not recomputed.
    expect(results.map((r) => r.month)).toEqual(["2026-04", "2026-06"]);
  });
});

describe("the hourly cron", () => {
  it("enqueues the trailing three months of every workspace with data", async () => {
    await db.prepare("DELETE FROM dirty_months").run();
    // At 2026-06-15 the trailing months are April, May and June.
    const at = Date.parse("2026-06-15T12:00:00Z");
    const before = await values();
    await runCron("0 * * * *", at);
    const deadline = Date.now() + 30_000;
    const stamp = (rows: Row[], m: string) => rows.find((r) => r.month === m && r.kpi === "revenue_won")!.computed_at;
    for (;;) {
      const after = await values();
      if (["2026-04", "2026-05", "2026-06"].every((m) => stamp(after, m) > stamp(before, m))) {
        expect(stamp(after, "2026-03")).toBe(stamp(before, "2026-03"));
        break;
      }
      if (Date.now() > deadline) throw new Error("trailing months were not recomputed");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });
});

// A month's recompute is all or nothing: the statements write into a staging run, one
// small batch swaps it in, and a run that fails half-way, or holds a KPI id the catalog
// lacks, leaves the previous values.
import type { D1Database } from "@cloudflare/workers-types";
import { beforeAll, describe, expect, it } from "vitest";
import { HOUR_MS, MINUTE_MS } from "../../shared/units";
import { computeMonth, computeMonthWith, ENGINE_STATEMENTS, insertValues } from "../../workers/kpi/engine";
import { findWorkspaceById } from "../../workers/db/workspaces";
import { call, createNativeConnection, createWorkspace, event, postNative, waitForInbox, workspaceDbOf } from "./helpers";

/** The database holding the workspace under test (the directory places it). */
let db: D1Database;

let workspaceId: string;

const values = async () =>
  (
    await db.prepare("SELECT kpi, dimension, key, value FROM kpi_values WHERE workspace_id = ?1 AND month = '2026-03' ORDER BY kpi, dimension, key")
      .bind(workspaceId)
      .all()
  ).results;

const revenue = async () =>
  (await db.prepare("SELECT value FROM kpi_values WHERE workspace_id = ?1 AND month = '2026-03' AND kpi = 'revenue_won' AND dimension = 'all'")
    .bind(workspaceId)
    .first<{ value: number }>())!.value;

beforeAll(async () => {
  await createWorkspace("staging", { timezone: "UTC" });
  db = await workspaceDbOf("staging");
  const connection = await createNativeConnection("staging");
  workspaceId = (await db.prepare("SELECT id FROM workspaces WHERE slug = 'staging'").first<{ id: string }>())!.id;
  const events = [
    event("e1", "deal.upserted", "2026-03-02T00:00:00Z", { deal_id: "D-1", amount: 100, status: "open", owner_rep_id: "R-1" }),
    event("e2", "deal.upserted", "2026-03-20T00:00:00Z", { deal_id: "D-1", status: "won" }),
  ];
  expect((await postNative(connection, JSON.stringify({ events }))).status).toBe(202);
  await waitForInbox();
  expect((await call("POST", "/api/v1/workspaces/staging/recompute", { from: "2026-03", to: "2026-03" })).status).toBe(200);
});

describe("a month's recompute", () => {
  it("reports each statement's time by name and leaves no staging rows", async () => {
    const settings = (await findWorkspaceById(db, workspaceId))!;
    const timings = await computeMonth(db, settings, "2026-03");
    expect(timings.statements.map((s) => s.name)).toEqual([...ENGINE_STATEMENTS.map((s) => s.name), "swap"]);
    expect(timings.statements.every((s) => s.ms >= 0)).toBe(true);
    const staged = await db.prepare("SELECT COUNT(*) AS n FROM kpi_values_staging").first<{ n: number }>();
    expect(staged!.n).toBe(0);
    // D-1 won in March for 100.
    expect(await revenue()).toBe(100);
  });

  it("keeps the previous values when a statement fails half-way, and discards its run", async () => {
    const before = await values();
    // A later change moves March; then writing NPS fails (this company has no survey: its
    // null overall value is written by defaults.overall, the second-last statement of the run).
    await db.prepare("UPDATE deals SET amount = 250 WHERE workspace_id = ?1 AND deal_id = 'D-1'").bind(workspaceId).run();
    await db.exec(
      "CREATE TRIGGER nps_down BEFORE INSERT ON kpi_values_staging WHEN NEW.kpi = 'nps' BEGIN SELECT RAISE(ABORT, 'nps down'); END;",
    );
    const settings = (await findWorkspaceById(db, workspaceId))!;
    await expect(computeMonth(db, settings, "2026-03")).rejects.toThrow(/KPI statement defaults\.overall failed/);
    await db.exec("DROP TRIGGER nps_down");
    // Readers still see the complete previous month (revenue 100, not 250), and nothing is staged.
    expect(await values()).toEqual(before);
    expect(await revenue()).toBe(100);
    const staged = await db.prepare("SELECT COUNT(*) AS n FROM kpi_values_staging").first<{ n: number }>();
    expect(staged!.n).toBe(0);
    // The next run swaps in the new month whole.
    await computeMonth(db, settings, "2026-03");
    expect(await revenue()).toBe(250);
  });

  it("refuses a run holding a KPI id the catalog lacks, and keeps the previous values", async () => {
    const before = await values();
    const settings = (await findWorkspaceById(db, workspaceId))!;
    const unknown = {
      name: "test.unknown_kpi",
      sql: insertValues(
        "SELECT 'no_such_kpi' AS kpi, 'all' AS dimension, 'all' AS key, 1 AS value, NULL AS numerator, NULL AS denominator",
      ),
    };
    await expect(computeMonthWith(db, settings, "2026-03", [...ENGINE_STATEMENTS, unknown])).rejects.toThrow(
      /KPI ids the catalog lacks .*: no_such_kpi$/,
    );
    expect(await values()).toEqual(before);
    const staged = await db.prepare("SELECT COUNT(*) AS n FROM kpi_values_staging").first<{ n: number }>();
    expect(staged!.n).toBe(0);
  });

  it("clears runs abandoned more than an hour ago before it starts", async () => {
    const settings = (await findWorkspaceById(db, workspaceId))!;
    const now = Date.now();
    await db.prepare(
      `INSERT INTO kpi_values_staging (run, workspace_id, month, kpi, dimension, key, value, computed_at, catalog_version)
       VALUES ('abandoned', ?1, '2026-03', 'deals_won', 'all', 'all', 7, ?2, '1'), ('recent', ?1, '2026-03', 'deals_won', 'all', 'all', 7, ?3, '1')`,
    )
      .bind(workspaceId, now - 2 * HOUR_MS, now - MINUTE_MS)
      .run();
    await computeMonth(db, settings, "2026-03", { now });
    const { results } = await db.prepare("SELECT run FROM kpi_values_staging").all<{ run: string }>();
    // A run still in progress (a minute old) may belong to a concurrent recompute: it stays.
    expect(results.map((r) => r.run)).toEqual(["recent"]);
  });
});

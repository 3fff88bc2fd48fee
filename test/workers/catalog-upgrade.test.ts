// A catalog upgrade: months computed with an older catalog version are all recomputed on
// the first cron after it (workers/kpi/catalog-upgrade.ts), through the real cron handler
// and the real recompute queue; a workspace created on the current catalog is left alone.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { CATALOG_VERSION } from "../../shared/catalog";
import worker from "../../workers/index";
import { EVERY_FIVE_MINUTES } from "../../workers/cron/scheduled";
import { call, createNativeConnection, createWorkspace, event, postNative, waitForInbox } from "./helpers";

type Row = { month: string; kpi: string; dimension: string; key: string; value: number | null; catalog_version: string };

const SECTION_F = [
  "customer_health", "accounts_at_risk", "contacts_per_account", "handoffs", "selling_time_share", "acv",
  "lost_revenue", "competitive_loss_rate", "customer_acquisition_cost", "ltv_to_cac", "avg_lead_score",
];

let workspaceId: string;

async function idOf(slug: string): Promise<string> {
  return (await env.DB.prepare("SELECT id FROM workspaces WHERE slug = ?1").bind(slug).first<{ id: string }>())!.id;
}

async function rows(months: string[]): Promise<Row[]> {
  const { results } = await env.DB.prepare(
    `SELECT month, kpi, dimension, key, value, catalog_version FROM kpi_values
     WHERE workspace_id = ?1 AND month IN (SELECT value FROM json_each(?2))`,
  )
    .bind(workspaceId, JSON.stringify(months))
    .all<Row>();
  return results;
}

async function runCron(at = Date.now()) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: new Date(at), cron: EVERY_FIVE_MINUTES }), env, ctx);
  await waitOnExecutionContext(ctx);
}

beforeAll(async () => {
  await createWorkspace("upgrade", { timezone: "UTC" });
  workspaceId = await idOf("upgrade");
  const connection = await createNativeConnection("upgrade");
  const events = [
    event("d1-open", "deal.upserted", "2026-01-05T10:00:00Z", { deal_id: "D-1", owner_rep_id: "R-1", amount: 1000, status: "open" }),
    event("d1-lost", "deal.upserted", "2026-02-10T10:00:00Z", { deal_id: "D-1", status: "lost", lost_reason: "Price", competitor: "Rivalsoft" }),
    event("d2-open", "deal.upserted", "2026-01-06T10:00:00Z", { deal_id: "D-2", owner_rep_id: "R-1", amount: 3000, status: "open" }),
    event("d2-won", "deal.upserted", "2026-02-12T10:00:00Z", { deal_id: "D-2", status: "won" }),
  ];
  expect((await postNative(connection, JSON.stringify({ events }))).status).toBe(202);
  await waitForInbox();
  expect((await call("POST", "/api/v1/workspaces/upgrade/recompute", { from: "2026-01", to: "2026-02" })).status).toBe(200);
  await env.DB.prepare("DELETE FROM dirty_months WHERE workspace_id = ?1").bind(workspaceId).run();
});

describe("a catalog upgrade", () => {
  it("stamps a new workspace with the current catalog version", async () => {
    const row = await env.DB.prepare("SELECT catalog_version FROM workspaces WHERE id = ?1").bind(workspaceId).first();
    expect(row).toEqual({ catalog_version: CATALOG_VERSION });
  });

  it("recomputes every stored month of a workspace computed with catalog version 1 on the next cron", async () => {
    // The state a catalog-1 deployment leaves after migration 0007: the workspace has no
    // version, its rows carry "1" and hold none of section F's KPIs.
    await env.DB.batch([
      env.DB.prepare("UPDATE workspaces SET catalog_version = NULL WHERE id = ?1").bind(workspaceId),
      env.DB.prepare("UPDATE kpi_values SET catalog_version = '1' WHERE workspace_id = ?1").bind(workspaceId),
      env.DB.prepare("DELETE FROM kpi_values WHERE workspace_id = ?1 AND kpi IN (SELECT value FROM json_each(?2))")
        .bind(workspaceId, JSON.stringify(SECTION_F)),
    ]);
    expect((await rows(["2026-02"])).some((r) => r.kpi === "lost_revenue")).toBe(false);

    await runCron();
    // The workspace is stamped at once; the recompute jobs run on the real queue.
    expect(await env.DB.prepare("SELECT catalog_version FROM workspaces WHERE id = ?1").bind(workspaceId).first())
      .toEqual({ catalog_version: CATALOG_VERSION });
    const deadline = Date.now() + 60_000;
    while ((await rows(["2026-01", "2026-02"])).some((r) => r.catalog_version !== CATALOG_VERSION)) {
      if (Date.now() > deadline) throw new Error("the catalog upgrade's recompute jobs did not run");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const february = await rows(["2026-02"]);
    const value = (kpi: string, dimension = "all", key = "all") =>
      february.find((r) => r.kpi === kpi && r.dimension === dimension && r.key === key)?.value;
    // February: D-1 (1,000, "Price", to Rivalsoft) lost, D-2 (3,000) won, both in the base currency.
    expect(value("lost_revenue")).toBe(1000);
    expect(value("deals_lost", "reason", "price")).toBe(1);
    // One loss, to a named competitor: 1 / 1.
    expect(value("competitive_loss_rate")).toBe(1);
    // Unchanged catalog-1 values come back as they were: win rate 1 won of 2 closed.
    expect(value("win_rate")).toBe(0.5);
  });

  it("leaves a workspace on the current catalog alone", async () => {
    await runCron();
    const { results } = await env.DB.prepare("SELECT month FROM dirty_months WHERE workspace_id = ?1").bind(workspaceId).all();
    expect(results).toEqual([]);
  });
});

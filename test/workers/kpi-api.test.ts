// The KPI endpoints: catalog, settings (quotas, FX rates, spend), metrics series, errors.
import type { D1Database } from "@cloudflare/workers-types";
import { beforeAll, describe, expect, it } from "vitest";
import Papa from "papaparse";
import { KPIS } from "../../shared/catalog";
import { toCsv } from "../../workers/api/csv";
import { call, createNativeConnection, createWorkspace, event, postNative, waitForInbox, workspaceDbOf } from "./helpers";

/** The database holding the workspace under test (the directory places it). */
let db: D1Database;

let workspaceId: string;

beforeAll(async () => {
  await createWorkspace("series");
  db = await workspaceDbOf("series");
  workspaceId = (await db.prepare("SELECT id FROM workspaces WHERE slug = 'series'").first<{ id: string }>())!.id;
  const connection = await createNativeConnection("series");
  const won = (id: string, owner: string, at: string, amount: number) =>
    event(id, "deal.upserted", at, { deal_id: id, owner_rep_id: owner, amount, status: "won" });
  const events = [
    won("D-1", "R-1", "2026-02-10T10:00:00Z", 1000),
    won("D-2", "R-1", "2026-03-10T10:00:00Z", 600),
    won("D-3", "R-2", "2026-03-12T10:00:00Z", 900),
  ];
  expect((await postNative(connection, JSON.stringify({ events }))).status).toBe(202);
  await waitForInbox();
  expect((await call("POST", "/api/v1/workspaces/series/recompute", { from: "2026-02", to: "2026-03" })).status).toBe(200);
});

describe("GET /api/v1/kpis", () => {
  it("lists the catalog with units, directions, dimensions and formulas", async () => {
    const response = await call("GET", "/api/v1/kpis");
    expect(response.status).toBe(200);
    const catalog = (await response.json()) as { catalog_version: string; kpis: { id: string }[] };
    expect(catalog.catalog_version).toBe("3");
    expect(catalog.kpis).toHaveLength(KPIS.length);
    expect(catalog.kpis.find((k) => k.id === "win_rate")).toEqual({
      id: "win_rate",
      name: "Win rate",
      family: "revenue",
      unit: "ratio",
      direction: "up",
      dimensions: ["all", "rep", "team", "region", "source", "segment"],
      formula: "deals won ÷ (deals won + deals lost)",
      basis: expect.stringContaining("Closed-in-period"),
    });
    expect((await call("GET", "/api/v1/kpis", undefined, null)).status).toBe(401);
  });
});

describe("GET /api/v1/workspaces/:ws/metrics/:kpi", () => {
  it("returns the series by a dimension with a summary of the overall value", async () => {
    const response = await call("GET", "/api/v1/workspaces/series/metrics/revenue_won?from=2026-02&to=2026-03&by=rep");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      kpi: "revenue_won",
      unit: "money",
      dimension: "rep",
      from: "2026-02",
      to: "2026-03",
      entries: [
        { month: "2026-02", dimension: "rep", key: "R-1", value: 1000 },
        { month: "2026-03", dimension: "rep", key: "R-1", value: 600 },
        { month: "2026-03", dimension: "rep", key: "R-2", value: 900 },
      ],
      // March 600 + 900 = 1500 against February's 1000.
      summary: { current: 1500, previous: 1000, change: 500 },
    });
  });

  it("carries numerator and denominator for ratios and defaults to the last 12 computed months", async () => {
    const response = await call("GET", "/api/v1/workspaces/series/metrics/win_rate");
    const body = (await response.json()) as { from: string; to: string; entries: unknown[] };
    expect(body.from).toBe("2025-04");
    expect(body.to).toBe("2026-03");
    expect(body.entries).toEqual([
      { month: "2026-02", dimension: "all", key: "all", value: 1, numerator: 1, denominator: 1 },
      { month: "2026-03", dimension: "all", key: "all", value: 1, numerator: 2, denominator: 2 },
    ]);
  });

  it("answers 404 for an unknown KPI and 400 for a dimension the KPI does not have", async () => {
    expect((await call("GET", "/api/v1/workspaces/series/metrics/happiness")).status).toBe(404);
    const wrong = await call("GET", "/api/v1/workspaces/series/metrics/win_loss_ratio?by=region");
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { errors: unknown[] }).errors).toEqual([
      { field: "by", message: "win_loss_ratio is broken down by all, rep, team" },
    ]);
    expect((await call("GET", "/api/v1/workspaces/series/months/2030-01")).status).toBe(404);
  });
});

describe("catalog version 2 through the API and CSV", () => {
  beforeAll(async () => {
    await createWorkspace("losses", { timezone: "UTC" });
    const connection = await createNativeConnection("losses");
    const deal = (id: string, at: string, data: Record<string, unknown>) =>
      event(id, "deal.upserted", at, { deal_id: id, owner_rep_id: "R-1", ...data });
    const events = [
      deal("L-1", "2026-03-02T10:00:00Z", { amount: 1000, status: "lost", lost_reason: "Price", competitor: "Rivalsoft" }),
      deal("L-2", "2026-03-03T10:00:00Z", { amount: 500, status: "lost", lost_reason: "  price " }),
      deal("L-3", "2026-03-04T10:00:00Z", { amount: 200, status: "lost" }),
      deal("W-1", "2026-03-05T10:00:00Z", { amount: 1200, status: "won", term_months: 6 }),
      deal("W-2", "2026-03-06T10:00:00Z", { amount: 3000, status: "won" }),
    ];
    expect((await postNative(connection, JSON.stringify({ events }))).status).toBe(202);
    await waitForInbox();
    expect((await call("POST", "/api/v1/workspaces/losses/recompute", { from: "2026-03", to: "2026-03" })).status).toBe(200);
  });

  it("serves a section-F dimension as a series: losses by reason", async () => {
    const response = await call("GET", "/api/v1/workspaces/losses/metrics/lost_revenue?from=2026-03&to=2026-03&by=reason");
    expect(response.status).toBe(200);
    // "Price" and "  price " are one reason (lower-cased, trimmed): 1,000 + 500; L-3 has none.
    expect(((await response.json()) as { entries: unknown[] }).entries).toEqual([
      { month: "2026-03", dimension: "reason", key: "price", value: 1500 },
      { month: "2026-03", dimension: "reason", key: "unknown", value: 200 },
    ]);
  });

  it("puts section F's values, with numerators and denominators, in the month's CSV", async () => {
    const response = await call("GET", "/api/v1/workspaces/losses/months/2026-03?format=csv");
    expect(response.status).toBe(200);
    const rows = Papa.parse<Record<string, string>>((await response.text()).trim(), { header: true }).data;
    const row = (kpi: string, dimension = "all", key = "all") =>
      rows.find((r) => r.kpi === kpi && r.dimension === dimension && r.key === key);
    expect(row("deals_lost", "reason", "price")).toMatchObject({ unit: "count", value: "2" });
    // One of three losses went to a named competitor.
    expect(row("competitive_loss_rate")).toMatchObject({ unit: "ratio", numerator: "1", denominator: "3" });
    // ACV: W-1 1,200 over 6 months → 2,400 a year; W-2 has no term (12) → 3,000; mean 2,700.
    expect(row("acv")).toMatchObject({ unit: "money", value: "2700", numerator: "5400", denominator: "2" });
    // LTV : CAC is a multiple; no spend and no customers here, so no value.
    expect(row("ltv_to_cac")).toMatchObject({ unit: "multiple", value: "" });
  });
});

describe("settings", () => {
  const quotas = async () =>
    (await db.prepare("SELECT rep_id, month, amount FROM quotas WHERE workspace_id = ?1 ORDER BY month, rep_id").bind(workspaceId).all()).results;

  it("replaces the quotas of each month in the body and marks those months dirty", async () => {
    await db.prepare("DELETE FROM dirty_months").run();
    await call("PUT", "/api/v1/workspaces/series/quotas", [
      { rep_id: "R-1", month: "2026-02", amount: 500 },
      { rep_id: "R-1", month: "2026-03", amount: 1000 },
      { rep_id: "R-2", month: "2026-03", amount: 1000 },
    ]);
    const response = await call("PUT", "/api/v1/workspaces/series/quotas", [{ rep_id: "R-2", month: "2026-03", amount: 1200 }]);
    expect(await response.json()).toEqual({ rows: 1, months: ["2026-03"] });
    expect(await quotas()).toEqual([
      { rep_id: "R-1", month: "2026-02", amount: 500 },
      { rep_id: "R-2", month: "2026-03", amount: 1200 },
    ]);
    const { results } = await db.prepare("SELECT month FROM dirty_months ORDER BY month").all();
    expect(results.map((r) => r.month)).toEqual(["2026-02", "2026-03"]);
  });

  it("rejects invalid rows with the field and the reason, and keeps what was stored", async () => {
    const response = await call("PUT", "/api/v1/workspaces/series/fx-rates", [
      { currency: "EUR", month: "2026-3", rate: 1.1 },
      { currency: "eur", month: "2026-03", rate: -1 },
    ]);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: unknown[] }).errors).toEqual([
      { field: "0.month", message: "a month as YYYY-MM" },
      { field: "1.currency", message: "an ISO 4217 code in capitals" },
      { field: "1.rate", message: "Too small: expected number to be >0" },
    ]);
    expect((await call("PUT", "/api/v1/workspaces/series/spend", [{ source: "ads", month: "2026-03", amount: 10 }], null)).status).toBe(401);
    expect(await quotas()).toHaveLength(2);
  });

  it("marks the first month of data dirty when the pipeline stages change", async () => {
    await db.prepare("DELETE FROM dirty_months").run();
    expect((await call("PATCH", "/api/v1/workspaces/series", { pipeline_stages: ["a", "b"] })).status).toBe(200);
    const { results } = await db.prepare("SELECT month FROM dirty_months").all();
    expect(results.map((r) => r.month)).toEqual(["2026-02"]);
  });
});

describe("CSV formula neutralisation", () => {
  // Cells a spreadsheet would run: the first line decides, leading whitespace is skipped.
  const DANGEROUS = ["=1+1\r\nA", "=1+1\nA", "+1\r\n2", "-2+3\nx", "@SUM(A1)\r\nB", "\t=1", "\r=1", " =1+1", "  @x\ny", "\n=1+1"];
  const HARMLESS = ["R-1", "plain\r\n=not first line", "a = b"];

  it("prefixes a ' to every cell whose first line starts with a formula character", () => {
    const csv = toCsv(["key", "value"], [...DANGEROUS, ...HARMLESS].map((cell) => [cell, -0.5]));
    const parsed = Papa.parse<string[]>(csv, { newline: "\r\n" }).data.slice(1).filter((row) => row.length === 2);
    expect(parsed.map((row) => row[0])).toEqual([...DANGEROUS.map((cell) => `'${cell}`), ...HARMLESS]);
    // Numbers stay numbers, negative ones included.
    expect(parsed.map((row) => row[1])).toEqual(Array(DANGEROUS.length + HARMLESS.length).fill("-0.5"));
    // The multi-line cell of the issue is written quoted, with the ' inside the quotes.
    expect(csv).toContain(`"'=1+1\r\nA"`);
  });

  it("neutralises a multi-line rep id in a metrics CSV", async () => {
    await createWorkspace("csv-formula");
    const connection = await createNativeConnection("csv-formula");
    const events = [event("D-F1", "deal.upserted", "2026-03-10T10:00:00Z", { deal_id: "D-F1", owner_rep_id: "=1+1\r\nA", amount: 100, status: "won" })];
    expect((await postNative(connection, JSON.stringify({ events }))).status).toBe(202);
    await waitForInbox();
    expect((await call("POST", "/api/v1/workspaces/csv-formula/recompute", { from: "2026-03", to: "2026-03" })).status).toBe(200);
    const response = await call("GET", "/api/v1/workspaces/csv-formula/metrics/revenue_won?from=2026-03&to=2026-03&by=rep&format=csv");
    const csv = await response.text();
    expect(csv).toContain(`"'=1+1\r\nA"`);
    expect(csv).not.toMatch(/(^|,)"?=1\+1/m);
  });
});

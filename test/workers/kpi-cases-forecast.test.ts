// The forecast (docs/kpis.md, rule 39) on a hand-made company: stage win rates from the
// 12 month starts before March 2026, open deals placed by their expected close, the run
// rate, coverage against quota, accuracy once March has closed, and a stored forecast that
// a recompute after late events leaves as it was. Through the real webhook, queue and
// engine; every number below is derived by hand in the comment beside it.
import type { D1Database } from "@cloudflare/workers-types";
import { beforeAll, describe, expect, it } from "vitest";
import { Report } from "../../shared/report";
import { computeMonth } from "../../workers/kpi/engine";
import { findWorkspaceById } from "../../workers/db/workspaces";
import type { ForecastRow } from "../../workers/reports/inputs";
import { call, createNativeConnection, event, postNative, waitForInbox, workspaceDbOf } from "./helpers";
import { company, type Doc, month, record, value } from "./kpi-case-kit";

const deal = (id: string, at: string, data: Record<string, unknown>) => event(`${id}@${at}`, "deal.upserted", at, { deal_id: id, ...data });

/**
 * History (open at the month starts 2026-01-01 and 2026-02-01, all closed before March):
 * - H1…H12 in stage "proposal", created 2025-12-15: H1–H3 won (1,000 each, R-1), H4–H12 lost.
 *   12 deals ≥ 10: P(won | proposal) = 3 / 12 = 0.25.
 * - D1, D2 in stage "demo", created 2026-01-10: D1 won (600, R-2), D2 lost. 2 deals < 10.
 * - J1 without a stage, created 2025-12-01, won 2026-01-15 (1,200, R-1).
 * The workspace's rate: 15 deals (H1–H12, D1, D2, J1), 5 won (H1–H3, D1, J1): 5 / 15 = 1/3,
 * used for "demo" and for a stage without history ("negotiation").
 */
const history = [
  ...Array.from({ length: 12 }, (_, i) => {
    const id = `H${i + 1}`;
    const won = i < 3;
    return [
      deal(id, "2025-12-15T10:00:00Z", { owner_rep_id: "R-1", stage: "proposal", status: "open", amount: 1000 }),
      deal(id, `2026-02-${String(10 + (i % 3)).padStart(2, "0")}T10:00:00Z`, { status: won ? "won" : "lost" }),
    ];
  }).flat(),
  deal("D1", "2026-01-10T10:00:00Z", { owner_rep_id: "R-2", stage: "demo", status: "open", amount: 600 }),
  deal("D1", "2026-02-20T10:00:00Z", { status: "won" }),
  deal("D2", "2026-01-10T11:00:00Z", { owner_rep_id: "R-2", stage: "demo", status: "open", amount: 900 }),
  deal("D2", "2026-02-21T10:00:00Z", { status: "lost" }),
  deal("J1", "2025-12-01T10:00:00Z", { owner_rep_id: "R-1", status: "open", amount: 1200 }),
  deal("J1", "2026-01-15T10:00:00Z", { status: "won" }),
];

/**
 * Open at 2026-03-01 (created 2026-02-05, after the last history start), as placed then:
 * - F1 R-1 proposal 10,000, expected 2026-03-20 → March, 10,000 × 0.25 = 2,500; won 2026-03-18.
 * - F2 R-1 demo 3,000, no expected close → March, 3,000 × 1/3 = 1,000.
 * - F3 R-2 proposal 4,000, expected 2026-02-25 (already past) → March, 1,000; won 2026-03-10.
 * - F4 R-2 demo 6,000, expected 2026-04-10 → April, 2,000.
 * - F5 R-1 proposal 8,000, expected 2026-05-15 → May, 2,000.
 * - F6 R-2 proposal 2,000, expected 2026-07-01 → after May: in none of the three months.
 * - F7 R-1 negotiation 1,200, expected 2026-03-31 → March, 1,200 × 1/3 = 400.
 */
const pipeline = [
  deal("F1", "2026-02-05T10:00:00Z", { owner_rep_id: "R-1", stage: "proposal", status: "open", amount: 10000, expected_close_at: "2026-03-20T00:00:00Z" }),
  deal("F1", "2026-03-18T10:00:00Z", { status: "won" }),
  deal("F2", "2026-02-05T11:00:00Z", { owner_rep_id: "R-1", stage: "demo", status: "open", amount: 3000 }),
  deal("F3", "2026-02-05T12:00:00Z", { owner_rep_id: "R-2", stage: "proposal", status: "open", amount: 4000, expected_close_at: "2026-02-25T00:00:00Z" }),
  deal("F3", "2026-03-10T10:00:00Z", { status: "won" }),
  deal("F4", "2026-02-05T13:00:00Z", { owner_rep_id: "R-2", stage: "demo", status: "open", amount: 6000, expected_close_at: "2026-04-10T00:00:00Z" }),
  deal("F5", "2026-02-05T14:00:00Z", { owner_rep_id: "R-1", stage: "proposal", status: "open", amount: 8000, expected_close_at: "2026-05-15T00:00:00Z" }),
  deal("F6", "2026-02-05T15:00:00Z", { owner_rep_id: "R-2", stage: "proposal", status: "open", amount: 2000, expected_close_at: "2026-07-01T00:00:00Z" }),
  deal("F7", "2026-02-05T16:00:00Z", { owner_rep_id: "R-1", stage: "negotiation", status: "open", amount: 1200, expected_close_at: "2026-03-31T00:00:00Z" }),
];

let db: D1Database;
let march: Doc;

/** A stored forecast row as the report reads it (inputs.ts), with its breakdown. */
interface StoredForecast extends ForecastRow {
  dimension: string;
  key: string;
}

const storedForecast = (made: string) =>
  db
    .prepare("SELECT target_month, dimension, key, deals, pipeline, weighted, trailing_revenue, quota, made_at FROM forecasts f JOIN workspaces w ON w.id = f.workspace_id WHERE w.slug = 'forecast' AND f.month = ?1 ORDER BY target_month, dimension, key")
    .bind(made)
    .all<StoredForecast>()
    .then((r) => r.results);

beforeAll(async () => {
  await company(
    "forecast",
    [
      event("r1", "rep.upserted", "2025-12-01T00:00:00Z", { rep_id: "R-1", team: "north" }),
      event("r2", "rep.upserted", "2025-12-01T00:00:00Z", { rep_id: "R-2", team: "south" }),
      ...history,
      ...pipeline,
    ],
    {
      quotas: [
        { rep_id: "R-1", month: "2026-03", amount: 10000 },
        { rep_id: "R-2", month: "2026-03", amount: 4000 },
        { rep_id: "R-2", month: "2026-04", amount: 3000 },
      ],
    },
  );
  db = await workspaceDbOf("forecast");
  march = await month("forecast", "2026-03");
});

describe("the forecast made at the start of March 2026", () => {
  it("weights each open deal by its stage's win rate, the workspace's when a stage has fewer than 10 deals", () => {
    // March: F1 2,500 (proposal 0.25) + F2 1,000 (demo: 2 deals, the workspace's 1/3)
    // + F3 1,000 + F7 400 (negotiation: no history, 1/3) = 4,900.
    expect(value(march, "forecast_weighted")).toBeCloseTo(4900, 6);
    // R-1 (north): F1 + F2 + F7 = 3,900; R-2 (south): F3 = 1,000.
    expect(value(march, "forecast_weighted", "rep", "R-1")).toBeCloseTo(3900, 6);
    expect(value(march, "forecast_weighted", "team", "south")).toBeCloseTo(1000, 6);
  });

  it("places deals by their expected close at the start of the month: none or past in the month itself", async () => {
    const stored = await storedForecast("2026-03");
    const overall = (target: string) => stored.find((r) => r.target_month === target && r.dimension === "all")!;
    // March: F1, F2 (no date), F3 (past date), F7 = 4 deals, 10,000 + 3,000 + 4,000 + 1,200 = 18,200.
    expect(overall("2026-03")).toMatchObject({ deals: 4, pipeline: 18200 });
    // April: F4 (6,000 × 1/3 = 2,000); May: F5 (8,000 × 0.25 = 2,000); F6 (July) in none.
    expect(overall("2026-04")).toMatchObject({ deals: 1, pipeline: 6000 });
    expect(overall("2026-04").weighted).toBeCloseTo(2000, 6);
    expect(overall("2026-05")).toMatchObject({ deals: 1, pipeline: 8000, weighted: 2000 });
    expect(stored.map((r) => r.target_month).filter((m, i, all) => all.indexOf(m) === i)).toEqual(["2026-03", "2026-04", "2026-05"]);
  });

  it("has the run rate of the three months before", () => {
    // revenue_won: December 0, January 1,200 (J1), February 3 × 1,000 + 600 = 3,600: (0 + 1,200 + 3,600) / 3 = 1,600.
    expect(record(march, "forecast_run_rate")).toMatchObject({ value: 1600, numerator: 4800, denominator: 3 });
    // 1,200 + 3,000 = 4,200 / 3 = 1,400; R-2: 600 / 3 = 200.
    expect(value(march, "forecast_run_rate", "rep", "R-1")).toBe(1400);
    expect(value(march, "forecast_run_rate", "team", "south")).toBe(200);
  });

  it("sets the pipeline placed in the month against its quota", async () => {
    // 18,200 / (10,000 + 4,000) = 1.3; R-1: 14,200 / 10,000 = 1.42; R-2: 4,000 / 4,000 = 1.
    expect(record(march, "pipeline_coverage")).toMatchObject({ value: 1.3, numerator: 18200, denominator: 14000 });
    expect(value(march, "pipeline_coverage", "rep", "R-1")).toBeCloseTo(1.42, 9);
    expect(value(march, "pipeline_coverage", "team", "south")).toBe(1);
    // April, as forecast in March: 6,000 / R-2's 3,000 = 2; R-1 has no April quota and no key.
    const april = (await storedForecast("2026-03")).filter((r) => r.target_month === "2026-04");
    expect(april.find((r) => r.dimension === "all")).toMatchObject({ pipeline: 6000, quota: 3000 });
    expect(april.find((r) => r.dimension === "rep" && r.key === "R-1")?.quota ?? null).toBeNull();
  });

  it("scores the forecast once the month has closed", () => {
    // Won in March: F1 10,000 (R-1) + F3 4,000 (R-2) = 14,000.
    expect(value(march, "revenue_won")).toBe(14000);
    // 1 − |4,900 − 14,000| / 14,000 = 1 − 9,100 / 14,000 = 0.35.
    expect(value(march, "forecast_accuracy")).toBeCloseTo(0.35, 9);
    // 1 − |3,900 − 10,000| / 10,000 = 0.39; R-2: 1 − |1,000 − 4,000| / 4,000 = 0.25.
    expect(value(march, "forecast_accuracy", "rep", "R-1")).toBeCloseTo(0.39, 9);
    expect(value(march, "forecast_accuracy", "team", "south")).toBeCloseTo(0.25, 9);
  });

  it("keeps the stored forecast when late events change the history it was made from", async () => {
    const before = await storedForecast("2026-03");
    // Arriving now: F2's amount was 30,000 since February 20, and F8 (5,000, proposal,
    // expected in March) was open since February 6. Made afresh, March would weigh
    // 30,000 / 3 + 5,000 × 0.25 more; the stored forecast must not move.
    const connection = await createNativeConnection("forecast");
    const late = [
      deal("F2", "2026-02-20T10:00:00Z", { amount: 30000 }),
      deal("F8", "2026-02-06T10:00:00Z", { owner_rep_id: "R-2", stage: "proposal", status: "open", amount: 5000, expected_close_at: "2026-03-15T00:00:00Z" }),
    ];
    expect((await postNative(connection, JSON.stringify({ events: late }))).status).toBe(202);
    await waitForInbox();
    expect((await call("POST", "/api/v1/workspaces/forecast/recompute", { from: "2026-02", to: "2026-03" })).status).toBe(200);
    const recomputed = await month("forecast", "2026-03");
    // The late events did land: February's open pipeline gained 27,000 + 5,000.
    const february = await month("forecast", "2026-02");
    expect(value(february, "open_pipeline_value")).toBe(18200 + 6000 + 8000 + 2000 + 27000 + 5000);
    expect(await storedForecast("2026-03")).toEqual(before);
    expect(value(recomputed, "forecast_weighted")).toBeCloseTo(4900, 6);
    expect(value(recomputed, "forecast_accuracy")).toBeCloseTo(0.35, 9);
  });
});

describe("the report's next three months", () => {
  const published = async (m: string) => {
    expect((await call("POST", `/api/v1/workspaces/forecast/reports/${m}/publish`)).status).toBe(201);
    return Report.parse(await (await call("GET", `/api/v1/workspaces/forecast/reports/${m}`)).json());
  };

  it("shows the forecast stored at the start of the next month, and the accuracy of the months before", async () => {
    const { forecast } = await published("2026-03");
    expect(forecast?.made_at_start_of).toBe("2026-04");
    // Made at 2026-04-01 (before the late events above). Proposal now has 16 deals at the 12
    // month starts (H1–H12, and F1, F3, F5, F6 at March 1), 5 won (H1–H3, F1, F3): 5/16.
    // The workspace: 22 deals (15 + F1–F7), 7 won: 7/22, for demo (4 deals) and negotiation.
    // April: F2 (no date) 3,000 + F4 (April 10) 6,000 + F7 (March 31, past) 1,200 = 10,200, × 7/22.
    const [april, may, june] = forecast!.months;
    expect(april).toMatchObject({ month: "2026-04", deals: 3, pipeline: 10200, quota: 3000, coverage: 3.4 });
    expect(april!.weighted).toBeCloseTo((10200 * 7) / 22, 6);
    // Run rate: January 1,200 + February 3,600 + March 14,000 = 18,800 / 3.
    expect(april!.run_rate).toBeCloseTo(18800 / 3, 6);
    // May: F5 8,000 × 5/16 = 2,500, no quota; June: nothing placed (F6 is in July).
    expect(may).toMatchObject({ month: "2026-05", deals: 1, pipeline: 8000, weighted: 2500, quota: null, coverage: null });
    expect(june).toMatchObject({ month: "2026-06", deals: 0, pipeline: 0, weighted: 0 });
    // Accuracy, 12 months to March: none before January (not computed).
    // January: made at January 1 with no deal at the 12 starts before (J1 and H1–H12 are
    // younger than December 1): no rate, forecast 0, revenue 1,200: 1 − 1,200 / 1,200 = 0.
    // February: rates from January 1 — proposal 0/12, the workspace 1/13 (J1 won): H1–H12
    // weigh 0, D1 + D2 (demo, no history) (600 + 900) / 13; revenue 3,600. March: 0.35 (above).
    const accuracy = forecast!.accuracy;
    expect(accuracy.map((p) => p.month)).toEqual(Array.from({ length: 12 }, (_, i) => `${i < 9 ? 2025 : 2026}-${String(((i + 3) % 12) + 1).padStart(2, "0")}`));
    expect(accuracy.slice(0, 9).every((p) => p.value === null)).toBe(true);
    expect(accuracy[9]!.value).toBe(0);
    expect(accuracy[10]!.value).toBeCloseTo(1 - Math.abs(1500 / 13 - 3600) / 3600, 9);
    expect(accuracy[11]!.value).toBeCloseTo(0.35, 9);
  });

  it("makes the next month's forecast at publication when that month has not been computed", async () => {
    expect(await storedForecast("2026-05")).toEqual([]);
    const { forecast } = await published("2026-04");
    // Made now from the state at 2026-05-01, late events included: F2 (30,000, no date),
    // F4, F7 and F8 (dates past) and F5 (May 15) in May: 30,000 + 6,000 + 1,200 + 5,000 + 8,000.
    expect(forecast?.months.map((m) => [m.month, m.deals, m.pipeline])).toEqual([
      ["2026-05", 5, 50200], ["2026-06", 0, 0], ["2026-07", 1, 2000],
    ]);
    // Stored once, as the engine stores it: the report shows what May's KPIs will read.
    const stored = await storedForecast("2026-05");
    expect(stored.filter((r) => r.dimension === "all").map((r) => [r.target_month, r.weighted])).toEqual(
      forecast!.months.map((m) => [m.month, m.weighted]),
    );
  });
});

describe("when the forecast is made and scored", () => {
  const at = (iso: string) => Date.parse(iso);

  it("is made by the first computation at or after the month's start, and scored only once the month has closed", async () => {
    const { id } = (await db.prepare("SELECT id FROM workspaces WHERE slug = 'forecast'").first<{ id: string }>())!;
    const workspace = (await findWorkspaceById(db, id))!;
    // July computed on June 20: its start has not come, so nothing is made for it.
    await computeMonth(db, workspace, "2026-07", { now: at("2026-06-20T00:00:00Z") });
    expect(await storedForecast("2026-07")).toEqual([]);
    // June computed on June 15: made (from the state at June 1), but June has not closed.
    await computeMonth(db, workspace, "2026-06", { now: at("2026-06-15T00:00:00Z") });
    const made = await storedForecast("2026-06");
    expect(made.find((r) => r.dimension === "all" && r.target_month === "2026-06")?.made_at).toBe(at("2026-06-15T00:00:00Z"));
    const open = await month("forecast", "2026-06");
    // At June 1 proposal has 17 deals at the 12 starts (H1–H12, F1, F3, F5, F6, F8), 5 won: 5/17;
    // the workspace 23 deals (H, D, J1, F1–F8), 7 won: 7/23. R-1's deals, all placed in June
    // (no date, or a date past): F2 30,000 (demo) and F7 1,200 (negotiation) × 7/23, F5 8,000 × 5/17.
    expect(value(open, "forecast_weighted", "rep", "R-1")).toBeCloseTo((31200 * 7) / 23 + (8000 * 5) / 17, 6);
    expect(value(open, "forecast_accuracy")).toBeNull();
    expect(record(open, "forecast_accuracy", "rep", "R-1")).toBeUndefined();
    // Computed again after its close: scored (no revenue in June: null, but every key is listed), and not remade.
    await computeMonth(db, workspace, "2026-06", { now: at("2026-07-02T00:00:00Z") });
    expect(await storedForecast("2026-06")).toEqual(made);
    const closed = await month("forecast", "2026-06");
    expect(record(closed, "forecast_accuracy", "rep", "R-1")).toMatchObject({ value: null });
  });
});

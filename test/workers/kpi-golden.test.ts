// Every value of test/fixtures/golden/expected.json, an independent computation from
// catalog version 1 (docs/kpis.md), matches what the engine computes for the golden company (relative 1e-9).
import { beforeAll, describe, expect, it } from "vitest";
import { KPIS } from "../../shared/catalog";
import expected from "../fixtures/golden/expected.json";
import expectedWarnings from "../fixtures/golden/expected_warnings.json";
import { type ExpectedValues, goldenMismatches, loadGolden } from "./golden";
import { call, workspaceDbById } from "./helpers";

const EXPECTED = expected as ExpectedValues;
const MONTHS = Object.keys(EXPECTED);

let workspaceId: string;

beforeAll(async () => {
  workspaceId = await loadGolden("golden");
  const response = await call("POST", "/api/v1/workspaces/golden/recompute", { from: MONTHS[0], to: MONTHS.at(-1) });
  expect(response.status).toBe(200);
  expect(((await response.json()) as { months: string[] }).months).toEqual(MONTHS);
}, 180_000);

describe("golden company", () => {
  // The file holds catalog version 1: the KPIs and dimensions section F added are compared
  // by kpi-golden-v2.test.ts.
  it.each(MONTHS)("matches every expected value of %s", async (month) => {
    expect(await goldenMismatches(workspaceId, month, EXPECTED[month]!, "expected")).toEqual([]);
  });

  it.each(MONTHS)("counts the data-quality warnings of %s", async (month) => {
    const { results } = await (await workspaceDbById(workspaceId)).prepare(
      "SELECT warning, count FROM month_warnings WHERE workspace_id = ?1 AND month = ?2",
    )
      .bind(workspaceId, month)
      .all<{ warning: string; count: number }>();
    const counts = Object.fromEntries(results.map((r) => [r.warning, r.count]));
    expect(counts).toMatchObject((expectedWarnings as Record<string, Record<string, number>>)[month]!);
  });

  it("serves the month document in the shape of design.md", async () => {
    const response = await call("GET", "/api/v1/workspaces/golden/months/2026-03");
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      kpis: Record<string, { unit: string; values: Record<string, unknown>[] }>;
      [field: string]: unknown;
    };
    expect(document).toMatchObject({
      workspace: "golden",
      month: "2026-03",
      timezone: "Europe/Berlin",
      currency: "USD",
      catalog_version: "3",
      computed_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      data_as_of: "2026-08-31T15:45:47.000Z",
      warnings: { missing_fx: 3, won_without_owner: 0, won_without_amount: 0, dead_letters: 1 },
    });
    // win_rate 2026-03: 22 won of 30 closed (expected.json: 0.7333…), with its numerator and denominator.
    expect(document.kpis.win_rate!.unit).toBe("ratio");
    expect(document.kpis.win_rate!.values[0]).toEqual({
      dimension: "all", key: "all", value: 22 / 30, numerator: 22, denominator: 30,
    });
    // Totals carry no numerator or denominator.
    expect(document.kpis.new_leads!.values[0]).toEqual({ dimension: "all", key: "all", value: 54 });
    // Every catalog KPI is in the document; stage KPIs list every configured stage.
    expect(Object.keys(document.kpis)).toHaveLength(KPIS.length);
    expect(document.kpis.stage_reached!.values.map((v) => v.key)).toEqual(["demo", "discovery", "negotiation", "proposal"]);
  });
});

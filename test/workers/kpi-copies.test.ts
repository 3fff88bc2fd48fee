// The KPI engine is correct at size: workspace A holds the golden company once, workspace
// B holds three disjoint copies of it (copy k prefixes every entity id and event id with
// `c${k}_`; products, sources, teams, regions, segments, stages and currencies are shared;
// quotas copied per prefixed rep, the same FX rates, spend ×3). Every kpi_values row of B
// must then follow from A's row of the same (kpi, dimension, key) by the definitions of
// the catalog (docs/kpis.md; relative 1e-9):
// - a rep key r of A is the three keys c0_r, c1_r, c2_r of B, each with A's value,
//   numerator and denominator (a rep's KPIs read only that rep's own entities) — except
//   where the denominator is workspace-wide (REP_WIDE_DENOMINATOR);
// - every other key (all, team, region, product, source, segment, type, stage, and the rep
//   key `unknown`, which gathers the rep-less entities of all three copies) holds three
//   times the members: totals are 3× A's, ratios / means / medians / derived rates are A's,
//   and numerators and denominators (sums and counts of means, counts of medians) are 3×.
import { beforeAll, describe, expect, it } from "vitest";
import { aggregationOf, KPI_BY_ID, KPIS } from "../../shared/catalog";
import expected from "../fixtures/golden/expected.json";
import { loadGolden, loadGoldenCopies } from "./golden";
import { call, workspaceDbById } from "./helpers";

type Expected = Record<string, Record<string, Record<string, Record<string, number | null>>>>;
const EXPECTED = expected as Expected;
const MONTHS = Object.keys(EXPECTED);
const COPIES = 3;
const PREFIXES = Array.from({ length: COPIES }, (_, k) => `c${k}_`);

/**
 * The catalog's aggregation says how a non-rep key scales for every KPI but the derived
 * ones ("total": 3×, "ratio" / "mean" / "median": unchanged). Derived KPIs, decided from
 * their definitions:
 */
const DERIVED_SCALE: Record<string, number> = {
  // open_deals × avg_deal_size × win_rate ÷ sales_cycle_days: a count (3×) times a ratio,
  // a ratio and over a mean (all unchanged) — money per day, 3× like open_pipeline_value.
  pipeline_velocity: COPIES,
  // arpa ÷ logo_churn_rate: both ratios of 3× sums (mrr ÷ active, churned ÷ paying at start).
  customer_lifetime_value: 1,
  // customer_lifetime_value ÷ customer_acquisition_cost: unchanged ÷ (spend ×3 ÷ new customers ×3).
  ltv_to_cac: 1,
  // 1 − |forecast − revenue won| ÷ revenue won: its keys are compared, not its value (THRESHOLD_DEPENDENT).
  forecast_accuracy: 1,
};
// Money or per-unit KPIs the catalog rightly calls ratios, unchanged: avg_deal_size
// (revenue ÷ deals won), cost_per_lead (spend ×3 ÷ new leads ×3), revenue_per_spend,
// arpa (mrr ÷ active customers), avg_selling_price (line revenue ÷ quantity),
// quota_attainment(_ytd) and reps_at_quota (revenue and quotas of 3× the reps), sales_growth
// (both months 3×), nps (100 × (promoters − detractors) ÷ responses).

/**
 * Rep KPIs whose denominator is the whole workspace, not the rep's own entities. Only
 * customer_touches (docs/kpis.md, rule 24): contact activities of the rep on customer
 * accounts ÷ customer accounts at start(M+1), "the same for every rep key". In B a rep has
 * its own touches (numerator = A's) but every copy's customer accounts (denominator 3×),
 * so its value is A's ÷ 3. Its `unknown` and `all` keys have both sides 3× (unchanged).
 */
const REP_WIDE_DENOMINATOR = new Set(["customer_touches"]);

/**
 * Means over months, not over members: forecast_run_rate is revenue won summed over the
 * three months before M ÷ 3 (docs/kpis.md, rule 39), so three copies triple its value and
 * its numerator, and its denominator stays the number of months.
 */
const MONTH_MEANS = new Set(["forecast_run_rate"]);

/**
 * Not a multiple of one copy's by definition: the weighted forecast weighs each deal by its
 * stage's win rate, or by the workspace's when the stage had fewer than 10 deals (rule 39) —
 * three copies have three times the deals per stage, so a stage can cross that line and its
 * rate change; forecast accuracy follows. Their keys must still match one copy's; their
 * numbers are hand-computed in kpi-cases-forecast.test.ts.
 */
const THRESHOLD_DEPENDENT = new Set(["forecast_weighted", "forecast_accuracy"]);

function valueScale(kpi: string): number {
  const aggregation = aggregationOf(kpi);
  if (aggregation === "derived") {
    const scale = DERIVED_SCALE[kpi];
    if (scale === undefined) throw new Error(`no scale decided for the derived KPI ${kpi}`);
    return scale;
  }
  return aggregation === "total" || MONTH_MEANS.has(kpi) ? COPIES : 1;
}

interface Row { kpi: string; dimension: string; key: string; value: number | null; numerator: number | null; denominator: number | null }
interface Wanted { value: number | null; numerator: number | null; denominator: number | null }

const times = (x: number | null, factor: number) => (x === null ? null : x * factor);

/** B's rows as A's rows predict them, by "kpi|dimension|key". */
function predict(rowsA: Row[]): Map<string, Wanted> {
  const wanted = new Map<string, Wanted>();
  for (const row of rowsA) {
    if (row.dimension === "rep" && row.key !== "unknown") {
      const wide = REP_WIDE_DENOMINATOR.has(row.kpi);
      for (const prefix of PREFIXES) {
        wanted.set(`${row.kpi}|rep|${prefix}${row.key}`, {
          value: times(row.value, wide ? 1 / COPIES : 1),
          numerator: row.numerator,
          denominator: times(row.denominator, wide ? COPIES : 1),
        });
      }
    } else {
      wanted.set(`${row.kpi}|${row.dimension}|${row.key}`, {
        value: times(row.value, valueScale(row.kpi)),
        numerator: times(row.numerator, COPIES),
        denominator: times(row.denominator, MONTH_MEANS.has(row.kpi) ? 1 : COPIES),
      });
    }
  }
  return wanted;
}

function close(actual: number | null, wanted: number | null): boolean {
  if (wanted === null || actual === null) return wanted === actual;
  return Math.abs(actual - wanted) <= 1e-9 * Math.max(1, Math.abs(wanted));
}

let workspaceA: string;
let workspaceB: string;

async function rows(workspaceId: string, month: string): Promise<Row[]> {
  const { results } = await (await workspaceDbById(workspaceId)).prepare(
    "SELECT kpi, dimension, key, value, numerator, denominator FROM kpi_values WHERE workspace_id = ?1 AND month = ?2",
  )
    .bind(workspaceId, month)
    .all<Row>();
  return results;
}

async function warnings(workspaceId: string, month: string): Promise<Record<string, number>> {
  const { results } = await (await workspaceDbById(workspaceId)).prepare("SELECT warning, count FROM month_warnings WHERE workspace_id = ?1 AND month = ?2")
    .bind(workspaceId, month)
    .all<{ warning: string; count: number }>();
  return Object.fromEntries(results.map((r) => [r.warning, r.count]));
}

beforeAll(async () => {
  workspaceA = await loadGolden("copies-a");
  workspaceB = await loadGoldenCopies("copies-b", PREFIXES);
  for (const slug of ["copies-a", "copies-b"]) {
    const response = await call("POST", `/api/v1/workspaces/${slug}/recompute`, { from: MONTHS[0], to: MONTHS.at(-1) });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { months: string[] }).months).toEqual(MONTHS);
  }
}, 300_000);

describe("three copies of the golden company", () => {
  it("decides a scale for every catalog KPI", () => {
    for (const kpi of KPIS) expect(() => valueScale(kpi.id)).not.toThrow();
    for (const kpi of REP_WIDE_DENOMINATOR) expect(KPI_BY_ID.get(kpi)?.dimensions).toContain("rep");
  });

  it("holds three times the entities of one copy", async () => {
    for (const table of ["reps", "accounts", "leads", "deals", "activities"]) {
      const count = async (id: string) =>
        (await (await workspaceDbById(id)).prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE workspace_id = ?1`).bind(id).first<{ n: number }>())!.n;
      const a = await count(workspaceA);
      expect(a, table).toBeGreaterThan(0);
      expect(await count(workspaceB), table).toBe(COPIES * a);
    }
  });

  it.each(MONTHS)("derives every KPI value of %s from one copy's", async (month) => {
    const [rowsA, rowsB] = await Promise.all([rows(workspaceA, month), rows(workspaceB, month)]);
    // A is the golden company itself (kpi-golden.test.ts checks it against expected.json).
    expect(rowsA.length).toBeGreaterThan(0);
    const wanted = predict(rowsA);
    const mismatches: string[] = [];
    for (const row of rowsB) {
      const id = `${row.kpi}|${row.dimension}|${row.key}`;
      const want = wanted.get(id);
      if (want === undefined) {
        mismatches.push(`${id}: unexpected key (${row.value})`);
        continue;
      }
      wanted.delete(id);
      if (THRESHOLD_DEPENDENT.has(row.kpi)) continue;
      for (const field of ["value", "numerator", "denominator"] as const) {
        if (!close(row[field], want[field])) mismatches.push(`${id} ${field}: ${row[field]} ≠ predicted ${want[field]}`);
      }
    }
    for (const [id, want] of wanted) mismatches.push(`${id}: missing, predicted ${want.value}`);
    expect(mismatches).toEqual([]);
    // Rep keys are tripled, every other key is kept.
    const repKeys = (rs: Row[]) => rs.filter((r) => r.dimension === "rep" && r.key !== "unknown").length;
    expect(rowsB.length).toBe(rowsA.length + (COPIES - 1) * repKeys(rowsA));
  });

  it.each(MONTHS)("counts three times the data-quality warnings of %s", async (month) => {
    const [a, b] = await Promise.all([warnings(workspaceA, month), warnings(workspaceB, month)]);
    expect(Object.keys(a).length).toBeGreaterThan(0);
    expect(b).toEqual(Object.fromEntries(Object.entries(a).map(([warning, count]) => [warning, COPIES * count])));
  });

  it("matches hand-checked numbers", async () => {
    const value = async (id: string, month: string, kpi: string, dimension: string, key: string) =>
      (await (await workspaceDbById(id)).prepare(
        "SELECT value FROM kpi_values WHERE workspace_id = ?1 AND month = ?2 AND kpi = ?3 AND dimension = ?4 AND key = ?5",
      )
        .bind(id, month, kpi, dimension, key)
        .first<{ value: number | null }>())?.value;
    // expected.json 2026-03: deals_won 22 (of 30 closed), so three copies won 66.
    expect(await value(workspaceA, "2026-03", "deals_won", "all", "all")).toBe(22);
    expect(await value(workspaceB, "2026-03", "deals_won", "all", "all")).toBe(66);
    expect(await value(workspaceB, "2026-03", "win_rate", "all", "all")).toBeCloseTo(22 / 30, 12);
    // customer_touches 2026-03 by R-01: 14 touches ÷ 40 customer accounts = 0.35 in A; in B
    // c1_R-01 still has 14 touches but the workspace has 120 customer accounts.
    expect(await value(workspaceA, "2026-03", "customer_touches", "rep", "R-01")).toBeCloseTo(0.35, 12);
    expect(await value(workspaceB, "2026-03", "customer_touches", "rep", "c1_R-01")).toBeCloseTo(14 / 120, 12);
    expect(await value(workspaceB, "2026-03", "customer_touches", "all", "all")).toBeCloseTo(2.9, 12);
    // Dead letters: the golden events hold three invalid ones (activity type 'fax' in
    // 2026-03; deal status 'maybe' and the unknown type deal.archived in 2026-06).
    expect((await warnings(workspaceA, "2026-03")).dead_letters).toBe(1);
    expect((await warnings(workspaceB, "2026-03")).dead_letters).toBe(3);
    expect((await warnings(workspaceA, "2026-06")).dead_letters).toBe(2);
    expect((await warnings(workspaceB, "2026-06")).dead_letters).toBe(6);
  });
});

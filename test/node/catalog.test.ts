// The KPI catalog (shared/catalog.ts) is the one definition of every KPI: its entries must
// be consistent with each other, since the engine, the reports and the docs all read them.
import { describe, expect, it } from "vitest";
import { aggregationOf, FAMILIES, isKpiId, KPI_BY_ID, KPI_IDS, kpiDefinition, KPIS, scaleOf } from "../../shared/catalog";

describe("the KPI catalog", () => {
  it("has one entry per id, each in a known family", () => {
    expect(new Set(KPI_IDS).size).toBe(KPIS.length);
    expect(KPI_BY_ID.size).toBe(KPIS.length);
    for (const kpi of KPIS) expect(Object.keys(FAMILIES)).toContain(kpi.family);
  });

  it("scales only ratios (nps: 100)", () => {
    const scaled = KPIS.filter((kpi) => kpi.scale !== undefined);
    expect(scaled.map((kpi) => [kpi.id, kpi.aggregation, kpi.scale])).toEqual([["nps", "ratio", 100]]);
    expect(scaleOf("nps")).toBe(100);
    expect(scaleOf("win_rate")).toBe(1);
  });

  it("gives every KPI with an overall value at least one dimension, and stage KPIs only stages", () => {
    for (const kpi of KPIS) {
      expect(kpi.dimensions.length).toBeGreaterThan(0);
      expect(new Set(kpi.dimensions).size).toBe(kpi.dimensions.length);
      if (!kpi.dimensions.includes("all")) expect(kpi.dimensions).toEqual(["stage"]);
    }
  });

  it("refuses ids it lacks instead of defaulting", () => {
    expect(isKpiId("win_rate")).toBe(true);
    expect(isKpiId("no_such_kpi")).toBe(false);
    expect(aggregationOf("win_rate")).toBe("ratio");
    expect(() => aggregationOf("no_such_kpi")).toThrow(/unknown KPI "no_such_kpi"/);
    expect(() => kpiDefinition("no_such_kpi")).toThrow(/unknown KPI/);
  });
});

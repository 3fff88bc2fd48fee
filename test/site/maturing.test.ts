// The "still maturing" rule of cohort KPIs (site/src/lib/maturing.ts) on a hand-made report:
// the typical time to convert is the median of the 12 monthly customer_lifecycle_days
// values, and a month is maturing while it ended less than that long before data_as_of.
import { describe, expect, it } from "vitest";
import type { Headline, Report } from "../../shared/report";
import { headlineDeltas } from "../../site/src/lib/deltas";
import { createFormatter } from "../../site/src/lib/format";
import { maturingNote, maturityOf, median } from "../../site/src/lib/maturing";

const usd = createFormatter("USD");
const MONTHS = ["2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"];

const headline = (kpi: string, unit: string, values: (number | null)[], overrides: Partial<Headline> = {}): Headline => ({
  kpi, name: kpi, unit, direction: "up", formula: "",
  value: values.at(-1) ?? null, previous: values.at(-2) ?? null, year_ago: null, ytd: null, ytd_year_ago: null,
  change_mom: null, change_yoy: null, change_ytd: null, change_kind: "difference",
  series: MONTHS.map((month, i) => ({ month, value: values[i] ?? null })),
  ...overrides,
});

/**
 * A New York workspace, report month March 2026. Lead-to-customer times in the 12 months:
 * 20, 35, 40, 50 and 90 days (other months without a value), so the median is 40 days.
 * The data was last updated at 2026-04-01T03:58:12Z, i.e. March 31, 23:58 EDT.
 */
function report(options: { lifecycle?: (number | null)[]; dataAsOf?: string | null; extra?: Headline[] } = {}): Report {
  const lifecycle = options.lifecycle ?? [null, null, null, null, null, null, null, 20, 35, 40, 50, 90];
  const conversion = headline("lead_conversion_rate", "ratio", [0.05, 0.06, 0.05, 0.06, 0.05, 0.06, 0.05, 0.06, 0.05, 0.061, 0.031, 0], {
    name: "Lead conversion rate", change_mom: -0.031, change_yoy: -0.05, change_ytd: -0.02,
  });
  return {
    workspace: { slug: "ws", name: "WS", timezone: "America/New_York", currency: "USD" },
    month: "2026-03",
    freshness: {
      data_as_of: options.dataAsOf === undefined ? "2026-04-01T03:58:12.000Z" : options.dataAsOf,
      computed_at: "2026-04-02T08:00:00.000Z",
      catalog_version: "1",
    },
    headlines: options.extra ?? [],
    leads: { conversion: [conversion, headline("customer_lifecycle_days", "days", lifecycle)] },
    activity: { responsiveness: [] },
    customers: { metrics: [] },
  } as unknown as Report;
}

describe("the median", () => {
  it("is the middle value, or the mean of the two middle ones", () => {
    expect(median([90, 20, 40, 35, 50])).toBe(40);
    expect(median([20, 35, 40, 50])).toBe(37.5);
    expect(median([])).toBeNull();
  });
});

describe("still-maturing cohort months", () => {
  it("measure each month's age from its end in the workspace's zone to data_as_of, against the median time to convert", () => {
    const m = maturityOf("lead_conversion_rate", report())!;
    expect(m.timeKpi).toBe("customer_lifecycle_days");
    expect(m.typicalDays).toBe(40);
    // March ends at 2026-04-01T04:00Z (midnight EDT): 1 min 48 s after the data's last update.
    expect(m.ageDays("2026-03") * 86_400).toBeCloseTo(-108, 6);
    // February ends at 2026-03-01T05:00Z (midnight EST): 30.96 days before it.
    expect(m.ageDays("2026-02")).toBeCloseTo(31 - (1 + 1 / 60 + 48 / 3600) / 24, 9);
    expect(MONTHS.filter((month) => m.maturing(month))).toEqual(["2026-02", "2026-03"]);
  });

  it("stop maturing once the typical time has passed since the month ended", () => {
    // February ended at 2026-03-01T05:00Z; 40 days later (elapsed time, across the DST change) is 2026-04-10T05:00Z.
    expect(maturityOf("lead_conversion_rate", report({ dataAsOf: "2026-04-10T05:00:00.000Z" }))!.maturing("2026-02")).toBe(false);
    expect(maturityOf("lead_conversion_rate", report({ dataAsOf: "2026-04-10T04:59:59.999Z" }))!.maturing("2026-02")).toBe(true);
    // A report published long after its month: nothing left to mature.
    expect(maturityOf("lead_conversion_rate", report({ dataAsOf: "2026-06-01T00:00:00.000Z" }))!.maturing("2026-03")).toBe(false);
  });

  it("use computed_at when the workspace has no events, and mark nothing without a typical time", () => {
    const noEvents = maturityOf("lead_conversion_rate", report({ dataAsOf: null }))!;
    expect(noEvents.asOf).toBe(Date.parse("2026-04-02T08:00:00.000Z"));
    const noTimes = maturityOf("lead_conversion_rate", report({ lifecycle: Array(12).fill(null) }))!;
    expect(noTimes.typicalDays).toBeNull();
    expect(MONTHS.filter((month) => noTimes.maturing(month))).toEqual([]);
  });

  it("apply to the cohort KPIs only; opportunity win rate matures against the sales cycle", () => {
    expect(maturityOf("win_rate", report())).toBeNull();
    expect(maturityOf("customer_lifecycle_days", report())).toBeNull();
    for (const kpi of ["mql_to_customer_rate", "sql_to_customer_rate"]) expect(maturityOf(kpi, report())!.typicalDays).toBe(40);
    const cycle = headline("sales_cycle_days", "days", Array(12).fill(null).map((_, i) => (i < 9 ? null : [10, 12, 30][i - 9]!)));
    const opportunity = maturityOf("opportunity_win_rate", report({ extra: [cycle] }))!;
    expect(opportunity).toMatchObject({ timeKpi: "sales_cycle_days", typicalDays: 12 });
    expect(MONTHS.filter((month) => opportunity.maturing(month))).toEqual(["2026-03"]);
    expect(maturityOf("opportunity_win_rate", report())!.typicalDays).toBeNull();
  });

  it("show the change without a verdict, and say why", () => {
    const r = report();
    const conversion = r.leads.conversion[0]!;
    const judged = headlineDeltas(conversion, "2026-03", usd);
    expect(judged.map((d) => d.tone)).toEqual(["bad", "bad", "bad"]);
    const maturing = headlineDeltas(conversion, "2026-03", usd, true);
    expect(maturing.map((d) => [d.tone, d.arrow, d.text])).toEqual([["maturing", "▼", "−3.1 pp"], ["maturing", "▼", "−5 pp"], ["maturing", "▼", "−2 pp"]]);
    expect(maturing[0]!.spoken).toBe("down 3.1 pp vs Feb 2026, not judged: the cohort is still maturing");
    const m = maturityOf("lead_conversion_rate", r)!;
    expect(maturingNote([m], new Map([["lead_conversion_rate", "Lead conversion rate"]]), "2026-03", usd, "America/New_York")).toBe(
      "Still maturing: Lead conversion rate. March 2026 had not ended at the data's last update (March 31, 2026 at 11:58 PM EDT); " +
        "a lead typically takes 40 days to become a customer (the median over these 12 months), so this cohort can still convert: " +
        "its changes are not judged better or worse.",
    );
    expect(maturingNote([m], new Map(), "2026-02", usd, "America/New_York")).toMatch(/^Still maturing: lead_conversion_rate\. February 2026 ended 31 days before the data's last update/);
    expect(maturingNote([m], new Map(), "2026-01", usd, "America/New_York")).toBeNull();
  });
});

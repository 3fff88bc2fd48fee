// "What changed" (workers/reports/changes.ts) on hand-made months: the exact sentences, how
// moves are ranked, explained, flagged and cut to three to six (docs/spec-readings.md,
// "What changed").
import { describe, expect, it } from "vitest";
import { kpiDefinition } from "../../shared/catalog";
import { addMonths, monthRange } from "../../shared/months";
import { type ChangeValue, CHANGE_KPIS, TEMPLATES, WHERE, whatChanged } from "../../workers/reports/changes";

const M = "2026-03";
const PREVIOUS = "2026-02";

/** A value, or [value, denominator] for ratios and means (deals, leads or answers behind it). */
type Cell = number | [number, number];
/** Rows of one month and KPI: "all" plus any breakdown, { dimension: { key: cell } }. */
function rows(month: string, kpi: string, overall: Cell, breakdowns: Record<string, Record<string, Cell>> = {}): ChangeValue[] {
  const row = (dimension: string, key: string, cell: Cell): ChangeValue =>
    Array.isArray(cell) ? { month, kpi, dimension, key, value: cell[0], denominator: cell[1] } : { month, kpi, dimension, key, value: cell };
  return [row("all", "all", overall), ...Object.entries(breakdowns).flatMap(([dimension, keys]) => Object.entries(keys).map(([key, cell]) => row(dimension, key, cell)))];
}
/** The overall values of the 12 months before M, oldest first. */
function trailing(kpi: string, values: number[]): ChangeValue[] {
  return monthRange(addMonths(M, -12), PREVIOUS).flatMap((month, i) => rows(month, kpi, values[i]!));
}

describe("what changed in a busy month", () => {
  const values: ChangeValue[] = [
    // Deals lost 10 → 15: +5 = +50 %, worse (a loss KPI improves downwards). By region APAC
    // 2 → 6 (+4), EMEA 5 → 6 (+1), NA 3 → 3; by reason competitor +3, price +2: APAC moved most.
    ...rows(PREVIOUS, "deals_lost", 10, { region: { APAC: 2, EMEA: 5, NA: 3 }, reason: { price: 4, competitor: 3, unknown: 3 } }),
    ...rows(M, "deals_lost", 15, { region: { APAC: 6, EMEA: 6, NA: 3 }, reason: { price: 6, competitor: 6, unknown: 3 } }),
    // Deals won 6 → 6: held (size 0, never chosen while larger moves remain).
    ...rows(PREVIOUS, "deals_won", 6),
    ...rows(M, "deals_won", 6),
    // Win rate 6 ÷ 16 = 37.5 % → 6 ÷ 21 = 28.571 %: −8.93 pp, below the trailing low of 33 %.
    // It fell and deals lost rose: the extra losses explain it, by the same regions.
    ...trailing("win_rate", [0.36, 0.38, 0.4, 0.35, 0.33, 0.37, 0.39, 0.36, 0.34, 0.38, 0.36, 0.375]),
    ...rows(PREVIOUS, "win_rate", 0.375, { region: { APAC: 0.5, EMEA: 0.3 } }),
    ...rows(M, "win_rate", 6 / 21, { region: { APAC: 0.25, EMEA: 0.3 } }),
    // Revenue won 120,000 → 150,000: +25 %. By region APAC −2,000, EMEA +28,000, NA +4,000;
    // by team north and south +15,000 each: EMEA. 150,000 is within the trailing 100,000–160,000.
    ...trailing("revenue_won", [100_000, 110_000, 160_000, 130_000, 125_000, 118_000, 140_000, 135_000, 128_000, 122_000, 119_000, 120_000]),
    ...rows(PREVIOUS, "revenue_won", 120_000, { region: { APAC: 30_000, EMEA: 50_000, NA: 40_000 }, team: { north: 70_000, south: 50_000 } }),
    ...rows(M, "revenue_won", 150_000, { region: { APAC: 28_000, EMEA: 78_000, NA: 44_000 }, team: { north: 85_000, south: 65_000 } }),
    // NPS 40 → 28: −12 points (size 0.12). By region EMEA 45 → 20 (−25, 20 and 10 answers);
    // APAC 30 → 0 falls further but on 3 and 4 answers, below the 5 a member needs; NA −5.
    ...rows(PREVIOUS, "nps", [40, 38], { region: { EMEA: [45, 20], APAC: [30, 3], NA: [40, 15] } }),
    ...rows(M, "nps", [28, 26], { region: { EMEA: [20, 10], APAC: [0, 4], NA: [35, 12] } }),
    // Sales cycle 40 → 36 days: −10 %, better (a cycle improves downwards). By team north
    // 44 → 37 days (8 and 9 deals), south 35 → 34.5: north.
    ...rows(PREVIOUS, "sales_cycle_days", [40, 14], { team: { north: [44, 8], south: [35, 6] } }),
    ...rows(M, "sales_cycle_days", [36, 15], { team: { north: [37, 9], south: [34.5, 6] } }),
    // MRR 200,000 → 202,000: +1 %, under the 3 % worth a sentence, but above the trailing high
    // of 201,000: flagged, it takes a slot left by larger moves. Enterprise +3,000 is more than the whole +2,000.
    ...trailing("mrr", [190_000, 191_000, 192_000, 193_000, 194_000, 195_000, 196_000, 197_000, 198_000, 201_000, 199_000, 200_000]),
    ...rows(PREVIOUS, "mrr", 200_000, { segment: { enterprise: 120_000, smb: 80_000 } }),
    ...rows(M, "mrr", 202_000, { segment: { enterprise: 123_000, smb: 79_000 } }),
    // Open pipeline 500,000 → 490,000: −2 %, under the 3 % and within its range: no sentence.
    ...rows(PREVIOUS, "open_pipeline_value", 500_000),
    ...rows(M, "open_pipeline_value", 490_000),
    // New opportunities 200 → 201: +0.5 %, above the trailing high of 200, flagged like MRR but
    // the smallest of seven: cut at six.
    ...trailing("new_opportunities", [180, 182, 184, 186, 188, 190, 192, 194, 196, 198, 199, 200]),
    ...rows(PREVIOUS, "new_opportunities", 200),
    ...rows(M, "new_opportunities", 201),
  ];
  const sentences = whatChanged({ month: M, currency: "USD", values });

  it("writes the six biggest moves, largest first, each with its numbers and its biggest mover", () => {
    // Sizes: deals lost 0.5, revenue 0.25, NPS 0.12, sales cycle 0.10, win rate 0.089 (points
    // weigh as percent), MRR 0.01 (flagged); new opportunities 0.005 (flagged) is the seventh.
    expect(sentences.map((s) => s.text)).toEqual([
      "Deals lost worsened, rising 50% to 15; 4 of the 5 extra losses were in APAC, and 3 had the reason “competitor”.",
      "Revenue won improved, rising 25% to $150,000; $28,000 of the $30,000 increase was in EMEA.",
      "Net Promoter Score worsened, falling 12 pts to 28; the largest fall was in EMEA: down 25 pts to 20.",
      "Sales cycle improved, falling 4 days to 36 days; the largest fall was in the north team: down 7 days to 37 days.",
      // The same losses explain the win rate: said once, in the larger move's sentence.
      "Win rate worsened, falling 8.9 pp to 28.6%, the lowest in 12 months.",
      "MRR improved, rising 1% to $202,000, the highest in 12 months; MRR in the enterprise segment alone rose by $3,000.",
    ]);
  });

  it("names the value behind each sentence, of the sentence's KPI, for its drill-down link", () => {
    expect(sentences.map((s) => [s.kpi, s.members])).toEqual([
      ["deals_lost", { dimension: "region", key: "APAC" }],
      ["revenue_won", { dimension: "region", key: "EMEA" }],
      ["nps", { dimension: "region", key: "EMEA" }],
      ["sales_cycle_days", { dimension: "team", key: "north" }],
      ["win_rate", null],
      ["mrr", { dimension: "segment", key: "enterprise" }],
    ]);
  });

  it("flags exactly the values outside the range of the 12 months before", () => {
    expect(sentences.filter((s) => s.outside_range).map((s) => s.kpi)).toEqual(["win_rate", "mrr"]);
  });
});

describe("a win rate", () => {
  it("is explained by the count that moved with it, and that count's sentence does not repeat it", () => {
    const values: ChangeValue[] = [
      // Deals won 100 → 87 (−13 %): EMEA 50 → 40 (−10), APAC 50 → 47 (−3).
      ...rows(PREVIOUS, "deals_won", 100, { region: { EMEA: 50, APAC: 50 } }),
      ...rows(M, "deals_won", 87, { region: { EMEA: 40, APAC: 47 } }),
      // Deals lost 100 → 102 (+2 %, a sentence only to make three): APAC +2; by reason price +2.
      ...rows(PREVIOUS, "deals_lost", 100, { region: { EMEA: 60, APAC: 40 }, reason: { price: 50, timing: 50 } }),
      ...rows(M, "deals_lost", 102, { region: { EMEA: 60, APAC: 42 }, reason: { price: 52, timing: 50 } }),
      // Win rate 100 ÷ 200 = 50 % → 87 ÷ 189 = 46.03 % (−3.97 pp). It fell and losses rose:
      // the extra losses explain it before the fewer wins do.
      ...rows(PREVIOUS, "win_rate", 0.5, { region: { EMEA: 50 / 110, APAC: 50 / 90 } }),
      ...rows(M, "win_rate", 87 / 189, { region: { EMEA: 40 / 100, APAC: 47 / 89 } }),
    ];
    const label = (dimension: string, key: string) => (dimension === "reason" ? key.charAt(0).toUpperCase() + key.slice(1) : key);
    expect(whatChanged({ month: M, currency: "USD", values, label })).toEqual([
      { kpi: "deals_won", text: "Deals won worsened, falling 13% to 87; 10 of the 13 fewer wins were in EMEA.", members: { dimension: "region", key: "EMEA" }, outside_range: false },
      {
        kpi: "win_rate",
        text: "Win rate worsened, falling 4 pp to 46.0%; both extra losses were in APAC, and 2 had the reason “Price”.",
        members: { dimension: "region", key: "APAC" },
        outside_range: false,
      },
      { kpi: "deals_lost", text: "Deals lost worsened, rising 2% to 102.", members: null, outside_range: false },
    ]);
  });
});

describe("what changed in a quiet month", () => {
  const values: ChangeValue[] = [
    // New leads 50 → 49 (−2 %); by source web −3, referral +2: web alone fell by more than the whole.
    ...rows(PREVIOUS, "new_leads", 50, { source: { web: 30, referral: 20 } }),
    ...rows(M, "new_leads", 49, { source: { web: 27, referral: 22 } }),
    // Revenue won 100,000 → 101,000 (+1 %), no breakdown: no clause, no link.
    ...rows(PREVIOUS, "revenue_won", 100_000),
    ...rows(M, "revenue_won", 101_000),
    // Win rate 30 % → 30.5 % (+0.5 pp); deals won held and no losses are stored: nothing explains it.
    ...rows(PREVIOUS, "win_rate", 0.3),
    ...rows(M, "win_rate", 0.305),
    ...rows(PREVIOUS, "deals_won", 10),
    ...rows(M, "deals_won", 10),
    // Customer health has no value in M−1: no comparison, no sentence.
    ...rows(M, "customer_health", [71, 40]),
  ];

  it("still opens with three sentences, the largest of the small moves, none flagged without a year of history", () => {
    const sentences = whatChanged({ month: M, currency: "EUR", values });
    expect(sentences).toEqual([
      { kpi: "new_leads", text: "New leads worsened, falling 2% to 49; new leads from web alone fell by 3.", members: { dimension: "source", key: "web" }, outside_range: false },
      { kpi: "revenue_won", text: "Revenue won improved, rising 1% to €101,000.", members: null, outside_range: false },
      { kpi: "win_rate", text: "Win rate improved, rising 0.5 pp to 30.5%.", members: null, outside_range: false },
    ]);
  });

  it("says a value held when it did not move, or too little to print", () => {
    const held = whatChanged({
      month: M,
      currency: "EUR",
      // Revenue 200,000 → 200,080 is +0.04 %, which prints as 0%.
      values: [...rows(PREVIOUS, "deals_won", 10), ...rows(M, "deals_won", 10), ...rows(PREVIOUS, "revenue_won", 200_000), ...rows(M, "revenue_won", 200_080)],
    });
    expect(held).toEqual([
      { kpi: "revenue_won", text: "Revenue won held at €200,080.", members: null, outside_range: false },
      { kpi: "deals_won", text: "Deals won held at 10.", members: null, outside_range: false },
    ]);
  });

  it("says both when the two extra deals were in one place", () => {
    // Deals lost 3 → 5 (+66.7 %): APAC 1 → 3 holds both extra losses.
    const both = whatChanged({ month: M, currency: "USD", values: [...rows(PREVIOUS, "deals_lost", 3, { region: { APAC: 1, NA: 2 } }), ...rows(M, "deals_lost", 5, { region: { APAC: 3, NA: 2 } })] });
    expect(both.map((s) => s.text)).toEqual(["Deals lost worsened, rising 66.7% to 5; both extra losses were in APAC."]);
  });

  it("has nothing to say about a first month", () => {
    expect(whatChanged({ month: M, currency: "EUR", values: rows(M, "revenue_won", 5_000) })).toEqual([]);
  });

  it("writes a value grown from next to nothing from both values, not as a huge percentage", () => {
    const grown = whatChanged({ month: M, currency: "USD", values: [...rows(PREVIOUS, "churned_mrr", 78), ...rows(M, "churned_mrr", 2_184)] });
    expect(grown.map((s) => s.text)).toEqual(["Churned MRR worsened, rising from $78.00 to $2,184."]);
  });
});

describe("the templates", () => {
  it("look for movers only in dimensions the KPI and its drivers have, each with words for where", () => {
    for (const template of TEMPLATES) {
      const drivers = [...(template.rose ?? []), ...(template.fell ?? [])];
      for (const dimension of template.dimensions) {
        expect(kpiDefinition(template.kpi).dimensions, `${template.kpi} by ${dimension}`).toContain(dimension);
        for (const driver of drivers) expect(kpiDefinition(driver.kpi).dimensions, `${driver.kpi} by ${dimension}`).toContain(dimension);
        expect(WHERE[dimension], dimension).toBeTypeOf("function");
      }
      // Drivers are totals: their members' changes add up to the whole.
      for (const driver of drivers) expect(kpiDefinition(driver.kpi).aggregation, driver.kpi).toBe("total");
    }
    expect(CHANGE_KPIS).toContain("deals_lost");
  });
});

/// <reference types="node" />
// Unit tests of the site's pure modules: value formatting (money in EUR/USD, percentages,
// durations, null), deltas and their tone, chart geometry (scales and paths), the
// generated descriptions, and the loader's validation of the reports folder.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KPI_BY_ID } from "../../shared/catalog";
import type { Headline } from "../../shared/report";
import { barChart } from "../../site/src/charts/bars";
import { describeAtRisk, describeFunnel, describeRanking, describeSparkline, describeTrend } from "../../site/src/charts/describe";
import { healthChart } from "../../site/src/charts/health";
import { npsChart } from "../../site/src/charts/nps";
import { sparkline } from "../../site/src/charts/sparkline";
import { trendChart } from "../../site/src/charts/trend";
import { delta, headlineDeltas, toneOf } from "../../site/src/lib/deltas";
import { createFormatter, instantLabel, monthLabel, NO_DATA, shortMonth } from "../../site/src/lib/format";
import { loadReports, ReportDataError } from "../../site/src/lib/reports";
import { FIXTURES } from "./helpers";

const usd = createFormatter("USD");
const eur = createFormatter("EUR");

describe("formatting", () => {
  it("prints money in the workspace currency, whole units for large amounts", () => {
    expect(usd.value("money", 150000)).toBe("$150,000");
    expect(eur.value("money", 61000.5)).toBe("€61,001");
    expect(eur.value("money", 12.5)).toBe("€12.50");
    expect(usd.value("money", -2310)).toBe("-$2,310");
    expect(usd.compact("money", 200000)).toBe("$200K");
    expect(eur.compact("money", 1_250_000)).toBe("€1.3M");
    expect(usd.compact("money", 0)).toBe("$0");
  });

  it("prints ratios as percentages and durations in the unit their size reads best in", () => {
    expect(usd.value("ratio", 0.2712)).toBe("27.1%");
    expect(usd.value("ratio", 1.205)).toBe("120.5%");
    expect(usd.value("days", 41.25)).toBe("41.3 days");
    expect(usd.value("days", 1)).toBe("24 h");
    expect(usd.value("minutes", 47)).toBe("47 min");
    expect(usd.value("minutes", 1604.7)).toBe("26.7 h");
    expect(usd.value("minutes", 3222.5)).toBe("2.2 days");
    // Activity hours are a sum of time spent: hours at most.
    expect(usd.value("hours", 1180.4)).toBe("1,180 h");
    expect(usd.value("hours", 0.5)).toBe("30 min");
    expect(usd.compact("minutes", 1604.7)).toBe("27 h");
    expect(usd.value("count", 2840)).toBe("2,840");
    expect(usd.value("score", 41)).toBe("41");
  });

  it("prints null, NaN and infinities as the no-data dash", () => {
    for (const unit of ["money", "ratio", "days", "count", "score", "something-new"]) {
      expect(usd.value(unit, null)).toBe(NO_DATA);
      expect(usd.value(unit, Number.NaN)).toBe(NO_DATA);
      expect(usd.compact(unit, null)).toBe(NO_DATA);
    }
    expect(usd.change("relative", "money", null)).toBe(NO_DATA);
  });

  it("prints changes: relative in percent, ratio differences in points", () => {
    expect(usd.change("relative", "money", 0.25)).toBe("+25%");
    expect(usd.change("relative", "count", -0.1234)).toBe("−12.3%");
    expect(usd.change("difference", "ratio", 0.021)).toBe("+2.1 pp");
    expect(usd.change("difference", "score", -5)).toBe("−5 pts");
    expect(usd.change("relative", "money", 0)).toBe("±0%");
  });

  it("prints differences of durations like durations", () => {
    expect(usd.change("difference", "minutes", -1618.4)).toBe("−27 h");
    expect(usd.change("difference", "minutes", 1083.8)).toBe("+18.1 h");
    expect(usd.change("difference", "days", -1.1)).toBe("−26.4 h");
    expect(usd.change("difference", "days", 3.25)).toBe("+3.3 days");
    expect(usd.change("difference", "minutes", 0)).toBe("±0 min");
  });

  it("names months and instants", () => {
    expect(monthLabel("2026-03")).toBe("March 2026");
    expect(shortMonth("2025-12")).toBe("Dec");
    expect(shortMonth("2025-12", true)).toBe("Dec 2025");
    expect(instantLabel("2026-04-01T03:58:12.000Z", "America/New_York")).toBe("March 31, 2026 at 11:58 PM EDT");
    expect(instantLabel(null, "UTC")).toBe(NO_DATA);
  });
});

const headline = (overrides: Partial<Headline>): Headline => ({
  kpi: "revenue_won", name: "Revenue won", unit: "money", direction: "up", formula: "",
  value: 150, previous: 120, year_ago: 100, ytd: 400, ytd_year_ago: 320,
  change_mom: 0.25, change_yoy: 0.5, change_ytd: 0.25, change_kind: "relative", series: [],
  ...overrides,
});

describe("deltas", () => {
  it("judges a change by the KPI's direction", () => {
    expect(toneOf(0.1, "up")).toBe("good");
    expect(toneOf(0.1, "down")).toBe("bad");
    expect(toneOf(-0.1, "down")).toBe("good");
    expect(toneOf(0, "up")).toBe("flat");
    expect(toneOf(null, "up")).toBe("none");
  });

  it("says the movement and the verdict in words, not only in colour", () => {
    const cycle = headline({ kpi: "sales_cycle_days", unit: "days", direction: "down" });
    const d = delta(0.057, cycle, "vs Feb 2026", usd);
    expect(d).toMatchObject({ arrow: "▲", tone: "bad", text: "+5.7%" });
    expect(d.spoken).toBe("up 5.7% vs Feb 2026, worse");
    expect(delta(null, cycle, "vs Mar 2025", usd).spoken).toBe("vs Mar 2025: no data");
  });

  it("compares with M−1, M−12 and the previous year's YTD", () => {
    const refs = headlineDeltas(headline({}), "2026-01", usd).map((d) => d.reference);
    expect(refs).toEqual(["vs Dec 2025", "vs Jan 2025", "YTD vs 2025"]);
  });
});

describe("chart geometry", () => {
  it("sparkline: spans the width, puts the maximum on top, breaks at nulls", () => {
    const series = [10, 20, null, 40].map((value, i) => ({ month: `2026-0${i + 1}`, value }));
    const s = sparkline(series, 100, 20, 2);
    expect(s.points.map((p) => p.x)).toEqual([2, 34, 98]);
    expect(s.points.at(-1)!.y).toBe(2);
    expect(s.points[0]!.y).toBe(18);
    // Two segments: M10,18 L34,… then M98,2 (d3 starts a new subpath after an undefined point).
    expect(s.path!.match(/M/g)).toHaveLength(2);
    expect(s.current).toEqual({ x: 98, y: 2 });
  });

  it("sparkline: a flat or empty series still draws (or says nothing)", () => {
    const flat = sparkline([{ month: "2026-01", value: 5 }, { month: "2026-02", value: 5 }], 100, 20, 2);
    expect(flat.points.map((p) => p.y)).toEqual([10, 10]);
    const empty = sparkline([{ month: "2026-01", value: null }]);
    expect(empty.path).toBeNull();
    expect(empty.current).toBeNull();
  });

  it("trend: bars from zero, a niced y axis, the prior year as a line", () => {
    const months = [
      { month: "2026-01", value: 100, year_ago: 80 },
      { month: "2026-02", value: null, year_ago: 90 },
      { month: "2026-03", value: 190, year_ago: null },
    ];
    const chart = trendChart(months, 400, 200);
    expect(chart.yTicks.map((t) => t.value)).toEqual([0, 50, 100, 150, 200]);
    expect(chart.yTicks[0]!.y).toBe(chart.plot.bottom);
    expect(chart.bars.map((b) => b.month)).toEqual(["2026-01", "2026-03"]);
    for (const bar of chart.bars) expect(bar.y + bar.height).toBeCloseTo(chart.plot.bottom, 5);
    expect(chart.bars[1]!.height).toBeCloseTo(chart.bars[0]!.height * 1.9, 1);
    expect(chart.bars[1]!.current).toBe(true);
    expect(chart.missing.map((m) => m.month)).toEqual(["2026-02"]);
    expect(chart.prior.points.map((p) => p.value)).toEqual([80, 90]);
    expect(chart.prior.path).toMatch(/^M[\d.]+,[\d.]+L[\d.]+,[\d.]+$/);
  });

  it("bars: widths proportional to values, negatives left of a shared zero", () => {
    const chart = barChart([
      { key: "a", label: "A", value: 100 },
      { key: "b", label: "B", value: 50 },
      { key: "c", label: "C", value: null },
    ], { width: 300, valueRoom: 100 });
    expect(chart.zeroX).toBe(0);
    expect(chart.rows.map((r) => r.width)).toEqual([200, 100, 0]);
    const diverging = barChart([{ key: "up", label: "Up", value: 100 }, { key: "down", label: "Down", value: -50 }], { width: 400, valueRoom: 50 });
    const [up, down] = diverging.rows;
    expect(up!.x).toBe(diverging.zeroX);
    expect(down!.x + down!.width).toBe(diverging.zeroX);
    expect(up!.width).toBeCloseTo(down!.width * 2, 5);
    expect(down!.valueAnchor).toBe("end");
  });

  it("bars: the 100 % quota line is inside the scale even when every rep is below it", () => {
    const chart = barChart([{ key: "r", label: "Rep", value: 0.5 }], { width: 300, valueRoom: 100, include: [1] });
    expect(chart.xOf(1)).toBe(200);
    expect(chart.rows[0]!.width).toBe(100);
  });

  it("nps: segments in scale order that add up to the whole width", () => {
    const chart = npsChart({ promoters: 50, passives: 30, detractors: 20 }, 500)!;
    expect(chart.segments.map((s) => s.key)).toEqual(["detractors", "passives", "promoters"]);
    expect(chart.segments.map((s) => s.width)).toEqual([100, 150, 250]);
    expect(chart.segments[2]!.x).toBe(250);
    expect(npsChart({ promoters: null, passives: null, detractors: null })).toBeNull();
  });
});

describe("the at-risk accounts chart", () => {
  const account = (name: string, revenue: number, loyalty: number, engagement: number, score: number) => ({
    account_id: name, name, owner_rep_id: null, owner: null, segment: "smb", mrr: 100, revenue, loyalty, engagement, score,
  });
  it("splits each score into its weighted parts on a 0–100 scale, with the at-risk line", () => {
    // 440 px of scale (480 − 40 for the score): 1 point = 4.4 px. Revenue 0.25 → 0.4 × 25 = 10
    // points = 44 px; loyalty 0.2 → 6 points = 26.4 px; engagement 0.5 → 15 points = 66 px.
    const chart = healthChart([account("A", 0.25, 0.2, 0.5, 31)], 70);
    expect(chart.rows[0]!.segments).toEqual([
      { key: "revenue", points: 10, x: 0, width: 44 },
      { key: "loyalty", points: 6, x: 44, width: 26.4 },
      { key: "engagement", points: 15, x: 70.4, width: 66 },
    ]);
    expect(chart.rows[0]!.scoreX).toBe(136.4 + 6);
    expect(chart.lineX).toBe(308);
  });

  it("says who is lowest and what drags it down", () => {
    expect(describeAtRisk([account("Northwind", 0.2, 0.2, 0.2333, 21), account("Initech", 1, 0.5, 0, 55)], 70))
      .toBe("2 accounts score below 70: Northwind is lowest at 21, its weakest part revenue trend; the highest of them, Initech, scores 55.");
    expect(describeAtRisk([], 70)).toBe("No customer account scores below 70.");
  });
});

describe("chart descriptions", () => {
  it("say what the chart shows", () => {
    expect(describeTrend("Revenue won", "money", [
      { month: "2026-02", value: 120000, year_ago: null },
      { month: "2026-03", value: 150000, year_ago: 125000 },
    ], usd)).toBe(
      "Revenue won rose from $120,000 in February 2026 to $150,000 in March 2026, 20.0% above the same month a year earlier ($125,000). Over the 12 months it ranged from $120,000 (February 2026) to $150,000 (March 2026).",
    );
    expect(describeSparkline("Win rate", "ratio", [{ month: "2026-01", value: 0.3 }, { month: "2026-02", value: 0.25 }], usd))
      .toBe("Win rate fell from 30.0% in January 2026 to 25.0% in February 2026; lowest 25.0% in February 2026, highest 30.0% in January 2026.");
    expect(describeRanking("Revenue won", "region", "money", [
      { key: "na", label: "North America", value: 7500 }, { key: "emea", label: "EMEA", value: 2500 },
    ], eur)).toBe("Revenue won by region, 2 items: North America leads with €7,500 (75.0% of the total), followed by EMEA with €2,500.");
    expect(describeFunnel([
      { key: "lead", label: "Lead", value: 100 }, { key: "won", label: "Won", value: 9 },
    ], usd)).toBe("Of 100 deals at Lead, 9 reached Won. Overall, 9.0% of new deals reached Won.");
    expect(describeRanking("Revenue won", "product", "money", [], usd)).toBe("Revenue won by product: no data this month.");
    expect(describeSparkline("Lead response time", "minutes", [{ month: "2026-01", value: 3222.5 }, { month: "2026-02", value: 1604.7 }, { month: "2026-03", value: 45 }], usd))
      .toBe("Lead response time fell from 2.2 days in January 2026 to 45 min in March 2026; lowest 45 min in March 2026, highest 2.2 days in January 2026.");
  });
});

describe("the fixtures", () => {
  it("repeat the catalog's name, unit, direction and formula in every headline", () => {
    for (const file of ["acme/2026-02.json", "acme/2026-03.json", "brightwave/2026-03.json"]) {
      const report = JSON.parse(readFileSync(join(FIXTURES, file), "utf8"));
      const all: Headline[] = [
        ...report.headlines, ...report.leads.conversion, ...report.activity.responsiveness, ...report.customers.metrics,
        ...(report.health?.metrics ?? []), ...(report.losses?.metrics ?? []), ...(report.acquisition?.metrics ?? []),
        ...(report.activity.selling_time ? [report.activity.selling_time.share] : []),
      ];
      for (const h of all) {
        const kpi = KPI_BY_ID.get(h.kpi);
        expect(kpi, h.kpi).toBeDefined();
        expect({ name: h.name, unit: h.unit, direction: h.direction, formula: h.formula }).toEqual({
          name: kpi!.name, unit: kpi!.unit, direction: kpi!.direction, formula: kpi!.formula,
        });
      }
    }
  });
});

describe("loading the reports folder", () => {
  function withCopy(mutate: (dir: string) => void, check: (dir: string) => void) {
    const dir = mkdtempSync(join(tmpdir(), "quotient-reports-"));
    try {
      cpSync(FIXTURES, dir, { recursive: true });
      mutate(dir);
      check(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  // The edits reach into arbitrary report JSON, on purpose without its types.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const edit = (dir: string, file: string, change: (json: any) => void) => {
    const path = join(dir, file);
    const json = JSON.parse(readFileSync(path, "utf8"));
    change(json);
    writeFileSync(path, JSON.stringify(json));
  };

  it("reads the fixtures, grouping months by workspace, newest first", () => {
    const data = loadReports(FIXTURES);
    expect(data.workspaces.map((w) => [w.slug, w.reports.map((r) => r.report.month)])).toEqual([
      ["acme", ["2026-03", "2026-02"]],
      ["brightwave", ["2026-03"]],
    ]);
  });

  it("explains a missing index", () => {
    expect(() => loadReports(join(tmpdir(), "no-such-reports-dir"))).toThrow(/No report index at .*npm run export/);
  });

  it("rejects an unknown schema version", () => {
    withCopy((d) => edit(d, "acme/2026-02.json", (r) => { r.schema_version = 2; }), (d) =>
      expect(() => loadReports(d)).toThrow(/schema_version 2; this site renders version 1 only/));
  });

  it("rejects a report that disagrees with its index entry", () => {
    withCopy((d) => edit(d, "acme/2026-02.json", (r) => { r.share_token = "other-token"; }), (d) =>
      expect(() => loadReports(d)).toThrow(/disagrees with its index entry.*share token/));
  });

  it("rejects files outside the folder, unsafe tokens and duplicates", () => {
    withCopy((d) => edit(d, "index.json", (i) => { i.reports[0].file = "../../etc/passwd"; }), (d) =>
      expect(() => loadReports(d)).toThrow(/outside REPORTS_DIR/));
    withCopy((d) => edit(d, "index.json", (i) => { i.reports[0].share_token = "../x"; }), (d) =>
      expect(() => loadReports(d)).toThrow(ReportDataError));
    withCopy((d) => edit(d, "index.json", (i) => { i.reports.push(i.reports[0]); }), (d) =>
      expect(() => loadReports(d)).toThrow(/duplicate report/));
  });

  it("keeps private workspaces out of the listed workspaces but not out of the share pages' reports", () => {
    const data = loadReports(FIXTURES);
    expect(data.reports.filter((r) => r.report.workspace.slug === "cobalt").map((r) => r.report.month)).toEqual(["2025-12", "2026-01"]);
    expect(data.workspaces.map((w) => w.slug)).not.toContain("cobalt");
    // An index written before the setting existed has no `public`: every workspace is private.
    withCopy((d) => edit(d, "index.json", (i) => { for (const r of i.reports) delete r.public; }), (d) => {
      const old = loadReports(d);
      expect(old.workspaces).toEqual([]);
      expect(old.reports).toHaveLength(5);
    });
    withCopy((d) => edit(d, "index.json", (i) => { i.reports[0].public = false; }), (d) =>
      expect(() => loadReports(d)).toThrow(/index entries of workspace "acme" disagree on "public"/));
  });

  it("rejects invalid JSON with the file's path", () => {
    withCopy((d) => writeFileSync(join(d, "brightwave/2026-03.json"), "{ not json"), (d) =>
      expect(() => loadReports(d)).toThrow(/brightwave\/2026-03\.json is not valid JSON/));
  });
});

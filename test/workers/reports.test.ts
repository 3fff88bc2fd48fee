// Reports: assembly against the golden company (values derived by hand from the
// independent expected.json), publication on the 1st, revisions, deploy hooks, the API.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import type { D1Database } from "@cloudflare/workers-types";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { Report } from "../../shared/report";
import worker from "../../workers/index";
import { publishAll } from "../../workers/reports/cron";
import expected from "../fixtures/golden/expected.json";
import { loadGolden } from "./golden";
import { call, createNativeConnection, createWorkspace, event, postNative, waitForInbox, workspaceDbOf } from "./helpers";

/** The database holding the workspace under test (the directory places it). */
let db: D1Database;

type Expected = Record<string, Record<string, Record<string, Record<string, number | null>>>>;
const EXPECTED = expected as Expected;
const all = (month: string, kpi: string) => EXPECTED[month]![kpi]!.all!.all!;

describe("report assembly on the golden company", () => {
  let report: Report;

  beforeAll(async () => {
    await loadGolden("golden-report");
    const months = Object.keys(EXPECTED);
    expect((await call("POST", "/api/v1/workspaces/golden-report/recompute", { from: months[0], to: months.at(-1) })).status).toBe(200);
    const published = await call("POST", "/api/v1/workspaces/golden-report/reports/2026-03/publish");
    expect(published.status).toBe(201);
    const response = await call("GET", "/api/v1/workspaces/golden-report/reports/2026-03");
    report = Report.parse(await response.json());
  }, 180_000);

  it("gives each headline M, M−1, M−12, year to date and the changes", () => {
    const revenue = report.headlines.find((h) => h.kpi === "revenue_won")!;
    const [m, previous, yearAgo] = [all("2026-03", "revenue_won"), all("2026-02", "revenue_won"), all("2025-03", "revenue_won")] as number[];
    expect(revenue.value).toBeCloseTo(m!, 6);
    expect(revenue.previous).toBeCloseTo(previous!, 6);
    expect(revenue.year_ago).toBeCloseTo(yearAgo!, 6);
    // Money changes relatively: (M − (M−1)) / (M−1).
    expect(revenue.change_mom).toBeCloseTo((m! - previous!) / previous!, 9);
    expect(revenue.change_yoy).toBeCloseTo((m! - yearAgo!) / yearAgo!, 9);
    // Year to date: January + February + March 2026, against the same months of 2025.
    const ytd = ["2026-01", "2026-02", "2026-03"].reduce((sum, month) => sum + all(month, "revenue_won")!, 0);
    const ytdYearAgo = ["2025-01", "2025-02", "2025-03"].reduce((sum, month) => sum + all(month, "revenue_won")!, 0);
    expect(revenue.ytd).toBeCloseTo(ytd, 6);
    expect(revenue.ytd_year_ago).toBeCloseTo(ytdYearAgo, 6);
    expect(revenue.series.map((p) => p.month)).toEqual([
      "2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03",
    ]);
  });

  it("opens with what changed in March: the six biggest moves from the stored values, explained and flagged", () => {
    // From expected.json, February → March 2026 (sizes: relative change, capped at 1; points
    // for the NPS score, ÷ 100):
    // - open pipeline 655,996.52 → 1,296,616.64 (+97.7 %), above the trailing high 668,600;
    //   by team borealis +295,517.44 of +640,620.12 (atlas +145,686, cascade +199,417).
    // - revenue won 181,695.24 → 344,742.72 (+89.7 %, trailing high 544,492.60); by source
    //   outbound +181,646.48, more than the whole +163,047 (region na-east +178,060 is less).
    // - deals won 13 → 22 (+69.2 %), above the trailing high 13; outbound +9 = all 9.
    // - NPS 12.5 → 50 (+37.5 pts): no region or segment has 5 answers in both months (na-west
    //   6 then 3), so no member is named; 2 months of history are too few to flag it.
    // - average deal size 13,976.56 → 17,237.14 (+23.3 %); of the members with 5 won deals in
    //   both months, na-east 15,161.23 → 24,457.01 (+61.3 %) beats atlas (+27.6 %).
    // - new opportunities 35 → 43 (+22.9 %), above the trailing high 35; team atlas +10 is
    //   more than the whole +8 (source "unknown" +10 is never named).
    // Win rate (+14.2 pp), sales cycle (+15 %), MRR (+13.9 %) and new leads (+8 %) are smaller.
    expect(report.changes).toEqual([
      {
        kpi: "open_pipeline_value",
        text: "Open pipeline improved, rising 97.7% to $1,296,617, the highest in 12 months; $295,517 of the $640,620 increase was in the borealis team.",
        members: { dimension: "team", key: "borealis" },
        outside_range: true,
      },
      {
        kpi: "revenue_won",
        text: "Revenue won improved, rising 89.7% to $344,743; revenue won from outbound alone rose by $181,646.",
        members: { dimension: "source", key: "outbound" },
        outside_range: false,
      },
      {
        kpi: "deals_won",
        text: "Deals won improved, rising 69.2% to 22, the highest in 12 months; all 9 extra wins were from outbound.",
        members: { dimension: "source", key: "outbound" },
        outside_range: true,
      },
      { kpi: "nps", text: "Net Promoter Score improved, rising 37.5 pts to 50.", members: null, outside_range: false },
      {
        kpi: "avg_deal_size",
        text: "Average deal size improved, rising 23.3% to $17,237; the largest rise was in na-east: up 61.3% to $24,457.",
        members: { dimension: "region", key: "na-east" },
        outside_range: false,
      },
      {
        kpi: "new_opportunities",
        text: "New opportunities improved, rising 22.9% to 43, the highest in 12 months; new opportunities in the atlas team alone rose by 10.",
        members: { dimension: "team", key: "atlas" },
        outside_range: true,
      },
    ]);
  });

  it("takes a ratio's year to date as Σ won ÷ Σ closed, and its changes as differences", () => {
    const winRate = report.headlines.find((h) => h.kpi === "win_rate")!;
    const months = ["2026-01", "2026-02", "2026-03"];
    const won = months.reduce((sum, month) => sum + all(month, "deals_won")!, 0);
    const lost = months.reduce((sum, month) => sum + all(month, "deals_lost")!, 0);
    expect(winRate.ytd).toBeCloseTo(won / (won + lost), 12);
    expect(winRate.change_kind).toBe("difference");
    expect(winRate.change_mom).toBeCloseTo(all("2026-03", "win_rate")! - all("2026-02", "win_rate")!, 12);
  });

  it("ranks the leaderboard by revenue, with names, deals, win rate and quota attainment", () => {
    const revenueByRep = EXPECTED["2026-03"]!.revenue_won!.rep!;
    const ranked = Object.entries(revenueByRep).sort((a, b) => b[1]! - a[1]!);
    const [topRep, topRevenue] = ranked[0]!;
    const top = report.leaderboard[0]!;
    expect(top.rep_id).toBe(topRep);
    expect(top.revenue_won).toBeCloseTo(topRevenue!, 6);
    expect(top.deals_won).toBe(EXPECTED["2026-03"]!.deals_won!.rep![topRep]);
    expect(top.win_rate).toBeCloseTo(EXPECTED["2026-03"]!.win_rate!.rep![topRep]!, 12);
    expect(top.quota_attainment).toBeCloseTo(EXPECTED["2026-03"]!.quota_attainment!.rep![topRep]!, 12);
    expect(top.name).not.toBe(topRep);
    expect(report.leaderboard.map((r) => r.revenue_won ?? -1)).toEqual([...report.leaderboard.map((r) => r.revenue_won ?? -1)].sort((a, b) => b - a));
  });

  it("carries the members behind every tile, leaderboard row and bar it links to", () => {
    const drill = (kpi: string, dimension: string, key: string) =>
      report.drilldowns!.find((d) => d.kpi === kpi && d.dimension === dimension && d.key === key);
    // expected.json 2026-03: win_rate 22 won of 30 closed; revenue_won 344,742.72 (kpi-golden.test.ts).
    const winRate = drill("win_rate", "all", "all")!;
    expect(winRate).toMatchObject({ id: "win_rate.all.all", numerator: { count: 22, total: 22 }, denominator: { count: 30, total: 30 } });
    expect(winRate.numerator.members).toHaveLength(20);
    const revenue = drill("revenue_won", "all", "all")!;
    expect(revenue.numerator.total).toBeCloseTo(all("2026-03", "revenue_won")!, 6);
    expect(revenue.denominator).toBeNull();
    const contributions = revenue.numerator.members.map((m) => m.contribution);
    expect(contributions).toEqual([...contributions].sort((a, b) => b - a));
    // Every leaderboard row and every bar of revenue by region has its page, adding up to the row's or bar's value.
    // A rep who won nothing has no value, hence no page.
    expect(report.leaderboard.filter((r) => !r.revenue_won).every((r) => !drill("revenue_won", "rep", r.rep_id))).toBe(true);
    for (const row of report.leaderboard.filter((r) => r.revenue_won)) {
      const d = drill("revenue_won", "rep", row.rep_id)!;
      expect(d.label).toBe(row.name);
      expect(d.numerator.total).toBeCloseTo(row.revenue_won ?? 0, 6);
    }
    for (const bar of report.breakdowns.revenue_by_region.items) {
      expect(drill("revenue_won", "region", bar.key)!.numerator.total).toBeCloseTo(bar.value ?? 0, 6);
    }
    // The derived KPIs have none: they are made of other values.
    expect(report.drilldowns!.some((d) => d.kpi === "pipeline_velocity")).toBe(false);
  });

  it("carries the funnel, breakdowns, customers and warnings of the month", () => {
    expect(report.funnel.reached.map((s) => s.key)).toEqual(["discovery", "demo", "proposal", "negotiation"]);
    expect(report.funnel.reached.map((s) => s.value)).toEqual(
      ["discovery", "demo", "proposal", "negotiation"].map((s) => EXPECTED["2026-03"]!.stage_reached!.stage![s]),
    );
    expect(report.customers.nps.score).toBeCloseTo(all("2026-03", "nps")!, 9);
    expect(report.breakdowns.revenue_by_region.items[0]!.value).toBe(
      Math.max(...Object.values(EXPECTED["2026-03"]!.revenue_won!.region!).map(Number)),
    );
    expect(report.warnings.missing_fx).toBe(3);
    expect(report.version).toBe(1);
    expect(report.share_token).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe("the customer health section on a hand-made workspace", () => {
  let report: Report;

  beforeAll(async () => {
    await createWorkspace("health", { timezone: "UTC", currency: "USD" });
    const connection = await createNativeConnection("health");
    const events = [
      event("h-r1", "rep.upserted", "2025-01-02T09:00:00Z", { rep_id: "R-1", name: "Rita Ortega", team: "Accounts" }),
      event("h-r2", "rep.upserted", "2025-01-02T09:00:00Z", { rep_id: "R-2", name: "Sam Ng", team: "Accounts" }),
      event("h-a1", "account.upserted", "2025-01-05T09:00:00Z", { account_id: "A-1", name: "Northwind", segment: "enterprise", owner_rep_id: "R-1" }),
      event("h-a2", "account.upserted", "2025-01-05T09:00:00Z", { account_id: "A-2", name: "Contoso", segment: "smb", owner_rep_id: "R-2" }),
      event("h-a3", "account.upserted", "2025-01-05T09:00:00Z", { account_id: "A-3", name: "Globex", segment: "enterprise", owner_rep_id: "R-1" }),
      event("h-a4", "account.upserted", "2025-01-05T09:00:00Z", { account_id: "A-4", name: "Initech", segment: "smb" }),
      // A-1 contracts: 1,000 at start(M−2) = Jan 1, 400 at start(M+1) = Apr 1.
      event("h-s1a", "subscription.updated", "2025-12-15T09:00:00Z", { subscription_id: "S-1", account_id: "A-1", mrr: 1000 }),
      event("h-s1b", "subscription.updated", "2026-03-10T09:00:00Z", { subscription_id: "S-1", account_id: "A-1", mrr: 400 }),
      event("h-n1", "survey.responded", "2026-02-10T09:00:00Z", { response_id: "N-1", survey: "nps", score: 2, account_id: "A-1" }),
      event("h-c1", "activity.logged", "2026-01-15T00:00:00Z", { activity_id: "C-1", type: "call", account_id: "A-1", rep_id: "R-1" }),
      // A-2 is a customer through a won deal only; its NPS is older than M−11; a note is no contact.
      event("h-d2", "deal.upserted", "2026-02-10T09:00:00Z", { deal_id: "D-2", account_id: "A-2", owner_rep_id: "R-2", amount: 3000, status: "won" }),
      event("h-n2", "survey.responded", "2025-03-20T09:00:00Z", { response_id: "N-2", survey: "nps", score: 9, account_id: "A-2" }),
      event("h-c2", "activity.logged", "2025-12-01T00:00:00Z", { activity_id: "C-2", type: "call", account_id: "A-2", rep_id: "R-2" }),
      event("h-c2n", "activity.logged", "2026-03-25T09:00:00Z", { activity_id: "C-2n", type: "note", account_id: "A-2", rep_id: "R-2" }),
      // A-3 is healthy: steady MRR, a promoter, a call twelve days before the month ends.
      event("h-s3", "subscription.updated", "2025-11-01T09:00:00Z", { subscription_id: "S-3", account_id: "A-3", mrr: 500 }),
      event("h-n3", "survey.responded", "2026-03-01T09:00:00Z", { response_id: "N-3", survey: "nps", score: 10, account_id: "A-3" }),
      event("h-c3", "activity.logged", "2026-03-20T00:00:00Z", { activity_id: "C-3", type: "call", account_id: "A-3", rep_id: "R-1", duration_seconds: 1200 }),
      // Selling time in March: the 20-minute call is contact, a 30-minute task is not.
      event("h-t1", "activity.logged", "2026-03-21T09:00:00Z", { activity_id: "T-1", type: "task", rep_id: "R-1", duration_seconds: 1800 }),
      // A handoff: Sam owns the lead, Rita the deal created from it.
      event("h-l1", "lead.upserted", "2026-03-02T09:00:00Z", { lead_id: "L-1", owner_rep_id: "R-2", source: "outbound" }),
      event("h-d5", "deal.upserted", "2026-03-05T09:00:00Z", { deal_id: "D-5", lead_id: "L-1", owner_rep_id: "R-1", amount: 5000, status: "open" }),
      // Two losses in March: one to a competitor on price, one without a reason.
      event("h-d6", "deal.upserted", "2026-03-12T09:00:00Z", { deal_id: "D-6", owner_rep_id: "R-1", amount: 2000, status: "lost", lost_reason: " Price ", competitor: "Kinetiq" }),
      event("h-d7", "deal.upserted", "2026-03-15T09:00:00Z", { deal_id: "D-7", owner_rep_id: "R-2", amount: 1000, status: "lost" }),
      // A-5 won a deal, paid, and stopped paying in December: still a customer (rule 24), at risk.
      event("h-a5", "account.upserted", "2025-01-05T09:00:00Z", { account_id: "A-5", name: "Umbrella", segment: "smb", owner_rep_id: "R-2" }),
      event("h-d8", "deal.upserted", "2025-06-01T09:00:00Z", { deal_id: "D-8", account_id: "A-5", owner_rep_id: "R-2", amount: 900, status: "won" }),
      event("h-s5a", "subscription.updated", "2025-06-02T09:00:00Z", { subscription_id: "S-5", account_id: "A-5", mrr: 300 }),
      event("h-s5b", "subscription.updated", "2025-12-20T09:00:00Z", { subscription_id: "S-5", account_id: "A-5", mrr: 0 }),
      // A-4 started paying in February, has no owner, no survey and no contact.
      event("h-s4", "subscription.updated", "2026-02-15T09:00:00Z", { subscription_id: "S-4", account_id: "A-4", mrr: 200 }),
    ];
    expect((await postNative(connection, JSON.stringify({ events }))).status).toBe(202);
    await waitForInbox();
    expect((await call("POST", "/api/v1/workspaces/health/recompute", { from: "2026-03", to: "2026-03" })).status).toBe(200);
    expect((await call("POST", "/api/v1/workspaces/health/reports/2026-03/publish")).status).toBe(201);
    report = Report.parse(await (await call("GET", "/api/v1/workspaces/health/reports/2026-03")).json());
  });

  it("lists the accounts below 70 with their component scores, owner and MRR, lowest first", () => {
    // Health = round(100 × (0.4 revenue + 0.3 loyalty + 0.3 engagement)), t = 2026-04-01:
    // revenue 0.5 + (400 − 1000) ÷ 2000 = 0.2; loyalty NPS 2 → 0.2; last call Jan 15,
    //      76 days → (90 − 76) ÷ 60 = 0.2333; 100 × (0.08 + 0.06 + 0.07) = 21.
    // never had MRR → 0.5; its only NPS (Mar 2025) is before start(M−11) → 0.5; last
    //      contact Dec 1, 121 days (the note is no contact) → 0; 100 × (0.2 + 0.15) = 35.
    // 0 at start(M−2), 200 now → 1; no NPS → 0.5; no contact → 0; 100 × (0.4 + 0.15) = 55.
    // 500 → 500 → 0.5; NPS 10 → 1; 12 days → 1; 80: not at risk.
    // paid before, 0 at start(M−2) and now → 0; no NPS → 0.5; no contact → 0; 15, the
    //      lowest, but listed last: its MRR has ended.
    expect(report.health!.at_risk_below).toBe(70);
    expect(report.health!.at_risk).toEqual([
      { account_id: "A-1", name: "Northwind", owner_rep_id: "R-1", owner: "Rita Ortega", segment: "enterprise", mrr: 400, revenue: 0.2, loyalty: 0.2, engagement: 0.2333, score: 21 },
      { account_id: "A-2", name: "Contoso", owner_rep_id: "R-2", owner: "Sam Ng", segment: "smb", mrr: 0, revenue: 0.5, loyalty: 0.5, engagement: 0, score: 35 },
      { account_id: "A-4", name: "Initech", owner_rep_id: null, owner: null, segment: "smb", mrr: 200, revenue: 1, loyalty: 0.5, engagement: 0, score: 55 },
      { account_id: "A-5", name: "Umbrella", owner_rep_id: "R-2", owner: "Sam Ng", segment: "smb", mrr: 0, revenue: 0, loyalty: 0.5, engagement: 0, score: 15 },
    ]);
  });

  it("shows why deals were lost, selling time and handoffs", () => {
    // Lost in March: D-6 ($2,000, " Price " → price, to Kinetiq) and D-7 ($1,000, no reason).
    const byReason = (items: { key: string; label: string; value: number | null }[]) => items.map(({ key, label, value }) => ({ key, label, value }));
    expect(byReason(report.losses!.lost_revenue_by_reason.items)).toEqual([
      { key: "price", label: "Price", value: 2000 }, { key: "unknown", label: "No reason given", value: 1000 },
    ]);
    expect(byReason(report.losses!.deals_lost_by_reason.items)).toEqual([
      { key: "price", label: "Price", value: 1 }, { key: "unknown", label: "No reason given", value: 1 },
    ]);
    // One of the two losses names a competitor: 1 ÷ 2.
    expect(report.losses!.metrics.find((h) => h.kpi === "competitive_loss_rate")!.value).toBe(0.5);
    expect(report.losses!.metrics.find((h) => h.kpi === "lost_revenue")!.value).toBe(3000);
    // Both losses are team Accounts': 1 of 2 to a competitor.
    expect(report.losses!.competitive_by_team.items.map((i) => [i.key, i.value])).toEqual([["Accounts", 0.5]]);
    // Selling time: 1,200 s of contact ÷ (1,200 + 1,800) s of activity = 0.4, all in team Accounts.
    expect(report.activity.selling_time!.share.value).toBeCloseTo(0.4, 12);
    expect(report.activity.selling_time!.by_team.items.map((i) => [i.key, i.value])).toEqual([["Accounts", 0.4]]);
    // D-5 came from Sam's lead and is Rita's deal: one handoff, Sam's; Rita handed off none.
    const handoffs = Object.fromEntries(report.leaderboard.map((r) => [r.rep_id, r.handoffs]));
    expect(handoffs).toMatchObject({ "R-1": 0, "R-2": 1 });
  });

  it("gives the health KPIs of the same scores: the mean, the share at risk, by segment, churn by rep", () => {
    // Scores 21, 35, 80, 55, 15: mean 206 ÷ 5 = 41.2; 4 of 5 below 70.
    const value = (kpi: string) => report.health!.metrics.find((h) => h.kpi === kpi)!.value;
    expect(value("customer_health")).toBeCloseTo(41.2, 12);
    expect(value("accounts_at_risk")).toBeCloseTo(0.8, 12);
    expect(report.health!.at_risk_count).toBe(4);
    // enterprise: A-1 21, A-3 80 → 50.5; smb: A-2 35, A-4 55, A-5 15 → 35.
    expect(report.health!.by_segment.items.map((i) => [i.key, i.value])).toEqual([["enterprise", 50.5], ["smb", 35]]);
    // Paying at start(M): A-1 and A-3 (Rita's), A-4 (no owner); none stopped by start(M+1).
    expect(report.customers.churn_by_rep!.items.map((i) => [i.label, i.value])).toEqual([["Rita Ortega", 0], ["unknown", 0]]);
  });

  it("carries the new sections of catalog version 2", () => {
    expect(report.health!.metrics.map((h) => h.kpi)).toEqual(["customer_health", "accounts_at_risk"]);
    expect(report.losses!.metrics.map((h) => h.kpi)).toEqual(["lost_revenue", "deals_lost", "competitive_loss_rate"]);
    expect(report.acquisition!.metrics.map((h) => h.kpi)).toEqual(["customer_acquisition_cost", "ltv_to_cac", "avg_lead_score"]);
    expect(report.activity.selling_time!.share.kpi).toBe("selling_time_share");
    expect(report.customers.churn_by_rep!.dimension).toBe("rep");
  });

  it("has a pipeline movement without slipped deals when no deal has an expected close", () => {
    const movement = report.pipeline_movement!;
    // Nothing open on March 1; D-5 created on March 5 (5,000) is the whole pipeline on April 1
    // (D-6 and D-7 were created and lost inside March: never open at an edge).
    const value = (m: string) => movement.overall.find((s) => s.movement === m)!.value;
    expect([value("open_start"), value("created"), value("open_end")]).toEqual([0, 5000, 5000]);
    expect(movement.slipped).toEqual([]);
    expect(movement.slipped_count).toBe(0);
  });
});

describe("the pipeline movement section on a hand-made workspace", () => {
  let report: Report;
  const deal = (id: string, at: string, data: Record<string, unknown>) => event(`pm-${id}@${at}`, "deal.upserted", at, { deal_id: id, ...data });

  beforeAll(async () => {
    await createWorkspace("movement-report", { timezone: "UTC", currency: "USD" });
    const connection = await createNativeConnection("movement-report");
    const events = [
      event("pm-r1", "rep.upserted", "2025-12-01T00:00:00Z", { rep_id: "R-1", name: "Rita Ortega", team: "north" }),
      event("pm-r2", "rep.upserted", "2025-12-01T00:00:00Z", { rep_id: "R-2", name: "Sam Ng", team: "south" }),
      // A: open all month, expected on March 20, raised from 1,000 to 1,500 on March 15: slipped (1,500).
      deal("A", "2026-02-01T10:00:00Z", { name: "Northwind renewal", owner_rep_id: "R-1", amount: 1000, status: "open", expected_close_at: "2026-03-20T00:00:00Z" }),
      deal("A", "2026-03-15T10:00:00Z", { amount: 1500 }),
      // B: expected on March 10 and won that day (2,000): on time.
      deal("B", "2026-02-05T10:00:00Z", { name: "Contoso expansion", owner_rep_id: "R-1", amount: 2000, status: "open", expected_close_at: "2026-03-10T00:00:00Z" }),
      deal("B", "2026-03-10T10:00:00Z", { status: "won" }),
      // C: expected on March 25, pushed to May 10 on March 15, still open: pushed and slipped (800).
      deal("C", "2026-02-06T10:00:00Z", { name: "Globex pilot", owner_rep_id: "R-2", amount: 800, status: "open", expected_close_at: "2026-03-25T00:00:00Z" }),
      deal("C", "2026-03-15T10:00:00Z", { expected_close_at: "2026-05-10T00:00:00Z" }),
      // D: created on March 10 (400), expected on March 31, still open: slipped (planned when first seen).
      deal("D", "2026-03-10T10:00:00Z", { name: "Initech seats", owner_rep_id: "R-2", amount: 400, status: "open", expected_close_at: "2026-03-31T00:00:00Z" }),
      // E: expected in April, pulled into March on March 5, lost on March 25 (600): pulled in.
      deal("E", "2026-02-07T10:00:00Z", { name: "Umbrella", owner_rep_id: "R-2", amount: 600, status: "open", expected_close_at: "2026-04-15T00:00:00Z" }),
      deal("E", "2026-03-05T10:00:00Z", { expected_close_at: "2026-03-28T00:00:00Z" }),
      deal("E", "2026-03-25T10:00:00Z", { status: "lost" }),
      // F: no expected date (700), handed from R-1 (north) to R-2 (south) on March 8.
      deal("F", "2026-02-03T10:00:00Z", { name: "Hooli", owner_rep_id: "R-1", amount: 700, status: "open" }),
      deal("F", "2026-03-08T10:00:00Z", { owner_rep_id: "R-2" }),
      // G: expected on March 15, deleted on March 18 (250): deleted, and in no slippage (rule 6).
      deal("G", "2026-02-02T10:00:00Z", { name: "Stark", owner_rep_id: "R-1", amount: 250, status: "open", expected_close_at: "2026-03-15T00:00:00Z" }),
      event("pm-G-deleted", "deal.deleted", "2026-03-18T10:00:00Z", { deal_id: "G" }),
    ];
    expect((await postNative(connection, JSON.stringify({ events }))).status).toBe(202);
    await waitForInbox();
    expect((await call("POST", "/api/v1/workspaces/movement-report/recompute", { from: "2026-03", to: "2026-03" })).status).toBe(200);
    expect((await call("POST", "/api/v1/workspaces/movement-report/reports/2026-03/publish")).status).toBe(201);
    report = Report.parse(await (await call("GET", "/api/v1/workspaces/movement-report/reports/2026-03")).json());
  });

  const table = (steps: { movement: string; deals: number; value: number }[]) =>
    Object.fromEntries(steps.filter((s) => s.deals > 0 || s.value !== 0).map((s) => [s.movement, [s.deals, s.value]]));

  it("carries the month's waterfall, every class in order, adding up", () => {
    const { overall } = report.pipeline_movement!;
    expect(overall.map((s) => s.movement)).toEqual([
      "open_start", "created", "reopened", "transferred_in", "increased", "decreased", "won", "lost", "deleted", "transferred_out", "open_end",
    ]);
    // Open at start: A 1,000 + B 2,000 + C 800 + E 600 + F 700 + G 250 = 5,350 (6 deals).
    // Open at end: A 1,500 + C 800 + D 400 + F 700 = 3,400 (4 deals); F's handover moves nothing overall.
    // 5,350 + 400 created + 500 raised − 2,000 won − 600 lost − 250 deleted = 3,400; 6 + 1 − 1 − 1 − 1 = 4.
    expect(table(overall)).toEqual({
      open_start: [6, 5350], created: [1, 400], increased: [1, 500], won: [1, 2000], lost: [1, 600], deleted: [1, 250], open_end: [4, 3400],
    });
  });

  it("breaks the waterfall down by team, the handover out of north and into south", () => {
    const byTeam = Object.fromEntries(report.pipeline_movement!.by_team.map((t) => [t.key, table(t.movements)]));
    expect(Object.keys(byTeam)).toEqual(["north", "south"]);
    // North: 3,950 (A, B, F, G) + 500 − 2,000 won − 250 deleted − 700 to south = 1,500 (A).
    expect(byTeam.north).toEqual({
      open_start: [4, 3950], increased: [1, 500], won: [1, 2000], deleted: [1, 250], transferred_out: [1, 700], open_end: [1, 1500],
    });
    // South: 1,400 (C, E) + 400 created + 700 from north − 600 lost = 1,900 (C, D, F).
    expect(byTeam.south).toEqual({
      open_start: [2, 1400], created: [1, 400], transferred_in: [1, 700], lost: [1, 600], open_end: [3, 1900],
    });
  });

  it("lists the slipped deals, largest first, with owner, value and both close dates", () => {
    const section = report.pipeline_movement!;
    // Slipped: A (1,500), C (800, pushed) and D (400): 3 deals, 2,700. B closed, E closed, G deleted, F has no plan.
    expect(section.slipped_count).toBe(3);
    expect(section.slipped).toEqual([
      { deal_id: "A", name: "Northwind renewal", owner_rep_id: "R-1", owner: "Rita Ortega", value: 1500,
        planned_close: "2026-03-20T00:00:00.000Z", expected_close: "2026-03-20T00:00:00.000Z", pushed: false },
      { deal_id: "C", name: "Globex pilot", owner_rep_id: "R-2", owner: "Sam Ng", value: 800,
        planned_close: "2026-03-25T00:00:00.000Z", expected_close: "2026-05-10T00:00:00.000Z", pushed: true },
      { deal_id: "D", name: "Initech seats", owner_rep_id: "R-2", owner: "Sam Ng", value: 400,
        planned_close: "2026-03-31T00:00:00.000Z", expected_close: "2026-03-31T00:00:00.000Z", pushed: false },
    ]);
  });

  it("shows the slippage KPIs: slipped, pushed and pulled in, by count and value", () => {
    const values = Object.fromEntries(report.pipeline_movement!.slippage.map((h) => [h.kpi, h.value]));
    // Pushed: C (800). Pulled in: E (600), lost since, still pulled in.
    expect(values).toEqual({
      slipped_deals: 3, slipped_value: 2700, pushed_deals: 1, pushed_value: 800, pulled_in_deals: 1, pulled_in_value: 600,
    });
  });
});

describe("publication", () => {
  const at = (iso: string) => Date.parse(iso);
  let workspaceId: string;
  let connection: { id: string; secret: string };

  beforeAll(async () => {
    await createWorkspace("monthly", { timezone: "America/New_York", deploy_hook_url: `${inject("hookServer")}/ok/monthly` });
    db = await workspaceDbOf("monthly");
    workspaceId = (await db.prepare("SELECT id FROM workspaces WHERE slug = 'monthly'").first<{ id: string }>())!.id;
    connection = await createNativeConnection("monthly");
    const events = [
      event("m1", "deal.upserted", "2026-03-05T15:00:00Z", { deal_id: "D-1", owner_rep_id: "R-1", amount: 1000, status: "won" }),
      event("m2", "deal.upserted", "2026-03-06T15:00:00Z", { deal_id: "D-2", owner_rep_id: "R-1", amount: 500, status: "lost" }),
    ];
    expect((await postNative(connection, JSON.stringify({ events }))).status).toBe(202);
    await waitForInbox();
    expect((await call("POST", "/api/v1/workspaces/monthly/recompute", { from: "2026-03", to: "2026-03" })).status).toBe(200);
  });

  async function runHourlyCron(instant: number) {
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: new Date(instant), cron: "0 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
  }

  const versions = async () =>
    (await db.prepare("SELECT version FROM reports WHERE workspace_id = ?1 AND month = '2026-03' ORDER BY version").bind(workspaceId).all()).results.map(
      (r) => r.version,
    );

  it("publishes last month once on the 1st after 06:00 local time, and calls the deploy hook", async () => {
    // 09:00 UTC on April 1st is 05:00 in New York: too early.
    await runHourlyCron(at("2026-04-01T09:00:00Z"));
    expect(await versions()).toEqual([]);
    // 10:30 UTC is 06:30 in New York.
    await runHourlyCron(at("2026-04-01T10:30:00Z"));
    expect(await versions()).toEqual([1]);
    // The next run does not publish it again.
    await runHourlyCron(at("2026-04-01T11:00:00Z"));
    expect(await versions()).toEqual([1]);
    const calls = (await (await fetch(`${inject("hookServer")}/calls`)).json()) as { path: string; method: string }[];
    expect(calls.filter((c) => c.path === "/ok/monthly")).toEqual([{ path: "/ok/monthly", method: "POST", userAgent: "Quotient deploy hook" }]);
    const recorded = await db.prepare("SELECT attempts, status, ok FROM deploy_hook_calls WHERE workspace_id = ?1").bind(workspaceId).all();
    expect(recorded.results).toEqual([{ attempts: 1, status: 200, ok: 1 }]);
  });

  it("publishes a revised version when a late event changes the month", async () => {
    const late = event("m3", "deal.upserted", "2026-03-20T15:00:00Z", { deal_id: "D-3", owner_rep_id: "R-1", amount: 250, status: "won" });
    expect((await postNative(connection, JSON.stringify(late))).status).toBe(202);
    await waitForInbox();
    expect((await call("POST", "/api/v1/workspaces/monthly/recompute", { from: "2026-03", to: "2026-03" })).status).toBe(200);
    await runHourlyCron(at("2026-04-01T12:00:00Z"));
    expect(await versions()).toEqual([1, 2]);
    const revised = Report.parse(await (await call("GET", "/api/v1/workspaces/monthly/reports/2026-03")).json());
    expect(revised.version).toBe(2);
    expect(revised.headlines.find((h) => h.kpi === "revenue_won")!.value).toBe(1250);
    const first = Report.parse(await (await call("GET", "/api/v1/workspaces/monthly/reports/2026-03?version=1")).json());
    expect(first.headlines.find((h) => h.kpi === "revenue_won")!.value).toBe(1000);
    // Both versions share the link; recomputing without a change publishes nothing new.
    expect(revised.share_token).toBe(first.share_token);
    expect((await call("POST", "/api/v1/workspaces/monthly/recompute", { from: "2026-03", to: "2026-03" })).status).toBe(200);
    await runHourlyCron(at("2026-04-01T13:00:00Z"));
    expect(await versions()).toEqual([1, 2]);
  });

  it("records a failing deploy hook after its retries, without failing the publication", async () => {
    await db.prepare("UPDATE workspaces SET deploy_hook_url = ?2 WHERE id = ?1").bind(workspaceId, `${inject("hookServer")}/fail/monthly`).run();
    await db.prepare("DELETE FROM reports WHERE workspace_id = ?1").bind(workspaceId).run();
    const background: Promise<unknown>[] = [];
    const published = await publishAll(db, at("2026-04-02T12:00:00Z"), (work) => background.push(work), { attempts: 3, backoffMs: 5 });
    await Promise.all(background);
    expect(published).toBe(1);
    const recorded = await db.prepare(
      "SELECT attempts, status, ok, error FROM deploy_hook_calls WHERE workspace_id = ?1 ORDER BY id DESC LIMIT 1",
    ).bind(workspaceId).first();
    expect(recorded).toEqual({ attempts: 3, status: 500, ok: 0, error: "HTTP 500" });
  });

  it("abandons a deploy hook that never answers, records it and still publishes", async () => {
    await db.prepare("UPDATE workspaces SET deploy_hook_url = ?2 WHERE id = ?1").bind(workspaceId, `${inject("hookServer")}/hang/monthly`).run();
    await db.prepare("DELETE FROM reports WHERE workspace_id = ?1").bind(workspaceId).run();
    const background: Promise<unknown>[] = [];
    const started = Date.now();
    const published = await publishAll(db, at("2026-04-02T12:00:00Z"), (work) => background.push(work), {
      attempts: 2,
      backoffMs: 5,
      timeoutMs: 200,
    });
    expect(published).toBe(1);
    await Promise.all(background);
    // Two attempts of 200 ms each, not forever.
    expect(Date.now() - started).toBeLessThan(5_000);
    const recorded = await db.prepare(
      "SELECT attempts, status, ok, error FROM deploy_hook_calls WHERE workspace_id = ?1 ORDER BY id DESC LIMIT 1",
    ).bind(workspaceId).first<{ attempts: number; status: number | null; ok: number; error: string }>();
    expect(recorded).toMatchObject({ attempts: 2, status: null, ok: 0 });
    expect(recorded!.error).toMatch(/timeout|abort/i);
    await db.prepare("UPDATE workspaces SET deploy_hook_url = ?2 WHERE id = ?1").bind(workspaceId, `${inject("hookServer")}/fail/monthly`).run();
  });

  const lastCall = () =>
    db.prepare("SELECT attempts, status, ok, error FROM deploy_hook_calls WHERE workspace_id = ?1 ORDER BY id DESC LIMIT 1").bind(workspaceId).first();

  async function publishWithHook(url: string) {
    await db.prepare("UPDATE workspaces SET deploy_hook_url = ?2 WHERE id = ?1").bind(workspaceId, url).run();
    await db.prepare("DELETE FROM reports WHERE workspace_id = ?1").bind(workspaceId).run();
    const background: Promise<unknown>[] = [];
    const published = await publishAll(db, at("2026-04-02T12:00:00Z"), (work) => background.push(work), { attempts: 3, backoffMs: 5 });
    await Promise.all(background);
    expect(published).toBe(1);
  }

  it("does not follow a deploy hook's redirect: one attempt, recorded as failed", async () => {
    await publishWithHook(`${inject("hookServer")}/redirect/monthly`);
    expect(await lastCall()).toEqual({ attempts: 1, status: 302, ok: 0, error: "HTTP 302: redirects are not followed" });
    const calls = (await (await fetch(`${inject("hookServer")}/calls`)).json()) as { path: string }[];
    expect(calls.filter((c) => c.path === "/redirect/monthly")).toHaveLength(1);
    expect(calls.filter((c) => c.path === "/ok/redirected")).toEqual([]);
  });

  it("re-checks a stored deploy hook URL before calling it, and records the refusal", async () => {
    // Stored before the rule existed (or by hand): never called.
    await publishWithHook("https://169.254.169.254/latest/meta-data/");
    expect(await lastCall()).toEqual({ attempts: 0, status: null, ok: 0, error: "refused: the deploy hook URL 169.254.169.254 is not a public address" });
    await publishWithHook("http://hooks.example.com/build");
    expect(await lastCall()).toEqual({ attempts: 0, status: null, ok: 0, error: "refused: the deploy hook URL must be an https URL" });
    // Without the local-development flag, the local hook server is refused too.
    const flag = process.env.ALLOW_LOCAL_DEPLOY_HOOKS;
    process.env.ALLOW_LOCAL_DEPLOY_HOOKS = "false";
    try {
      await publishWithHook(`${inject("hookServer")}/ok/no-flag`);
    } finally {
      process.env.ALLOW_LOCAL_DEPLOY_HOOKS = flag;
    }
    expect(await lastCall()).toEqual({ attempts: 0, status: null, ok: 0, error: "refused: the deploy hook URL must be an https URL" });
    const calls = (await (await fetch(`${inject("hookServer")}/calls`)).json()) as { path: string }[];
    expect(calls.filter((c) => c.path === "/ok/no-flag")).toEqual([]);
    await db.prepare("UPDATE workspaces SET deploy_hook_url = ?2 WHERE id = ?1").bind(workspaceId, `${inject("hookServer")}/fail/monthly`).run();
  });

  it("lists reports, publishes on demand and rotates the share token", async () => {
    const list = (await (await call("GET", "/api/v1/workspaces/monthly/reports")).json()) as { items: { month: string; version: number; share_token: string }[] };
    expect(list.items.map((r) => [r.month, r.version])).toEqual([["2026-03", 1]]);
    const published = (await (await call("POST", "/api/v1/workspaces/monthly/reports/2026-03/publish")).json()) as { version: number; share_token: string };
    expect(published.version).toBe(2);
    const rotated = (await (await call("POST", "/api/v1/workspaces/monthly/reports/2026-03/share-token")).json()) as { share_token: string };
    expect(rotated.share_token).toMatch(/^[0-9a-f]{32}$/);
    expect(rotated.share_token).not.toBe(published.share_token);
    const report = (await (await call("GET", "/api/v1/workspaces/monthly/reports/2026-03?version=1")).json()) as { share_token: string };
    expect(report.share_token).toBe(rotated.share_token);
    expect((await call("GET", "/api/v1/workspaces/monthly/reports/2025-01")).status).toBe(404);
  });
});

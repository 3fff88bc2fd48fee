// Hand-computed KPI cases, one small company each, through the real route, queue, engine
// and month document. Each states its arithmetic.
import { describe, expect, it } from "vitest";
import { event } from "./helpers";
import { company, month, record, value } from "./kpi-case-kit";

let counter = 0;
const evt = (type: string, occurredAt: string, data: Record<string, unknown>) => event(`e${++counter}`, type, occurredAt, data);


const rep = (id: string, team: string, at = "2026-01-01T00:00:00Z") => evt("rep.upserted", at, { rep_id: id, team, region: "emea" });

describe("months in the workspace time zone", () => {
  it("puts a deal won at 03:30 UTC on April 1st into March in New York", async () => {
    await company(
      "tz",
      [
        evt("deal.upserted", "2026-02-10T15:00:00Z", { deal_id: "D-1", owner_rep_id: "R-1", amount: "1000", status: "open" }),
        evt("deal.upserted", "2026-04-01T03:30:00Z", { deal_id: "D-1", status: "won" }),
        evt("activity.logged", "2026-04-01T03:30:00Z", { activity_id: "A-1", type: "call", rep_id: "R-1" }),
      ],
      { timezone: "America/New_York" },
    );
    // April 1st 03:30 UTC is March 31st 23:30 in New York (UTC−4): March gets the deal and the call.
    const march = await month("tz", "2026-03");
    expect(value(march, "revenue_won")).toBe(1000);
    expect(value(march, "deals_won")).toBe(1);
    expect(value(march, "activities")).toBe(1);
    const april = await month("tz", "2026-04");
    expect(value(april, "revenue_won")).toBe(0);
    expect(value(april, "activities")).toBe(0);
  });
});

describe("money in the base currency", () => {
  it("converts at the close month's rate (else the latest earlier one) and leaves out amounts without a rate", async () => {
    await company(
      "fx",
      [
        evt("deal.upserted", "2026-02-15T10:00:00Z", { deal_id: "D-1", owner_rep_id: "R-1", amount: "1000", currency: "EUR", status: "won" }),
        evt("deal.upserted", "2026-03-10T10:00:00Z", { deal_id: "D-2", owner_rep_id: "R-1", amount: "500", currency: "EUR", status: "won" }),
        evt("deal.upserted", "2026-03-12T10:00:00Z", { deal_id: "D-3", owner_rep_id: "R-3", amount: "700", currency: "GBP", status: "won" }),
        evt("deal.upserted", "2026-03-14T10:00:00Z", { deal_id: "D-4", owner_rep_id: "R-1", amount: "100", status: "won" }),
      ],
      { fx: [{ currency: "EUR", month: "2026-01", rate: 1.1 }, { currency: "EUR", month: "2026-03", rate: 1.2 }] },
    );
    // February: no EUR rate for 2026-02, so January's 1.1 applies: 1000 × 1.1 = 1100.
    expect(value(await month("fx", "2026-02"), "revenue_won")).toBeCloseTo(1100, 9);
    const march = await month("fx", "2026-03");
    // March: 500 EUR × 1.2 = 600, plus 100 USD; the GBP deal has no rate and is left out.
    expect(value(march, "revenue_won")).toBeCloseTo(700, 9);
    expect(value(march, "deals_won")).toBe(3);
    // Average deal size counts only priced deals: 700 / 2.
    expect(record(march, "avg_deal_size")).toMatchObject({ value: 350, numerator: 700, denominator: 2 });
    // R-3's only deal has no rate: the key stays, revenue 0 and average null (docs/kpis.md, rule 11).
    expect(value(march, "revenue_won", "rep", "R-3")).toBe(0);
    expect(value(march, "avg_deal_size", "rep", "R-3")).toBeNull();
    expect(march.warnings.missing_fx).toBe(1);
  });
});

describe("stage conversion", () => {
  it("counts a deal that skips a stage as reaching it, and a won deal as reaching every stage", async () => {
    await company(
      "funnel",
      [
        // A: discovery → proposal (skips demo). Reached discovery, demo, proposal.
        evt("deal.upserted", "2026-03-02T10:00:00Z", { deal_id: "A", stage: "discovery" }),
        evt("deal.upserted", "2026-03-05T10:00:00Z", { deal_id: "A", stage: "proposal" }),
        // B: discovery only.
        evt("deal.upserted", "2026-03-03T10:00:00Z", { deal_id: "B", stage: "discovery" }),
        // C: demo, then won in a stage outside the pipeline. Won: reached all four.
        evt("deal.upserted", "2026-03-04T10:00:00Z", { deal_id: "C", stage: "demo" }),
        evt("deal.upserted", "2026-03-20T10:00:00Z", { deal_id: "C", stage: "closed_won", status: "won", amount: 10 }),
        // D: only a stage outside the pipeline: reached none.
        evt("deal.upserted", "2026-03-06T10:00:00Z", { deal_id: "D", stage: "qualification" }),
      ],
      { pipeline_stages: ["discovery", "demo", "proposal", "negotiation"] },
    );
    const march = await month("funnel", "2026-03");
    const reached = Object.fromEntries(march.kpis.stage_reached!.values.map((v) => [v.key, v.value]));
    expect(reached).toEqual({ discovery: 3, demo: 2, proposal: 2, negotiation: 1 });
    expect(march.kpis.stage_conversion!.values).toEqual([
      { dimension: "stage", key: "demo>proposal", value: 1, numerator: 2, denominator: 2 },
      { dimension: "stage", key: "discovery>demo", value: 2 / 3, numerator: 2, denominator: 3 },
      { dimension: "stage", key: "proposal>negotiation", value: 0.5, numerator: 1, denominator: 2 },
    ]);
    // Every configured stage is listed in a month without deals, with zeros.
    const january = await month("funnel", "2026-01");
    expect(january.kpis.stage_reached!.values.map((v) => v.value)).toEqual([0, 0, 0, 0]);
  });
});

describe("NPS", () => {
  it("counts passives in the responses but in neither promoters nor detractors", async () => {
    const scores = [10, 9, 9, 8, 7, 3];
    await company(
      "nps",
      scores.map((score, i) => evt("survey.responded", `2026-03-0${i + 1}T10:00:00Z`, { response_id: `N-${i}`, survey: "nps", score })),
    );
    const march = await month("nps", "2026-03");
    // Promoters 3 (10, 9, 9), passives 2 (8, 7), detractors 1 (3): 100 × (3 − 1) / 6.
    expect(value(march, "nps_promoters")).toBe(3);
    expect(value(march, "nps_passives")).toBe(2);
    expect(value(march, "nps_detractors")).toBe(1);
    expect(record(march, "nps")).toEqual({ dimension: "all", key: "all", value: 100 / 3, numerator: 2, denominator: 6 });
  });
});

describe("MRR movements", () => {
  it("classifies new, expansion, contraction, churn and reactivation per account", async () => {
    const mrr = (sub: string, account: string, at: string, amount: number) =>
      evt("subscription.updated", at, { subscription_id: sub, account_id: account, mrr: amount });
    await company("mrr", [
      mrr("S1", "A1", "2026-01-05T00:00:00Z", 100), mrr("S1", "A1", "2026-03-10T00:00:00Z", 150), // expansion 50
      mrr("S2", "A2", "2026-01-05T00:00:00Z", 200), mrr("S2", "A2", "2026-03-15T00:00:00Z", 0), // churned 200
      mrr("S3", "A3", "2026-01-10T00:00:00Z", 300), mrr("S3", "A3", "2026-02-10T00:00:00Z", 0), // churned in February
      mrr("S3", "A3", "2026-03-20T00:00:00Z", 250), // reactivation 250
      mrr("S4", "A4", "2026-03-05T00:00:00Z", 80), // new 80
      mrr("S5", "A5", "2026-01-05T00:00:00Z", 120), mrr("S5", "A5", "2026-03-12T00:00:00Z", 90), // contraction 30
    ]);
    const march = await month("mrr", "2026-03");
    // Start of March: A1 100 + A2 200 + A5 120 = 420. End: 150 + 0 + 250 + 80 + 90 = 570.
    expect(value(march, "mrr")).toBe(570);
    expect(value(march, "new_mrr")).toBe(80);
    expect(value(march, "expansion_mrr")).toBe(50);
    expect(value(march, "contraction_mrr")).toBe(30);
    expect(value(march, "churned_mrr")).toBe(200);
    expect(value(march, "reactivation_mrr")).toBe(250);
    expect(value(march, "active_customers")).toBe(4);
    // One of the three accounts paying at the start churned.
    expect(record(march, "logo_churn_rate")).toMatchObject({ value: 1 / 3, numerator: 1, denominator: 3 });
    expect(value(march, "revenue_churn_rate")).toBeCloseTo(230 / 420, 12);
    // (420 + 50 − 30 − 200) / 420.
    expect(value(march, "net_revenue_retention")).toBeCloseTo(240 / 420, 12);
    expect(value(march, "arpa")).toBe(142.5);
    // ARPA 142.5 ÷ logo churn 1/3.
    expect(value(march, "customer_lifetime_value")).toBeCloseTo(427.5, 9);
  });
});

describe("quota attainment year to date", () => {
  it("is Σ revenue ÷ Σ quota over the months with a quota, never a mean of percentages", async () => {
    const won = (id: string, owner: string, at: string, amount: number) =>
      evt("deal.upserted", at, { deal_id: id, owner_rep_id: owner, amount, status: "won" });
    await company(
      "quota",
      [
        rep("R-1", "alpha"), rep("R-2", "alpha"),
        won("D-1", "R-1", "2026-01-20T00:00:00Z", 2000), // 200 % of 1000
        won("D-2", "R-1", "2026-02-20T00:00:00Z", 1000), // 25 % of 4000
        won("D-3", "R-1", "2026-03-20T00:00:00Z", 5000), // 100 % of 5000
        won("D-4", "R-2", "2026-01-20T00:00:00Z", 500), // no quota in January: not in R-2's YTD
        won("D-5", "R-2", "2026-03-21T00:00:00Z", 500),
      ],
      {
        quotas: [
          { rep_id: "R-1", month: "2026-01", amount: 1000 },
          { rep_id: "R-1", month: "2026-02", amount: 4000 },
          { rep_id: "R-1", month: "2026-03", amount: 5000 },
          { rep_id: "R-2", month: "2026-03", amount: 1000 },
        ],
      },
    );
    const march = await month("quota", "2026-03");
    // (2000 + 1000 + 5000) / (1000 + 4000 + 5000) = 0.8 (the mean of 200 %, 25 %, 100 % would be 1.083).
    expect(record(march, "quota_attainment_ytd", "rep", "R-1")).toMatchObject({ value: 0.8, numerator: 8000, denominator: 10000 });
    // only March has a quota: 500 / 1000.
    expect(value(march, "quota_attainment_ytd", "rep", "R-2")).toBe(0.5);
    // Team alpha: 8500 / 11000.
    expect(value(march, "quota_attainment_ytd", "team", "alpha")).toBeCloseTo(8500 / 11000, 12);
    // March alone: (5000 + 500) / (5000 + 1000); one of two reps at quota.
    expect(value(march, "quota_attainment")).toBeCloseTo(5500 / 6000, 12);
    expect(value(march, "reps_at_quota", "team", "alpha")).toBe(0.5);
  });
});

describe("medians", () => {
  it("takes the mean of the two middle values for an even count", async () => {
    const cycle = (id: string, days: number) => [
      evt("deal.upserted", `2026-03-${String(28 - days).padStart(2, "0")}T00:00:00Z`, { deal_id: id, owner_rep_id: "R-1", amount: 1 }),
      evt("deal.upserted", "2026-03-28T00:00:00Z", { deal_id: id, status: "won" }),
    ];
    await company("median", [...cycle("D-1", 2), ...cycle("D-2", 4), ...cycle("D-3", 10), ...cycle("D-4", 20)]);
    const march = await month("median", "2026-03");
    // Cycles 2, 4, 10, 20 days: median (4 + 10) / 2 = 7; mean 36 / 4 = 9.
    expect(value(march, "sales_cycle_days_median")).toBe(7);
    expect(record(march, "sales_cycle_days")).toMatchObject({ value: 9, numerator: 36, denominator: 4 });
  });
});

describe("positive reply rate", () => {
  it("counts prospects, not messages", async () => {
    const touch = (id: string, repId: string, lead: string, at: string, extra: Record<string, unknown> = {}) =>
      evt("activity.logged", at, { activity_id: id, type: "email", direction: "outbound", rep_id: repId, lead_id: lead, ...extra });
    await company("replies", [
      rep("R-1", "alpha"), rep("R-2", "beta"), rep("R-9", "beta"),
      touch("A-1", "R-1", "L-1", "2026-03-02T10:00:00Z"),
      touch("A-2", "R-1", "L-1", "2026-03-03T10:00:00Z"),
      touch("A-3", "R-1", "L-1", "2026-03-04T10:00:00Z"),
      touch("A-4", "R-1", "L-2", "2026-03-04T11:00:00Z"),
      touch("A-5", "R-2", "L-1", "2026-03-05T10:00:00Z", { type: "call" }),
      // Two positive replies from L-1, logged by someone else: one positive prospect.
      touch("A-6", "R-9", "L-1", "2026-03-06T10:00:00Z", { direction: "inbound", outcome: "positive" }),
      touch("A-7", "R-9", "L-1", "2026-03-07T10:00:00Z", { direction: "inbound", outcome: "positive" }),
    ]);
    const march = await month("replies", "2026-03");
    // Prospects {L-1, L-2}, positive {L-1}: 1 / 2 (per message it would have been 2 of 5).
    expect(record(march, "positive_reply_rate")).toMatchObject({ value: 0.5, numerator: 1, denominator: 2 });
    expect(value(march, "positive_reply_rate", "rep", "R-1")).toBe(0.5);
    expect(value(march, "positive_reply_rate", "rep", "R-2")).toBe(1);
    // R-9 only logged replies: not a prospect's rep.
    expect(record(march, "positive_reply_rate", "rep", "R-9")).toBeUndefined();
  });
});

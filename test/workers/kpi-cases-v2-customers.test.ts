// Hand-computed cases for catalog version 2's customer KPIs (docs/kpis.md, rules 32–37):
// the health score and accounts at risk, churn and retention by the account's owner at
// start(M), customer acquisition cost and LTV : CAC. One small company each, through the
// real route, queue, engine and month document; each states its arithmetic.
import { describe, expect, it } from "vitest";
import { event } from "./helpers";
import { company, type Doc, month, record, value } from "./kpi-case-kit";

let counter = 0;
const evt = (type: string, occurredAt: string, data: Record<string, unknown>) => event(`c2-${++counter}`, type, occurredAt, data);

const keys = (doc: Doc, kpi: string, dimension: string) =>
  doc.kpis[kpi]!.values.filter((v) => v.dimension === dimension).map((v) => v.key).sort();

const rep = (id: string, region: string) => evt("rep.upserted", "2025-01-01T00:00:00Z", { rep_id: id, team: "t", region });
const account = (id: string, at: string, data: Record<string, unknown>) => evt("account.upserted", at, { account_id: id, ...data });
const won = (deal: string, accountId: string, closedAt: string) =>
  evt("deal.upserted", closedAt, { deal_id: deal, account_id: accountId, amount: 1000, status: "won" });
const mrr = (sub: string, accountId: string, at: string, amount: number, currency?: string) =>
  evt("subscription.updated", at, { subscription_id: sub, account_id: accountId, mrr: amount, ...(currency ? { currency } : {}) });
const nps = (id: string, accountId: string, at: string, score: number) =>
  evt("survey.responded", at, { response_id: id, survey: "nps", account_id: accountId, score });
const activity = (id: string, accountId: string, at: string, type: string) =>
  evt("activity.logged", at, { activity_id: id, account_id: accountId, type, rep_id: "R-1", direction: "outbound" });

describe("customer health (March 2026: t = 2026-04-01, start(M−2) = 2026-01-01, NPS since 2025-04-01)", () => {
  it("scores each customer account 0–100 from revenue, loyalty and engagement, and counts those below 70", async () => {
    await company("health", [
      rep("R-1", "emea"), rep("R-2", "na"),
      // A — customer through a won deal, never any MRR: revenue 0.5; no NPS: loyalty 0.5;
      // no contact activity: engagement 0. 100 × (0.4 × 0.5 + 0.3 × 0.5 + 0) = 35.
      account("A", "2025-01-02T00:00:00Z", { owner_rep_id: "R-1", region: "apac", segment: "smb" }),
      won("D-A", "A", "2026-02-10T00:00:00Z"),
      // B — MRR 0 at start(M−2) (first set 2026-02-15) and 100 at t: m0 = 0 < m1, revenue 1.
      // NPS 9 in March: loyalty 0.9. A call 12 days before t (d ≤ 30): engagement 1.
      // 40 + 27 + 30 = 97.
      account("B", "2025-01-02T00:00:00Z", { owner_rep_id: "R-1", segment: "smb" }),
      mrr("S-B", "B", "2026-02-15T00:00:00Z", 100),
      nps("N-B", "B", "2026-03-10T00:00:00Z", 9),
      activity("X-B", "B", "2026-03-20T00:00:00Z", "call"),
      // C — 100 at start(M−2), 300 at t: 0.5 + 200 / 200 = 1.5, clamped to 1. Latest NPS 10
      // (an older 2 does not count): loyalty 1. An email exactly 30 days before t: engagement 1.
      // 40 + 30 + 30 = 100.
      account("C", "2025-01-02T00:00:00Z", { owner_rep_id: "R-1", segment: "enterprise" }),
      mrr("S-C", "C", "2025-12-01T00:00:00Z", 100), mrr("S-C", "C", "2026-03-05T00:00:00Z", 300),
      nps("N-C1", "C", "2025-06-01T00:00:00Z", 2), nps("N-C2", "C", "2026-02-01T00:00:00Z", 10),
      activity("X-C", "C", "2026-03-02T00:00:00Z", "email"),
      // D — MRR that ended: 200 at start(M−2), 0 at t (still a customer by a won deal):
      // 0.5 − 200 / 400 = 0. Its only NPS (10) is an hour before start(M−11): loyalty 0.5. A
      // meeting exactly 90 days before t scores 0; a later note is no contact activity.
      // 0 + 15 + 0 = 15. Its owner changes to R-1 only after t: R-2's.
      account("D", "2025-01-02T00:00:00Z", { owner_rep_id: "R-2", segment: "enterprise" }),
      won("D-D", "D", "2025-10-15T00:00:00Z"),
      mrr("S-D", "D", "2025-11-01T00:00:00Z", 200), mrr("S-D", "D", "2026-03-10T00:00:00Z", 0),
      nps("N-D", "D", "2025-03-31T23:00:00Z", 10),
      activity("X-D1", "D", "2026-01-01T00:00:00Z", "meeting"), activity("X-D2", "D", "2026-03-25T00:00:00Z", "note"),
      account("D", "2026-04-10T00:00:00Z", { owner_rep_id: "R-1" }),
      // E — had MRR (50, then 0) before start(M−2), none since: m0 = m1 = 0, revenue 0. NPS 7:
      // loyalty 0.7. A demo 45 days before t: (90 − 45) / 60 = 0.75.
      // 0 + 21 + 22.5 = 43.5, rounded half up to 44 (in floating point 43.49999999999999).
      account("E", "2025-01-02T00:00:00Z", { owner_rep_id: "R-2" }),
      won("D-E", "E", "2026-01-10T00:00:00Z"),
      mrr("S-E", "E", "2025-12-20T00:00:00Z", 50), mrr("S-E", "E", "2025-12-25T00:00:00Z", 0),
      nps("N-E", "E", "2026-03-31T23:59:00Z", 7),
      activity("X-E", "E", "2026-02-15T00:00:00Z", "demo"),
      // F — 100 at start(M−2), 80 at t: 0.5 − 20 / 200 = 0.4. Two NPS at the same instant: the
      // larger response id (N-F2, 8) wins: 0.8. A call 60 days before t: (90 − 60) / 60 = 0.5.
      // 16 + 24 + 15 = 55. Owner R-1 until mid-March, then R-2: R-2's at t.
      account("F", "2025-01-02T00:00:00Z", { owner_rep_id: "R-1" }),
      account("F", "2026-03-15T00:00:00Z", { owner_rep_id: "R-2" }),
      mrr("S-F", "F", "2025-12-01T00:00:00Z", 100), mrr("S-F", "F", "2026-02-01T00:00:00Z", 80),
      nps("N-F2", "F", "2026-01-05T00:00:00Z", 8), nps("N-F1", "F", "2026-01-05T00:00:00Z", 3),
      activity("X-F", "F", "2026-01-31T00:00:00Z", "call"),
      // G — a won deal, but the account is deleted: never a customer. H — only an open deal.
      account("G", "2025-01-02T00:00:00Z", { owner_rep_id: "R-1" }),
      won("D-G", "G", "2026-02-01T00:00:00Z"),
      evt("account.deleted", "2026-03-01T00:00:00Z", { account_id: "G" }),
      evt("deal.upserted", "2026-02-01T00:00:00Z", { deal_id: "D-H", account_id: "H", amount: 10, status: "open" }),
    ]);
    const march = await month("health", "2026-03");
    // Scores A 35, B 97, C 100, D 15, E 44, F 55: mean 346 / 6; below 70: A, D, E, F.
    expect(record(march, "customer_health")).toMatchObject({ value: 346 / 6, numerator: 346, denominator: 6 });
    expect(record(march, "accounts_at_risk")).toMatchObject({ value: 4 / 6, numerator: 4, denominator: 6 });
    // Rep at t: R-1 has A, B, C (232 / 3, one at risk); R-2 has D, E, F (114 / 3 = 38, all at risk).
    expect(value(march, "customer_health", "rep", "R-1")).toBeCloseTo(232 / 3, 12);
    expect(value(march, "customer_health", "rep", "R-2")).toBe(38);
    expect(value(march, "accounts_at_risk", "rep", "R-1")).toBeCloseTo(1 / 3, 12);
    expect(value(march, "accounts_at_risk", "rep", "R-2")).toBe(1);
    // Segment: smb A, B (66); enterprise C, D (57.5); E and F have none (49.5).
    expect(value(march, "customer_health", "segment", "smb")).toBe(66);
    expect(value(march, "customer_health", "segment", "enterprise")).toBe(57.5);
    expect(value(march, "customer_health", "segment", "unknown")).toBe(49.5);
    expect(value(march, "accounts_at_risk", "segment", "smb")).toBe(0.5);
    // Region: A its own (apac); the others their owner's at t: B, C emea (98.5); D, E, F na (38).
    expect(keys(march, "customer_health", "region")).toEqual(["apac", "emea", "na"]);
    expect(value(march, "customer_health", "region", "apac")).toBe(35);
    expect(value(march, "customer_health", "region", "emea")).toBe(98.5);
    expect(value(march, "customer_health", "region", "na")).toBe(38);
  });

  it("converts MRR at start(M−2) and at t both at M's rate", async () => {
    await company(
      "health-fx",
      [
        // At start(M−2) USD 100 + EUR 100, at t USD 100 (the EUR subscription ended in March).
        // At March's rate 2.0 for both: m0 = 300, m1 = 100, revenue 0.5 − 200 / 600 = 1/6;
        // no NPS 0.5, no activity 0: 100 × (0.4 / 6 + 0.15) = 21.67 → 22. (At January's rate
        // 1.0 for m0 it would be 0.5 − 100 / 400 = 0.25 → 25.)
        mrr("S-1", "X", "2025-12-01T00:00:00Z", 100),
        mrr("S-2", "X", "2025-12-01T00:00:00Z", 100, "EUR"), mrr("S-2", "X", "2026-03-10T00:00:00Z", 0, "EUR"),
      ],
      { fx: [{ currency: "EUR", month: "2026-01", rate: 1 }, { currency: "EUR", month: "2026-03", rate: 2 }] },
    );
    expect(value(await month("health-fx", "2026-03"), "customer_health")).toBe(22);
  });

  it("is null with no customer accounts", async () => {
    await company("health-none", [
      // Only an open deal in January: no customer at the end of any month.
      evt("deal.upserted", "2026-01-05T00:00:00Z", { deal_id: "D-1", account_id: "A", amount: 10, status: "open" }),
    ]);
    const january = await month("health-none", "2026-01");
    expect(value(january, "customer_health")).toBeNull();
    expect(value(january, "accounts_at_risk")).toBeNull();
  });
});

describe("churn and retention by rep (March 2026)", () => {
  it("keys each account by its owner at start(M), also when the owner changed during M", async () => {
    await company("churn-rep", [
      // K1: R-1's at start(M), 100; handed to R-2 on March 10th, churned March 20th.
      account("K1", "2026-01-02T00:00:00Z", { owner_rep_id: "R-1" }),
      mrr("S-1", "K1", "2026-01-05T00:00:00Z", 100),
      account("K1", "2026-03-10T00:00:00Z", { owner_rep_id: "R-2" }),
      mrr("S-1", "K1", "2026-03-20T00:00:00Z", 0),
      // K2: R-2's, 200 → 150 (contraction 50). K4: R-2's, 100 → 160 (expansion 60).
      account("K2", "2026-01-02T00:00:00Z", { owner_rep_id: "R-2" }),
      mrr("S-2", "K2", "2026-01-05T00:00:00Z", 200), mrr("S-2", "K2", "2026-03-15T00:00:00Z", 150),
      account("K4", "2026-01-02T00:00:00Z", { owner_rep_id: "R-2" }),
      mrr("S-4", "K4", "2026-01-05T00:00:00Z", 100), mrr("S-4", "K4", "2026-03-16T00:00:00Z", 160),
      // K3: R-3's, new in March (70): in the population, but not paying at start(M).
      account("K3", "2026-03-01T00:00:00Z", { owner_rep_id: "R-3" }),
      mrr("S-3", "K3", "2026-03-05T00:00:00Z", 70),
    ]);
    const march = await month("churn-rep", "2026-03");
    // R-1 (start(M) owner of K1): 1 of 1 churned; revenue churn 100 / 100; NRR (100 − 100) / 100.
    expect(record(march, "logo_churn_rate", "rep", "R-1")).toMatchObject({ value: 1, numerator: 1, denominator: 1 });
    expect(value(march, "revenue_churn_rate", "rep", "R-1")).toBe(1);
    expect(value(march, "net_revenue_retention", "rep", "R-1")).toBe(0);
    // R-2 (K2, K4; not K1, handed over during M): 0 of 2 churned; revenue churn 50 / 300;
    // NRR (300 + 60 − 50) / 300.
    expect(record(march, "logo_churn_rate", "rep", "R-2")).toMatchObject({ value: 0, numerator: 0, denominator: 2 });
    expect(value(march, "revenue_churn_rate", "rep", "R-2")).toBeCloseTo(50 / 300, 12);
    expect(value(march, "net_revenue_retention", "rep", "R-2")).toBeCloseTo(310 / 300, 12);
    // its only account had no MRR at start(M): every ratio null (denominator 0).
    expect(value(march, "logo_churn_rate", "rep", "R-3")).toBeNull();
    expect(keys(march, "logo_churn_rate", "rep")).toEqual(["R-1", "R-2", "R-3"]);
    // Overall: 1 of 3 churned; (100 + 50) / 400; (400 + 60 − 50 − 100) / 400.
    expect(value(march, "logo_churn_rate")).toBeCloseTo(1 / 3, 12);
    expect(value(march, "revenue_churn_rate")).toBe(0.375);
    expect(value(march, "net_revenue_retention")).toBe(0.775);
  });
});

describe("customer acquisition cost and LTV : CAC", () => {
  it("divides all spend of M by the accounts whose customer start falls in M", async () => {
    await company(
      "cac",
      [
        // N10: paying since December (start in December), churns in January.
        mrr("S-10", "N10", "2025-12-10T00:00:00Z", 100), mrr("S-10", "N10", "2026-01-15T00:00:00Z", 0),
        // N4: first won deal in December; another in February does not make it new again.
        won("D-4a", "N4", "2025-12-01T00:00:00Z"), won("D-4b", "N4", "2026-02-12T00:00:00Z"),
        // January starts: N3 (MRR 100 from the 20th; its won deal in February is later), N11 (MRR 50).
        mrr("S-3", "N3", "2026-01-20T00:00:00Z", 100), won("D-3", "N3", "2026-02-15T00:00:00Z"),
        mrr("S-3", "N3", "2026-02-25T00:00:00Z", 0),
        mrr("S-11", "N11", "2026-01-25T00:00:00Z", 50), mrr("S-11", "N11", "2026-03-10T00:00:00Z", 0),
        // N7: a won deal in January that is deleted, and one in February: starts in February.
        won("D-7a", "N7", "2026-01-05T00:00:00Z"), evt("deal.deleted", "2026-01-06T00:00:00Z", { deal_id: "D-7a" }),
        won("D-7b", "N7", "2026-02-08T00:00:00Z"),
        // February starts: N1 (won deal), N2 (MRR 0 set in January does not count; 300 from Feb 20th), N7.
        won("D-1", "N1", "2026-02-10T00:00:00Z"),
        mrr("S-2", "N2", "2026-01-05T00:00:00Z", 0), mrr("S-2", "N2", "2026-02-20T00:00:00Z", 300),
        // Never new: N5's account is deleted; N6's only won deal is deleted.
        account("N5", "2026-01-02T00:00:00Z", { name: "N5" }), won("D-5", "N5", "2026-02-11T00:00:00Z"),
        evt("account.deleted", "2026-02-20T00:00:00Z", { account_id: "N5" }),
        won("D-6", "N6", "2026-02-11T00:00:00Z"), evt("deal.deleted", "2026-02-21T00:00:00Z", { deal_id: "D-6" }),
        // April start: N9.
        won("D-9", "N9", "2026-04-05T00:00:00Z"),
      ],
      {
        spend: [
          { source: "paid_search", month: "2026-02", amount: 1000 },
          { source: "events", month: "2026-02", amount: 500 },
          { source: "paid_search", month: "2026-03", amount: 800 },
          { source: "paid_search", month: "2026-04", amount: 400 },
        ],
      },
    );
    const january = await month("cac", "2026-01");
    const february = await month("cac", "2026-02");
    const march = await month("cac", "2026-03");
    const april = await month("cac", "2026-04");
    // January: N3 and N11 start, no spend row at all: 0 / 2 = 0 (not null).
    expect(record(january, "customer_acquisition_cost")).toMatchObject({ value: 0, numerator: 0, denominator: 2 });
    // February: spend 1000 + 500 over N1, N2, N7.
    expect(record(february, "customer_acquisition_cost")).toMatchObject({ value: 500, numerator: 1500, denominator: 3 });
    // March: spend 800 and no new customer: null.
    expect(record(march, "customer_acquisition_cost")).toMatchObject({ value: null, numerator: 800, denominator: 0 });
    // April: 400 / 1 (N9).
    expect(value(april, "customer_acquisition_cost")).toBe(400);

    // Lifetime value = ARPA ÷ logo churn of the month.
    // January: N10 paid at the start and churned (1/1); N3 100 + N11 50 at the end: ARPA 75,
    // LTV 75 — but CAC is 0: LTV : CAC null.
    expect(value(january, "customer_lifetime_value")).toBe(75);
    expect(value(january, "ltv_to_cac")).toBeNull();
    // February: N3 and N11 paid at the start, N3 churned (1/2); N11 50 + N2 300 at the end:
    // ARPA 175, LTV 350; CAC 500: 350 / 500 = 0.7.
    expect(value(february, "customer_lifetime_value")).toBe(350);
    expect(value(february, "ltv_to_cac")).toBe(0.7);
    // March: N11 churned (1/2), N2 300 remains: LTV 600, but CAC null: null.
    expect(value(march, "customer_lifetime_value")).toBe(600);
    expect(value(march, "ltv_to_cac")).toBeNull();
    // April: no churn, LTV null; CAC 400: null.
    expect(value(april, "customer_lifetime_value")).toBeNull();
    expect(value(april, "ltv_to_cac")).toBeNull();
  });
});

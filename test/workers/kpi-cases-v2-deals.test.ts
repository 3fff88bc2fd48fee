// Hand-computed cases for catalog version 2's deal, lead and activity KPIs (docs/kpis.md,
// rules 26–31), one small company each, through the real route, queue, engine and month
// document. Each states its arithmetic.
import { describe, expect, it } from "vitest";
import { event } from "./helpers";
import { company, type Doc, month, record, value } from "./kpi-case-kit";

let counter = 0;
const evt = (type: string, occurredAt: string, data: Record<string, unknown>) =>
  event(`e${String(++counter).padStart(4, "0")}`, type, occurredAt, data);


/** A KPI's values under one dimension, key → value. */
const byKey = (doc: Doc, kpi: string, dimension: string) =>
  Object.fromEntries(doc.kpis[kpi]!.values.filter((v) => v.dimension === dimension).map((v) => [v.key, v.value]));

const rep = (id: string, team: string, at = "2026-01-01T00:00:00Z") => evt("rep.upserted", at, { rep_id: id, team, region: "emea" });

describe("loss reasons, lost revenue and competitive losses (docs/kpis.md, rule 26)", () => {
  it("keys losses by the trimmed, lower-cased reason and counts a loss as competitive only with a named competitor", async () => {
    const deal = (id: string, data: Record<string, unknown>) =>
      evt("deal.upserted", "2026-03-10T10:00:00Z", { deal_id: id, status: "lost", ...data });
    await company("v2-losses", [
      rep("R-1", "alpha"), rep("R-2", "beta"),
      deal("L-1", { owner_rep_id: "R-1", amount: 1000, lost_reason: "  Price ", competitor: "Rivalsoft" }),
      deal("L-2", { owner_rep_id: "R-1", amount: 500, lost_reason: "price" }),
      // No reason at all, and a competitor of blanks only: unknown, not competitive.
      deal("L-3", { owner_rep_id: "R-2", amount: 300, competitor: "   " }),
      // An empty reason and no amount: unknown; competitive; adds 0 to lost revenue.
      deal("L-4", { owner_rep_id: "R-2", lost_reason: "", competitor: "Acme" }),
      // EUR without a rate: counted as a loss under timing, adds 0 to lost revenue.
      deal("L-5", { owner_rep_id: "R-2", amount: 200, currency: "EUR", lost_reason: "Timing\t" }),
      // A won deal with a lost_reason is no loss: no reason key of its own.
      deal("W-1", { owner_rep_id: "R-1", amount: 999, status: "won", lost_reason: "Budget" }),
    ]);
    const march = await month("v2-losses", "2026-03");
    // Five losses: price {L-1, L-2}, unknown {L-3, L-4}, timing {L-5}; "budget" belongs to a won deal.
    expect(value(march, "deals_lost")).toBe(5);
    expect(byKey(march, "deals_lost", "reason")).toEqual({ price: 2, unknown: 2, timing: 1 });
    // Lost revenue: 1000 + 500 + 300 = 1800 (L-4 has no amount, L-5 no rate). By reason:
    // price 1000 + 500 = 1500, unknown 300, timing 0 — listed with 0 (docs/kpis.md, rule 11).
    expect(value(march, "lost_revenue")).toBe(1800);
    expect(byKey(march, "lost_revenue", "reason")).toEqual({ price: 1500, unknown: 300, timing: 0 });
    // By rep: R-1 1000 + 500 = 1500; R-2 300 (+ 0 + 0). Teams follow: alpha 1500, beta 300.
    expect(byKey(march, "lost_revenue", "rep")).toEqual({ "R-1": 1500, "R-2": 300 });
    expect(byKey(march, "lost_revenue", "team")).toEqual({ alpha: 1500, beta: 300 });
    // Competitive: L-1 (Rivalsoft) and L-4 (Acme) of 5 losses = 0.4; R-1 1 of 2; R-2 1 of 3.
    expect(record(march, "competitive_loss_rate")).toMatchObject({ value: 0.4, numerator: 2, denominator: 5 });
    expect(record(march, "competitive_loss_rate", "rep", "R-1")).toMatchObject({ value: 0.5, numerator: 1, denominator: 2 });
    expect(record(march, "competitive_loss_rate", "team", "beta")).toMatchObject({ value: 1 / 3, numerator: 1, denominator: 3 });
    // February has no losses: the overall rate is null, lost revenue 0.
    const february = await month("v2-losses", "2026-02");
    expect(value(february, "competitive_loss_rate")).toBeNull();
    expect(value(february, "lost_revenue")).toBe(0);
  });
});

describe("annual contract value (docs/kpis.md, rule 27)", () => {
  it("annualises each won deal over its term, 12 months when it has none", async () => {
    const won = (id: string, data: Record<string, unknown>) =>
      evt("deal.upserted", "2026-03-12T10:00:00Z", { deal_id: id, status: "won", ...data });
    await company("v2-acv", [
      rep("R-1", "alpha"), rep("R-2", "beta"), rep("R-3", "beta"),
      evt("account.upserted", "2026-01-05T00:00:00Z", { account_id: "C-1", segment: "smb" }),
      evt("account.upserted", "2026-01-05T00:00:00Z", { account_id: "C-2", segment: "enterprise" }),
      // No term: 1200 × 12 / 12 = 1200.
      won("W-1", { owner_rep_id: "R-1", account_id: "C-1", amount: 1200 }),
      // Six months, shorter than a year: 500 × 12 / 6 = 1000.
      won("W-2", { owner_rep_id: "R-1", amount: 500, term_months: 6 }),
      // Two years: 7200 × 12 / 24 = 3600.
      won("W-3", { owner_rep_id: "R-2", account_id: "C-2", amount: 7200, term_months: 24 }),
      // No amount: left out of the mean.
      won("W-4", { owner_rep_id: "R-2", term_months: 12 }),
      // GBP without a rate: left out; R-3's key stays, with null.
      won("W-5", { owner_rep_id: "R-3", amount: 100, currency: "GBP" }),
    ]);
    const march = await month("v2-acv", "2026-03");
    // Overall: (1200 + 1000 + 3600) / 3 priced deals = 5800 / 3.
    expect(record(march, "acv")).toMatchObject({ numerator: 5800, denominator: 3 });
    expect(value(march, "acv")).toBeCloseTo(5800 / 3, 9);
    // (1200 + 1000) / 2 = 1100; R-2: 3600 / 1 (W-4 has no amount); R-3: no priced deal, null.
    expect(byKey(march, "acv", "rep")).toEqual({ "R-1": 1100, "R-2": 3600, "R-3": null });
    // Teams: alpha = R-1 = 1100; beta = R-2 and R-3 = 3600 / 1.
    expect(byKey(march, "acv", "team")).toEqual({ alpha: 1100, beta: 3600 });
    // Segments: smb W-1 1200; enterprise W-3 3600; unknown W-2 1000 (W-4, W-5 unpriced) = 1000.
    expect(byKey(march, "acv", "segment")).toEqual({ smb: 1200, enterprise: 3600, unknown: 1000 });
  });
});

describe("handoffs (docs/kpis.md, rule 28)", () => {
  it("counts deals whose lead was owned, at the deal's creation, by another known rep", async () => {
    const lead = (id: string, at: string, data: Record<string, unknown> = {}) =>
      evt("lead.upserted", at, { lead_id: id, source: "web", ...data });
    const deal = (id: string, at: string, data: Record<string, unknown>) => evt("deal.upserted", at, { deal_id: id, ...data });
    await company("v2-handoffs", [
      rep("R-1", "sdr"), rep("R-2", "ae"), rep("R-3", "ae"),
      // R-1 moves from team sdr to bdr on March 8.
      evt("rep.upserted", "2026-03-08T00:00:00Z", { rep_id: "R-1", team: "bdr" }),
      lead("L-1", "2026-02-01T10:00:00Z", { owner_rep_id: "R-1" }),
      lead("L-2", "2026-02-01T10:00:00Z", { owner_rep_id: "R-2" }),
      lead("L-3", "2026-02-01T10:00:00Z"),
      lead("L-4", "2026-02-01T10:00:00Z", { owner_rep_id: "R-1" }),
      // L-4 passes to R-3 after its deal was created: its owner at the deal's creation was R-1.
      lead("L-4", "2026-03-20T10:00:00Z", { owner_rep_id: "R-3" }),
      lead("L-5", "2026-02-01T10:00:00Z", { owner_rep_id: "R-1" }),
      // A handoff in February: not March's.
      deal("D-6", "2026-02-20T10:00:00Z", { lead_id: "L-1", owner_rep_id: "R-3" }),
      // Handoff: lead owner R-1, deal owner R-2, on March 5 (R-1 in team sdr then).
      deal("D-1", "2026-03-05T10:00:00Z", { lead_id: "L-1", owner_rep_id: "R-2" }),
      // Lead owner = deal owner: no handoff.
      deal("D-2", "2026-03-06T10:00:00Z", { lead_id: "L-2", owner_rep_id: "R-2" }),
      // The lead has no owner: not counted.
      deal("D-3", "2026-03-07T10:00:00Z", { lead_id: "L-3", owner_rep_id: "R-2" }),
      // Handoff: L-4's owner on March 10 was R-1 (in team bdr since March 8), the deal's is R-3.
      deal("D-4", "2026-03-10T10:00:00Z", { lead_id: "L-4", owner_rep_id: "R-3" }),
      // The deal has no owner: not counted.
      deal("D-5", "2026-03-11T10:00:00Z", { lead_id: "L-5" }),
      // A lead that does not exist has no owner: not counted.
      deal("D-7", "2026-03-12T10:00:00Z", { lead_id: "L-9", owner_rep_id: "R-2" }),
    ]);
    const march = await month("v2-handoffs", "2026-03");
    // D-1 and D-4, both handed off by R-1: 2; teams at the deals' creation: sdr (March 5), bdr (March 10).
    expect(value(march, "handoffs")).toBe(2);
    expect(byKey(march, "handoffs", "rep")).toEqual({ "R-1": 2 });
    expect(byKey(march, "handoffs", "team")).toEqual({ sdr: 1, bdr: 1 });
    // February: D-6 (L-1 owned by R-1, the deal by R-3).
    expect(byKey(await month("v2-handoffs", "2026-02"), "handoffs", "rep")).toEqual({ "R-1": 1 });
  });
});

describe("lead scores and first touch (docs/kpis.md, rule 29)", () => {
  it("averages the scores of the month's new leads and keys conversion by the first outbound contact at any time", async () => {
    const lead = (id: string, at: string, data: Record<string, unknown>) => evt("lead.upserted", at, { lead_id: id, ...data });
    const activity = (id: string, at: string, data: Record<string, unknown>) =>
      evt("activity.logged", at, { activity_id: id, rep_id: "R-1", direction: "outbound", ...data });
    await company("v2-leads", [
      lead("L-1", "2026-03-02T09:00:00Z", { source: "web", owner_rep_id: "R-1", score: 80, stage: "lead" }),
      lead("L-1", "2026-03-25T09:00:00Z", { stage: "customer" }),
      lead("L-2", "2026-03-02T09:00:00Z", { source: "web", owner_rep_id: "R-1", score: 40, stage: "lead" }),
      lead("L-3", "2026-03-02T09:00:00Z", { source: "event", owner_rep_id: "R-2", stage: "lead" }),
      lead("L-3", "2026-03-28T09:00:00Z", { stage: "customer" }),
      lead("L-4", "2026-03-02T09:00:00Z", { source: "event", owner_rep_id: "R-2", stage: "lead" }),
      // Created in February: in neither March's mean nor its first-touch keys.
      lead("L-5", "2026-02-10T09:00:00Z", { source: "web", owner_rep_id: "R-1", score: 100 }),
      // L-1: an outbound note (not a contact type) and an inbound call come first; then an email
      // and a call at the same instant — the tie goes to the larger activity id, A-13: call.
      activity("A-10", "2026-03-02T10:00:00Z", { lead_id: "L-1", type: "note" }),
      activity("A-11", "2026-03-02T11:00:00Z", { lead_id: "L-1", type: "call", direction: "inbound" }),
      activity("A-12", "2026-03-03T10:00:00Z", { lead_id: "L-1", type: "email" }),
      activity("A-13", "2026-03-03T10:00:00Z", { lead_id: "L-1", type: "call" }),
      // L-2: a demo before the lead was created counts (any time), then an email.
      activity("A-20", "2026-02-25T10:00:00Z", { lead_id: "L-2", type: "demo" }),
      activity("A-21", "2026-03-04T10:00:00Z", { lead_id: "L-2", type: "email" }),
      // L-3: only an inbound email: no outbound contact, first touch none.
      activity("A-30", "2026-03-05T10:00:00Z", { lead_id: "L-3", type: "email", direction: "inbound" }),
      // L-4: its first outbound contact comes after March (any time): email.
      activity("A-40", "2026-04-15T10:00:00Z", { lead_id: "L-4", type: "email" }),
    ]);
    const march = await month("v2-leads", "2026-03");
    // Scores of March's new leads: L-1 80, L-2 40 (L-3, L-4 have none): (80 + 40) / 2 = 60.
    expect(record(march, "avg_lead_score")).toMatchObject({ value: 60, numerator: 120, denominator: 2 });
    // By source: web 60; event has new leads but no score: null. By rep: R-1 60, R-2 null.
    expect(byKey(march, "avg_lead_score", "source")).toEqual({ web: 60, event: null });
    expect(byKey(march, "avg_lead_score", "rep")).toEqual({ "R-1": 60, "R-2": null });
    // Conversion: L-1 and L-3 reached customer, 2 of 4. By first touch: call L-1 1/1,
    // demo L-2 0/1, none L-3 1/1, email L-4 0/1.
    expect(record(march, "lead_conversion_rate")).toMatchObject({ value: 0.5, numerator: 2, denominator: 4 });
    expect(byKey(march, "lead_conversion_rate", "first_touch")).toEqual({ call: 1, demo: 0, none: 1, email: 0 });
    // February: L-5 (score 100, no activity) alone.
    const february = await month("v2-leads", "2026-02");
    expect(value(february, "avg_lead_score")).toBe(100);
    expect(byKey(february, "lead_conversion_rate", "first_touch")).toEqual({ none: 0 });
  });
});

describe("contacts per account (docs/kpis.md, rule 30)", () => {
  it("averages the distinct leads reached per account, overall and per rep's own activities", async () => {
    const activity = (id: string, repId: string, type: string, data: Record<string, unknown>) =>
      evt("activity.logged", "2026-03-10T10:00:00Z", { activity_id: id, rep_id: repId, type, direction: "outbound", ...data });
    await company("v2-contacts", [
      activity("A-1", "R-1", "call", { account_id: "C-1", lead_id: "L-1" }),
      activity("A-2", "R-1", "email", { account_id: "C-1", lead_id: "L-2" }),
      activity("A-3", "R-2", "meeting", { account_id: "C-1", lead_id: "L-1" }),
      // Inbound contact activities count too; the same lead twice counts once.
      activity("A-4", "R-2", "email", { account_id: "C-2", lead_id: "L-3", direction: "inbound" }),
      activity("A-5", "R-2", "email", { account_id: "C-2", lead_id: "L-3" }),
      // Not counted: a note (no contact type), a call without a lead, a call without an account.
      activity("A-6", "R-1", "note", { account_id: "C-2", lead_id: "L-4" }),
      activity("A-7", "R-1", "call", { account_id: "C-2" }),
      activity("A-8", "R-3", "call", { lead_id: "L-5" }),
    ]);
    const march = await month("v2-contacts", "2026-03");
    // Overall: C-1 reached L-1, L-2 (2); C-2 reached L-3 (1): (2 + 1) / 2 accounts = 1.5.
    expect(record(march, "contacts_per_account")).toMatchObject({ value: 1.5, numerator: 3, denominator: 2 });
    // C-1 {L-1, L-2} = 2 / 1 account = 2. R-2: C-1 {L-1} + C-2 {L-3} = 2 / 2 accounts = 1.
    // R-3 has no activity with both an account and a lead: no key.
    expect(byKey(march, "contacts_per_account", "rep")).toEqual({ "R-1": 2, "R-2": 1 });
    // No such activity in February: null.
    expect(value(await month("v2-contacts", "2026-02"), "contacts_per_account")).toBeNull();
  });
});

describe("selling time share (docs/kpis.md, rule 31)", () => {
  it("divides contact-activity seconds by all seconds, counting a missing duration as 0", async () => {
    const activity = (id: string, repId: string, type: string, at: string, seconds?: number) =>
      evt("activity.logged", at, {
        activity_id: id, rep_id: repId, type, direction: "outbound",
        ...(seconds === undefined ? {} : { duration_seconds: seconds }),
      });
    const at = "2026-03-10T10:00:00Z";
    await company("v2-selling", [
      rep("R-1", "alpha"), rep("R-2", "alpha"), rep("R-3", "beta"),
      // February: one call without a duration, the month's only activity.
      activity("A-0", "R-1", "call", "2026-02-10T10:00:00Z"),
      activity("A-1", "R-1", "call", at, 1800),
      activity("A-2", "R-1", "email", at),
      activity("A-3", "R-1", "note", at, 600),
      activity("A-4", "R-1", "task", at, 600),
      // only activities without a duration: total 0, null.
      activity("A-5", "R-2", "call", at),
      activity("A-6", "R-2", "note", at),
      activity("A-7", "R-3", "meeting", at, 3600),
    ]);
    const march = await month("v2-selling", "2026-03");
    // Contact seconds 1800 (R-1's call; the email counts 0) + 3600 (R-3's meeting) = 5400, over
    // all seconds 1800 + 0 + 600 + 600 + 0 + 0 + 3600 = 6600: 5400 / 6600 = 9 / 11.
    expect(record(march, "selling_time_share")).toMatchObject({ numerator: 5400, denominator: 6600 });
    expect(value(march, "selling_time_share")).toBeCloseTo(9 / 11, 12);
    // 1800 / 3000 = 0.6; R-2: 0 / 0, null; R-3: 3600 / 3600 = 1.
    expect(byKey(march, "selling_time_share", "rep")).toEqual({ "R-1": 0.6, "R-2": null, "R-3": 1 });
    expect(record(march, "selling_time_share", "rep", "R-2")).toMatchObject({ numerator: 0, denominator: 0 });
    // Teams: alpha 1800 / 3000 = 0.6; beta 1.
    expect(byKey(march, "selling_time_share", "team")).toEqual({ alpha: 0.6, beta: 1 });
    // February: one activity, no duration: null (not 0), while activities counts it.
    const february = await month("v2-selling", "2026-02");
    expect(value(february, "selling_time_share")).toBeNull();
    expect(value(february, "activities")).toBe(1);
  });
});

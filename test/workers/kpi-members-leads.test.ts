// The members of stage conversion and of leads and lifecycle values, for a hand-made
// March (docs/kpis.md, "Members of a value"): which deals, leads and spend rows each side lists, with
// the instant that placed each in the month. Read through workers/kpi/members.ts from the
// same measured facts that computed the values.
import { beforeAll, describe, expect, it } from "vitest";
import type { KpiId } from "../../shared/catalog";
import { workspaceBySlug } from "../../workers/db/workspaces";
import { monthParams } from "../../workers/kpi/engine";
import { membersStatement, type Side, sidesOf } from "../../workers/kpi/members";
import { event, workspaceDbOf } from "./helpers";
import { company, month, record } from "./kpi-case-kit";

let counter = 0;
const evt = (type: string, occurredAt: string, data: Record<string, unknown>) => event(`m${++counter}`, type, occurredAt, data);

const SLUG = "members-leads";

beforeAll(async () => {
  await company(
    SLUG,
    [
      // A: discovery → proposal (skips demo): reached discovery, demo, proposal.
      evt("deal.upserted", "2026-03-02T10:00:00Z", { deal_id: "A", stage: "discovery" }),
      evt("deal.upserted", "2026-03-05T10:00:00Z", { deal_id: "A", stage: "proposal" }),
      // B: discovery only.
      evt("deal.upserted", "2026-03-03T10:00:00Z", { deal_id: "B", stage: "discovery" }),
      // C: demo, then won from source ads (10 in the base currency): reached every stage.
      evt("deal.upserted", "2026-03-04T10:00:00Z", { deal_id: "C", stage: "demo", source: "ads" }),
      evt("deal.upserted", "2026-03-20T10:00:00Z", { deal_id: "C", stage: "closed_won", status: "won", amount: 10 }),
      // Leads created in March: L-1 and L-2 from ads, L-3 from web, which becomes a customer.
      evt("lead.upserted", "2026-03-02T09:00:00Z", { lead_id: "L-1", source: "ads", stage: "lead" }),
      evt("lead.upserted", "2026-03-05T09:00:00Z", { lead_id: "L-2", source: "ads", stage: "lead" }),
      evt("lead.upserted", "2026-03-06T09:00:00Z", { lead_id: "L-3", source: "web", stage: "lead" }),
      evt("lead.upserted", "2026-03-10T09:00:00Z", { lead_id: "L-3", stage: "customer" }),
    ],
    {
      pipeline_stages: ["discovery", "demo", "proposal"],
      spend: [
        { source: "ads", month: "2026-03", amount: 300 },
        { source: "events", month: "2026-03", amount: 100 },
      ],
    },
  );
}, 120_000);

/**
 * The members of one side of a March value — type, id, contribution and the instant that
 * placed it — in the members API's order (largest contribution first, then type and id).
 * Read from membersStatement, the rows the members page names and pages.
 */
async function members(kpi: KpiId, dimension: string, key: string, side: Side) {
  const db = await workspaceDbOf(SLUG);
  const workspace = (await workspaceBySlug(db, SLUG))!;
  const sql = membersStatement(sidesOf(kpi, dimension)!, side)!;
  const { results } = await db
    .prepare(`SELECT member_type, member_id, placed_at, contribution FROM (${sql})
      ORDER BY ABS(contribution) DESC, member_type, member_id`)
    .bind(...monthParams(workspace, "2026-03", null, 0), JSON.stringify([dimension]), key)
    .all<{ member_type: string; member_id: string; placed_at: number | null; contribution: number }>();
  return {
    count: results.length,
    total: results.reduce((sum, m) => sum + m.contribution, 0),
    members: results.map((m) => ({
      type: m.member_type,
      id: m.member_id,
      contribution: m.contribution,
      placed_at: m.placed_at === null ? null : new Date(m.placed_at).toISOString(),
    })),
  };
}

const deal = (id: string, createdAt: string) => ({ type: "deal", id, contribution: 1, placed_at: createdAt });
const A = deal("A", "2026-03-02T10:00:00.000Z");
const B = deal("B", "2026-03-03T10:00:00.000Z");
const C = deal("C", "2026-03-04T10:00:00.000Z");

describe("members of the funnel", () => {
  it("lists the deals created in M behind each stage and each stage pair", async () => {
    const march = await month(SLUG, "2026-03");
    // discovery: A, B, C reached it; demo: A (skipped it) and C (won): 2 / 3.
    expect(record(march, "stage_conversion", "stage", "discovery>demo")).toMatchObject({ numerator: 2, denominator: 3 });
    expect(await members("stage_conversion", "stage", "discovery>demo", "numerator")).toEqual({ count: 2, total: 2, members: [A, C] });
    expect(await members("stage_conversion", "stage", "discovery>demo", "denominator")).toEqual({ count: 3, total: 3, members: [A, B, C] });
    // proposal: A (its history) and C (won).
    expect(await members("stage_reached", "stage", "proposal", "numerator")).toEqual({ count: 2, total: 2, members: [A, C] });
  });
});

describe("members of leads and lifecycle", () => {
  it("lists the spend rows, the new leads and the won deals of a source", async () => {
    const march = await month(SLUG, "2026-03");
    // ads: spend 300 over L-1 and L-2: 150.
    expect(record(march, "cost_per_lead", "source", "ads")).toMatchObject({ value: 150, numerator: 300, denominator: 2 });
    expect(await members("cost_per_lead", "source", "ads", "numerator")).toEqual({
      count: 1,
      total: 300,
      members: [{ type: "marketing_spend", id: "ads", contribution: 300, placed_at: null }],
    });
    expect(await members("cost_per_lead", "source", "ads", "denominator")).toEqual({
      count: 2,
      total: 2,
      members: [
        { type: "lead", id: "L-1", contribution: 1, placed_at: "2026-03-02T09:00:00.000Z" },
        { type: "lead", id: "L-2", contribution: 1, placed_at: "2026-03-05T09:00:00.000Z" },
      ],
    });
    // Overall: all spend of March, 300 (ads) + 100 (events), the largest first.
    expect(await members("cost_per_lead", "all", "all", "numerator")).toEqual({
      count: 2,
      total: 400,
      members: [
        { type: "marketing_spend", id: "ads", contribution: 300, placed_at: null },
        { type: "marketing_spend", id: "events", contribution: 100, placed_at: null },
      ],
    });
    // ads: deal C won on March 20th for 10, against spend 300.
    expect(await members("revenue_per_spend", "source", "ads", "numerator")).toEqual({
      count: 1,
      total: 10,
      members: [{ type: "deal", id: "C", contribution: 10, placed_at: "2026-03-20T10:00:00.000Z" }],
    });
  });

  it("places a lead by the instant it joined the cohort its KPI reads, and a state by none", async () => {
    // L-3 created on March 6th, first reached customer on March 10th: 4 days.
    expect(await members("customer_lifecycle_days", "all", "all", "numerator")).toEqual({
      count: 1,
      total: 4,
      members: [{ type: "lead", id: "L-3", contribution: 4, placed_at: "2026-03-10T09:00:00.000Z" }],
    });
    expect(await members("lead_conversion_rate", "source", "web", "numerator")).toEqual({
      count: 1,
      total: 1,
      members: [{ type: "lead", id: "L-3", contribution: 1, placed_at: "2026-03-06T09:00:00.000Z" }],
    });
    // At start(April): L-1 and L-2 at lead, L-3 at customer; a state places no one.
    expect(await members("leads_by_stage", "stage", "lead", "numerator")).toEqual({
      count: 2,
      total: 2,
      members: [
        { type: "lead", id: "L-1", contribution: 1, placed_at: null },
        { type: "lead", id: "L-2", contribution: 1, placed_at: null },
      ],
    });
    expect(await members("leads_by_stage", "stage", "mql", "numerator")).toEqual({ count: 0, total: 0, members: [] });
  });
});

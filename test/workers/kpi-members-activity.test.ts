// Hand-computed members of the activity family's values (docs/kpis.md, "Members of a value"): which
// activities, leads, deals and accounts a value's numerator and denominator list, and what
// each contributes, for a small company's March 2026.
import { beforeAll, describe, expect, it } from "vitest";
import type { KpiId } from "../../shared/catalog";
import { workspaceBySlug } from "../../workers/db/workspaces";
import { monthParams } from "../../workers/kpi/engine";
import { membersStatement, type Side, sidesOf } from "../../workers/kpi/members";
import { event, workspaceDbOf } from "./helpers";
import { company, month, record } from "./kpi-case-kit";

let counter = 0;
const evt = (type: string, occurredAt: string, data: Record<string, unknown>) =>
  event(`e${String(++counter).padStart(4, "0")}`, type, occurredAt, data);
const activity = (id: string, at: string, data: Record<string, unknown>) =>
  evt("activity.logged", at, { activity_id: id, direction: "outbound", ...data });

const SLUG = "members-activity";

beforeAll(async () => {
  await company(SLUG, [
    // D-1 (C-1) won on March 5th, D-2 (C-2) lost on March 20th, D-3 (C-3) won in January.
    evt("deal.upserted", "2026-02-10T10:00:00Z", { deal_id: "D-1", owner_rep_id: "R-1", account_id: "C-1", amount: "1000", status: "open" }),
    evt("deal.upserted", "2026-03-05T10:00:00Z", { deal_id: "D-1", status: "won" }),
    evt("deal.upserted", "2026-03-01T10:00:00Z", { deal_id: "D-2", owner_rep_id: "R-2", account_id: "C-2", amount: "500", status: "open" }),
    evt("deal.upserted", "2026-03-20T10:00:00Z", { deal_id: "D-2", status: "lost" }),
    evt("deal.upserted", "2026-01-15T10:00:00Z", { deal_id: "D-3", owner_rep_id: "R-3", account_id: "C-3", amount: "200", status: "won" }),
    activity("A-1", "2026-02-20T10:00:00Z", { rep_id: "R-1", type: "call", deal_id: "D-1", account_id: "C-1", lead_id: "L-1" }),
    activity("A-2", "2026-03-03T10:00:00Z", { rep_id: "R-2", type: "email", deal_id: "D-1", account_id: "C-1", lead_id: "L-2", duration_seconds: "1800" }),
    activity("A-3", "2026-03-10T10:00:00Z", { rep_id: "R-1", type: "call", deal_id: "D-1", account_id: "C-1", lead_id: "L-1", duration_seconds: "3600" }),
    activity("A-4", "2026-03-12T10:00:00Z", { rep_id: "R-1", type: "email", account_id: "C-2", lead_id: "L-1" }),
    activity("A-5", "2026-03-15T10:00:00Z", { rep_id: "R-2", type: "note", deal_id: "D-2" }),
    activity("A-6", "2026-03-16T10:00:00Z", { rep_id: "R-1", type: "email", lead_id: "L-1", direction: "inbound", outcome: "positive" }),
    activity("A-7", "2026-03-18T10:00:00Z", { rep_id: "R-2", type: "call", lead_id: "L-1" }),
  ]);
}, 120_000);

/**
 * The members of one side of a March value: type, id and contribution, largest first (the
 * order of members.ts membersPage), read with the value's members statement.
 */
async function members(kpi: KpiId, side: Side, dimension = "all", key = "all") {
  const db = await workspaceDbOf(SLUG);
  const workspace = (await workspaceBySlug(db, SLUG))!;
  const { results } = await db
    .prepare(`SELECT member_type, member_id, contribution FROM (${membersStatement(sidesOf(kpi, dimension)!, side)!})
      ORDER BY ABS(contribution) DESC, member_type, member_id`)
    .bind(...monthParams(workspace, "2026-03", null, 0), JSON.stringify([dimension]), key)
    .all<{ member_type: string; member_id: string; contribution: number }>();
  return results.map((m) => `${m.member_type} ${m.member_id} ${m.contribution}`);
}

describe("members of the activity family's values", () => {
  it("lists the activities with a duration for activity hours, each its hours", async () => {
    // A-3 1 h, A-2 1800 s = 0.5 h; A-4 … A-7 have no duration and add nothing: 1.5 h.
    expect(await members("activity_hours", "numerator")).toEqual(["activity A-3 1", "activity A-2 0.5"]);
    // Selling time: both are contact activities (call, email), 5400 s of 5400 s.
    expect(await members("selling_time_share", "denominator", "rep", "R-1")).toEqual(["activity A-3 3600"]);
  });

  it("lists a won deal's touches up to its close, and the deals", async () => {
    // D-1 closed March 5th: A-1 (February) and A-2 are its touches, A-3 came after the close.
    expect(await members("touches_per_won_deal", "numerator")).toEqual(["activity A-1 1", "activity A-2 1"]);
    expect(await members("touches_per_won_deal", "denominator")).toEqual(["deal D-1 1"]);
    // D-2, lost: the note A-5 is a touch (every type counts, rule 23).
    expect(await members("touches_per_lost_deal", "numerator", "rep", "R-2")).toEqual(["activity A-5 1"]);
  });

  it("lists the leads reached with the accounts they were reached at, over the accounts", async () => {
    // Contact activities with an account and a lead: A-2 (C-1, L-2), A-3 (C-1, L-1),
    // A-4 (C-2, L-1). L-1 reached at C-1 and C-2 contributes 2, L-2 1: 3 over 2 accounts.
    expect(await members("contacts_per_account", "numerator")).toEqual(["lead L-1 2", "lead L-2 1"]);
    expect(await members("contacts_per_account", "denominator")).toEqual(["account C-1 1", "account C-2 1"]);
    expect(record(await month(SLUG, "2026-03"), "contacts_per_account")).toMatchObject({ value: 1.5, numerator: 3, denominator: 2 });
    // R-1's own, L-1 at two accounts. R-2's: A-2, L-2 at C-1.
    expect(await members("contacts_per_account", "numerator", "rep", "R-1")).toEqual(["lead L-1 2"]);
    expect(await members("contacts_per_account", "denominator", "rep", "R-2")).toEqual(["account C-1 1"]);
  });

  it("lists a prospect under every rep that reached it, once overall", async () => {
    // Outbound contacts in March: L-2 by R-2, L-1 by R-1 and by R-2;
    // L-1 replied positively.
    expect(await members("positive_reply_rate", "denominator")).toEqual(["lead L-1 1", "lead L-2 1"]);
    expect(await members("positive_reply_rate", "numerator")).toEqual(["lead L-1 1"]);
    expect(await members("positive_reply_rate", "denominator", "rep", "R-2")).toEqual(["lead L-1 1", "lead L-2 1"]);
  });

  it("lists the customer touches over every customer account, for each rep", async () => {
    // Customers at April 1st: C-1 (D-1 won March 5th) and C-3 (D-3 won in January). Touches:
    // A-3 on C-1 after its win; A-2 came before it, A-4 is on C-2, no customer.
    expect(await members("customer_touches", "numerator")).toEqual(["activity A-3 1"]);
    expect(await members("customer_touches", "numerator", "rep", "R-1")).toEqual(["activity A-3 1"]);
    // R-1's 1 touch is over both customer accounts: 0.5.
    expect(await members("customer_touches", "denominator", "rep", "R-1")).toEqual(["account C-1 1", "account C-3 1"]);
    expect(record(await month(SLUG, "2026-03"), "customer_touches", "rep", "R-1")).toMatchObject({ value: 0.5, numerator: 1, denominator: 2 });
  });
});

// Slippage (docs/kpis.md, rule 38) on a hand-made March 2026: deals expected to close in
// March that stayed open, expected closes pushed out of March and pulled into it, through
// the real webhook, queue and engine.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call, createNativeConnection, createWorkspace, event, monthValues, postNative, waitForInbox } from "./helpers";

const deal = (id: string, at: string, data: Record<string, unknown>) => event(`${id}@${at}`, "deal.upserted", at, { deal_id: id, ...data });

let values: Awaited<ReturnType<typeof monthValues>>;

beforeAll(async () => {
  await createWorkspace("slippage", { timezone: "UTC" });
  const connection = await createNativeConnection("slippage");
  const events = [
    event("r1", "rep.upserted", "2025-12-01T00:00:00Z", { rep_id: "R-1", team: "north" }),
    event("r2", "rep.upserted", "2025-12-01T00:00:00Z", { rep_id: "R-2", team: "south" }),
    // S1: expected on March 20 since February, still open: slipped (1,000).
    deal("S1", "2026-02-01T10:00:00Z", { owner_rep_id: "R-1", amount: 1000, status: "open", expected_close_at: "2026-03-20T00:00:00Z" }),
    // S2: expected on March 25, pushed to May on March 15, still open: pushed and slipped (2,000).
    deal("S2", "2026-02-02T10:00:00Z", { owner_rep_id: "R-1", amount: 2000, status: "open", expected_close_at: "2026-03-25T00:00:00Z" }),
    deal("S2", "2026-03-15T10:00:00Z", { expected_close_at: "2026-05-10T00:00:00Z" }),
    // S3: expected on March 10 and won that day: on time, nothing.
    deal("S3", "2026-02-03T10:00:00Z", { owner_rep_id: "R-2", amount: 500, status: "open", expected_close_at: "2026-03-10T00:00:00Z" }),
    deal("S3", "2026-03-10T10:00:00Z", { status: "won" }),
    // S4: expected in April, pulled into March on March 5, won on March 28: pulled in (700).
    deal("S4", "2026-02-04T10:00:00Z", { owner_rep_id: "R-2", amount: 700, status: "open", expected_close_at: "2026-04-15T00:00:00Z" }),
    deal("S4", "2026-03-05T10:00:00Z", { expected_close_at: "2026-03-28T00:00:00Z" }),
    deal("S4", "2026-03-28T10:00:00Z", { status: "won" }),
    // S5: overdue since January, moved to March 30 on March 2: neither slipped nor pulled in.
    deal("S5", "2026-02-05T10:00:00Z", { owner_rep_id: "R-2", amount: 300, status: "open", expected_close_at: "2026-01-31T00:00:00Z" }),
    deal("S5", "2026-03-02T10:00:00Z", { expected_close_at: "2026-03-30T00:00:00Z" }),
    // S6: first seen on March 10, expected on March 31, still open: slipped (400).
    deal("S6", "2026-03-10T10:00:00Z", { owner_rep_id: "R-1", amount: 400, status: "open", expected_close_at: "2026-03-31T00:00:00Z" }),
    // S7: expected in March and open, but deleted: in no month (rule 6).
    deal("S7", "2026-02-06T10:00:00Z", { owner_rep_id: "R-2", amount: 800, status: "open", expected_close_at: "2026-03-15T00:00:00Z" }),
    event("S7-deleted", "deal.deleted", "2026-04-02T10:00:00Z", { deal_id: "S7" }),
    // S8: no expected date; S9: expected three years ahead (a plan may lie beyond the accepted window).
    deal("S8", "2026-02-07T10:00:00Z", { owner_rep_id: "R-2", amount: 900, status: "open" }),
    deal("S9", "2026-02-08T10:00:00Z", { owner_rep_id: "R-2", amount: 100, status: "open", expected_close_at: "2029-06-01T00:00:00Z" }),
  ];
  expect((await postNative(connection, JSON.stringify({ events }))).status).toBe(202);
  await waitForInbox();
  expect((await call("POST", "/api/v1/workspaces/slippage/recompute", { from: "2026-03", to: "2026-03" })).status).toBe(200);
  values = await monthValues("slippage", "2026-03");
});

const value = (kpi: string, dimension = "all", key = "all") => values(kpi, dimension, key);

describe("slippage", () => {
  it("counts the deals expected in the month that were still open at its end", () => {
    // S1 (1,000), S2 (2,000, pushed but open) and S6 (400): 3 deals, 3,400, all R-1's.
    expect(value("slipped_deals")).toBe(3);
    expect(value("slipped_value")).toBe(3400);
    expect(value("slipped_deals", "rep", "R-1")).toBe(3);
    expect(value("slipped_value", "team", "north")).toBe(3400);
    expect(value("slipped_deals", "rep", "R-2")).toBeUndefined();
  });

  it("counts expected closes pushed out of the month and pulled into it", () => {
    // Pushed: S2 (March 25 → May 10), 2,000. Pulled in: S4 (April 15 → March 28), 700.
    expect([value("pushed_deals"), value("pushed_value"), value("pushed_deals", "rep", "R-1")]).toEqual([1, 2000, 1]);
    expect([value("pulled_in_deals"), value("pulled_in_value"), value("pulled_in_value", "team", "south")]).toEqual([1, 700, 700]);
  });

  it("keeps an expected close years ahead", async () => {
    const row = await env.DB.prepare("SELECT expected_close_at FROM deals WHERE deal_id = 'S9'").first<{ expected_close_at: number }>();
    expect(row?.expected_close_at).toBe(Date.parse("2029-06-01T00:00:00Z"));
  });
});

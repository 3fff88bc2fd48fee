// Applying canonical events: field-level last-writer-wins, null vs absent, derived
// created_at / closed_at, deletions, product lines, activities, and dead letters for the
// invalid events of a delivery whose valid events are applied.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createNativeConnection, createWorkspace, event, postNative, waitForInbox } from "./helpers";

let connection: { id: string; secret: string };
let workspaceId: string;

async function send(...events: unknown[]) {
  const response = await postNative(connection, JSON.stringify({ events }));
  expect(response.status).toBe(202);
  await waitForInbox();
}

const row = (sql: string, ...params: unknown[]) =>
  env.DB.prepare(sql).bind(workspaceId, ...params).first<Record<string, unknown>>();

beforeAll(async () => {
  await createWorkspace("apply", { timezone: "UTC" });
  connection = await createNativeConnection("apply");
  workspaceId = (await env.DB.prepare("SELECT id FROM workspaces WHERE slug = 'apply'").first<{ id: string }>())!.id;
});

describe("deals", () => {
  it("keeps absent fields, sets null fields to null, and takes the latest value per field", async () => {
    await send(
      event("d1-a", "deal.upserted", "2026-03-01T10:00:00Z", {
        deal_id: "D-1", owner_rep_id: "R-1", amount: "1000.50", currency: "eur", stage: "demo", lost_reason: "none",
      }),
    );
    // Later: only the stage changes; lost_reason is explicitly cleared.
    await send(event("d1-b", "deal.upserted", "2026-03-05T10:00:00Z", { deal_id: "D-1", stage: "proposal", lost_reason: null }));
    // Arrives last but happened before both: changes nothing it set later, sets `name`.
    await send(event("d1-c", "deal.upserted", "2026-02-20T10:00:00Z", { deal_id: "D-1", stage: "discovery", name: "Big one" }));
    expect(await row("SELECT name, owner_rep_id, amount, currency, stage, lost_reason, status, created_at, closed_at FROM deals WHERE workspace_id = ?1 AND deal_id = 'D-1'")).toEqual({
      name: "Big one",
      owner_rep_id: "R-1",
      amount: 1000.5,
      currency: "EUR",
      stage: "proposal",
      lost_reason: null,
      status: null,
      // No explicit created_at: the earliest upsert event (d1-c).
      created_at: Date.parse("2026-02-20T10:00:00Z"),
      closed_at: null,
    });
    const { results } = await env.DB.prepare(
      "SELECT stage, occurred_at FROM deal_stage_history WHERE workspace_id = ?1 AND deal_id = 'D-1' ORDER BY occurred_at",
    ).bind(workspaceId).all();
    expect(results.map((r) => r.stage)).toEqual(["discovery", "demo", "proposal"]);
  });

  it("defaults closed_at to the first event of the final unbroken run of the status", async () => {
    await send(
      event("d2-1", "deal.upserted", "2026-03-01T00:00:00Z", { deal_id: "D-2", status: "open" }),
      event("d2-2", "deal.upserted", "2026-03-10T00:00:00Z", { deal_id: "D-2", status: "won" }),
      event("d2-3", "deal.upserted", "2026-03-12T00:00:00Z", { deal_id: "D-2", status: "open" }),
      event("d2-4", "deal.upserted", "2026-03-20T00:00:00Z", { deal_id: "D-2", status: "won" }),
      event("d2-5", "deal.upserted", "2026-03-25T00:00:00Z", { deal_id: "D-2", status: "won", amount: 10 }),
    );
    // Won, reopened, won again: the final run starts at d2-4 (03-20), not d2-2 or d2-5.
    expect(await row("SELECT status, closed_at FROM deals WHERE workspace_id = ?1 AND deal_id = 'D-2'")).toEqual({
      status: "won",
      closed_at: Date.parse("2026-03-20T00:00:00Z"),
    });
    // An explicit closed_at wins over the default.
    await send(event("d2-6", "deal.upserted", "2026-03-26T00:00:00Z", { deal_id: "D-2", closed_at: "2026-03-18" }));
    expect(await row("SELECT closed_at FROM deals WHERE workspace_id = ?1 AND deal_id = 'D-2'")).toEqual({
      closed_at: Date.parse("2026-03-18T00:00:00Z"),
    });
  });

  it("replaces product lines as a whole and records deletions", async () => {
    await send(
      event("d3-1", "deal.upserted", "2026-03-01T00:00:00Z", {
        deal_id: "D-3",
        products: [
          { product_id: "P-1", name: "Seats", quantity: 10, unit_price: "99.5" },
          { product_id: "P-2", quantity: "1", unit_price: 500 },
        ],
      }),
    );
    await send(event("d3-2", "deal.upserted", "2026-03-02T00:00:00Z", { deal_id: "D-3", products: [{ product_id: "P-2", quantity: 2, unit_price: 450 }] }));
    const { results } = await env.DB.prepare(
      "SELECT line_no, product_id, quantity, unit_price FROM deal_products WHERE workspace_id = ?1 AND deal_id = 'D-3'",
    ).bind(workspaceId).all();
    expect(results).toEqual([{ line_no: 0, product_id: "P-2", quantity: 2, unit_price: 450 }]);

    await send(event("d3-3", "deal.deleted", "2026-03-04T00:00:00Z", { deal_id: "D-3" }));
    expect(await row("SELECT deleted_at FROM deals WHERE workspace_id = ?1 AND deal_id = 'D-3'")).toEqual({
      deleted_at: Date.parse("2026-03-04T00:00:00Z"),
    });
  });
});

describe("activities, surveys and subscriptions", () => {
  it("merges the loggings of an activity field by field, at the instant of the latest", async () => {
    await send(
      event("a1-2", "activity.logged", "2026-03-03T10:00:00Z", {
        activity_id: "ACT-1", type: "meeting", rep_id: "R-1", participant_rep_ids: ["R-2", "R-3"], outcome: "held",
      }),
      event("a1-1", "activity.logged", "2026-03-02T10:00:00Z", {
        activity_id: "ACT-1", type: "call", rep_id: "R-9", direction: "outbound", duration_seconds: 60,
      }),
    );
    expect(await row("SELECT type, rep_id, direction, duration_seconds, outcome, occurred_at FROM activities WHERE workspace_id = ?1 AND activity_id = 'ACT-1'")).toEqual({
      // The later logging wins the fields it sets; the earlier one keeps those only it set.
      type: "meeting",
      rep_id: "R-1",
      direction: "outbound",
      duration_seconds: 60,
      outcome: "held",
      occurred_at: Date.parse("2026-03-03T10:00:00Z"),
    });
    const { results } = await env.DB.prepare(
      "SELECT rep_id FROM activity_participants WHERE workspace_id = ?1 AND activity_id = 'ACT-1' ORDER BY rep_id",
    ).bind(workspaceId).all();
    expect(results.map((r) => r.rep_id)).toEqual(["R-2", "R-3"]);
  });

  it("records survey responses and the MRR history of subscriptions", async () => {
    await send(
      event("s1", "survey.responded", "2026-03-03T10:00:00Z", { response_id: "NPS-1", survey: "nps", score: 9, account_id: "A-1" }),
      event("m1", "subscription.updated", "2026-01-15T00:00:00Z", { subscription_id: "S-1", account_id: "A-1", mrr: "100.00" }),
      event("m2", "subscription.updated", "2026-02-15T00:00:00Z", { subscription_id: "S-1", account_id: "A-1", mrr: "150.00", currency: "USD" }),
      event("m3", "subscription.updated", "2026-03-15T00:00:00Z", { subscription_id: "S-1", account_id: "A-1", mrr: 0 }),
    );
    expect(await row("SELECT survey, score, account_id FROM survey_responses WHERE workspace_id = ?1")).toEqual({
      survey: "nps", score: 9, account_id: "A-1",
    });
    const { results } = await env.DB.prepare(
      "SELECT mrr FROM mrr_history WHERE workspace_id = ?1 AND subscription_id = 'S-1' ORDER BY occurred_at",
    ).bind(workspaceId).all();
    expect(results.map((r) => r.mrr)).toEqual([100, 150, 0]);
    expect(await row("SELECT mrr, currency FROM subscriptions WHERE workspace_id = ?1 AND subscription_id = 'S-1'")).toEqual({
      mrr: 0, currency: "USD",
    });
  });
});

describe("a delivery mixing valid and invalid events", () => {
  it("applies the valid events and dead-letters each invalid one with its reason", async () => {
    await send(
      event("mix-1", "rep.upserted", "2026-03-01T00:00:00Z", { rep_id: "R-50", team: "atlas" }),
      event("mix-2", "deal.upserted", "2026-03-01T00:00:00Z", { deal_id: "D-50", amount: "12,500" }),
      event("mix-3", "lead.upserted", "2026-03-01T00:00:00Z", { owner_rep_id: "R-50" }),
      { id: "mix-4", type: "rep.upserted", data: { rep_id: "R-51" } },
      event("mix-5", "survey.responded", "2026-03-01T00:00:00Z", { response_id: "X", survey: "nps", score: 11 }),
      "not an event",
      event("mix-6", "account.upserted", "2026-03-01T00:00:00Z", { account_id: "A-50", region: "emea" }),
    );
    expect(await row("SELECT team FROM reps WHERE workspace_id = ?1 AND rep_id = 'R-50'")).toEqual({ team: "atlas" });
    expect(await row("SELECT region FROM accounts WHERE workspace_id = ?1 AND account_id = 'A-50'")).toEqual({ region: "emea" });
    expect(await row("SELECT COUNT(*) AS n FROM deals WHERE workspace_id = ?1 AND deal_id = 'D-50'")).toEqual({ n: 0 });
    const { results } = await env.DB.prepare(
      "SELECT position, event_id, reason FROM dead_letters WHERE workspace_id = ?1 ORDER BY position",
    ).bind(workspaceId).all();
    expect(results).toEqual([
      { position: 1, event_id: "mix-2", reason: "data.amount: not a decimal number" },
      { position: 2, event_id: "mix-3", reason: expect.stringContaining("data.lead_id: Invalid input") },
      { position: 3, event_id: "mix-4", reason: expect.stringContaining("occurred_at: Invalid input") },
      { position: 4, event_id: "mix-5", reason: "data.score: an nps score is between 0 and 10" },
      { position: 5, event_id: null, reason: expect.stringContaining("Invalid input: expected object") },
    ]);
  });
});

describe("catalog version 2 fields: term_months, competitor, score", () => {
  it("applies valid values and dead-letters a whole event for a bad term or score (docs/kpis.md, rule 3)", async () => {
    await createWorkspace("apply-v2", { timezone: "UTC" });
    const v2 = await createNativeConnection("apply-v2");
    const v2Workspace = (await env.DB.prepare("SELECT id FROM workspaces WHERE slug = 'apply-v2'").first<{ id: string }>())!.id;
    const response = await postNative(v2, JSON.stringify({
      events: [
        event("v2-ok-deal", "deal.upserted", "2026-03-01T00:00:00Z", { deal_id: "D-V2", term_months: "24", competitor: "Rival Inc", amount: 100 }),
        event("v2-ok-lead", "lead.upserted", "2026-03-01T00:00:00Z", { lead_id: "L-V2", score: 55.5 }),
        event("v2-ok-edges", "lead.upserted", "2026-03-01T00:00:00Z", { lead_id: "L-V2-EDGE", score: 0 }),
        // Each bad event also carries a valid field: rejected whole, that field is not applied either.
        event("v2-term-0", "deal.upserted", "2026-03-01T00:00:00Z", { deal_id: "D-BAD-1", term_months: 0, amount: 1 }),
        event("v2-term-frac", "deal.upserted", "2026-03-01T00:00:00Z", { deal_id: "D-BAD-2", term_months: 1.5, amount: 1 }),
        event("v2-term-text", "deal.upserted", "2026-03-01T00:00:00Z", { deal_id: "D-BAD-3", term_months: "abc", amount: 1 }),
        event("v2-score-high", "lead.upserted", "2026-03-01T00:00:00Z", { lead_id: "L-BAD-1", score: 101, source: "web" }),
        event("v2-score-neg", "lead.upserted", "2026-03-01T00:00:00Z", { lead_id: "L-BAD-2", score: -1, source: "web" }),
        event("v2-score-text", "lead.upserted", "2026-03-01T00:00:00Z", { lead_id: "L-BAD-3", score: "x", source: "web" }),
      ],
    }));
    expect(response.status).toBe(202);
    await waitForInbox();
    const one = (sql: string) => env.DB.prepare(sql).bind(v2Workspace).first<Record<string, unknown>>();
    expect(await one("SELECT term_months, competitor, amount FROM deals WHERE workspace_id = ?1 AND deal_id = 'D-V2'"))
      .toEqual({ term_months: 24, competitor: "Rival Inc", amount: 100 });
    expect(await one("SELECT score FROM leads WHERE workspace_id = ?1 AND lead_id = 'L-V2'")).toEqual({ score: 55.5 });
    expect(await one("SELECT score FROM leads WHERE workspace_id = ?1 AND lead_id = 'L-V2-EDGE'")).toEqual({ score: 0 });
    expect(await one("SELECT COUNT(*) AS n FROM deals WHERE workspace_id = ?1 AND deal_id LIKE 'D-BAD-%'")).toEqual({ n: 0 });
    expect(await one("SELECT COUNT(*) AS n FROM leads WHERE workspace_id = ?1 AND lead_id LIKE 'L-BAD-%'")).toEqual({ n: 0 });
    const { results } = await env.DB.prepare(
      "SELECT event_id, reason FROM dead_letters WHERE workspace_id = ?1 ORDER BY position",
    ).bind(v2Workspace).all();
    expect(results).toEqual([
      { event_id: "v2-term-0", reason: "data.term_months: must be a whole number of months, at least 1" },
      { event_id: "v2-term-frac", reason: "data.term_months: must be a whole number of months, at least 1" },
      { event_id: "v2-term-text", reason: expect.stringContaining("data.term_months: not a decimal number") },
      { event_id: "v2-score-high", reason: "data.score: must be between 0 and 100" },
      { event_id: "v2-score-neg", reason: "data.score: must be between 0 and 100" },
      { event_id: "v2-score-text", reason: expect.stringContaining("data.score: not a decimal number") },
    ]);
  });
});

// Arrival-order independence: the golden company's events delivered in three seeded
// shuffles, with repeated deliveries and repeated events, leave identical entity and
// history tables; the planted edge cases resolve by occurred_at, then event id.
import { beforeAll, describe, expect, it } from "vitest";
import goldenEvents from "../fixtures/golden/events.jsonl?raw";
import { createNativeConnection, createWorkspace, postNative, waitForInbox, workspaceDbById, workspaceDbOf } from "./helpers";

const EVENTS = goldenEvents.trim().split("\n");
const SEEDS = [1, 2, 3];
const EVENTS_PER_DELIVERY = 400;

/** mulberry32: a small seeded PRNG so the shuffles are reproducible. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: T[], next: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

async function deliver(seed: number) {
  const slug = `golden-${seed}`;
  await createWorkspace(slug, { timezone: "Europe/Berlin" });
  const connection = await createNativeConnection(slug);
  const next = random(seed);
  const order = shuffled(EVENTS, next);
  const batches: string[][] = [];
  for (let i = 0; i < order.length; i += EVENTS_PER_DELIVERY) batches.push(order.slice(i, i + EVENTS_PER_DELIVERY));
  // Some events are sent again inside a later delivery (a sender's retry with a new id).
  batches.push(order.filter(() => next() < 0.05));
  for (const [index, batch] of batches.entries()) {
    const body = `{"events":[${batch.join(",")}]}`;
    const id = `golden-${seed}-${index}`;
    expect((await postNative(connection, body, { id })).status).toBe(202);
    // Some deliveries are repeated as is: the inbox answers 200 and stores nothing.
    if (next() < 0.3) expect((await postNative(connection, body, { id })).status).toBe(200);
  }
  return slug;
}

const TABLES: Record<string, string> = {
  reps: "rep_id",
  accounts: "account_id",
  leads: "lead_id",
  deals: "deal_id",
  deal_products: "deal_id, line_no",
  activities: "activity_id",
  activity_participants: "activity_id, rep_id",
  survey_responses: "response_id",
  subscriptions: "subscription_id",
  field_history: "entity_type, entity_id, field, occurred_at, event_id",
};

async function snapshot(slug: string) {
  const workspace = await (await workspaceDbOf(slug)).prepare("SELECT id FROM workspaces WHERE slug = ?1").bind(slug).first<{ id: string }>();
  const tables: Record<string, unknown[]> = {};
  for (const [table, order] of Object.entries(TABLES)) {
    const { results } = await (await workspaceDbOf(slug)).prepare(`SELECT * FROM ${table} WHERE workspace_id = ?1 ORDER BY ${order}`)
      .bind(workspace!.id)
      .all<Record<string, unknown>>();
    tables[table] = results.map(({ workspace_id: _, ...row }) => row);
  }
  return { workspaceId: workspace!.id, tables };
}

describe("arrival order", () => {
  const snapshots: Awaited<ReturnType<typeof snapshot>>[] = [];

  beforeAll(async () => {
    for (const seed of SEEDS) await deliver(seed);
    await waitForInbox(120_000);
    for (const seed of SEEDS) snapshots.push(await snapshot(`golden-${seed}`));
  }, 180_000);

  it("leaves identical entity and history tables for every shuffle", () => {
    const [first, ...others] = snapshots;
    expect(first!.tables.deals).toHaveLength(313);
    expect(first!.tables.activities).toHaveLength(1905);
    for (const other of others) {
      for (const table of Object.keys(TABLES)) expect(other.tables[table], table).toEqual(first!.tables[table]);
    }
  });

  it("resolves the planted conflicts by occurred_at, then by the larger event id", async () => {
    const { workspaceId } = snapshots[0]!;
    const db = await workspaceDbById(workspaceId);
    const deal = (id: string) =>
      db.prepare("SELECT amount, stage, status FROM deals WHERE workspace_id = ?1 AND deal_id = ?2").bind(workspaceId, id).first();
    const lead = (id: string) =>
      db.prepare("SELECT stage FROM leads WHERE workspace_id = ?1 AND lead_id = ?2").bind(workspaceId, id).first();
    // D-0312: 50000 (evt_002194) and 45000 (evt_002195) at the same instant → the larger id.
    expect(await deal("D-0312")).toEqual({ amount: 45000, stage: "demo", status: "open" });
    // D-0313: a stale snapshot (2026-04-08, larger id) overrides neither the 2026-05-20 amount nor the later stages.
    expect(await deal("D-0313")).toEqual({ amount: 33000, stage: "proposal", status: "open" });
    // L-0007: mql and sql at the same instant → sql; L-0008: the stale 'lead' is older than 'mql'.
    expect(await lead("L-0007")).toEqual({ stage: "sql" });
    expect(await lead("L-0008")).toEqual({ stage: "mql" });
  });

  it("answers 'value of a field at instant t' from the history", async () => {
    const { workspaceId } = snapshots[0]!;
    const db = await workspaceDbById(workspaceId);
    const amountAt = async (instant: string) =>
      (
        await db.prepare(
          `SELECT value_num AS amount FROM field_history
           WHERE workspace_id = ?1 AND entity_type = 'deal' AND entity_id = 'D-0313' AND field = 'amount' AND occurred_at <= ?2
           ORDER BY occurred_at DESC, event_id DESC LIMIT 1`,
        )
          .bind(workspaceId, Date.parse(instant))
          .first<{ amount: number }>()
      )?.amount;
    expect(await amountAt("2026-04-07T00:00:00Z")).toBe(11550); // created 04-06
    expect(await amountAt("2026-04-10T00:00:00Z")).toBe(28000); // the 04-08 snapshot
    expect(await amountAt("2026-04-30T22:00:00Z")).toBe(10350); // start of May in Berlin: the 04-23 update
    expect(await amountAt("2026-06-01T00:00:00Z")).toBe(33000);
  });

  it("dead-letters the three invalid events with a readable reason and applies the rest", async () => {
    const { workspaceId } = snapshots[0]!;
    const db = await workspaceDbById(workspaceId);
    const { results } = await db.prepare(
      "SELECT event_id, reason FROM dead_letters WHERE workspace_id = ?1 ORDER BY event_id",
    )
      .bind(workspaceId)
      .all();
    expect(results).toEqual([
      { event_id: "evt_002208", reason: expect.stringMatching(/^data\.status: Invalid option: expected one of "open"\|"won"\|"lost"/) },
      { event_id: "evt_002209", reason: 'type: unknown event type "deal.archived"' },
      { event_id: "evt_004264", reason: expect.stringMatching(/^data\.type: Invalid option: expected one of "call"/) },
    ]);
  });
});

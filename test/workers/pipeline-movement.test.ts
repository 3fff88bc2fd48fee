// The pipeline movement of a hand-made month (docs/kpis.md, "Pipeline movement"): every
// class once, a transfer between reps, a deal created and closed inside the month, and a
// waterfall that adds up by count and by value, overall and per rep and team. Through
// the real webhook, queue, engine and API.
import { describe, beforeAll, expect, it } from "vitest";
import Papa from "papaparse";
import { call, createNativeConnection, createWorkspace, event, postNative, waitForInbox } from "./helpers";

type Amount = { deals: number; value: number };
type Movement = { dimension: string; groups: { key: string; movements: Record<string, Amount> }[] };

const deal = (id: string, at: string, data: Record<string, unknown>) => event(`${id}@${at}`, "deal.upserted", at, { deal_id: id, ...data });

beforeAll(async () => {
  await createWorkspace("movement", { timezone: "UTC" });
  const connection = await createNativeConnection("movement");
  const events = [
    event("r1", "rep.upserted", "2025-12-01T00:00:00Z", { rep_id: "R-1", team: "north" }),
    event("r2", "rep.upserted", "2025-12-01T00:00:00Z", { rep_id: "R-2", team: "south" }),
    // A: open all month, raised from 1,000 to 1,500 on March 15.
    deal("A", "2026-01-10T10:00:00Z", { owner_rep_id: "R-1", amount: 1000, status: "open" }),
    deal("A", "2026-03-15T10:00:00Z", { amount: 1500 }),
    // B: open at the start, won on March 20 at 2,000.
    deal("B", "2026-02-05T10:00:00Z", { owner_rep_id: "R-1", amount: 2000, status: "open" }),
    deal("B", "2026-03-20T10:00:00Z", { status: "won" }),
    // C: cut from 800 to 600 on March 5, lost on March 25.
    deal("C", "2026-02-06T10:00:00Z", { owner_rep_id: "R-2", amount: 800, status: "open" }),
    deal("C", "2026-03-05T10:00:00Z", { amount: 600 }),
    deal("C", "2026-03-25T10:00:00Z", { status: "lost" }),
    // D: created on March 10 (400), still open.
    deal("D", "2026-03-10T10:00:00Z", { owner_rep_id: "R-2", amount: 400, status: "open" }),
    // E: lost in February, reopened on March 12 (300).
    deal("E", "2026-01-15T10:00:00Z", { owner_rep_id: "R-1", amount: 300, status: "open" }),
    deal("E", "2026-02-20T10:00:00Z", { status: "lost" }),
    deal("E", "2026-03-12T10:00:00Z", { status: "open" }),
    // F: open all month, handed from R-1 (north) to R-2 (south) on March 8 (700).
    deal("F", "2026-02-01T10:00:00Z", { owner_rep_id: "R-1", amount: 700, status: "open" }),
    deal("F", "2026-03-08T10:00:00Z", { owner_rep_id: "R-2" }),
    // G: open at the start (250), deleted on March 18.
    deal("G", "2026-02-02T10:00:00Z", { owner_rep_id: "R-2", amount: 250, status: "open" }),
    event("G-deleted", "deal.deleted", "2026-03-18T10:00:00Z", { deal_id: "G" }),
    // H: created and won inside March: never open at either edge, so not in the waterfall.
    deal("H", "2026-03-03T10:00:00Z", { owner_rep_id: "R-1", amount: 5000, status: "open" }),
    deal("H", "2026-03-28T10:00:00Z", { status: "won" }),
    // I: open all month, untouched (100).
    deal("I", "2026-01-20T10:00:00Z", { owner_rep_id: "R-1", amount: 100, status: "open" }),
  ];
  expect((await postNative(connection, JSON.stringify({ events }))).status).toBe(202);
  await waitForInbox();
  expect((await call("POST", "/api/v1/workspaces/movement/recompute", { from: "2026-03", to: "2026-03" })).status).toBe(200);
});

async function movement(by: string): Promise<Movement> {
  const response = await call("GET", `/api/v1/workspaces/movement/months/2026-03/pipeline-movement?by=${by}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Movement;
}

const amounts = (movements: Record<string, Amount>) =>
  Object.fromEntries(Object.entries(movements).filter(([, a]) => a.deals > 0).map(([m, a]) => [m, [a.deals, a.value]]));

/** Both sides of the waterfall's equation (docs/kpis.md, "Pipeline movement"). */
function balances(m: Record<string, Amount>): void {
  const value = m.open_start!.value + m.created!.value + m.reopened!.value + m.transferred_in!.value + m.increased!.value
    - m.decreased!.value - m.won!.value - m.lost!.value - m.deleted!.value - m.transferred_out!.value;
  const deals = m.open_start!.deals + m.created!.deals + m.reopened!.deals + m.transferred_in!.deals
    - m.won!.deals - m.lost!.deals - m.deleted!.deals - m.transferred_out!.deals;
  expect(value).toBe(m.open_end!.value);
  expect(deals).toBe(m.open_end!.deals);
}

describe("pipeline movement", () => {
  it("places every deal in one class and adds up overall", async () => {
    const { groups } = await movement("all");
    expect(groups.map((g) => g.key)).toEqual(["all"]);
    // Open at the start: A 1,000 + B 2,000 + C 800 + F 700 + G 250 + I 100 = 4,850 (6 deals).
    // Open at the end: A 1,500 + D 400 + E 300 + F 700 + I 100 = 3,000 (5 deals).
    // 4,850 + 400 + 300 + 500 − 200 − 2,000 − 600 − 250 = 3,000; 6 + 1 + 1 − 1 − 1 − 1 = 5.
    expect(amounts(groups[0]!.movements)).toEqual({
      open_start: [6, 4850],
      created: [1, 400],
      reopened: [1, 300],
      increased: [1, 500],
      decreased: [1, 200],
      won: [1, 2000],
      lost: [1, 600],
      deleted: [1, 250],
      open_end: [5, 3000],
    });
    balances(groups[0]!.movements);
  });

  it("adds up per rep, with the handed-over deal out of one and into the other", async () => {
    const { groups } = await movement("rep");
    const byRep = Object.fromEntries(groups.map((g) => [g.key, g.movements]));
    expect(Object.keys(byRep)).toEqual(["R-1", "R-2"]);
    // 3,800 (A, B, F, I) + 300 reopened + 500 raised − 2,000 won − 700 handed to R-2 = 1,900 (A, E, I).
    expect(amounts(byRep["R-1"]!)).toEqual({
      open_start: [4, 3800], reopened: [1, 300], increased: [1, 500], won: [1, 2000], transferred_out: [1, 700], open_end: [3, 1900],
    });
    // 1,050 (C, G) + 400 created + 700 from R-1 − 200 cut − 600 lost − 250 deleted = 1,100 (D, F).
    expect(amounts(byRep["R-2"]!)).toEqual({
      open_start: [2, 1050], created: [1, 400], transferred_in: [1, 700], decreased: [1, 200], lost: [1, 600], deleted: [1, 250], open_end: [2, 1100],
    });
    for (const movements of Object.values(byRep)) balances(movements);
  });

  it("adds up per team, keyed by the owner's team at each edge", async () => {
    const { groups } = await movement("team");
    expect(groups.map((g) => [g.key, g.movements.open_start!.value, g.movements.open_end!.value])).toEqual([
      ["north", 3800, 1900],
      ["south", 1050, 1100],
    ]);
    for (const g of groups) balances(g.movements);
  });

  it("serves the waterfall as CSV, every class listed", async () => {
    const response = await call("GET", "/api/v1/workspaces/movement/months/2026-03/pipeline-movement?format=csv");
    expect(response.headers.get("content-type")).toContain("text/csv");
    const rows = Papa.parse<Record<string, string>>((await response.text()).trim(), { header: true }).data;
    expect(rows).toHaveLength(11);
    expect(rows[0]).toEqual({ month: "2026-03", dimension: "all", key: "all", movement: "open_start", deals: "6", value: "4850" });
    expect(rows.at(-1)).toEqual({ month: "2026-03", dimension: "all", key: "all", movement: "open_end", deals: "5", value: "3000" });
  });

  it("answers 404 for a month not computed and 400 for another breakdown", async () => {
    expect((await call("GET", "/api/v1/workspaces/movement/months/2025-06/pipeline-movement")).status).toBe(404);
    expect((await call("GET", "/api/v1/workspaces/movement/months/2026-03/pipeline-movement?by=region")).status).toBe(400);
  });
});

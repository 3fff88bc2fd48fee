// The members of every value of the golden company (catalog version 2, every month): for
// each stored (kpi, dimension, key) the members of its numerator add up to the numerator —
// the value itself for a total — and those of its denominator to the denominator; for a
// count each member counts once, so there are as many members as the count. Read through
// workers/kpi/members.ts, from the same measured facts that computed the values.
import { beforeAll, describe, expect, it } from "vitest";
import { type KpiId, KPIS } from "../../shared/catalog";
import { workspaceById } from "../../workers/db/workspaces";
import type { Measure } from "../../workers/kpi/measures";
import { csvResponse } from "../../workers/api/csv";
import { encodeCursor } from "../../workers/api/pagination";
import { MEMBERS, memberTotals, type Side, sidesOf } from "../../workers/kpi/members";
import expected from "../fixtures/golden-v2/expected.json";
import { type ExpectedValues, loadGoldenV2 } from "./golden";
import { call, workspaceDbById } from "./helpers";

const MONTHS = Object.keys(expected);
const MEASURED = [...MEMBERS.keys()];

let workspaceId: string;

beforeAll(async () => {
  workspaceId = await loadGoldenV2("golden-members");
  const response = await call("POST", "/api/v1/workspaces/golden-members/recompute", { from: MONTHS[0], to: MONTHS.at(-1) });
  expect(response.status).toBe(200);
}, 180_000);

interface Stored {
  kpi: KpiId;
  dimension: string;
  key: string;
  value: number | null;
  numerator: number | null;
  denominator: number | null;
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

/**
 * The differences between the stored values of `kpi` in `month` and their members: what
 * each side should add up to (numerator, or the value of a total; denominator) against what
 * its members add up to, and for sides of counts, the number of members.
 */
async function memberMismatches(month: string, kpi: KpiId): Promise<string[]> {
  const db = await workspaceDbById(workspaceId);
  const workspace = await workspaceById(db, workspaceId);
  const { results: stored } = await db
    .prepare("SELECT kpi, dimension, key, value, numerator, denominator FROM kpi_values WHERE workspace_id = ?1 AND month = ?2 AND kpi = ?3")
    .bind(workspaceId, month, kpi)
    .all<Stored>();
  const definition = KPIS.find((k) => k.id === kpi)!;
  const mismatches: string[] = [];
  for (const side of ["numerator", "denominator"] as Side[]) {
    const totals = await memberTotals(db, workspace, month, kpi, side);
    const byValue = new Map(totals!.map((t) => [`${t.dimension}|${t.key}`, t]));
    for (const value of stored) {
      const sides = sidesOf(kpi, value.dimension);
      const terms = sides?.[side];
      if (!sides) {
        if (side === "numerator") mismatches.push(`${month} ${kpi} ${value.dimension}: no members`);
        continue;
      }
      if (!terms) continue; // a median has no numerator
      const measures: Record<string, Measure> = sides.facts.definition.measures;
      const countsOnly = terms.every((t) => t.sign === 1 && measures[t.measure]!.kind === "count");
      const wanted = side === "denominator" ? value.denominator : definition.aggregation === "total" ? value.value : value.numerator;
      const members = byValue.get(`${value.dimension}|${value.key}`);
      byValue.delete(`${value.dimension}|${value.key}`);
      const id = `${month} ${kpi} ${value.dimension}=${value.key} ${side}`;
      if (wanted === null) {
        if (members) mismatches.push(`${id}: nothing stored, ${members.members} members`);
        continue;
      }
      const total = members?.total ?? 0;
      if (!close(total, wanted)) mismatches.push(`${id}: stored ${wanted}, members add up to ${total}`);
      if (countsOnly && (members?.members ?? 0) !== wanted) mismatches.push(`${id}: ${wanted} counted, ${members?.members ?? 0} members`);
    }
    // Members of a value that is not stored: only in breakdowns the catalog does not list.
    for (const [id, t] of byValue) {
      if (definition.dimensions.includes(t.dimension as never) && t.total !== 0) {
        mismatches.push(`${month} ${kpi} ${id} ${side}: ${t.members} members of a value not stored`);
      }
    }
  }
  return mismatches;
}

describe("members of every golden value", () => {
  it("lists the members of every KPI but those derived from other values", () => {
    const unmeasured = KPIS.filter((k) => !MEMBERS.has(k.id)).map((k) => k.id);
    // The forecast family (docs/kpis.md, rule 39) is read from the forecast stored at start(M),
    // not from today's facts: its members (the deals open then) would have to be stored with it.
    const stored = KPIS.filter((k) => k.family === "forecast").map((k) => k.id);
    expect(unmeasured.filter((id) => KPIS.find((k) => k.id === id)!.aggregation !== "derived" && !stored.includes(id))).toEqual([]);
  });

  it.each(MONTHS)("adds up to every stored numerator and denominator of %s", async (month) => {
    const mismatches: string[] = [];
    for (const kpi of MEASURED) mismatches.push(...(await memberMismatches(month, kpi)));
    expect(mismatches).toEqual([]);
  }, 120_000);
});

describe("GET …/months/:month/kpis/:kpi/members", () => {
  const path = (kpi: string, query: string) => `/api/v1/workspaces/golden-members/months/2026-03/kpis/${kpi}/members?${query}`;
  interface Page {
    count: number;
    total: number;
    numerator: number | null;
    denominator: number | null;
    items: { type: string; id: string; name: string | null; owner_name: string | null; amount: number | null; currency: string | null; converted: number | null; contribution: number; placed_at: string | null; connection_kind: string | null; crm_id: string }[];
    next_cursor: string | null;
  }
  let read: string;

  beforeAll(async () => {
    const response = await call("POST", "/api/v1/workspaces/golden-members/tokens", { scopes: ["read"] });
    read = ((await response.json()) as { token: string }).token;
  });

  it("lists the 22 deals won and the 30 closed behind March's win rate of 22 / 30, page by page", async () => {
    // expected.json: win_rate 2026-03 overall 0.7333… = 22 won of 30 closed (kpi-golden.test.ts).
    expect((expected as unknown as ExpectedValues)["2026-03"]!.win_rate!.all!.all).toBeCloseTo(22 / 30, 12);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await call("GET", path("win_rate", `side=numerator&limit=10${cursor ? `&cursor=${cursor}` : ""}`), undefined, read);
      expect(response.status).toBe(200);
      const page = (await response.json()) as Page;
      expect(page).toMatchObject({ count: 22, total: 22, numerator: 22, denominator: 30 });
      seen.push(...page.items.map((m) => m.id));
      for (const m of page.items) {
        expect(m).toMatchObject({ type: "deal", contribution: 1, connection_kind: "native", crm_id: m.id });
        // Closed in March 2026, Europe/Berlin: from 2026-02-28T23:00Z to 2026-03-31T22:00Z.
        expect(m.placed_at! >= "2026-02-28T23:00:00.000Z" && m.placed_at! < "2026-03-31T22:00:00.000Z").toBe(true);
      }
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(22);
    expect(new Set(seen).size).toBe(22);

    const closed = (await (await call("GET", path("win_rate", "side=denominator&limit=200"), undefined, read)).json()) as Page;
    expect(closed).toMatchObject({ count: 30, total: 30 });
    expect(closed.items.map((m) => m.id)).toEqual(expect.arrayContaining(seen));

    // A cursor past the last member: no members, the side's count and total still 22.
    const past = encodeCursor([0, "deal|~"]);
    const beyond = (await (await call("GET", path("win_rate", `cursor=${past}`), undefined, read)).json()) as Page;
    expect(beyond).toMatchObject({ items: [], count: 22, total: 22, next_cursor: null });
  });

  it("adds the won deals' converted amounts up to March's revenue won, largest first, as CSV too", async () => {
    // expected.json: revenue_won 2026-03 overall 344,742.72 USD.
    const page = (await (await call("GET", path("revenue_won", "limit=200"), undefined, read)).json()) as Page;
    expect(page.total).toBeCloseTo(344742.72, 6);
    expect(page.count).toBe(page.items.length);
    const amounts = page.items.map((m) => m.contribution);
    expect(amounts).toEqual([...amounts].sort((a, b) => b - a));
    expect(page.items.every((m) => m.contribution === m.converted)).toBe(true);

    const csv = await call("GET", path("revenue_won", "limit=5&format=csv"), undefined, read);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trim().split("\r\n");
    expect(lines[0]).toBe("type,id,name,owner_rep_id,owner_name,amount,currency,converted,contribution,placed_at,connection_kind,crm_id");
    expect(lines).toHaveLength(6);
    expect(csv.headers.get("link")).toMatch(/cursor=[^&>]+.*>; rel="next"$/);
  });

  it("shows a deal's current amount, converted at the month's rate, where its KPI reads none (the opportunity cohort)", async () => {
    const page = (await (await call("GET", path("new_opportunities", "limit=200"), undefined, read)).json()) as Page;
    expect(page.count).toBe(page.total);
    const priced = page.items.filter((m) => m.amount !== null);
    expect(priced.length).toBeGreaterThan(0);
    // USD is the golden workspace's currency: converted at rate 1.
    for (const m of priced.filter((m) => m.currency === "USD")) expect(m.converted).toBe(m.amount);
  });

  it("answers what cannot be listed with a problem that says why", async () => {
    const derived = await call("GET", path("pipeline_velocity", ""), undefined, read);
    expect(derived.status).toBe(404);
    expect(((await derived.json()) as { detail: string }).detail).toMatch(/derived from other KPIs/);
    const badDimension = await call("GET", path("win_loss_ratio", "dimension=region"), undefined, read);
    expect(badDimension.status).toBe(400);
    const noKey = await call("GET", path("win_rate", "dimension=rep&key=nobody"), undefined, read);
    expect(noKey.status).toBe(404);
    const totalDenominator = await call("GET", path("deals_won", "side=denominator"), undefined, read);
    expect(totalDenominator.status).toBe(404);
    const badCursor = await call("GET", path("win_rate", "cursor=nonsense"), undefined, read);
    expect(badCursor.status).toBe(400);
    const noKeyGiven = await call("GET", path("win_rate", "dimension=rep"), undefined, read);
    expect(noKeyGiven.status).toBe(400);
    expect(((await noKeyGiven.json()) as { errors: { field: string }[] }).errors[0]!.field).toBe("key");
  });

  it("names a CSV download after a CRM's key safely, whatever it holds", () => {
    // A loss reason with a quote, a line break and non-Latin-1 letters: ASCII with _ in
    // filename, the exact name in filename*.
    const response = csvResponse("a\r\n", 'acme-2026-03-deals_lost-reason-"价格"\r\n.csv');
    expect(response.headers.get("content-disposition")).toBe(
      `attachment; filename="acme-2026-03-deals_lost-reason-______.csv"; filename*=UTF-8''acme-2026-03-deals_lost-reason-%22%E4%BB%B7%E6%A0%BC%22%0D%0A.csv`,
    );
  });
});

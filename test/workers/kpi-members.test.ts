// The members of every value of the golden company (catalog version 2, every month): for
// each stored (kpi, dimension, key) the members of its numerator add up to the numerator —
// the value itself for a total — and those of its denominator to the denominator; for a
// count each member counts once, so there are as many members as the count. Read through
// workers/kpi/members.ts, from the same measured facts that computed the values.
import { beforeAll, describe, expect, it } from "vitest";
import { type KpiId, KPIS } from "../../shared/catalog";
import { workspaceById } from "../../workers/db/workspaces";
import type { Measure } from "../../workers/kpi/measures";
import { MEMBERS, memberTotals, type Side, sidesOf } from "../../workers/kpi/members";
import expected from "../fixtures/golden-v2/expected.json";
import { loadGoldenV2 } from "./golden";
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
    expect(unmeasured.filter((id) => KPIS.find((k) => k.id === id)!.aggregation !== "derived")).toEqual([]);
  });

  it.each(MONTHS)("adds up to every stored numerator and denominator of %s", async (month) => {
    const mismatches: string[] = [];
    for (const kpi of MEASURED) mismatches.push(...(await memberMismatches(month, kpi)));
    expect(mismatches).toEqual([]);
  }, 120_000);
});

// Every value of ../shared/data/golden/expected.json, an independent computation from
// kpis.md, matches what the engine computes for the golden company (relative 1e-9).
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { computeMonth } from "../../workers/kpi/engine";
import expected from "../fixtures/golden/expected.json";
import { loadGolden, side } from "./golden";

type Expected = Record<string, Record<string, Record<string, Record<string, number | null>>>>;
const EXPECTED = expected as Expected;
const MONTHS = Object.keys(EXPECTED);

let workspaceId: string;

function close(actual: number | null, wanted: number | null): boolean {
  if (wanted === null || actual === null) return wanted === actual;
  return Math.abs(actual - wanted) <= 1e-9 * Math.max(1, Math.abs(wanted));
}

beforeAll(async () => {
  workspaceId = await loadGolden("golden");
  const workspace = {
    id: workspaceId,
    timezone: side.workspace.timezone,
    currency: side.workspace.currency,
    pipelineStages: side.workspace.pipeline_stages,
  };
  for (const month of MONTHS) await computeMonth(env.DB, workspace, month);
}, 180_000);

describe("golden company", () => {
  it.each(MONTHS)("matches every expected value of %s", async (month) => {
    const { results } = await env.DB.prepare(
      "SELECT kpi, dimension, key, value FROM kpi_values WHERE workspace_id = ?1 AND month = ?2",
    )
      .bind(workspaceId, month)
      .all<{ kpi: string; dimension: string; key: string; value: number | null }>();
    const actual = new Map(results.map((r) => [`${r.kpi}|${r.dimension}|${r.key}`, r.value]));
    const mismatches: string[] = [];
    for (const [kpi, dimensions] of Object.entries(EXPECTED[month]!)) {
      for (const [dimension, keys] of Object.entries(dimensions)) {
        for (const [key, wanted] of Object.entries(keys)) {
          const id = `${kpi}|${dimension}|${key}`;
          if (!actual.has(id)) {
            if (wanted !== null && wanted !== 0) mismatches.push(`${id}: missing, expected ${wanted}`);
          } else if (!close(actual.get(id)!, wanted)) {
            mismatches.push(`${id}: ${actual.get(id)} ≠ expected ${wanted}`);
          }
          actual.delete(id);
        }
      }
    }
    for (const [id, value] of actual) {
      const [kpi, dimension] = id.split("|");
      if (EXPECTED[month]![kpi!]?.[dimension!] !== undefined) mismatches.push(`${id}: unexpected key (${value})`);
      else mismatches.push(`${id}: unexpected dimension (${value})`);
    }
    expect(mismatches).toEqual([]);
  });
});

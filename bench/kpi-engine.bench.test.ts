// Benchmark: how the KPI engine scales with a workspace's size. The same demo company at
// two sizes is ingested through the real route and queue, then each month is computed a few
// times; the printed ratio (time at the large size ÷ time at the small size) is measured in
// the same run, so it does not depend on the machine. Linear scaling prints about the ratio
// of the sizes. Run with `npm run bench`.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { generateCompany } from "../scripts/demo/company";
import { computeMonth } from "../workers/kpi/engine";
import { loadSettings } from "../workers/kpi/recompute";
import { createNativeConnection, createWorkspace, postNative, waitForInbox } from "../test/workers/helpers";

const END = "2026-03";
const SIZES = { small: 0.25, large: 1 };
const RUNS = 3;

async function ingest(slug: string, scale: number) {
  const company = generateCompany({ seed: 42, scale, end: END, months: 12 });
  await createWorkspace(slug, { timezone: company.timezone, pipeline_stages: ["discovery", "demo", "proposal", "negotiation"] });
  const connection = await createNativeConnection(slug);
  for (let i = 0; i < company.events.length; i += 1000) {
    const response = await postNative(connection, JSON.stringify({ events: company.events.slice(i, i + 1000) }));
    expect(response.status).toBe(202);
  }
  await waitForInbox(600_000);
  const row = await env.DB.prepare("SELECT id FROM workspaces WHERE slug = ?1").bind(slug).first<{ id: string }>();
  return { workspaceId: row!.id, events: company.events.length, months: company.months };
}

async function timeMonths(workspaceId: string, months: string[]) {
  const settings = (await loadSettings(env.DB, workspaceId))!;
  const started = performance.now();
  for (let run = 0; run < RUNS; run++) for (const month of months) await computeMonth(env.DB, settings, month);
  return (performance.now() - started) / (RUNS * months.length);
}

describe("KPI engine scaling", () => {
  it("prints the time per month at the large size against the small size", async () => {
    const small = await ingest("bench-small", SIZES.small);
    const large = await ingest("bench-large", SIZES.large);
    const smallMs = await timeMonths(small.workspaceId, small.months);
    const largeMs = await timeMonths(large.workspaceId, large.months);
    const sizeRatio = large.events / small.events;
    const timeRatio = largeMs / smallMs;
    console.log(
      [
        "KPI engine, one month of one workspace (all 63 KPIs and their breakdowns):",
        `  baseline  ${small.events} events: ${smallMs.toFixed(1)} ms per month`,
        `  measured  ${large.events} events: ${largeMs.toFixed(1)} ms per month`,
        `  ratio     ${timeRatio.toFixed(2)}× the time for ${sizeRatio.toFixed(2)}× the events (linear = ${sizeRatio.toFixed(2)})`,
      ].join("\n"),
    );
    expect(timeRatio).toBeGreaterThan(0);
  }, 900_000);
});

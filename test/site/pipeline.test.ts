/// <reference types="node" />
// The whole pipeline at a small scale, as `npm start` runs it: the demo company through the
// real webhook endpoints of a real local Worker (wrangler dev, workerd, D1), recompute and
// publish, export, and the site build; then hand-checkable totals on the built page.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateCompany } from "../../scripts/demo/company";
import { loadDemo } from "../../scripts/demo/load";
// @ts-expect-error: a plain ESM script without type declarations
import { exportReports } from "../../scripts/export.mjs";
import { monthOf } from "../../shared/months";
import { ARTIFACTS, buildSite } from "./helpers";
import { ADMIN_TOKEN as TOKEN, type LocalWorker, startWorker } from "./worker";

const REPORTS = join(ARTIFACTS, "pipeline-reports");
const DEMO = { seed: 7, scale: 0.5, end: "2026-03", months: 4 };

let worker: LocalWorker;
let API = "";

beforeAll(async () => {
  rmSync(REPORTS, { recursive: true, force: true });
  worker = await startWorker("pipeline-state");
  API = worker.url;
}, 120_000);

afterAll(() => worker?.stop());

/** The generated company's deals and leads as their final state (events are in time order). */
function expectedTotals(month: string) {
  const company = generateCompany(DEMO);
  const deals = new Map<string, Record<string, unknown>>();
  const leads = new Map<string, Record<string, unknown>>();
  for (const event of company.events) {
    if (event.type === "deal.upserted") deals.set(String(event.data.deal_id), { ...deals.get(String(event.data.deal_id)), ...event.data });
    if (event.type === "lead.upserted") {
      const id = String(event.data.lead_id);
      leads.set(id, { created_at: event.occurred_at, ...leads.get(id), ...event.data });
    }
  }
  const inMonth = (instant: unknown) => typeof instant === "string" && monthOf(Date.parse(instant), company.timezone) === month;
  return {
    dealsWon: [...deals.values()].filter((d) => d.status === "won" && inMonth(d.closed_at)).length,
    newLeads: [...leads.values()].filter((l) => inMonth(l.created_at)).length,
  };
}

describe("the demo pipeline at a small scale", () => {
  it("goes from CRM webhooks to a built report page with the right totals", async () => {
    const loaded = await loadDemo({ api: API, token: TOKEN, workspace: "ci", ...DEMO, interactive: false, log: () => undefined });
    expect(loaded.failed).toBe(0);
    expect(loaded.deadLetters).toBe(0);
    expect(loaded.months).toEqual(["2025-12", "2026-01", "2026-02", "2026-03"]);

    const exported = await exportReports({ api: API, token: TOKEN, out: REPORTS, log: () => undefined });
    // Digests need REPORT_SITE_URL, which wrangler dev has only if .dev.vars sets it.
    expect(exported).toMatchObject({ written: 4, unchanged: 0, reports: 4 });

    const build = buildSite(REPORTS, "pipeline-site");
    expect(build.status, build.output).toBe(0);
    const page = readFileSync(join(build.outDir, "ci/2026-03/index.html"), "utf8");
    const tile = (kpi: string) => new RegExp(`data-kpi="${kpi}">\\s*<h3[^>]*>[^<]*</h3>\\s*<p class="tile__value" data-value="([^"]*)"`).exec(page)?.[1];

    // Counted by hand from the generated events: won deals closed in March 2026 (New York
    // time), and leads created in March 2026.
    const expected = expectedTotals("2026-03");
    expect(expected.dealsWon).toBeGreaterThan(0);
    expect(Number(tile("deals_won"))).toBe(expected.dealsWon);
    expect(Number(tile("new_leads"))).toBe(expected.newLeads);
    expect(page).toContain("Sales report, March 2026");
    expect(Buffer.byteLength(page)).toBeLessThan(150 * 1024);

    // "Which deals?" on the deals won tile leads to those same deals, from the same facts.
    expect(page).toContain('<a href="deals/deals_won.all.all/" aria-label="Which deals? Deals won">Which deals?</a>');
    const drill = readFileSync(join(build.outDir, "ci/2026-03/deals/deals_won.all.all/index.html"), "utf8");
    expect(drill).toContain(`What it counts: ${expected.dealsWon} ${expected.dealsWon === 1 ? "deal" : "deals"}`);
    expect([...drill.matchAll(/<tr data-member=/g)]).toHaveLength(Math.min(20, expected.dealsWon));
  }, 600_000);
});

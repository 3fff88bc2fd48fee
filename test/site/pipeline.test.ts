/// <reference types="node" />
// The whole pipeline at a small scale, as `npm start` runs it: the demo company through the
// real webhook endpoints of a real local Worker (wrangler dev, workerd, D1), recompute and
// publish, export, and the site build; then hand-checkable totals on the built page.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateCompany } from "../../scripts/demo/company";
import { loadDemo } from "../../scripts/demo/load";
// @ts-expect-error: a plain ESM script without type declarations
import { exportReports } from "../../scripts/export.mjs";
import { monthOf } from "../../shared/months";
import { ARTIFACTS, buildSite, REPO } from "./helpers";

const STATE = join(ARTIFACTS, "pipeline-state");
const REPORTS = join(ARTIFACTS, "pipeline-reports");
const TOKEN = "ci-admin-token";
const PORT = 18000 + Math.floor(Math.random() * 1000);
const API = `http://127.0.0.1:${PORT}`;
const DEMO = { seed: 7, scale: 0.5, end: "2026-03", months: 4 };
const wrangler = join(REPO, "node_modules/wrangler/bin/wrangler.js");

let worker: ChildProcess;
let workerOutput = "";

beforeAll(async () => {
  rmSync(STATE, { recursive: true, force: true });
  rmSync(REPORTS, { recursive: true, force: true });
  const migrate = spawnSync(process.execPath, [wrangler, "d1", "migrations", "apply", "DB", "--local", "--persist-to", STATE], {
    cwd: REPO,
    encoding: "utf8",
    env: { ...process.env, CI: "1" },
  });
  expect(migrate.status, migrate.stderr).toBe(0);
  worker = spawn(
    process.execPath,
    [wrangler, "dev", "--port", String(PORT), "--ip", "127.0.0.1", "--persist-to", STATE, "--test-scheduled",
      "--show-interactive-dev-session=false", "--var", `ADMIN_TOKEN:${TOKEN}`, "--var", "SECRETS_KEY:q1YJ0lJb9b1qQm3wzq8aH2vN8cQbF3m6D3H8f2n6X1Y="],
    { cwd: REPO, env: { ...process.env, CI: "1" } },
  );
  worker.stdout!.on("data", (chunk) => (workerOutput = (workerOutput + chunk).slice(-10000)));
  worker.stderr!.on("data", (chunk) => (workerOutput = (workerOutput + chunk).slice(-10000)));
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${API}/`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 240) throw new Error(`wrangler dev did not start:\n${workerOutput}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}, 120_000);

afterAll(() => {
  worker?.kill("SIGTERM");
});

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
    expect(exported).toEqual({ written: 4, unchanged: 0, reports: 4 });

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
  }, 600_000);
});

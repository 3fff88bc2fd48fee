/// <reference types="node" />
// The rep leaderboard folds the reps without activity: a report whose leaderboard has
// reps with closed deals, one with only a lost deal, and nine with nothing (a quota at 0 %
// or no quota) shows the active ones in the table and the chart, and the nine in one
// "9 more reps without closed deals" line, a <details> that opens without JavaScript.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Report, ReportIndex } from "../../shared/report";
import { ARTIFACTS, buildSite, dataValues, drawnValues, figures, FIXTURES, serve } from "./helpers";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const REPORTS = join(ARTIFACTS, "leaderboard-reports");

// The acme March report with a 26-rep style leaderboard: the fixture's five active reps,
// one rep whose only closed deal was lost, and nine without a closed deal.
const index = ReportIndex.parse(JSON.parse(readFileSync(join(FIXTURES, "index.json"), "utf8")));
const entry = index.reports.find((r) => r.workspace === "acme" && r.month === "2026-03")!;
const report = Report.parse(JSON.parse(readFileSync(join(FIXTURES, entry.file), "utf8")));
const lostOnly = { rep_id: "rep_lost", name: "Lena Lost", team: "Enterprise", revenue_won: null, deals_won: null, win_rate: 0, quota_attainment: 0 };
const idle = Array.from({ length: 9 }, (_, i) => ({
  rep_id: `rep_idle_${i}`,
  name: `Idle Rep ${i + 1}`,
  team: i % 2 ? "Enterprise" : "Mid-Market",
  revenue_won: null,
  deals_won: i === 0 ? 0 : null,
  win_rate: null,
  quota_attainment: i < 7 ? 0 : null,
}));
const leaderboard = [...report.leaderboard, lostOnly, ...idle];
const active = report.leaderboard.length + 1;

let html = "";
let outDir = "";
let browser: Browser | undefined;
let server: Server | undefined;
let base = "";

beforeAll(async () => {
  rmSync(REPORTS, { recursive: true, force: true });
  mkdirSync(join(REPORTS, "acme"), { recursive: true });
  writeFileSync(join(REPORTS, "index.json"), JSON.stringify({ ...index, reports: [entry] }));
  writeFileSync(join(REPORTS, entry.file), JSON.stringify({ ...report, leaderboard }));
  const build = buildSite(REPORTS, "site-leaderboard");
  if (build.status !== 0) throw new Error(`astro build failed:\n${build.output}`);
  outDir = build.outDir;
  html = readFileSync(join(outDir, "acme/2026-03/index.html"), "utf8");
});

afterAll(async () => {
  await browser?.close();
  await new Promise((done) => (server ? server.close(done) : done(undefined)));
});

const section = () => html.slice(html.indexOf('id="leaderboard"'), html.indexOf("</section>", html.indexOf('id="leaderboard"')));

describe("the leaderboard of a report with idle reps", () => {
  it("lists the reps with activity in the table, the lost-only rep included", () => {
    const table = /<table class="leaderboard[^"]*"[\s\S]*?<\/table>/.exec(section())![0];
    expect(table.match(/<tr>/g)?.length).toBe(active + 1); // + the header row
    expect(table).toContain("Lena Lost");
    expect(table).not.toContain("Idle Rep");
  });

  it("folds the rest into one line that names them", () => {
    const fold = /<details class="leaderboard-fold[^"]*"[^>]*>[\s\S]*?<\/details>/.exec(section())![0];
    expect(fold).toContain("<summary>9 more reps without closed deals</summary>");
    for (let i = 1; i <= 9; i++) expect(fold).toContain(`Idle Rep ${i} (`);
    expect(fold).toContain("Quota attainment 0.0% for the 7 with a quota.");
    expect(section().match(/<details class="leaderboard-fold/g)).toHaveLength(1);
    // Printed, the line stays (summaries are hidden in print).
    expect(section()).toContain('<p class="print-only muted">9 more reps without closed deals.</p>');
  });

  it("draws quota bars for the active reps only, and says what it leaves out", () => {
    const chart = figures(section()).find((f) => f.includes('data-chart="chart-quota"'))!;
    const svg = /<svg[^>]*>/.exec(chart)![0];
    const withQuota = [...report.leaderboard, lostOnly].filter((r) => r.quota_attainment !== null).length;
    expect(drawnValues(svg)).toHaveLength(withQuota);
    expect(dataValues(chart)).toHaveLength(withQuota);
    expect(chart).not.toContain("Idle Rep");
    expect(section()).toContain("Not drawn: 7 reps without closed deals, at 0.0% of quota.");
  });

  it("opens the fold without JavaScript", async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}`);
    ({ url: base, server } = await serve(outDir));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(`${base}/acme/2026-03/`);
    const names = page.locator(".leaderboard-fold p");
    expect(await names.isVisible()).toBe(false);
    await page.locator(".leaderboard-fold summary").click();
    expect(await names.isVisible()).toBe(true);
    expect(await names.textContent()).toContain("Idle Rep 9");
    await context.close();
  });
});

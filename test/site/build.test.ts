/// <reference types="node" />
// Builds the report site from the fixture reports and checks the output: every page,
// the index, the glossary, accessible charts whose tables hold the drawn numbers, escaping,
// private share pages, no JavaScript, page weight; and that a bad input file fails the build.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { KPIS } from "../../shared/catalog";
import { Report, ReportIndex } from "../../shared/report";
import { buildSite, dataValues, drawnValues, figures, FIXTURES, sorted } from "./helpers";

const index = ReportIndex.parse(JSON.parse(readFileSync(join(FIXTURES, "index.json"), "utf8")));
const reports = index.reports.map((entry) => Report.parse(JSON.parse(readFileSync(join(FIXTURES, entry.file), "utf8"))));
const PAGE_BUDGET = 150 * 1024;
/** The row of a KPI in a report's secondary tables (MetricList). */
const row = (html: string, kpi: string) => new RegExp(`<tr data-kpi="${kpi}"[^>]*>[\\s\\S]*?</tr>`).exec(html)?.[0] ?? "";

let outDir = "";
const page = (path: string) => readFileSync(join(outDir, path, "index.html"), "utf8");
/** Whether the report's workspace opted in to public reports (the index's `public`). */
const isPublic = (r: Report) => index.reports.some((e) => e.workspace === r.workspace.slug && e.month === r.month && e.public);
/** Every report's share page; the plain page only for a public workspace's reports. */
const reportPages = () => [
  ...reports.filter(isPublic).map((r) => `${r.workspace.slug}/${r.month}`),
  ...reports.map((r) => `r/${r.share_token}`),
];

beforeAll(() => {
  const build = buildSite(FIXTURES, "site-dist");
  if (build.status !== 0) throw new Error(`astro build failed:\n${build.output}`);
  outDir = build.outDir;
});

describe("the site built from the fixture reports", () => {
  it("has a page per report and a share page per report", () => {
    for (const path of reportPages()) expect(existsSync(join(outDir, path, "index.html")), path).toBe(true);
  });

  it("lists every public workspace and its months, newest first, on the index", () => {
    const html = page("");
    for (const r of reports.filter(isPublic)) expect(html).toContain(`href="/${r.workspace.slug}/${r.month}/"`);
    expect(html.indexOf('href="/acme/2026-03/"')).toBeLessThan(html.indexOf('href="/acme/2026-02/"'));
    expect(html).toContain("Brightwave GmbH &amp; Co. KG");
  });

  it("never links a share page from the index, and share pages are noindex", () => {
    const home = page("");
    for (const r of reports) {
      expect(home).not.toContain(r.share_token);
      const share = page(`r/${r.share_token}`);
      expect(share).toMatch(/<meta name="robots" content="noindex[^"]*"/);
      // A share link must not lead to the list of every workspace's reports.
      expect(share).not.toMatch(/href="\/"/);
      if (isPublic(r)) expect(page(`${r.workspace.slug}/${r.month}`)).not.toContain('name="robots"');
    }
  });

  it("shows the header: workspace, period, data as of, version and the Revised badge", () => {
    const revised = page("acme/2026-03");
    expect(revised).toContain("Acme Analytics");
    expect(revised).toContain("Sales report, March 2026");
    expect(revised).toMatch(/class="badge"[^>]*>Revised/);
    expect(revised).toContain("Data as of");
    expect(page("acme/2026-02")).not.toMatch(/class="badge"/);
    // Brightwave has no data_as_of: a dash with a spoken explanation, never "null".
    const brightwave = page("brightwave/2026-03");
    expect(brightwave).toMatch(/Data as of<\/dt><dd><span class="null-value"[^>]*><span aria-hidden="true">—<\/span><span class="sr-only">no data<\/span>/);
    expect(brightwave).not.toMatch(/>null</);
    expect(brightwave).not.toContain("NaN");
  });

  it("formats money in the workspace currency", () => {
    expect(page("brightwave/2026-03")).toContain("€61,000");
    expect(page("acme/2026-03")).toContain("$165,296");
  });

  it("lists every catalog KPI with its formula on /kpis/", () => {
    const html = page("kpis");
    for (const kpi of KPIS) {
      expect(html.includes(`id="${kpi.id}"`), kpi.id).toBe(true);
      const escaped = kpi.formula.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll("'", "&#39;");
      expect(html.includes(`<dd>${escaped}</dd>`), `${kpi.id} formula`).toBe(true);
    }
  });

  it("gives every chart role=img, a <title>, a <desc>, a caption and a table of the same numbers", () => {
    for (const path of reportPages()) {
      const charts = figures(page(path)).filter((f) => f.includes('role="img"'));
      expect(charts.length, path).toBeGreaterThan(10);
      for (const figure of charts) {
        const svg = /<svg\b[^>]*role="img"[^>]*>/.exec(figure)![0];
        const id = /aria-labelledby="([^"]+)"/.exec(svg)?.[1];
        expect(svg, path).toContain('role="img"');
        expect(id, path).toBeTruthy();
        expect(figure).toMatch(new RegExp(`<title id="${id}">[^<]+</title>`));
        const desc = /<desc id="[^"]+">([^<]+)<\/desc>/.exec(figure)?.[1] ?? "";
        expect(desc.length, `${path} ${id}`).toBeGreaterThan(20);
        expect(figure).toMatch(/<figcaption[^>]*>[\s\S]*Formula: /);
        const table = /<table[\s\S]*<\/table>/.exec(figure)?.[0] ?? "";
        expect(table, `${path} ${id} has a table`).not.toBe("");
        expect(sorted(dataValues(table)), `${path} ${id}: table numbers = drawn numbers`).toEqual(sorted(drawnValues(svg)));
      }
    }
  });

  it("prints durations in the unit their size reads best in", () => {
    // Lead response time: 47 minutes at Acme, 182 minutes at Brightwave; activity hours stay hours.
    const acme = page("acme/2026-03");
    expect(row(acme, "lead_response_minutes")).toMatch(/data-value="47">47 min</);
    expect(row(page("brightwave/2026-03"), "lead_response_minutes")).toMatch(/data-value="182">3 h</);
    expect(row(acme, "activity_hours")).toMatch(/data-value="1180">1,180 h</);
    expect(row(acme, "customer_lifecycle_days")).toMatch(/data-value="64">64 days</);
  });

  it("shows a young cohort month as still maturing: its value, its changes, no verdict, and why", () => {
    const acme = reports.find((r) => r.workspace.slug === "acme" && r.month === "2026-03")!;
    for (const path of ["acme/2026-03", `r/${acme.share_token}`]) {
      const html = page(path);
      for (const kpi of ["lead_conversion_rate", "mql_to_customer_rate", "sql_to_customer_rate"]) {
        const cohort = row(html, kpi);
        expect(cohort, `${path} ${kpi}`).toMatch(/^<tr data-kpi="[a-z_]+" data-maturing>/);
        expect(cohort).toMatch(/data-value="[\d.]+">[\d.]+%<span class="tag tag--maturing">still maturing<\/span>/);
        expect(cohort).toContain("tone-maturing");
        expect(cohort).toContain("not judged: the cohort is still maturing");
        expect(cohort).not.toMatch(/delta__verdict|, better|, worse/);
      }
      // The time to convert is no cohort: it keeps its verdict.
      expect(row(html, "customer_lifecycle_days")).toMatch(/delta__verdict">worse</);
      // Acme's 12 lead-to-customer times, sorted: 60 … 63.4, 64 … 68; the median is 63.7 days.
      // The data was last updated at 23:58 on March 31 (New York), before March ended.
      expect(html).toContain(
        "Still maturing: Lead conversion rate, MQL → customer, SQL → customer. March 2026 had not ended at the data&#39;s last update " +
          "(March 31, 2026 at 11:58 PM EDT); a lead typically takes 63.7 days to become a customer",
      );
    }
    // Brightwave has no lead-to-customer time in its 12 months: nothing to measure maturity by.
    const brightwave = page("brightwave/2026-03");
    expect(row(brightwave, "lead_conversion_rate")).not.toContain("data-maturing");
    expect(row(brightwave, "lead_conversion_rate")).toMatch(/delta__verdict">better</);
    expect(brightwave).not.toContain("data-maturing-note");
    // The glossary says why, and links each cohort KPI to it.
    const glossary = page("kpis");
    expect(glossary).toContain('<h2 id="maturing">');
    expect(glossary).toContain("A month is still maturing when it ended less than that typical time before the report");
    for (const kpi of ["lead_conversion_rate", "mql_to_customer_rate", "sql_to_customer_rate", "opportunity_win_rate"]) {
      const card = new RegExp(`<article[^>]*id="${kpi}"[\\s\\S]*?</article>`).exec(glossary)?.[0] ?? "";
      expect(card, kpi).toMatch(/<dt>Young months<\/dt>[\s\S]*href="#maturing"/);
    }
  });

  it("describes the revenue trend in a sentence", () => {
    expect(page("acme/2026-03")).toMatch(/<desc id="chart-revenue-trend-desc">Revenue won rose from \$157,\d{3} in February 2026 to \$165,296 in March 2026/);
  });

  it("escapes text from the data", () => {
    for (const path of reportPages()) {
      const html = page(path);
      expect(html).not.toContain("<script");
      expect(html).not.toContain("<b>legacy</b>");
    }
    const acme = page("acme/2026-03");
    expect(acme).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(acme).toContain("O&#39;Brien &amp; Sons (partner)");
    expect(acme).toContain("Insights &quot;Plus&quot; &amp; Forecasting");
    expect(page("brightwave/2026-03")).toContain("Unassigned &amp; &lt;b&gt;legacy&lt;/b&gt;");
  });

  it("says so when a breakdown is empty or a value is missing", () => {
    const html = page("brightwave/2026-03");
    expect(html).toContain("No revenue won broken down by product this month.");
    expect(html).toContain("No lifecycle stages recorded at the end of the month.");
    expect(html).toContain("No NPS responses were received in March 2026.");
    expect(html).toContain("No rep has a quota for March 2026.");
    expect(html).toMatch(/data-warning="dead_letters"><strong>5<\/strong>/);
  });

  it("ships no JavaScript and keeps every report page under 150 KB", () => {
    for (const path of [...reportPages(), "", "kpis"]) {
      const html = page(path);
      expect(html, path).not.toMatch(/<script\b/i);
      expect(html, path).not.toMatch(/<link[^>]+rel="stylesheet"/);
    }
    for (const path of reportPages()) {
      const bytes = Buffer.byteLength(page(path));
      expect(bytes, `${path}: ${bytes} bytes`).toBeLessThan(PAGE_BUDGET);
    }
  });
});

describe("the sections of catalog version 2", () => {
  /** The <section> of a page whose heading has this id. */
  const section = (html: string, id: string) =>
    new RegExp(`<section class="section" aria-labelledby="${id}">[\\s\\S]*?</section>`).exec(html)?.[0] ?? "";
  const acme = () => page("acme/2026-03");

  it("lists the accounts at risk with their owner, MRR, three parts and score, lowest first", () => {
    const health = section(acme(), "health");
    expect(health).toContain('<h2 id="health">Customer health</h2>');
    // The accounts' table is open without JavaScript: it is the list to act on.
    expect(health).toMatch(/<details open>\s*<summary>The accounts/);
    const rows = [...health.matchAll(/<tr data-account="([^"]+)">([\s\S]*?)<\/tr>/g)];
    // The fixture's six accounts below 70, e.g. Hartmann & Söhne: revenue 0.1, loyalty 0.2,
    // engagement 0 → round(100 × (0.04 + 0.06 + 0)) = 10.
    expect(rows.map((r) => r[1])).toEqual(["acc_118", "acc_042", "acc_207", "acc_093", "acc_311", "acc_150"]);
    const first = rows[0]![2];
    expect(first).toContain("Hartmann &amp; Söhne KG");
    expect(first).toMatch(/data-value="10"><strong>10<\/strong>/);
    expect(first).toContain("Siobhán O&#39;Neil");
    expect(first).toContain("$540.00");
    expect(first).toMatch(/data-component="revenue">10</);
    expect(first).toMatch(/data-component="loyalty">20</);
    expect(first).toMatch(/data-component="engagement">0</);
    // Lumen Logistics: engagement 0.2333 shows as 23 of 100.
    expect(rows[1]![2]).toMatch(/data-component="engagement">23</);
    // An account without an owner says so; the owner's name is escaped.
    expect(rows.find((r) => r[1] === "acc_311")![2]).toContain("No owner");
    expect(rows.find((r) => r[1] === "acc_093")![2]).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(health).toContain("Every customer account scoring below 70.");
    // Health by segment and the two KPIs.
    expect(health).toMatch(/<th scope="row">SMB<\/th><td class="num" data-value="66.8">66.8</);
    expect(row(health, "customer_health")).toMatch(/data-value="74.6">74.6</);
    expect(row(health, "accounts_at_risk")).toMatch(/data-value="0.128">12.8%</);
  });

  it("shows why deals were lost: revenue and deals by reason, the competitive loss rate", () => {
    const losses = section(acme(), "losses");
    expect(losses).toContain('<h2 id="losses">Why we lose</h2>');
    expect(losses).toContain("Lost revenue by reason");
    expect(losses).toMatch(/<th scope="row">Competitor<\/th><td class="num" data-value="61200">\$61,200</);
    // Deals lost sit beside lost revenue in the chart's table.
    expect(losses).toMatch(/<th scope="row">Competitor<\/th><td class="num" data-value="61200">\$61,200<\/td><td class="num">9<\/td>/);
    expect(losses).toMatch(/<th scope="row">No reason given<\/th><td class="num" data-value="4100">\$4,100<\/td><td class="num">1<\/td>/);
    expect(row(losses, "competitive_loss_rate")).toMatch(/data-value="0.375">37.5%</);
    // Where the competitor takes the deals: half of Enterprise's losses.
    expect(losses).toMatch(/<th scope="row">Enterprise<\/th><td class="num" data-value="0.5">50.0%</);
  });

  it("compares lifetime value with acquisition cost", () => {
    const acquisition = section(acme(), "acquisition");
    // 72,857 ÷ 10,212.32 = 7.13: the multiple with one decimal.
    expect(acquisition).toContain("LTV : CAC 7.1×");
    expect(row(acquisition, "ltv_to_cac")).toMatch(/data-value="7.1342">7.1×</);
    expect(row(acquisition, "customer_acquisition_cost")).toMatch(/data-value="10212.32">\$10,212</);
    expect(row(acquisition, "avg_lead_score")).toMatch(/data-value="58">58</);
  });

  it("adds selling time to the activity section, handoffs to the leaderboard and churn by rep to customers", () => {
    const html = acme();
    expect(section(html, "activity")).toContain("Selling time share: 41.2%");
    expect(section(html, "activity")).toMatch(/<th scope="row">SDR<\/th><td class="num" data-value="0.6123">61.2%</);
    const leaderboard = section(html, "leaderboard");
    expect(leaderboard).toContain(">Handoffs</abbr>");
    // The SDR closed nothing but handed off 14 deals: listed, not folded.
    expect(leaderboard).toMatch(/Tomás Reyes[\s\S]*?data-handoffs="14">14</);
    const customers = section(html, "customers");
    expect(customers).toMatch(/<th scope="row">Siobhán O&#39;Neil<\/th><td class="num" data-value="0.0476">4.8%</);
    // Priya Raman lost no paying account: named, not drawn.
    expect(customers).toContain('data-no-churn="1">No paying account churned for 1 other rep: Priya Raman.');
  });

  it("says so in a sentence when a section has nothing to show", () => {
    const html = page("brightwave/2026-03");
    expect(section(html, "health")).toContain("No customer accounts at the end of March 2026: there is no health to score.");
    expect(section(html, "health")).toContain("No customer accounts at the end of March 2026.");
    expect(section(html, "losses")).toContain("No deal was lost in March 2026.");
    expect(section(html, "acquisition")).toContain("No new customer was won in March 2026, so there is no acquisition cost to compare.");
    expect(section(html, "activity")).toContain("No activity with a duration was logged in March 2026.");
    expect(section(html, "customers")).toContain("No rep owned a paying account at the start of March 2026.");
    expect(html).not.toContain('data-chart="chart-at-risk"');
  });

  it("shows the pipeline movement: the waterfall and its table of every class, by deals and value", () => {
    const movement = section(acme(), "pipeline-movement");
    expect(movement).toContain('<h2 id="pipeline-movement">Pipeline movement</h2>');
    const chart = figures(movement).find((f) => f.includes('data-chart="chart-pipeline-movement"'))!;
    // The fixture's waterfall: 1,842,500 + 412,300 + 18,400 + 96,750 − 41,200 − 348,900
    // − 98,150 − 12,600 = 1,869,100; no transfer overall, so those two classes are not drawn.
    expect(drawnValues(/<svg\b[^>]*role="img"[^>]*>/.exec(chart)![0])).toEqual([1842500, 412300, 18400, 96750, 41200, 348900, 98150, 12600, 1869100]);
    expect(chart).toContain("The open pipeline went from $1,842,500 (212 deals) at the start of March 2026 to $1,869,100 (209 deals) at its end.");
    const rows = Object.fromEntries([...chart.matchAll(/<tr data-movement="([^"]+)"[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => [m[1], m[2]!.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim()]));
    // Every class in shared/pipeline-movement.ts order; signed, amount changes counting the deals whose amount changed.
    expect(rows).toEqual({
      open_start: "Open at start 212 $1,842,500",
      created: "Created +58 +$412,300",
      reopened: "Reopened +3 +$18,400",
      transferred_in: "Transferred in 0 $0.00",
      increased: "Amount increases 14 deals changed amount +$96,750",
      decreased: "Amount decreases 9 deals changed amount −$41,200",
      won: "Won −41 −$348,900",
      lost: "Lost −21 −$98,150",
      deleted: "Deleted −2 −$12,600",
      transferred_out: "Transferred out 0 $0.00",
      open_end: "Open at end 209 $1,869,100",
    });
    // Increases and decreases differ without colour: a sign on every label, removals hatched.
    expect(chart).toMatch(/<rect class="waterfall--decrease"[^>]*fill="url\(#chart-pipeline-movement-hatch\)"/);
    // By team: Enterprise adds 210,000 + 18,400 + 24,000 + 61,250 and loses 15,000 + 201,400 + 58,000 + 12,600.
    const team = /<tr data-team="Enterprise">([\s\S]*?)<\/tr>/.exec(movement)![1]!.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim();
    expect(team).toBe("Enterprise $1,120,000 +$313,650 −$287,000 $1,146,650");
  });

  it("lists the slipped deals, the 10 largest of 12, with owner, value and both close dates", () => {
    const movement = section(acme(), "pipeline-movement");
    expect(row(movement, "slipped_deals")).toMatch(/data-value="12">12</);
    expect(row(movement, "pulled_in_value")).toMatch(/data-value="61500">\$61,500</);
    expect(movement).toContain("Slipped deals: the 10 largest of 12");
    const deals = [...movement.matchAll(/<tr data-deal="([^"]+)">([\s\S]*?)<\/tr>/g)];
    expect(deals.map((d) => d[1])).toEqual(["dl_4410", "dl_4388", "dl_4502", "dl_4297", "dl_4611", "dl_4120", "dl_4655", "dl_4433", "dl_4709", "dl_4380"]);
    const text = (html: string) => html.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim();
    // 2026-04-01T03:30Z is 23:30 on March 31 in New York, the workspace's zone.
    expect(text(deals[0]![2]!)).toBe("Northwind — platform renewal Dana Whitfield $84,000 Mar 31, 2026 May 15, 2026 pushed");
    expect(text(deals[3]![2]!)).toBe("Umbrella pilot No owner $33,250 Mar 13, 2026 No date");
    expect(deals[2]![2]).toContain("Initech &lt;b&gt;seats&lt;/b&gt; &amp; support");
  });

  it("says so when nothing slipped", () => {
    const movement = section(page("brightwave/2026-03"), "pipeline-movement");
    expect(movement).toContain("No slipped deals: every deal expected to close in March 2026 was closed by its end, or had no expected close date.");
    expect(movement).toContain("The open pipeline went from €226,000 (31 deals)");
    expect(movement).not.toContain("data-deal=");
    // One team: no table by team.
    expect(movement).not.toContain("data-movement-teams");
  });

  it("opens with what changed: the sentences in order, linked to the deals behind them, the unusual one marked in words", () => {
    for (const path of ["acme/2026-03", "r/acme202603v2Q7mZk2LxR9pT4wYb"]) {
      const html = page(path);
      const section = /<section[^>]*aria-labelledby="what-changed"[\s\S]*?<\/section>/.exec(html)?.[0] ?? "";
      expect(section).toContain(">What changed in March 2026</h2>");
      // Right after the header, before the headline tiles.
      expect(html.indexOf('aria-labelledby="what-changed"')).toBeGreaterThan(html.indexOf("</header>"));
      expect(html.indexOf('aria-labelledby="what-changed"')).toBeLessThan(html.indexOf('aria-labelledby="headlines"'));
      const items = [...section.matchAll(/<li[^>]*data-kpi="([^"]+)"[^>]*>([\s\S]*?)<\/li>/g)];
      expect(items.map((i) => i[1])).toEqual(["deals_lost", "sales_cycle_days", "revenue_won"]);
      // A team named in the data is escaped. The report carries no drill-down page for its
      // value: no link that would lead nowhere.
      expect(items[0]![2]).toContain("Deals lost worsened, rising 9.1% to 24; both extra losses were in the R&amp;D &lt;Labs&gt; team.");
      expect(items[0]![2]).not.toContain("<a ");
      expect(items[0]![2]).not.toContain("Unusual");
      // No members: the sentence is not a link.
      expect(items[1]![2]).not.toContain("<a ");
      expect(items[1]![2]).toContain("Sales cycle worsened, rising 2.2 days to 41 days.");
      // Flagged: a badge in words, and what it means for a screen reader. The report carries
      // the drill-down of EMEA's revenue: the sentence links to it.
      expect(items[2]![2]).toMatch(/class="badge what-changed__flag"[^>]*>Unusual<span class="sr-only">: outside the range of the last 12 months<\/span>/);
      expect(items[2]![2]).toContain('<a href="deals/revenue_won.region.emea/">Revenue won improved, rising 4.6% to $165,296, the highest in 12 months; $5,100 of the $7,333 increase was in EMEA.</a>');
    }
  });

  it("leaves the sections out of a report published before them", () => {
    const html = page("acme/2026-02");
    for (const id of ["health", "losses", "acquisition", "pipeline-movement", "what-changed"]) expect(html).not.toContain(`aria-labelledby="${id}"`);
    expect(html).not.toContain("Selling time share");
    expect(html).not.toContain("Handoffs");
  });
});

describe("a private workspace (public_reports false)", () => {
  const own = index.reports.filter((e) => e.workspace === "cobalt");
  /** Every file of the built site, relative to it, with forward slashes. */
  const files = (dir: string, prefix = ""): string[] =>
    readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((f) =>
      f.isDirectory() ? files(dir, `${prefix}${f.name}/`) : [`${prefix}${f.name}`],
    );

  it("is in the fixtures, with two months, and private", () => {
    expect(own.map((e) => [e.month, e.public])).toEqual([["2025-12", false], ["2026-01", false]]);
  });

  it("has no page outside /r/…: no path names its slug or its months, no page outside /r/ names it", () => {
    const all = files(outDir);
    const outside = all.filter((f) => !f.startsWith("r/"));
    expect(outside.filter((f) => f.includes("cobalt") || own.some((e) => f.includes(e.month)))).toEqual([]);
    for (const f of outside.filter((f) => f.endsWith(".html"))) {
      const html = readFileSync(join(outDir, f), "utf8");
      expect(html, f).not.toContain("cobalt");
      expect(html, f).not.toContain("Cobalt Freight");
      for (const e of own) expect(html, f).not.toContain(e.share_token);
    }
    // Its reports are there, each under its share token only.
    for (const e of own) expect(all).toContain(`r/${e.share_token}/index.html`);
    expect(existsSync(join(outDir, "cobalt"))).toBe(false);
  });

  it("has share pages that link to no plain path and to no other month", () => {
    for (const e of own) {
      const html = page(`r/${e.share_token}`);
      expect(html).toContain("Cobalt Freight Ltd");
      const links = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!);
      expect(links.filter((l) => l.startsWith("/") && !l.startsWith("/kpis/")), e.month).toEqual([]);
      for (const other of own.filter((o) => o !== e)) expect(html).not.toContain(other.share_token);
    }
  });
});

describe("a changed reports folder", () => {
  function brokenCopy(mutate: (dir: string) => void): string {
    const dir = mkdtempSync(join(tmpdir(), "quotient-reports-"));
    cpSync(FIXTURES, dir, { recursive: true });
    mutate(dir);
    return dir;
  }

  it("marks a cohort KPI's tile as still maturing when it is a headline", () => {
    // The Worker's headlines hold no cohort KPI; a report that did gets the same treatment.
    const dir = brokenCopy((d) => {
      const path = join(d, "acme/2026-03.json");
      const report = JSON.parse(readFileSync(path, "utf8"));
      report.headlines.push(report.leads.conversion.find((h: { kpi: string }) => h.kpi === "lead_conversion_rate"));
      writeFileSync(path, JSON.stringify(report));
    });
    try {
      const build = buildSite(dir, "site-dist-cohort-tile");
      expect(build.status, build.output).toBe(0);
      const html = readFileSync(join(build.outDir, "acme/2026-03/index.html"), "utf8");
      const tile = /<figure class="card tile" data-kpi="lead_conversion_rate"[\s\S]*?<\/figure>/.exec(html)?.[0] ?? "";
      expect(tile).toMatch(/^<figure class="card tile" data-kpi="lead_conversion_rate" data-maturing>/);
      expect(tile).toContain('<span class="tag tag--maturing">still maturing</span>');
      expect(tile).not.toContain("delta__verdict");
      expect(tile.match(/tone-maturing/g)).toHaveLength(3);
      expect(tile).toContain("data-maturing-note");
      // In its 12-month table, March (not ended at the data's last update), February (ended 31
      // days before it) and January (59 days) are younger than the median 63.7 days; December
      // (90 days) is not.
      const marked = [...tile.matchAll(/<th scope="row">([A-Za-z]+ \d{4})<span class="tag tag--maturing">/g)].map((m) => m[1]);
      expect(marked).toEqual(["January 2026", "February 2026", "March 2026"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails the build, naming the file and the field", () => {
    const dir = brokenCopy((d) => {
      const path = join(d, "acme/2026-03.json");
      const report = JSON.parse(readFileSync(path, "utf8"));
      report.headlines[0].value = "lots";
      writeFileSync(path, JSON.stringify(report));
    });
    try {
      const build = buildSite(dir, "site-dist-invalid");
      expect(build.status).not.toBe(0);
      expect(build.output).toContain("acme/2026-03.json does not match the report schema");
      expect(build.output).toContain("headlines[0].value");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a drill-down id that is not its value's, which would become a path", () => {
    const dir = brokenCopy((d) => {
      const path = join(d, "acme/2026-03.json");
      const report = JSON.parse(readFileSync(path, "utf8"));
      report.drilldowns[0].id = "../../../evil";
      writeFileSync(path, JSON.stringify(report));
    });
    try {
      const build = buildSite(dir, "site-dist-forged");
      expect(build.status).not.toBe(0);
      expect(build.output).toContain('has a drill-down whose id "../../../evil" is not the one of revenue_won/all/all');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the next three months (catalog version 3)", () => {
  /** The "Next three months" section of a page, empty when the report has none. */
  const next = (path: string) => /<section class="section" aria-labelledby="next-three-months"[\s\S]*?<\/section>/.exec(page(path))?.[0] ?? "";
  const forecastRow = (html: string, month: string) => new RegExp(`<tr data-month="${month}"[^>]*>[\\s\\S]*?</tr>`).exec(html)?.[0] ?? "";

  it("shows the forecast made at the start of the next month against quota, with its coverage", () => {
    const html = next("acme/2026-03");
    expect(html).toContain("Forecast made at the start of April 2026");
    // April (generate.mjs acmeForecast): 412,500 weighted, run rate 158,400, 1,250,000 open in
    // 96 deals against a 500,000 quota = 2.5×.
    const april = forecastRow(html, "2026-04");
    for (const text of ["April 2026", "$412,500", "$158,400", "$1,250,000", "96 deals", "$500,000", "2.5×"]) expect(april).toContain(text);
    // May: 777,000 ÷ 520,000 = 1.494… → 1.5×; June has no quota.
    expect(forecastRow(html, "2026-05")).toContain("1.5×");
    expect(forecastRow(html, "2026-06")).toContain("No quota");
    expect(forecastRow(html, "2026-06")).toContain("—");
  });

  it("draws the accuracy of the last forecasts, months without a score named in the table", () => {
    const html = next("acme/2026-03");
    const figure = figures(html).find((f) => f.includes('data-chart="chart-forecast-accuracy"'))!;
    expect(figure).toContain("<title id=\"chart-forecast-accuracy-title\">Forecast accuracy by month, April 2025 to March 2026</title>");
    // 9 scored months (April–June 2025 had no forecast): the last 81 %, the best 86 % (January),
    // the worst −12 % (October 2025), drawn below the zero line.
    expect(figure).toMatch(/Forecast accuracy over 9 scored months: 81\.0% in March 2026; best 86\.0% in January 2026, worst -12\.0% in October 2025\./);
    expect(sorted(drawnValues(figure))).toEqual(sorted([0.71, 0.64, 0.82, -0.12, 0.77, 0.69, 0.86, 0.74, 0.81]));
    // The table lists the scored months only: from July 2025.
    expect([...figure.matchAll(/<tr><th scope="row">([^<]+)<\/th>/g)].map((m) => m[1])[0]).toBe("July 2025");
    expect(figure).toContain('class="bar--negative"');
  });

  it("says when the forecast is not made yet and nothing has been scored", () => {
    const html = next("brightwave/2026-03");
    expect(html).toContain("The forecast for the three months from April 2026 is not made yet");
    expect(html).toContain("No forecast has been scored yet");
    expect(html).not.toContain("<table");
  });

  it("leaves the section out of reports published before it", () => {
    expect(next("acme/2026-02")).toBe("");
    expect(page("acme/2026-02")).not.toContain("Next three months");
  });
});

describe("drill-down pages", () => {
  const acme = () => page("acme/2026-03");
  const drill = (id: string) => page(`acme/2026-03/deals/${id}`);

  it("links each tile, leaderboard row and bar the report has members for, and nothing else", () => {
    const html = acme();
    expect(html).toContain('<a href="deals/revenue_won.all.all/" aria-label="Which deals? Revenue won">Which deals?</a>');
    expect(html).toContain('<a href="deals/win_rate.all.all/" aria-label="Which deals? Win rate">Which deals?</a>');
    expect(html).toContain('<a href="deals/revenue_won.rep.rep_1/">Dana Whitfield</a>');
    expect(html).toContain('<a href="deals/revenue_won.region.emea/">EMEA</a>');
    // The fixture has no drill-down for Marcus Oyelaran or for North America: plain text, no dead link.
    expect(html).not.toContain("deals/revenue_won.rep.rep_2/");
    expect(html).not.toContain("deals/revenue_won.region.north_america/");
    // Every link from the report leads to a page that exists, on the public and the share page.
    const shared = page("r/acme202603v2Q7mZk2LxR9pT4wYb");
    for (const [base, report] of [["acme/2026-03", html], ["r/acme202603v2Q7mZk2LxR9pT4wYb", shared]] as const) {
      const links = [...report.matchAll(/href="(deals\/[^"]+)"/g)].map((m) => m[1]!);
      expect(links.length, base).toBeGreaterThanOrEqual(4);
      for (const link of links) expect(existsSync(join(outDir, base, link, "index.html")), `${base}/${link}`).toBe(true);
    }
  });

  it("lists a rep's won deals with owner, both amounts, the day and where each came from", () => {
    const html = drill("revenue_won.rep.rep_1");
    expect(html).toContain("<h1>Revenue won — Dana Whitfield, March 2026</h1>");
    expect(html).toContain('<a href="../../">← Acme Analytics, March 2026</a>');
    // Six deals of 12,000 + 10,500 + 9,000 + 7,200 + 5,500 + 4,000 = 48,200, the leaderboard's revenue.
    expect(html).toMatch(/What it counts: 6 deals/);
    expect([...html.matchAll(/<tr data-member="([^"]+)"/g)].map((m) => m[1])).toEqual(["d_101", "d_102", "d_103", "d_104", "d_105", "d_106"]);
    expect(dataValues(html).reduce((a, b) => a + b, 0)).toBe(48200);
    // The Globex deal: €9,700 in its own currency, $10,500 converted, closed Mar 9 in New York; a CRM name is escaped.
    const globex = /<tr data-member="d_102">[\s\S]*?<\/tr>/.exec(html)![0];
    expect(globex).toContain("Globex &lt;b&gt;expansion&lt;/b&gt;");
    expect(globex).toContain("€9,700");
    expect(globex).toContain("$10,500");
    expect(globex).toContain("Mar 9, 2026");
    expect(globex).toMatch(/hubspot <span class="muted">d_102<\/span>/);
    // All of them are listed: no pointer to the API.
    expect(html).not.toContain("are listed; all of them");
  });

  it("shows a ratio's numerator and denominator, and where to get the members not listed", () => {
    const html = drill("win_rate.all.all");
    expect(html).toContain("<h1>Win rate, March 2026</h1>");
    expect(html).toMatch(/Numerator: 27 deals/);
    expect(html).toMatch(/Denominator: 100 deals/);
    expect(html).toContain(
      "The 2 largest of 100 are listed; all of them: <code>GET /api/v1/workspaces/acme/months/2026-03/kpis/win_rate/members?dimension=all&amp;key=all&amp;side=denominator</code>",
    );
  });

  it("builds the share link's drill-downs too, private like the report, small and without JavaScript", () => {
    for (const id of ["revenue_won.all.all", "win_rate.all.all", "revenue_won.rep.rep_1", "revenue_won.region.emea"]) {
      const shared = page(`r/acme202603v2Q7mZk2LxR9pT4wYb/deals/${id}`);
      expect(shared).toMatch(/<meta name="robots" content="noindex[^"]*"/);
      expect(shared).not.toMatch(/<script\b/i);
      expect(Buffer.byteLength(shared)).toBeLessThan(PAGE_BUDGET);
      // The same members as the public page.
      const members = (html: string) => [...html.matchAll(/<tr data-member="([^"]+)"/g)].map((m) => m[1]);
      expect(members(shared)).toEqual(members(drill(id)));
    }
  });
});

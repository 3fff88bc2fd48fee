// The digest of a published report: its content from a fixture report (values read off the
// fixture and formatted by hand), the API that serves it as HTML and plain text, and the
// digest webhook the cron POSTs a Slack-compatible message to, against the local hook
// server (test/workers/hook-server.ts). REPORT_SITE_URL is https://reports.quotient.test/
// in vitest.config.ts.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import type { D1Database } from "@cloudflare/workers-types";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import { Report } from "../../shared/report";
import worker from "../../workers/index";
import { publishAll } from "../../workers/reports/cron";
import { digestHtml, digestOf, digestText, reportSiteUrl } from "../../workers/reports/digest";
import { digestMessage } from "../../workers/reports/digest-webhook";
import acmeMarch from "../fixtures/reports/acme/2026-03.json";
import { call, createNativeConnection, createWorkspace, event, postNative, waitForInbox, workspaceDbOf } from "./helpers";

const SITE = reportSiteUrl("https://reports.quotient.test")!;
const REPORT_URL = "https://reports.quotient.test/r/acme202603v2Q7mZk2LxR9pT4wYb/";
// drilldownId("win_rate", "region", "APAC/东"): "/" is byte 2F, 东 (U+4E1C) is E4 B8 9C in UTF-8.
const DEALS_URL = `${REPORT_URL}deals/win_rate.region.APAC~2F~E4~B8~9C/`;

/** The acme fixture of March 2026 with a hostile workspace name and two sentences of "what changed". */
function fixtureReport(): Report {
  const report = Report.parse(structuredClone(acmeMarch));
  report.workspace.name = `Acme <Analytics> & "Co"`;
  report.changes = [
    {
      kpi: "win_rate",
      text: `Win rate rose 1.7 pts to 27.0 %; 3 of the 4 extra wins were in <APAC> & "EMEA".`,
      members: { dimension: "region", key: "APAC/东" },
      outside_range: false,
    },
    { kpi: "revenue_won", text: "Revenue won reached $165,296, its highest in 12 months.", members: null, outside_range: true },
  ];
  return report;
}

describe("the digest of a report", () => {
  it("says the headline numbers with their change against M−1, the sentences with their links, and the report's link", () => {
    // Fixture values: revenue_won 165,296 (change_mom 0.0464 relative → +4.6%), deals_won 27
    // (0.08 → +8%), win_rate 0.27 (a difference of 0.0168 → +1.7 pp), avg_deal_size 6,510
    // (+2.25% → +2.3%), sales_cycle_days 41 (+5.67% → +5.7%, and a longer cycle is worse),
    // open_pipeline_value 820,000 (+8.8%), quota_attainment 1.0073 → 100.7% (+0.0673 → +6.7 pp),
    // new_leads 690 (+9.35% → +9.4%), mrr 212,000 (+1.8%), nps 38 (+3 → +3 pts). Published
    // 2026-04-09T14:30Z = 10:30 AM in New York (EDT), version 2.
    expect(digestText(digestOf(fixtureReport(), SITE)).split("\n")).toEqual([
      `Acme <Analytics> & "Co" — March 2026 report`,
      "",
      "Headline numbers (change against the month before)",
      "- Revenue won: $165,296 (+4.6% vs Feb 2026, better)",
      "- Deals won: 27 (+8% vs Feb 2026, better)",
      "- Win rate: 27.0% (+1.7 pp vs Feb 2026, better)",
      "- Average deal size: $6,510 (+2.3% vs Feb 2026, better)",
      "- Sales cycle: 41 days (+5.7% vs Feb 2026, worse)",
      "- Open pipeline: $820,000 (+8.8% vs Feb 2026, better)",
      "- Quota attainment: 100.7% (+6.7 pp vs Feb 2026, better)",
      "- New leads: 690 (+9.4% vs Feb 2026, better)",
      "- MRR: $212,000 (+1.8% vs Feb 2026, better)",
      "- Net Promoter Score: 38 (+3 pts vs Feb 2026, better)",
      "",
      "What changed",
      `- Win rate rose 1.7 pts to 27.0 %; 3 of the 4 extra wins were in <APAC> & "EMEA".`,
      `  The deals: ${DEALS_URL}`,
      "- Revenue won reached $165,296, its highest in 12 months. [outside its 12-month range]",
      "",
      `The full report: ${REPORT_URL}`,
      "Published April 9, 2026 at 10:30 AM EDT · version 2 (revised).",
      "",
    ]);
  });

  it("shows a still-maturing cohort month's change without a verdict, as the site's tile does", () => {
    const report = fixtureReport();
    const winRate = report.headlines.find((h) => h.kpi === "win_rate")!;
    report.headlines.push({ ...winRate, kpi: "opportunity_win_rate", name: "Opportunity win rate" });
    // March ended at 04:00Z on April 1st (New York); the data is as of 03:58Z, before the
    // typical sales cycle (the median of the fixture's sales_cycle_days series) has passed.
    const text = digestText(digestOf(report, SITE)).split("\n");
    expect(text).toContain("- Opportunity win rate: 27.0% (+1.7 pp vs Feb 2026, still maturing, not judged)");
  });

  it("escapes everything in the HTML, which loads nothing, runs nothing and links only to the report site", () => {
    const html = digestHtml(digestOf(fixtureReport(), SITE));
    expect(html).toContain("<title>Acme &lt;Analytics&gt; &amp; &quot;Co&quot; — March 2026 report</title>");
    expect(html).toContain("3 of the 4 extra wins were in &lt;APAC&gt; &amp; &quot;EMEA&quot;.</a>");
    expect(html).not.toContain("<APAC>");
    expect(html).not.toContain("<Analytics>");
    expect(html).toContain(`<a href="${DEALS_URL}"`);
    expect(html).toMatch(/<th scope="row"[^>]*>Sales cycle<\/th><td[^>]*>41 days<\/td>/);
    expect(html).toContain('<meta name="color-scheme" content="light dark">');
    expect(html).toContain("max-width:600px");
    for (const banned of ["<script", "<style", "<link", "<img", "<iframe", " src=", "url(", "@import", "javascript:"]) expect(html, banned).not.toContain(banned);
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    expect(new Set(hrefs)).toEqual(new Set([DEALS_URL, REPORT_URL]));
    // Every element that shows text sets its own colour: a dark-mode client never paints our text on its canvas.
    for (const tag of html.matchAll(/<(p|h1|h2|li|th|td|a|caption|ul|body)\b([^>]*)>/g)) expect(tag[2], tag[0]).toMatch(/(^|;|")color:#/);
  });

  it("writes a Slack message whose mrkdwn escapes the names and links each sentence", () => {
    const message = digestMessage(digestOf(fixtureReport(), SITE));
    expect(message.text).toBe(`Acme &lt;Analytics&gt; &amp; "Co" — March 2026 report: <${REPORT_URL}>`);
    const texts = message.blocks.map((b) => JSON.stringify(b));
    expect(texts[0]).toBe(JSON.stringify({ type: "header", text: { type: "plain_text", text: `Acme <Analytics> & "Co" — March 2026 report`, emoji: false } }));
    expect(texts[1]).toContain("• Revenue won: *$165,296* (▲ +4.6% vs Feb 2026, better)");
    expect(texts[1]).toContain("• Sales cycle: *41 days* (▲ +5.7% vs Feb 2026, worse)");
    expect((message.blocks[2] as { text: { text: string } }).text.text).toBe(
      "*What changed*\n" +
        `• <${DEALS_URL}|Win rate rose 1.7 pts to 27.0 %; 3 of the 4 extra wins were in &lt;APAC&gt; &amp; "EMEA".>\n` +
        "• Revenue won reached $165,296, its highest in 12 months. _(outside its 12-month range)_",
    );
    expect((message.blocks[3] as { text: { text: string } }).text.text).toBe(`<${REPORT_URL}|Open the full report>`);
  });

  it("takes the site's URL as a base: a missing slash is added, anything but http(s) is no URL", () => {
    expect(reportSiteUrl("https://example.com/reports")?.href).toBe("https://example.com/reports/");
    expect(reportSiteUrl("https://example.com/reports/?x=1#y")?.href).toBe("https://example.com/reports/");
    expect(reportSiteUrl(undefined)).toBeNull();
    expect(reportSiteUrl("ftp://example.com/")).toBeNull();
    expect(reportSiteUrl("reports.example.com")).toBeNull();
  });
});

async function token(slug: string, scopes: string[]) {
  const response = await call("POST", `/api/v1/workspaces/${slug}/tokens`, { scopes });
  return ((await response.json()) as { token: string }).token;
}

interface ReceivedBody {
  path: string;
  contentType: string | undefined;
  body: string;
}
const received = async (path: string) =>
  ((await (await fetch(`${inject("hookServer")}/bodies`)).json()) as ReceivedBody[]).filter((b) => b.path === path);

describe("the digest API and the digest webhook", () => {
  const at = (iso: string) => Date.parse(iso);
  let db: D1Database;
  let workspaceId: string;
  let read: string;

  beforeAll(async () => {
    await createWorkspace("digested", { name: `Digest <b>&</b> Co`, timezone: "UTC" });
    db = await workspaceDbOf("digested");
    workspaceId = (await db.prepare("SELECT id FROM workspaces WHERE slug = 'digested'").first<{ id: string }>())!.id;
    read = await token("digested", ["read"]);
    const connection = await createNativeConnection("digested");
    const events = [
      event("d1", "deal.upserted", "2026-03-05T15:00:00Z", { deal_id: "D-1", owner_rep_id: "R-1", amount: 1000, status: "won" }),
      event("d2", "deal.upserted", "2026-03-06T15:00:00Z", { deal_id: "D-2", owner_rep_id: "R-1", amount: 500, status: "lost" }),
    ];
    expect((await postNative(connection, JSON.stringify({ events }))).status).toBe(202);
    await waitForInbox();
    expect((await call("POST", "/api/v1/workspaces/digested/recompute", { from: "2026-03", to: "2026-03" })).status).toBe(200);
  });

  it("refuses a digest webhook URL the deploy hook rules refuse, and shows the URL to admins only", async () => {
    for (const url of ["http://hooks.example.com/x", "https://10.0.0.8/hook", "https://2852039166/latest/meta-data/", "https://build.internal/hook"]) {
      const patched = await call("PATCH", "/api/v1/workspaces/digested", { digest_webhook_url: url });
      expect(patched.status, url).toBe(400);
      expect(JSON.stringify(await patched.json()), url).toContain("digest_webhook_url");
    }
    const refused = (await (await call("PATCH", "/api/v1/workspaces/digested", { digest_webhook_url: "https://169.254.169.254/x" })).json()) as {
      errors: { field: string; message: string }[];
    };
    expect(refused.errors).toEqual([{ field: "digest_webhook_url", message: "a digest webhook URL 169.254.169.254 is not a public address" }]);
    const secret = "https://hooks.slack.com/services/T0/B0/s3cret";
    expect((await call("PATCH", "/api/v1/workspaces/digested", { digest_webhook_url: secret })).status).toBe(200);
    const asRead = (await (await call("GET", "/api/v1/workspaces/digested", undefined, read)).json()) as Record<string, unknown>;
    expect(asRead).not.toHaveProperty("digest_webhook_url");
    expect(await (await call("GET", "/api/v1/workspaces", undefined, read)).text()).not.toContain("s3cret");
    const asAdmin = (await (await call("GET", "/api/v1/workspaces/digested")).json()) as Record<string, unknown>;
    expect(asAdmin.digest_webhook_url).toBe(secret);
  });

  it("POSTs the digest to the webhook after the cron publishes, as JSON with text and blocks", async () => {
    await db.prepare("UPDATE workspaces SET digest_webhook_url = ?2 WHERE id = ?1").bind(workspaceId, `${inject("hookServer")}/ok/digest`).run();
    // 06:30 UTC on April 1st: March is due (UTC workspace, publication from 06:00).
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: new Date(at("2026-04-01T06:30:00Z")), cron: "0 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const report = Report.parse(await (await call("GET", "/api/v1/workspaces/digested/reports/2026-03")).json());
    const bodies = await received("/ok/digest");
    expect(bodies).toHaveLength(1);
    expect(bodies[0]!.contentType).toBe("application/json");
    const message = JSON.parse(bodies[0]!.body) as { text: string; blocks: { type: string; text?: { text: string } }[] };
    const link = `https://reports.quotient.test/r/${report.share_token}/`;
    expect(message.text).toBe(`Digest &lt;b&gt;&amp;&lt;/b&gt; Co — March 2026 report: <${link}>`);
    expect(message.blocks.map((b) => b.type)).toEqual(["header", "section", "section", "context"]);
    // D-1 won for 1,000 and D-2 lost: revenue won $1,000, 1 deal won, win rate 1 ÷ 2 = 50.0%;
    // nothing in February, so no comparison.
    const headlines = message.blocks[1]!.text!.text;
    expect(headlines).toContain("• Revenue won: *$1,000* (no comparison vs Feb 2026)");
    expect(headlines).toContain("• Deals won: *1* (no comparison vs Feb 2026)");
    expect(headlines).toContain("• Win rate: *50.0%* (no comparison vs Feb 2026)");
    expect(message.blocks[2]!.text!.text).toBe(`<${link}|Open the full report>`);
  });

  it("serves the digest as HTML and as text to a read token, with a policy that runs nothing", async () => {
    const report = Report.parse(await (await call("GET", "/api/v1/workspaces/digested/reports/2026-03")).json());
    const link = `https://reports.quotient.test/r/${report.share_token}/`;
    const html = await call("GET", "/api/v1/workspaces/digested/reports/2026-03/digest", undefined, read);
    expect(html.status).toBe(200);
    expect(html.headers.get("content-type")).toBe("text/html; charset=UTF-8");
    expect(html.headers.get("content-security-policy")).toContain("default-src 'none'");
    const body = await html.text();
    expect(body).toContain("<title>Digest &lt;b&gt;&amp;&lt;/b&gt; Co — March 2026 report</title>");
    expect(body).toContain(`<a href="${link}"`);
    expect(body).toMatch(/<th scope="row"[^>]*>Revenue won<\/th><td[^>]*>\$1,000<\/td>/);
    const text = await call("GET", "/api/v1/workspaces/digested/reports/2026-03/digest?format=text", undefined, read);
    expect(text.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    const lines = (await text.text()).split("\n");
    expect(lines[0]).toBe("Digest <b>&</b> Co — March 2026 report");
    expect(lines).toContain("- Win rate: 50.0% (no comparison vs Feb 2026)");
    expect(lines).toContain(`The full report: ${link}`);
    expect(lines).toContain("Published April 1, 2026 at 6:30 AM UTC · version 1.");
  });

  it("answers problems for an unknown month, version or format", async () => {
    const missing = await call("GET", "/api/v1/workspaces/digested/reports/2025-01/digest", undefined, read);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toContain("application/problem+json");
    expect((await call("GET", "/api/v1/workspaces/digested/reports/2026-03/digest?version=9", undefined, read)).status).toBe(404);
    expect((await call("GET", "/api/v1/workspaces/digested/reports/2026-03/digest?format=pdf", undefined, read)).status).toBe(400);
  });

  it("publishes although the webhook fails, and never calls a stored URL the rules refuse", async () => {
    const publishWith = async (url: string) => {
      await db.prepare("UPDATE workspaces SET digest_webhook_url = ?2, deploy_hook_url = NULL WHERE id = ?1").bind(workspaceId, url).run();
      await db.prepare("DELETE FROM reports WHERE workspace_id = ?1").bind(workspaceId).run();
      const background: Promise<unknown>[] = [];
      const published = await publishAll(db, at("2026-04-02T12:00:00Z"), (work) => background.push(work), { attempts: 2, backoffMs: 5 }, new Set(), SITE);
      await Promise.all(background);
      return published;
    };
    // The log names the reason, never the URL (whose path holds a webhook's secret).
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      expect(await publishWith(`${inject("hookServer")}/fail/digest`)).toBe(1);
      // Two attempts, each with the message.
      expect(await received("/fail/digest")).toHaveLength(2);
      // Stored by hand, past the API's check: the call is refused before any request.
      expect(await publishWith("https://169.254.169.254/s3cret-path")).toBe(1);
      expect(await publishWith("http://hooks.example.com/s3cret-path")).toBe(1);
      const logged = errors.mock.calls.map((args) => args.map(String).join(" "));
      expect(logged).toEqual([
        `digest webhook of ${workspaceId} failed after 2 attempts: HTTP 500`,
        `digest webhook of ${workspaceId} refused: the URL 169.254.169.254 is not a public address`,
        `digest webhook of ${workspaceId} refused: the URL must be an https URL`,
      ]);
    } finally {
      errors.mockRestore();
    }
    // Without the site's URL the digest could not link its report: nothing is sent.
    await db.prepare("UPDATE workspaces SET digest_webhook_url = ?2 WHERE id = ?1").bind(workspaceId, `${inject("hookServer")}/ok/no-site`).run();
    await db.prepare("DELETE FROM reports WHERE workspace_id = ?1").bind(workspaceId).run();
    const background: Promise<unknown>[] = [];
    expect(await publishAll(db, at("2026-04-02T12:00:00Z"), (work) => background.push(work), { attempts: 1 }, new Set(), null)).toBe(1);
    await Promise.all(background);
    expect(await received("/ok/no-site")).toEqual([]);
  });
});

// Published reports: list and read the immutable snapshots; admins publish on demand and
// rotate a month's share token.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { Report } from "../../shared/report";
import { listLatestReports, publishedReport, rotateShareToken } from "../db/reports";
import { problem } from "../lib/problem";
import { digestHtml, digestOf, digestText, reportSiteUrl } from "../reports/digest";
import { publishMonth } from "../reports/publish";
import { workspaceAccess } from "./auth";
import type { ApiEnv } from "./context";
import { isoInstant } from "./instants";
import { decodeCursor, page, PageQuery, toPage } from "./pagination";
import { json, MonthParams, problemAnswer, problemResponses, security, WorkspaceParams } from "./schemas";
import { validationHook } from "./validation";

export const reportRoutes = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });

const ReportSummary = z
  .object({
    month: z.string(),
    version: z.number().int(),
    published_at: z.iso.datetime(),
    data_as_of: z.iso.datetime().nullable(),
    share_token: z.string(),
  })
  .openapi("ReportSummary");

const ReportDocument = Report.openapi("Report");

reportRoutes.openapi(
  createRoute({
    method: "get",
    path: "/workspaces/{ws}/reports",
    summary: "Published reports, newest month first (the latest version of each month)",
    tags: ["Reports"],
    security,
    middleware: [workspaceAccess("read")] as const,
    request: { params: WorkspaceParams, query: PageQuery },
    responses: { 200: { description: "A page of reports", ...json(page(ReportSummary)) }, ...problemResponses },
  }),
  async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = decodeCursor(cursor);
    const rows = await listLatestReports(c.get("db"), c.get("workspace").id, after?.[0] ?? null, limit + 1);
    return c.json(
      toPage(rows, limit, (row) => [row.month, row.version], (row) => ({
        month: row.month,
        version: row.version,
        published_at: isoInstant(row.publishedAt),
        data_as_of: isoInstant(row.dataAsOf),
        share_token: row.shareToken,
      })),
      200,
    );
  },
);

reportRoutes.openapi(
  createRoute({
    method: "get",
    path: "/workspaces/{ws}/reports/{month}",
    summary: "A published report (the latest version, or ?version=N)",
    tags: ["Reports"],
    security,
    middleware: [workspaceAccess("read")] as const,
    request: {
      params: MonthParams,
      query: z.object({ version: z.coerce.number().int().positive().optional() }),
    },
    responses: {
      200: { description: "The report", ...json(ReportDocument) },
      ...problemResponses,
      404: problemAnswer("No such workspace, or no such published report"),
    },
  }),
  async (c) => {
    const { month } = c.req.valid("param");
    const { version } = c.req.valid("query");
    const report = await publishedReport(c.get("db"), c.get("workspace").id, month, version);
    if (!report) throw problem(404, `no published report for ${month}${version ? ` version ${version}` : ""}`);
    return c.json(report, 200);
  },
);

/** The digest loads nothing and runs nothing: only its inline styles apply. */
const DIGEST_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const DigestQuery = z.object({
  format: z.enum(["html", "text"]).default("html").openapi({ description: "html: the email body; text: its plain-text version" }),
  version: z.coerce.number().int().positive().optional(),
});

reportRoutes.openapi(
  createRoute({
    method: "get",
    path: "/workspaces/{ws}/reports/{month}/digest",
    summary: "A published report's digest: a self-contained HTML email body (inline styles, no scripts) or its plain text",
    description:
      "The headline numbers with their change against the month before, the 'what changed' sentences (each linked to its drill-down page) and the link to the report (/r/<share_token>/ under REPORT_SITE_URL). The latest version, or ?version=N.",
    tags: ["Reports"],
    security,
    middleware: [workspaceAccess("read")] as const,
    request: { params: MonthParams, query: DigestQuery },
    responses: {
      200: {
        description: "The digest",
        content: { "text/html": { schema: z.string() }, "text/plain": { schema: z.string() } },
      },
      ...problemResponses,
      404: problemAnswer("No such workspace, or no such published report"),
      503: problemAnswer("The Worker has no REPORT_SITE_URL: a digest could not link to its report"),
    },
  }),
  async (c) => {
    const { month } = c.req.valid("param");
    const { format, version } = c.req.valid("query");
    const site = reportSiteUrl(c.env.REPORT_SITE_URL);
    if (site === null) throw problem(503, "REPORT_SITE_URL is not set to the report site's http(s) URL: a digest could not link to its report");
    const report = await publishedReport(c.get("db"), c.get("workspace").id, month, version);
    if (!report) throw problem(404, `no published report for ${month}${version ? ` version ${version}` : ""}`);
    const digest = digestOf(report, site);
    // Served from the API's origin: no script may ever run in it, whatever a CRM's names hold.
    const headers = { "content-security-policy": DIGEST_CSP, "x-content-type-options": "nosniff" };
    return format === "text"
      ? c.text(digestText(digest), 200, { ...headers, "content-type": "text/plain; charset=utf-8" })
      : c.html(digestHtml(digest), 200, headers);
  },
);

reportRoutes.openapi(
  createRoute({
    method: "post",
    path: "/workspaces/{ws}/reports/{month}/publish",
    summary: "Publish the month now (a new version when one exists)",
    tags: ["Reports"],
    security,
    middleware: [workspaceAccess("admin")] as const,
    request: { params: MonthParams },
    responses: {
      201: { description: "Published", ...json(z.object({ version: z.number().int(), share_token: z.string() })) },
      ...problemResponses,
    },
  }),
  async (c) => {
    const { month } = c.req.valid("param");
    const publication = await publishMonth(c.get("db"), c.get("workspace").id, month, Date.now(), { always: true });
    return c.json({ version: publication.version, share_token: publication.share_token }, 201);
  },
);

reportRoutes.openapi(
  createRoute({
    method: "post",
    path: "/workspaces/{ws}/reports/{month}/share-token",
    summary: "Rotate the month's share token (the old link stops working at the next site build)",
    tags: ["Reports"],
    security,
    middleware: [workspaceAccess("admin")] as const,
    request: { params: MonthParams },
    responses: {
      200: { description: "The new token", ...json(z.object({ share_token: z.string() })) },
      ...problemResponses,
      404: problemAnswer("No such workspace, or no published report of the month"),
    },
  }),
  async (c) => {
    const { month } = c.req.valid("param");
    const token = await rotateShareToken(c.get("db"), c.get("workspace").id, month);
    if (token === null) throw problem(404, `no published report for ${month}`);
    return c.json({ share_token: token }, 200);
  },
);

// Published reports: list and read the immutable snapshots; admins publish on demand and
// rotate a month's share token.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { Report } from "../../shared/report";
import { bytesToHex, randomBytes } from "../lib/crypto";
import { problem } from "../lib/problem";
import { publishMonth } from "../reports/publish";
import { workspaceAccess } from "./auth";
import type { ApiEnv } from "./context";
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

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

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
    const { results } = await c.env.DB.prepare(
      `SELECT month, version, published_at, data_as_of, share_token FROM reports r
       WHERE workspace_id = ?1 AND version = (SELECT MAX(version) FROM reports x WHERE x.workspace_id = r.workspace_id AND x.month = r.month)
         AND (?2 IS NULL OR month < ?2)
       ORDER BY month DESC LIMIT ?3`,
    )
      .bind(c.get("workspace").id, after?.[0] ?? null, limit + 1)
      .all<{ month: string; version: number; published_at: number; data_as_of: number | null; share_token: string }>();
    return c.json(
      toPage(results, limit, (row) => [row.month, row.version], (row) => ({
        month: row.month,
        version: row.version,
        published_at: iso(row.published_at)!,
        data_as_of: iso(row.data_as_of),
        share_token: row.share_token,
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
    const row = await c.env.DB.prepare(
      `SELECT document, share_token FROM reports WHERE workspace_id = ?1 AND month = ?2 AND (?3 IS NULL OR version = ?3)
       ORDER BY version DESC LIMIT 1`,
    )
      .bind(c.get("workspace").id, month, version ?? null)
      .first<{ document: string; share_token: string }>();
    if (!row) throw problem(404, `no published report for ${month}${version ? ` version ${version}` : ""}`);
    // A rotated token applies to every version of the month.
    return c.json({ ...(JSON.parse(row.document) as Report), share_token: row.share_token }, 200);
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
    const publication = await publishMonth(c.env.DB, c.get("workspace").id, month, Date.now(), { always: true });
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
    const token = bytesToHex(randomBytes(16));
    const result = await c.env.DB.prepare("UPDATE reports SET share_token = ?3 WHERE workspace_id = ?1 AND month = ?2")
      .bind(c.get("workspace").id, month, token)
      .run();
    if (result.meta.changes === 0) throw problem(404, `no published report for ${month}`);
    return c.json({ share_token: token }, 200);
  },
);

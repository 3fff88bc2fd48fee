// Reading KPIs: the catalog, a month's document, and one KPI's series over months.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { CATALOG_VERSION, KPI_BY_ID, KPIS } from "../../shared/catalog";
import { addMonths, monthOf } from "../../shared/months";
import { latestComputedMonth, monthDocument, series } from "../kpi/month-document";
import { problemResponse } from "../lib/problem";
import { workspaceAccess } from "./auth";
import type { ApiEnv } from "./context";
import { CatalogSchema, MonthDocumentSchema, MonthParam, MonthParams, problemResponses, SeriesSchema, Slug, json, security } from "./schemas";
import { validationHook } from "./validation";

export const kpiRoutes = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });


kpiRoutes.openapi(
  createRoute({
    method: "get",
    path: "/kpis",
    summary: "The KPI catalog",
    tags: ["KPIs"],
    security,
    responses: { 200: { description: "Every KPI Quotient computes", ...json(CatalogSchema) }, 401: problemResponses[401] },
  }),
  (c) =>
    c.json(
      {
        catalog_version: CATALOG_VERSION,
        kpis: KPIS.map(({ id, name, family, unit, direction, dimensions, formula, basis }) => ({
          id, name, family, unit, direction, dimensions, formula, basis,
        })),
      },
      200,
    ),
);

kpiRoutes.openapi(
  createRoute({
    method: "get",
    path: "/workspaces/{ws}/months/{month}",
    summary: "Every KPI of one month, overall and by every dimension",
    tags: ["KPIs"],
    security,
    middleware: [workspaceAccess("read")] as const,
    request: { params: MonthParams },
    responses: { 200: { description: "The month document", ...json(MonthDocumentSchema) }, ...problemResponses },
  }),
  async (c) => {
    const { month } = c.req.valid("param");
    const document = await monthDocument(c.env.DB, c.get("workspace"), month);
    if (!document) {
      return problemResponse(404, `the KPIs of ${month} have not been computed (POST …/recompute to compute them)`) as never;
    }
    return c.json(document, 200);
  },
);

const MetricParams = z.object({
  ws: Slug.openapi({ param: { name: "ws", in: "path" } }),
  kpi: z.string().openapi({ param: { name: "kpi", in: "path" }, example: "win_rate" }),
});

const MetricQuery = z
  .object({
    from: MonthParam.optional().openapi({ description: "First month (default: 11 months before `to`)" }),
    to: MonthParam.optional().openapi({ description: "Last month (default: the latest computed month)" }),
    by: z.string().default("all").openapi({ description: "A dimension of the KPI (default: all)", example: "rep" }),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: "from must not be after to", path: ["from"] });

kpiRoutes.openapi(
  createRoute({
    method: "get",
    path: "/workspaces/{ws}/metrics/{kpi}",
    summary: "One KPI over months, overall or by a dimension, with a summary",
    tags: ["KPIs"],
    security,
    middleware: [workspaceAccess("read")] as const,
    request: { params: MetricParams, query: MetricQuery },
    responses: { 200: { description: "The series", ...json(SeriesSchema) }, ...problemResponses },
  }),
  async (c) => {
    const { kpi: kpiId } = c.req.valid("param");
    const query = c.req.valid("query");
    const kpi = KPI_BY_ID.get(kpiId);
    if (!kpi) return problemResponse(404, `no KPI ${JSON.stringify(kpiId)} (GET /api/v1/kpis lists them)`) as never;
    if (!(kpi.dimensions as string[]).includes(query.by)) {
      const message = `${kpiId} is broken down by ${kpi.dimensions.join(", ")}`;
      return problemResponse(400, message, { errors: [{ field: "by", message }] }) as never;
    }
    const workspace = c.get("workspace");
    const to = query.to ?? (await latestComputedMonth(c.env.DB, workspace.id)) ?? monthOf(Date.now(), workspace.timezone);
    const from = query.from ?? addMonths(to, -11);
    return c.json(await series(c.env.DB, workspace.id, kpiId, query.by, from, to, addMonths(to, -1)), 200);
  },
);

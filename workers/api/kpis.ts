// Reading KPIs: the catalog, a month's document, and one KPI's series over months.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { CATALOG_VERSION, KPI_BY_ID, KPIS } from "../../shared/catalog";
import { addMonths, monthOf } from "../../shared/months";
import { latestComputedMonth, monthDocument, series } from "../kpi/month-document";
import { invalidInput, problem } from "../lib/problem";
import { etag } from "hono/etag";
import { workspaceAccess } from "./auth";
import { csvContent, csvResponse, FormatQuery, toCsv, wantsCsv } from "./csv";
import { revalidate } from "./revalidate";
import type { ApiEnv } from "./context";
import { DEFAULT_SERIES_MONTHS } from "./limits";
import { CatalogSchema, MonthDocumentSchema, MonthParam, MonthParams, problemAnswer, problemResponses, SeriesSchema, Slug, json, security } from "./schemas";
import { validationHook } from "./validation";

export const kpiRoutes = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });

kpiRoutes.openapi(
  createRoute({
    method: "get",
    path: "/kpis",
    summary: "The KPI catalog",
    tags: ["KPIs"],
    security,
    responses: {
      200: { description: "Every KPI Quotient computes", ...json(CatalogSchema) },
      401: problemResponses[401],
      429: problemResponses[429],
    },
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
    middleware: [workspaceAccess("read"), revalidate, etag()] as const,
    request: { params: MonthParams, query: FormatQuery },
    responses: {
      200: { description: "The month document (or CSV with Accept: text/csv)", content: { ...json(MonthDocumentSchema).content, ...csvContent.content } },
      304: { description: "Not modified (If-None-Match)" },
      ...problemResponses,
      404: problemAnswer("No such workspace, or the month's KPIs have not been computed"),
    },
  }),
  async (c) => {
    const { month } = c.req.valid("param");
    const workspace = c.get("workspace");
    const document = await monthDocument(c.env.DB, workspace, month);
    if (!document) {
      throw problem(404, `the KPIs of ${month} have not been computed (POST …/recompute to compute them)`);
    }
    if (wantsCsv(c)) {
      const rows = Object.entries(document.kpis).flatMap(([kpi, { unit, values }]) =>
        values.map((v) => [month, kpi, unit, v.dimension, v.key, v.value, v.numerator ?? null, v.denominator ?? null]),
      );
      return csvResponse(
        toCsv(["month", "kpi", "unit", "dimension", "key", "value", "numerator", "denominator"], rows),
        `${workspace.slug}-${month}.csv`,
      );
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
    from: MonthParam.optional().openapi({ description: `First month (default: ${DEFAULT_SERIES_MONTHS - 1} months before \`to\`)` }),
    to: MonthParam.optional().openapi({ description: "Last month (default: the latest computed month)" }),
    by: z.string().default("all").openapi({ description: "A dimension of the KPI (default: all)", example: "rep" }),
    ...FormatQuery.shape,
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: "from must not be after to", path: ["from"] });

kpiRoutes.openapi(
  createRoute({
    method: "get",
    path: "/workspaces/{ws}/metrics/{kpi}",
    summary: "One KPI over months, overall or by a dimension, with a summary",
    tags: ["KPIs"],
    security,
    middleware: [workspaceAccess("read"), revalidate, etag()] as const,
    request: { params: MetricParams, query: MetricQuery },
    responses: {
      200: { description: "The series (or CSV with Accept: text/csv)", content: { ...json(SeriesSchema).content, ...csvContent.content } },
      304: { description: "Not modified (If-None-Match)" },
      ...problemResponses,
      404: problemAnswer("No such workspace or KPI"),
    },
  }),
  async (c) => {
    const { kpi: kpiId } = c.req.valid("param");
    const query = c.req.valid("query");
    const kpi = KPI_BY_ID.get(kpiId);
    if (!kpi) throw problem(404, `no KPI ${JSON.stringify(kpiId)} (GET /api/v1/kpis lists them)`);
    if (!(kpi.dimensions as string[]).includes(query.by)) {
      const message = `${kpiId} is broken down by ${kpi.dimensions.join(", ")}`;
      throw invalidInput(message, [{ field: "by", message }]);
    }
    const workspace = c.get("workspace");
    const to = query.to ?? (await latestComputedMonth(c.env.DB, workspace.id)) ?? monthOf(Date.now(), workspace.timezone);
    const from = query.from ?? addMonths(to, -(DEFAULT_SERIES_MONTHS - 1));
    const result = await series(c.env.DB, workspace.id, kpiId, query.by, from, to, addMonths(to, -1));
    if (wantsCsv(c)) {
      const rows = result.entries.map((e) => [e.month, kpiId, e.dimension, e.key, e.value, e.numerator ?? null, e.denominator ?? null]);
      return csvResponse(
        toCsv(["month", "kpi", "dimension", "key", "value", "numerator", "denominator"], rows),
        `${workspace.slug}-${kpiId}-${from}-${to}.csv`,
      );
    }
    return c.json(result, 200);
  },
);

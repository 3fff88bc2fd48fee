// The members behind one stored value: which deals, leads, activities, accounts or
// responses its numerator or its denominator counts (workers/kpi/members.ts reads them
// from the facts that computed the value).
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { etag } from "hono/etag";
import { KPI_BY_ID, type KpiId } from "../../shared/catalog";
import { type MemberCursor, membersPage, sidesOf, withoutMembers } from "../kpi/members";
import { invalidInput, problem } from "../lib/problem";
import { workspaceAccess } from "./auth";
import type { ApiEnv } from "./context";
import { csvContent, csvResponse, FormatQuery, toCsv, wantsCsv } from "./csv";
import { decodeCursor, encodeCursor, PageQuery } from "./pagination";
import { revalidate } from "./revalidate";
import { json, MemberPageSchema, MonthParams, problemAnswer, problemResponses, security } from "./schemas";
import { validationHook } from "./validation";

export const memberRoutes = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });

const MembersParams = MonthParams.extend({
  kpi: z.string().openapi({ param: { name: "kpi", in: "path" }, example: "win_rate" }),
});

const MembersQuery = z.object({
  dimension: z.string().default("all").openapi({ description: "A dimension of the KPI (default: all)", example: "rep" }),
  key: z.string().default("all").openapi({ description: "A key of that dimension (default: all)", example: "rep_ana" }),
  side: z.enum(["numerator", "denominator"]).default("numerator").openapi({
    description: "The members counted in the numerator (for a total: in its value) or in the denominator",
  }),
  ...PageQuery.shape,
  ...FormatQuery.shape,
});

const CSV_FIELDS = [
  "type", "id", "name", "owner_rep_id", "owner_name", "amount", "currency", "converted", "contribution", "placed_at",
  "connection_kind", "crm_id",
] as const;

/** A cursor of this list: [magnitude, "type|id"]. */
function memberCursor(cursor: string | undefined): MemberCursor | null {
  const key = decodeCursor(cursor);
  if (key && (typeof key[0] !== "number" || typeof key[1] !== "string")) {
    throw invalidInput("cursor: not a cursor from a previous page", [{ field: "cursor", message: "not a cursor from a previous page" }]);
  }
  return key as MemberCursor | null;
}

memberRoutes.openapi(
  createRoute({
    method: "get",
    path: "/workspaces/{ws}/months/{month}/kpis/{kpi}/members",
    summary: "The deals, leads, activities, accounts or responses behind one value",
    description:
      "The members of one side of a stored value, largest contribution first: their count equals a count's numerator or denominator, and their contributions add up to it (amounts for money KPIs). Derived KPIs have none: list the members of the values they are derived from.",
    tags: ["KPIs"],
    security,
    middleware: [workspaceAccess("read"), revalidate, etag()] as const,
    request: { params: MembersParams, query: MembersQuery },
    responses: {
      200: { description: "One page of members (or CSV with Accept: text/csv; the next page in the Link header)", content: { ...json(MemberPageSchema).content, ...csvContent.content } },
      304: { description: "Not modified (If-None-Match)" },
      ...problemResponses,
      404: problemAnswer("No such workspace or KPI, the month has not been computed, or no value for that key"),
    },
  }),
  async (c) => {
    const { month, kpi: kpiId } = c.req.valid("param");
    const query = c.req.valid("query");
    const kpi = KPI_BY_ID.get(kpiId);
    if (!kpi) throw problem(404, `no KPI ${JSON.stringify(kpiId)} (GET /api/v1/kpis lists them)`);
    if (!(kpi.dimensions as string[]).includes(query.dimension)) {
      const message = `${kpiId} is broken down by ${kpi.dimensions.join(", ")}`;
      throw invalidInput(message, [{ field: "dimension", message }]);
    }
    const id = kpiId as KpiId;
    const unavailable = withoutMembers(id);
    if (unavailable || !sidesOf(id, query.dimension)) throw problem(404, unavailable ?? `${kpiId} by ${query.dimension} has no members`);
    const after = memberCursor(query.cursor);
    const workspace = c.get("workspace");
    const db = c.get("db");
    const value = await db
      .prepare(
        `SELECT value, numerator, denominator, computed_at FROM kpi_values
         WHERE workspace_id = ?1 AND month = ?2 AND kpi = ?3 AND dimension = ?4 AND key = ?5`,
      )
      .bind(workspace.id, month, kpiId, query.dimension, query.key)
      .first<{ value: number | null; numerator: number | null; denominator: number | null; computed_at: number }>();
    if (!value) throw problem(404, `no value of ${kpiId} for ${query.dimension}=${query.key} in ${month} (is the month computed?)`);
    const page = await membersPage(db, workspace, month, id, query.dimension, query.key, query.side, query.limit, after);
    if (!page) throw problem(404, `${kpiId} has no ${query.side}: its value is ${kpi.aggregation === "median" ? "the median of its denominator's members" : "its numerator"}`);
    const nextCursor = page.next && encodeCursor(page.next);
    if (wantsCsv(c)) {
      const response = csvResponse(
        toCsv([...CSV_FIELDS], page.members.map((m) => CSV_FIELDS.map((f) => m[f]))),
        `${workspace.slug}-${month}-${kpiId}-${query.dimension}-${query.key}-${query.side}.csv`,
      );
      if (nextCursor) {
        const next = new URL(c.req.url);
        next.searchParams.set("cursor", nextCursor);
        response.headers.set("Link", `<${next.toString()}>; rel="next"`);
      }
      return response;
    }
    return c.json(
      {
        workspace: workspace.slug,
        month,
        kpi: kpiId,
        dimension: query.dimension,
        key: query.key,
        side: query.side,
        currency: workspace.currency,
        value: value.value,
        numerator: value.numerator,
        denominator: value.denominator,
        computed_at: new Date(value.computed_at).toISOString(),
        count: page.count,
        total: page.total,
        items: page.members,
        next_cursor: nextCursor,
      },
      200,
    );
  },
);

// Settings the KPIs read: quotas, FX rates, marketing spend, and the synchronous
// recompute. Each change marks the months it affects dirty (recomputed from there on).
import { createRoute, OpenAPIHono, type z } from "@hono/zod-openapi";
import { replaceSettings, type SettingTable } from "../db/settings";
import { recomputeRange } from "../kpi/recompute";
import { workspaceAccess } from "./auth";
import type { ApiEnv } from "./context";
import { isoInstant } from "./instants";
import {
  FxRateRows,
  problemResponses,
  QuotaRows,
  RecomputeRequest,
  RecomputeResult,
  SettingsUpdated,
  SpendRows,
  WorkspaceParams,
  json,
  security,
} from "./schemas";
import { validationHook } from "./validation";

export const settingsRoutes = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });

interface Table {
  path: string;
  summary: string;
  schema: typeof QuotaRows | typeof FxRateRows | typeof SpendRows;
  /** Rows of the months (or currency-months) in the body replace the stored ones. */
  table: SettingTable;
}

const TABLES: Table[] = [
  {
    path: "quotas",
    summary: "Set quotas: the rows of each month in the body replace that month's quotas",
    schema: QuotaRows,
    table: "quotas",
  },
  {
    path: "fx-rates",
    summary: "Set FX rates (units of the base currency per unit), per currency and month",
    schema: FxRateRows,
    table: "fxRates",
  },
  {
    path: "spend",
    summary: "Set marketing spend: the rows of each month in the body replace that month's spend",
    schema: SpendRows,
    table: "marketingSpend",
  },
];

for (const table of TABLES) {
  settingsRoutes.openapi(
    createRoute({
      method: "put",
      path: `/workspaces/{ws}/${table.path}`,
      summary: table.summary,
      tags: ["Settings"],
      security,
      middleware: [workspaceAccess("admin")] as const,
      request: { params: WorkspaceParams, body: { ...json(table.schema), required: true } },
      responses: { 200: { description: "Stored", ...json(SettingsUpdated) }, ...problemResponses },
    }),
    async (c) => {
      const rows = c.req.valid("json") as z.infer<typeof table.schema>;
      const months = await replaceSettings(c.get("db"), table.table, c.get("workspace").id, rows, Date.now());
      return c.json({ rows: rows.length, months }, 200);
    },
  );
}

settingsRoutes.openapi(
  createRoute({
    method: "post",
    path: "/workspaces/{ws}/recompute",
    summary: "Recompute the KPIs of a range of months now; answers when done",
    tags: ["KPIs"],
    security,
    middleware: [workspaceAccess("admin")] as const,
    request: { params: WorkspaceParams, body: { ...json(RecomputeRequest), required: true } },
    responses: { 200: { description: "Computed", ...json(RecomputeResult) }, ...problemResponses },
  }),
  async (c) => {
    const { from, to } = c.req.valid("json");
    const now = Date.now();
    const months = await recomputeRange(c.get("db"), c.get("workspace"), from, to, now);
    return c.json({ months, computed_at: isoInstant(now) }, 200);
  },
);

// Settings the KPIs read: quotas, FX rates, marketing spend, and the synchronous
// recompute. Each change marks the months it affects dirty (recomputed from there on).
import { createRoute, OpenAPIHono, type z } from "@hono/zod-openapi";
import { markDirty } from "../model/dirty";
import { recomputeRange, loadSettings } from "../kpi/recompute";
import { workspaceAccess } from "./auth";
import type { ApiEnv } from "./context";
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
  replace: string;
  insert: string;
}

// One JSON document per statement (json_each) keeps far below D1's 100 bound parameters.
const TABLES: Table[] = [
  {
    path: "quotas",
    summary: "Set quotas: the rows of each month in the body replace that month's quotas",
    schema: QuotaRows,
    replace: `DELETE FROM quotas WHERE workspace_id = ?1 AND month IN (SELECT value ->> '$.month' FROM json_each(?2))`,
    insert: `INSERT INTO quotas (workspace_id, rep_id, month, amount)
      SELECT ?1, value ->> '$.rep_id', value ->> '$.month', value ->> '$.amount' FROM json_each(?2) WHERE true
      ON CONFLICT (workspace_id, month, rep_id) DO UPDATE SET amount = excluded.amount`,
  },
  {
    path: "fx-rates",
    summary: "Set FX rates (units of the base currency per unit), per currency and month",
    schema: FxRateRows,
    replace: `DELETE FROM fx_rates WHERE workspace_id = ?1 AND (currency, month) IN
      (SELECT value ->> '$.currency', value ->> '$.month' FROM json_each(?2))`,
    insert: `INSERT INTO fx_rates (workspace_id, currency, month, rate)
      SELECT ?1, value ->> '$.currency', value ->> '$.month', value ->> '$.rate' FROM json_each(?2) WHERE true
      ON CONFLICT (workspace_id, currency, month) DO UPDATE SET rate = excluded.rate`,
  },
  {
    path: "spend",
    summary: "Set marketing spend: the rows of each month in the body replace that month's spend",
    schema: SpendRows,
    replace: `DELETE FROM marketing_spend WHERE workspace_id = ?1 AND month IN (SELECT value ->> '$.month' FROM json_each(?2))`,
    insert: `INSERT INTO marketing_spend (workspace_id, source, month, amount)
      SELECT ?1, value ->> '$.source', value ->> '$.month', value ->> '$.amount' FROM json_each(?2) WHERE true
      ON CONFLICT (workspace_id, month, source) DO UPDATE SET amount = excluded.amount`,
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
      const workspace = c.get("workspace");
      const body = JSON.stringify(rows);
      await c.env.DB.batch([
        c.env.DB.prepare(table.replace).bind(workspace.id, body),
        c.env.DB.prepare(table.insert).bind(workspace.id, body),
      ]);
      const months = [...new Set(rows.map((r) => r.month))].sort();
      await markDirty(c.env.DB, workspace.id, months, Date.now());
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
    const settings = (await loadSettings(c.env.DB, c.get("workspace").id))!;
    const now = Date.now();
    const months = await recomputeRange(c.env.DB, settings, from, to, now);
    return c.json({ months, computed_at: new Date(now).toISOString() }, 200);
  },
);

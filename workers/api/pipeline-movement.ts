// A month's pipeline movement: the waterfall from the open pipeline at its start to the
// one at its end, overall or by rep or team (workers/kpi/movement.ts computes it).
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { etag } from "hono/etag";
import { MOVEMENT_DIMENSIONS, MOVEMENT_IDS } from "../../shared/pipeline-movement";
import { pipelineMovement } from "../kpi/movement-document";
import { problem } from "../lib/problem";
import { workspaceAccess } from "./auth";
import type { ApiEnv } from "./context";
import { csvContent, csvResponse, FormatQuery, toCsv, wantsCsv } from "./csv";
import { revalidate } from "./revalidate";
import { json, MonthParams, PipelineMovementSchema, problemAnswer, problemResponses, security } from "./schemas";
import { validationHook } from "./validation";

export const pipelineMovementRoutes = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });

const MovementQuery = z.object({
  by: z.enum(MOVEMENT_DIMENSIONS).default("all").openapi({ description: "all (default), rep or team" }),
  ...FormatQuery.shape,
});

pipelineMovementRoutes.openapi(
  createRoute({
    method: "get",
    path: "/workspaces/{ws}/months/{month}/pipeline-movement",
    summary: "How the open pipeline moved during the month: a waterfall that adds up",
    tags: ["KPIs"],
    security,
    middleware: [workspaceAccess("read"), revalidate, etag()] as const,
    request: { params: MonthParams, query: MovementQuery },
    responses: {
      200: { description: "The waterfall (or CSV with Accept: text/csv)", content: { ...json(PipelineMovementSchema).content, ...csvContent.content } },
      304: { description: "Not modified (If-None-Match)" },
      ...problemResponses,
      404: problemAnswer("No such workspace, or the month has not been computed"),
    },
  }),
  async (c) => {
    const { month } = c.req.valid("param");
    const { by } = c.req.valid("query");
    const workspace = c.get("workspace");
    const movement = await pipelineMovement(c.env.DB, workspace, month, by);
    if (!movement) throw problem(404, `${month} has not been computed (POST …/recompute to compute it)`);
    if (wantsCsv(c)) {
      const rows = movement.groups.flatMap(({ key, movements }) =>
        MOVEMENT_IDS.map((m) => [month, by, key, m, movements[m].deals, movements[m].value]),
      );
      return csvResponse(
        toCsv(["month", "dimension", "key", "movement", "deals", "value"], rows),
        `${workspace.slug}-${month}-pipeline-movement.csv`,
      );
    }
    return c.json(movement, 200);
  },
);

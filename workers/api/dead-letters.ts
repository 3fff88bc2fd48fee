// Dead letters: events a source sent that could not be applied, with the reason, newest first.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { workspaceAccess } from "./auth";
import type { ApiEnv } from "./context";
import { decodeCursor, page, PageQuery, toPage } from "./pagination";
import { json, problemResponses, security, WorkspaceParams } from "./schemas";
import { validationHook } from "./validation";

export const deadLetterRoutes = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });

const DeadLetter = z
  .object({
    id: z.number().int(),
    connection_id: z.string(),
    event_id: z.string().nullable(),
    reason: z.string(),
    occurred_at: z.iso.datetime().nullable(),
    received_at: z.iso.datetime(),
    payload: z.unknown(),
  })
  .openapi("DeadLetter");

type Row = {
  id: number;
  connection_id: string;
  event_id: string | null;
  reason: string;
  occurred_at: number | null;
  created_at: number;
  payload: string;
};

deadLetterRoutes.openapi(
  createRoute({
    method: "get",
    path: "/workspaces/{ws}/dead-letters",
    summary: "Rejected events with the reason each was rejected",
    tags: ["Ingest"],
    security,
    middleware: [workspaceAccess("read")] as const,
    request: { params: WorkspaceParams, query: PageQuery },
    responses: { 200: { description: "A page of dead letters", ...json(page(DeadLetter)) }, ...problemResponses },
  }),
  async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = decodeCursor(cursor);
    const { results } = await c.env.DB.prepare(
      `SELECT id, connection_id, event_id, reason, occurred_at, created_at, payload FROM dead_letters
       WHERE workspace_id = ?1 AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3`,
    )
      .bind(c.get("workspace").id, after?.[0] ?? null, limit + 1)
      .all<Row>();
    return c.json(
      toPage(results, limit, (row) => [row.id, row.id], (row) => ({
        id: row.id,
        connection_id: row.connection_id,
        event_id: row.event_id,
        reason: row.reason,
        occurred_at: row.occurred_at === null ? null : new Date(row.occurred_at).toISOString(),
        received_at: new Date(row.created_at).toISOString(),
        payload: JSON.parse(row.payload) as unknown,
      })),
      200,
    );
  },
);

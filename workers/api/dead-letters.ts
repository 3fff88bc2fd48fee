// Dead letters: events a source sent that could not be applied, with the reason, newest first.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { listDeadLetters } from "../db/dead-letters";
import { workspaceAccess } from "./auth";
import type { ApiEnv } from "./context";
import { isoInstant } from "./instants";
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
    const rows = await listDeadLetters(c.env.DB, c.get("workspace").id, after?.[0] ?? null, limit + 1);
    return c.json(
      toPage(rows, limit, (row) => [row.id, row.id], (row) => ({
        id: row.id,
        connection_id: row.connectionId,
        event_id: row.eventId,
        reason: row.reason,
        occurred_at: isoInstant(row.occurredAt),
        received_at: isoInstant(row.createdAt),
        payload: JSON.parse(row.payload) as unknown,
      })),
      200,
    );
  },
);

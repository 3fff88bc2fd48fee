// Moving a workspace to another workspace database (ADMIN_TOKEN only): start the move,
// then advance it one bounded step per request (a finished move answers as it ended).
// `npm run move-workspace` drives it to the end (workers/db/moves.ts holds the steps).
import type { D1Database } from "@cloudflare/workers-types";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { placementBySlug } from "../db/directory";
import { advanceMove, MoveError, moveDocument, startMove } from "../db/moves";
import { isWorkspaceDatabase, workspaceDatabaseNames } from "../db/placement";
import type { WorkspaceDatabaseName } from "../env";
import { problem } from "../lib/problem";
import { authenticate, requireRoot } from "./auth";
import type { ApiEnv } from "./context";
import { json, problemAnswer, security, WorkspaceDatabase, WorkspaceParams } from "./schemas";
import { validationHook } from "./validation";

export const moveRoutes = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });

const MoveTable = z.object({
  table: z.string(),
  source_rows: z.number().int(),
  target_rows: z.number().int(),
  source_checksum: z.string().openapi({ description: "Sum of the rows' SHA-256 prefixes mod 2^64 (hex), ids renumbered as copied" }),
  target_checksum: z.string(),
});

const Move = z
  .object({
    workspace: z.string(),
    from: WorkspaceDatabase,
    to: WorkspaceDatabase,
    state: z.enum(["settling", "copying", "verifying", "resetting", "resuming", "deleting", "done", "failed"]).openapi({
      description:
        "settling: paused, waiting for work that started before; copying; verifying (row counts and checksums per table); " +
        "resetting: a copy that did not verify is deleted before the next attempt; resuming: switched, held deliveries released; " +
        "deleting the old copy; done; failed (the workspace stays where it was)",
    }),
    attempt: z.number().int(),
    reason: z.string().nullable().openapi({ description: "Why the last copy was not verified" }),
    released_deliveries: z.number().int().nullable().openapi({ description: "Deliveries held during the move and released after it" }),
    tables: z.array(MoveTable).openapi({ description: "Every table's counts and checksums, once verified" }),
    started_at: z.string(),
    updated_at: z.string(),
    finished_at: z.string().nullable(),
  })
  .openapi("WorkspaceMove");

const MoveStart = z.object({ to: WorkspaceDatabase }).strict().openapi("WorkspaceMoveStart");

const answers = {
  400: problemAnswer("Invalid input"),
  401: problemAnswer("Missing or invalid token"),
  403: problemAnswer("Not the ADMIN_TOKEN"),
  404: problemAnswer("No such workspace, or no move"),
  409: problemAnswer("Already there, or already moving"),
  429: problemAnswer("Too many requests for this token (Retry-After)"),
} as const;

async function placementOrNotFound(directory: D1Database, slug: string) {
  const placement = await placementBySlug(directory, slug);
  if (!placement) throw problem(404, `no workspace ${JSON.stringify(slug)}`);
  return placement;
}

const asProblem = (error: unknown) => (error instanceof MoveError ? problem(error.status, error.message) : error);

moveRoutes.openapi(
  createRoute({
    method: "post",
    path: "/admin/workspaces/{ws}/move",
    summary: "Start moving a workspace to another workspace database (it is paused at once)",
    tags: ["Operations"],
    security,
    middleware: [authenticate, requireRoot] as const,
    request: { params: WorkspaceParams, body: { ...json(MoveStart), required: true } },
    responses: { 202: { description: "Started", ...json(Move) }, ...answers },
  }),
  async (c) => {
    const { ws } = c.req.valid("param");
    const { to } = c.req.valid("json");
    if (!isWorkspaceDatabase(c.env, to)) {
      throw problem(400, `no workspace database ${JSON.stringify(to)}`, {
        errors: [{ field: "to", message: `one of ${workspaceDatabaseNames(c.env).join(", ")}` }],
      });
    }
    try {
      return c.json(moveDocument(await startMove(c.env, ws, to as WorkspaceDatabaseName, Date.now()), ws), 202);
    } catch (error) {
      throw asProblem(error);
    }
  },
);

moveRoutes.openapi(
  createRoute({
    method: "post",
    path: "/admin/workspaces/{ws}/move/step",
    summary: "Advance the workspace's move by one bounded step",
    tags: ["Operations"],
    security,
    middleware: [authenticate, requireRoot] as const,
    request: { params: WorkspaceParams },
    responses: { 200: { description: "The move as it now is", ...json(Move) }, ...answers },
  }),
  async (c) => {
    const { ws } = c.req.valid("param");
    const placement = await placementOrNotFound(c.env.DB_DIRECTORY, ws);
    try {
      return c.json(moveDocument(await advanceMove(c.env, placement.id, Date.now()), ws), 200);
    } catch (error) {
      throw asProblem(error);
    }
  },
);

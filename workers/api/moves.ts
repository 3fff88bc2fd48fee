// Moving a workspace to another workspace database (ADMIN_TOKEN only): start the move,
// then advance it one bounded step per request (a finished move answers as it ended).
// `npm run move-workspace` drives it to the end (workers/db/moves.ts holds the steps).
import type { D1Database } from "@cloudflare/workers-types";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { adoptPage } from "../db/adopt";
import { placementBySlug } from "../db/directory";
import { advanceMove, MoveError, moveDocument, startMove } from "../db/moves";
import { isWorkspaceDatabase, workspaceDatabaseNames } from "../db/placement";
import type { WorkspaceDatabaseName } from "../env";
import { problem } from "../lib/problem";
import { authenticate, requireRoot } from "./auth";
import type { ApiEnv } from "./context";
import { json, problemAnswer, rootProblemResponses, security, WorkspaceDatabase, WorkspaceParams } from "./schemas";
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
  ...rootProblemResponses,
  404: problemAnswer("No such workspace, or no move"),
  409: problemAnswer("Already there, or already moving"),
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

const AdoptQuery = z.object({
  cursor: z
    .string()
    .regex(/^DB_WS_\w{1,20}:[A-Za-z0-9_-]{0,100}$/, "the next_cursor of the previous answer")
    .optional()
    .openapi({ description: "next_cursor of the previous answer; absent for the first page" }),
});

const Adoption = z
  .object({
    adopted: z.number().int().openapi({ description: "Workspaces of this page registered in the directory now" }),
    already_registered: z.number().int(),
    conflicts: z.array(z.string()).openapi({ description: "Slugs the directory gives another workspace or database: left alone" }),
    next_cursor: z.string().nullable().openapi({ description: "Pass as ?cursor= for the next page; null when every database was seen" }),
  })
  .openapi("DirectoryAdoption");

moveRoutes.openapi(
  createRoute({
    method: "post",
    path: "/admin/directory/adopt",
    summary: "Register in the directory the workspaces the workspace databases hold (one page)",
    description:
      "Upgrading a deployment from before the directory (its database bound as DB_WS_1), or repairing one: registers " +
      "each workspace not yet in the directory with its database, its webhook ids and token hashes. Idempotent.",
    tags: ["Operations"],
    security,
    middleware: [authenticate, requireRoot] as const,
    request: { query: AdoptQuery },
    responses: {
      200: { description: "This page's counts", ...json(Adoption) },
      ...rootProblemResponses,
    },
  }),
  async (c) => {
    const { cursor } = c.req.valid("query");
    const page = await adoptPage(c.env, cursor ?? null);
    return c.json({ adopted: page.adopted, already_registered: page.alreadyRegistered, conflicts: page.conflicts, next_cursor: page.next }, 200);
  },
);

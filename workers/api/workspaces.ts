// Workspaces: create (ADMIN_TOKEN), read, and change settings.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { listPlacements } from "../db/directory";
import { isWorkspaceDatabase, workspaceDatabaseNames } from "../db/placement";
import { changeWorkspace, createWorkspace, workspacesOfPlacements, type WorkspaceRow } from "../db/workspaces";
import type { WorkspaceDatabaseName } from "../env";
import { problem } from "../lib/problem";
import { mayAdminister, requireRoot, workspaceAccess } from "./auth";
import type { ApiEnv } from "./context";
import { isoInstant } from "./instants";
import { decodeCursor, page, PageQuery, toPage } from "./pagination";
import {
  json,
  problemAnswer,
  problemResponses,
  security,
  Workspace,
  WorkspaceCreate,
  WorkspaceDatabase,
  WorkspaceParams,
  WorkspacePatch,
} from "./schemas";
import { validationHook } from "./validation";

/** The workspace as an admin sees it (POST, PATCH, and GET with an admin token). */
export function workspaceDocument(row: WorkspaceRow) {
  return {
    slug: row.slug,
    name: row.name,
    timezone: row.timezone,
    currency: row.currency,
    pipeline_stages: row.pipelineStages,
    deploy_hook_url: row.deployHookUrl,
    digest_webhook_url: row.digestWebhookUrl,
    cors_origins: row.corsOrigins,
    public_reports: row.publicReports,
    created_at: isoInstant(row.createdAt),
  };
}

/**
 * The workspace as the caller may see it. The deploy hook and digest webhook URLs usually
 * embed their own secret: only an admin token (or the ADMIN_TOKEN) sees them; a read
 * token's answer has no such fields.
 */
export function workspaceView(row: WorkspaceRow, admin: boolean) {
  const { deploy_hook_url, digest_webhook_url, ...document } = workspaceDocument(row);
  return admin ? { ...document, deploy_hook_url, digest_webhook_url } : document;
}

/** The answer's schema: as the Workspace component, with the admin-only hook URLs optional. */
const WorkspaceAnswer = z
  .object({
    ...Workspace.shape,
    deploy_hook_url: z.string().nullable().optional().openapi({ description: "Only for admin tokens and the ADMIN_TOKEN" }),
    digest_webhook_url: z.string().nullable().optional().openapi({ description: "Only for admin tokens and the ADMIN_TOKEN" }),
  })
  .openapi("WorkspaceAnswer");

/** The answer to POST: the workspace and the database it was placed in. */
const WorkspaceCreated = z
  .object({ ...Workspace.shape, database: WorkspaceDatabase.openapi({ description: "The workspace database holding it" }) })
  .openapi("WorkspaceCreated");

export const workspaceRoutes = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });

workspaceRoutes.openapi(
  createRoute({
    method: "post",
    path: "/workspaces",
    summary: "Create a workspace",
    tags: ["Workspaces"],
    security,
    middleware: [requireRoot] as const,
    request: { body: { ...json(WorkspaceCreate), required: true } },
    responses: {
      201: { description: "Created", ...json(WorkspaceCreated) },
      ...problemResponses,
      409: problemAnswer("The slug is taken"),
    },
  }),
  async (c) => {
    const body = c.req.valid("json");
    if (body.database !== undefined && !isWorkspaceDatabase(c.env, body.database)) {
      throw problem(400, `no workspace database ${JSON.stringify(body.database)}`, {
        errors: [{ field: "database", message: `one of ${workspaceDatabaseNames(c.env).join(", ")}` }],
      });
    }
    const created = await createWorkspace(c.env, {
      slug: body.slug,
      name: body.name,
      timezone: body.timezone,
      currency: body.currency,
      pipelineStages: body.pipeline_stages,
      deployHookUrl: body.deploy_hook_url,
      digestWebhookUrl: body.digest_webhook_url,
      publicReports: body.public_reports,
    }, body.database as WorkspaceDatabaseName | undefined, Date.now());
    if (!created) throw problem(409, `the slug ${JSON.stringify(body.slug)} is taken`);
    return c.json({ ...workspaceDocument(created.row), database: created.database }, 201);
  },
);

workspaceRoutes.openapi(
  createRoute({
    method: "get",
    path: "/workspaces/{ws}",
    summary: "Read a workspace's settings",
    tags: ["Workspaces"],
    security,
    middleware: [workspaceAccess("read")] as const,
    request: { params: WorkspaceParams },
    responses: { 200: { description: "The workspace", ...json(WorkspaceAnswer) }, ...problemResponses },
  }),
  (c) => c.json(workspaceView(c.get("workspace"), mayAdminister(c.get("principal"))), 200),
);

workspaceRoutes.openapi(
  createRoute({
    method: "patch",
    path: "/workspaces/{ws}",
    summary: "Change a workspace's settings",
    tags: ["Workspaces"],
    security,
    middleware: [workspaceAccess("admin")] as const,
    request: { params: WorkspaceParams, body: { ...json(WorkspacePatch), required: true } },
    responses: { 200: { description: "The workspace", ...json(Workspace) }, ...problemResponses },
  }),
  async (c) => {
    const patch = c.req.valid("json");
    const row = await changeWorkspace(
      c.get("db"),
      c.get("workspace"),
      {
        name: patch.name,
        timezone: patch.timezone,
        currency: patch.currency,
        pipelineStages: patch.pipeline_stages,
        deployHookUrl: patch.deploy_hook_url,
        digestWebhookUrl: patch.digest_webhook_url,
        corsOrigins: patch.cors_origins,
        publicReports: patch.public_reports,
      },
      Date.now(),
    );
    return c.json(workspaceDocument(row), 200);
  },
);

workspaceRoutes.openapi(
  createRoute({
    method: "get",
    path: "/workspaces",
    summary: "Workspaces the token may read (all of them for the ADMIN_TOKEN)",
    tags: ["Workspaces"],
    security,
    request: { query: PageQuery },
    responses: { 200: { description: "A page of workspaces", ...json(page(WorkspaceAnswer)) }, ...problemResponses },
  }),
  async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = decodeCursor(cursor);
    const principal = c.get("principal");
    // The page's slugs from the directory, each workspace from its own database.
    const placements = await listPlacements(c.env.DB_DIRECTORY, {
      onlyId: principal.kind === "token" ? principal.workspaceId : undefined,
      afterSlug: after ? String(after[0]) : undefined,
      limit: limit + 1,
    });
    const rows = await workspacesOfPlacements(c.env, placements);
    const admin = mayAdminister(principal);
    return c.json(toPage(rows, limit, (row) => [row.slug, row.slug], (row) => workspaceView(row, admin)), 200);
  },
);

// Workspaces: create (ADMIN_TOKEN), read, and change settings.
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { and, asc, eq, gt } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { workspaces } from "../db/schema";
import { dataMonths } from "../kpi/schedule";
import { randomId } from "../lib/crypto";
import { markDirty } from "../model/dirty";
import { problem } from "../lib/problem";
import { requireRoot, workspaceAccess } from "./auth";
import type { ApiEnv, WorkspaceRow } from "./context";
import { decodeCursor, page, PageQuery, toPage } from "./pagination";
import { json, problemAnswer, problemResponses, security, Workspace, WorkspaceCreate, WorkspaceParams, WorkspacePatch } from "./schemas";
import { validationHook } from "./validation";

export function workspaceDocument(row: WorkspaceRow) {
  return {
    slug: row.slug,
    name: row.name,
    timezone: row.timezone,
    currency: row.currency,
    pipeline_stages: row.pipelineStages,
    deploy_hook_url: row.deployHookUrl,
    cors_origins: row.corsOrigins,
    created_at: new Date(row.createdAt).toISOString(),
  };
}


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
      201: { description: "Created", ...json(Workspace) },
      ...problemResponses,
      409: problemAnswer("The slug is taken"),
    },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const db = drizzle(c.env.DB);
    const taken = await db.select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.slug, body.slug)).get();
    if (taken) throw problem(409, `the slug ${JSON.stringify(body.slug)} is taken`);
    const row = await db
      .insert(workspaces)
      .values({
        id: randomId("ws_"),
        slug: body.slug,
        name: body.name,
        timezone: body.timezone,
        currency: body.currency,
        pipelineStages: body.pipeline_stages,
        deployHookUrl: body.deploy_hook_url,
      })
      .returning()
      .get();
    return c.json(workspaceDocument(row), 201);
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
    responses: { 200: { description: "The workspace", ...json(Workspace) }, ...problemResponses },
  }),
  (c) => c.json(workspaceDocument(c.get("workspace")), 200),
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
    const workspace = c.get("workspace");
    const changes: Partial<typeof workspaces.$inferInsert> = {};
    if (patch.name !== undefined) changes.name = patch.name;
    if (patch.timezone !== undefined) changes.timezone = patch.timezone;
    if (patch.currency !== undefined) changes.currency = patch.currency;
    if (patch.pipeline_stages !== undefined) changes.pipelineStages = patch.pipeline_stages;
    if (patch.deploy_hook_url !== undefined) changes.deployHookUrl = patch.deploy_hook_url;
    if (patch.cors_origins !== undefined) changes.corsOrigins = patch.cors_origins;
    const row =
      Object.keys(changes).length === 0
        ? workspace
        : await drizzle(c.env.DB).update(workspaces).set(changes).where(eq(workspaces.id, workspace.id)).returning().get();
    // Time zone, currency and stages move every month's KPIs: recompute from the first.
    if (patch.timezone !== undefined || patch.currency !== undefined || patch.pipeline_stages !== undefined) {
      const months = await dataMonths(c.env.DB, workspace.id, row!.timezone);
      await markDirty(c.env.DB, workspace.id, months.slice(0, 1), Date.now());
    }
    return c.json(workspaceDocument(row!), 200);
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
    responses: { 200: { description: "A page of workspaces", ...json(page(Workspace)) }, ...problemResponses },
  }),
  async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = decodeCursor(cursor);
    const principal = c.get("principal");
    const db = drizzle(c.env.DB);
    const rows = await db
      .select()
      .from(workspaces)
      .where(
        and(
          principal.kind === "token" ? eq(workspaces.id, principal.workspaceId) : undefined,
          after ? gt(workspaces.slug, String(after[0])) : undefined,
        ),
      )
      .orderBy(asc(workspaces.slug))
      .limit(limit + 1)
      .all();
    return c.json(toPage(rows, limit, (row) => [row.slug, row.slug], workspaceDocument), 200);
  },
);

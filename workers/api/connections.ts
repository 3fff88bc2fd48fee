// Connections: a CRM (or native sender) posting to /webhooks/:id. The id is random
// (128 bits) and the secret is encrypted at rest; both are shown once, at creation.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { drizzle } from "drizzle-orm/d1";
import type { ConnectionKind } from "../db/schema";
import { and, eq } from "drizzle-orm";
import { CONNECTION_KINDS, connections, workspaces } from "../db/schema";
import { encryptSecret, randomId } from "../lib/crypto";
import { problemResponse } from "../lib/problem";
import { adapterFor } from "../sources";
import { workspaceAccess } from "./auth";
import type { ApiEnv } from "./context";
import { decodeCursor, page, PageQuery, toPage } from "./pagination";
import { ConnectionCreate, ConnectionCreated, json, problemResponses, WorkspaceParams, security } from "./schemas";
import { validationHook } from "./validation";

export const connectionRoutes = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });

connectionRoutes.openapi(
  createRoute({
    method: "post",
    path: "/workspaces/{ws}/connections",
    summary: "Create a connection (its secret is shown once)",
    tags: ["Connections"],
    security,
    middleware: [workspaceAccess("admin")] as const,
    request: {
      params: WorkspaceParams,
      body: { content: { "application/json": { schema: ConnectionCreate } }, required: true },
    },
    responses: {
      201: { description: "Created", content: { "application/json": { schema: ConnectionCreated } } },
      ...problemResponses,
    },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const adapter = adapterFor(body.kind);
    const plan = adapter.planSecret(body.secret, body.config);
    if (!plan.ok) {
      return problemResponse(400, `${plan.field}: ${plan.message}`, {
        errors: [{ field: plan.field, message: plan.message }],
      }) as never;
    }
    const id = randomId("c_");
    await drizzle(c.env.DB)
      .insert(connections)
      .values({
        id,
        workspaceId: c.get("workspace").id,
        kind: body.kind,
        name: body.name,
        secretCiphertext: plan.secret === null ? null : await encryptSecret(plan.secret, c.env.SECRETS_KEY),
        config: body.config,
      });
    // A workspace without its own stage order takes the CRM's default one for the funnel.
    const workspace = c.get("workspace");
    if (workspace.pipelineStages.length === 0 && adapter.defaultStages.length > 0) {
      await drizzle(c.env.DB)
        .update(workspaces)
        .set({ pipelineStages: [...adapter.defaultStages] })
        .where(eq(workspaces.id, workspace.id));
    }
    const webhookUrl = new URL(`/webhooks/${id}`, c.req.url).toString();
    return c.json(
      {
        id,
        kind: body.kind,
        name: body.name,
        webhook_url: webhookUrl,
        secret: plan.secret,
        ...(plan.username ? { username: plan.username } : {}),
      },
      201,
    );
  },
);

const ConnectionItem = z
  .object({ id: z.string(), kind: z.enum(CONNECTION_KINDS), name: z.string(), webhook_url: z.url(), created_at: z.iso.datetime() })
  .openapi("Connection");

connectionRoutes.openapi(
  createRoute({
    method: "get",
    path: "/workspaces/{ws}/connections",
    summary: "List connections (never their secrets)",
    tags: ["Connections"],
    security,
    middleware: [workspaceAccess("admin")] as const,
    request: { params: WorkspaceParams, query: PageQuery },
    responses: { 200: { description: "A page of connections", ...json(page(ConnectionItem)) }, ...problemResponses },
  }),
  async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = decodeCursor(cursor);
    const { results } = await c.env.DB.prepare(
      `SELECT id, kind, name, created_at FROM connections WHERE workspace_id = ?1 AND (?2 IS NULL OR (created_at, id) > (?2, ?3))
       ORDER BY created_at, id LIMIT ?4`,
    )
      .bind(c.get("workspace").id, after?.[0] ?? null, after?.[1] ?? null, limit + 1)
      .all<{ id: string; kind: ConnectionKind; name: string; created_at: number }>();
    return c.json(
      toPage(results, limit, (row) => [row.created_at, row.id], (row) => ({
        id: row.id,
        kind: row.kind,
        name: row.name,
        webhook_url: new URL(`/webhooks/${row.id}`, c.req.url).toString(),
        created_at: new Date(row.created_at).toISOString(),
      })),
      200,
    );
  },
);

const ConnectionPatch = z
  .object({
    name: z.string().min(1).max(200),
    secret: z.string().min(8).max(500),
    config: z.record(z.string(), z.unknown()),
  })
  .partial()
  .strict()
  .openapi("ConnectionPatch");

connectionRoutes.openapi(
  createRoute({
    method: "patch",
    path: "/workspaces/{ws}/connections/{id}",
    summary: "Change a connection's name, secret or config (the secret is never shown again)",
    tags: ["Connections"],
    security,
    middleware: [workspaceAccess("admin")] as const,
    request: {
      params: WorkspaceParams.extend({ id: z.string().openapi({ param: { name: "id", in: "path" } }) }),
      body: { ...json(ConnectionPatch), required: true },
    },
    responses: { 200: { description: "The connection", ...json(ConnectionItem) }, ...problemResponses },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const patch = c.req.valid("json");
    const db = drizzle(c.env.DB);
    const workspace = c.get("workspace");
    const row = await db
      .select()
      .from(connections)
      .where(and(eq(connections.id, id), eq(connections.workspaceId, workspace.id)))
      .get();
    if (!row) return problemResponse(404, `no connection ${JSON.stringify(id)}`) as never;
    const config = patch.config ?? row.config;
    const changes: Partial<typeof connections.$inferInsert> = { config };
    if (patch.name !== undefined) changes.name = patch.name;
    if (patch.secret !== undefined || patch.config !== undefined) {
      const plan = adapterFor(row.kind).planSecret(patch.secret, config);
      if (!plan.ok) {
        return problemResponse(400, `${plan.field}: ${plan.message}`, { errors: [{ field: plan.field, message: plan.message }] }) as never;
      }
      if (patch.secret !== undefined) changes.secretCiphertext = await encryptSecret(plan.secret!, c.env.SECRETS_KEY);
    }
    const updated = (await db.update(connections).set(changes).where(eq(connections.id, id)).returning().get())!;
    return c.json(
      {
        id: updated.id,
        kind: updated.kind,
        name: updated.name,
        webhook_url: new URL(`/webhooks/${updated.id}`, c.req.url).toString(),
        created_at: new Date(updated.createdAt).toISOString(),
      },
      200,
    );
  },
);

// Connections: a CRM (or native sender) posting to /webhooks/:id. The id is random
// (128 bits) and the secret is encrypted at rest; both are shown once, at creation.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { type ConnectionItem as Listed, createConnection, findConnection, listConnections, updateConnection } from "../db/connections";
import { CONNECTION_KINDS } from "../db/schema";
import { invalidField, problem } from "../lib/problem";
import { adapterFor } from "../sources";
import { workspaceAccess } from "./auth";
import type { ApiEnv } from "./context";
import { isoInstant } from "./instants";
import { decodeCursor, page, PageQuery, toPage } from "./pagination";
import {
  ConnectionCreate,
  ConnectionCreated,
  ConnectionSecret,
  json,
  Name,
  problemAnswer,
  problemResponses,
  ResourceParams,
  security,
  WorkspaceParams,
} from "./schemas";
import { validationHook } from "./validation";

export const connectionRoutes = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });

/** Where the connection's CRM posts: /webhooks/:id on the host that serves this API. */
const webhookUrl = (id: string, requestUrl: string) => new URL(`/webhooks/${id}`, requestUrl).toString();

const ConnectionItem = z
  .object({ id: z.string(), kind: z.enum(CONNECTION_KINDS), name: z.string(), webhook_url: z.url(), created_at: z.iso.datetime() })
  .openapi("Connection");

const connectionItem = (row: Listed, requestUrl: string): z.infer<typeof ConnectionItem> => ({
  id: row.id,
  kind: row.kind,
  name: row.name,
  webhook_url: webhookUrl(row.id, requestUrl),
  created_at: isoInstant(row.createdAt),
});

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
    if (!plan.ok) throw invalidField(plan.field, plan.message);
    const id = await createConnection(c.env.DB, c.env.SECRETS_KEY, c.get("workspace"), {
      kind: body.kind,
      name: body.name,
      secret: plan.secret,
      config: body.config,
      defaultStages: adapter.defaultStages,
    });
    return c.json(
      {
        id,
        kind: body.kind,
        name: body.name,
        webhook_url: webhookUrl(id, c.req.url),
        secret: plan.secret,
        ...(plan.username ? { username: plan.username } : {}),
      },
      201,
    );
  },
);

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
    const rows = await listConnections(c.env.DB, c.get("workspace").id, after, limit + 1);
    return c.json(
      toPage(rows, limit, (row) => [row.createdAt, row.id], (row) => connectionItem(row, c.req.url)),
      200,
    );
  },
);

const ConnectionPatch = z
  .object({
    name: Name,
    secret: ConnectionSecret,
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
      params: ResourceParams,
      body: { ...json(ConnectionPatch), required: true },
    },
    responses: {
      200: { description: "The connection", ...json(ConnectionItem) },
      ...problemResponses,
      404: problemAnswer("No such workspace or connection"),
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const patch = c.req.valid("json");
    const row = await findConnection(c.env.DB, c.get("workspace").id, id);
    if (!row) throw problem(404, `no connection ${JSON.stringify(id)}`);
    const config = patch.config ?? row.config;
    let secret: string | undefined;
    if (patch.secret !== undefined || patch.config !== undefined) {
      const plan = adapterFor(row.kind).planSecret(patch.secret, config);
      if (!plan.ok) throw invalidField(plan.field, plan.message);
      // A kind without a secret (Salesforce) ignores a given one rather than storing "null".
      if (patch.secret !== undefined && plan.secret !== null) secret = plan.secret;
    }
    const updated = await updateConnection(c.env.DB, c.env.SECRETS_KEY, id, { name: patch.name, config, secret });
    return c.json(connectionItem(updated, c.req.url), 200);
  },
);

// Connections: a CRM (or native sender) posting to /webhooks/:webhook_id. The ids are random
// (128 bits) and the secret is encrypted at rest; the secret is shown once, at creation.
// Every route here needs the admin scope: the webhook URL is a credential (for Salesforce
// the only one), so a read token never sees a connection id or URL.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import {
  type ConnectionItem as Listed,
  createConnection,
  currentWebhookId,
  deleteConnection,
  findConnection,
  listConnections,
  rotateWebhookId,
  updateConnection,
} from "../db/connections";
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

/** Another workspace's connection, a deleted one and one that never existed answer alike. */
const unknownConnection = (id: string) => problem(404, `no connection ${JSON.stringify(id)}`);

const ConnectionItem = z
  .object({
    id: z.string().openapi({ description: "The connection's id in this API; it never changes (a rotation changes webhook_url)" }),
    kind: z.enum(CONNECTION_KINDS),
    name: z.string(),
    webhook_url: z.url(),
    created_at: z.iso.datetime(),
  })
  .openapi("Connection");

const connectionItem = (row: Listed, requestUrl: string): z.infer<typeof ConnectionItem> => ({
  id: row.id,
  kind: row.kind,
  name: row.name,
  webhook_url: webhookUrl(currentWebhookId(row), requestUrl),
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
    const config = { ...adapter.newConnectionConfig, ...body.config };
    const plan = adapter.planSecret(body.secret, config);
    if (!plan.ok) throw invalidField(plan.field, plan.message);
    const id = await createConnection(c.get("db"), c.env.DB_DIRECTORY, c.env.SECRETS_KEY, c.get("workspace"), {
      kind: body.kind,
      name: body.name,
      secret: plan.secret,
      config,
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
    const rows = await listConnections(c.get("db"), c.get("workspace").id, after, limit + 1);
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
    const row = await findConnection(c.get("db"), c.get("workspace").id, id);
    if (!row) throw unknownConnection(id);
    const config = patch.config ?? row.config;
    let secret: string | undefined;
    if (patch.secret !== undefined || patch.config !== undefined) {
      const plan = adapterFor(row.kind).planSecret(patch.secret, config);
      if (!plan.ok) throw invalidField(plan.field, plan.message);
      // A kind without a secret (Salesforce) ignores a given one rather than storing "null".
      if (patch.secret !== undefined && plan.secret !== null) secret = plan.secret;
    }
    const updated = await updateConnection(c.get("db"), c.env.SECRETS_KEY, id, { name: patch.name, config, secret });
    return c.json(connectionItem(updated, c.req.url), 200);
  },
);

/** The longest grace period a rotation may give the old webhook URL: 30 days. */
export const MAX_ROTATION_GRACE_SECONDS = 30 * 24 * 60 * 60;

const ConnectionRotate = z
  .object({
    grace_seconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_ROTATION_GRACE_SECONDS)
      .default(0)
      .openapi({ description: "How long the old webhook URL keeps working (0: it answers 404 at once)", example: 3600 }),
  })
  .strict()
  .openapi("ConnectionRotate");

const ConnectionRotated = z
  .object({
    id: z.string(),
    webhook_url: z.url().openapi({ description: "The new URL: configure it in the CRM" }),
    previous_webhook_url: z.url(),
    previous_webhook_url_expires_at: z.iso.datetime().openapi({ description: "From then on the old URL answers 404" }),
  })
  .openapi("ConnectionRotated");

connectionRoutes.openapi(
  createRoute({
    method: "post",
    path: "/workspaces/{ws}/connections/{id}/rotate",
    summary: "Give the connection a new webhook URL; the old one works for grace_seconds, then answers 404 (the secret is unchanged)",
    tags: ["Connections"],
    security,
    middleware: [workspaceAccess("admin")] as const,
    request: { params: ResourceParams, body: { ...json(ConnectionRotate), required: false } },
    responses: {
      200: { description: "The new webhook URL", ...json(ConnectionRotated) },
      ...problemResponses,
      404: problemAnswer("No such workspace or connection"),
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    // Without a JSON body the validator is skipped (no content type): no grace.
    const graceSeconds = (c.req.valid("json") as { grace_seconds?: number } | undefined)?.grace_seconds ?? 0;
    const row = await findConnection(c.get("db"), c.get("workspace").id, id);
    if (!row) throw unknownConnection(id);
    const previous = currentWebhookId(row);
    const rotated = await rotateWebhookId(c.get("db"), c.env.DB_DIRECTORY, row, graceSeconds * 1000, Date.now());
    return c.json(
      {
        id: row.id,
        webhook_url: webhookUrl(rotated.webhookId, c.req.url),
        previous_webhook_url: webhookUrl(previous, c.req.url),
        previous_webhook_url_expires_at: isoInstant(rotated.retiredUntil),
      },
      200,
    );
  },
);

connectionRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/workspaces/{ws}/connections/{id}",
    summary: "Delete a connection: its webhook URLs answer 404 from now on; its data (deliveries, events, KPIs) stays",
    tags: ["Connections"],
    security,
    middleware: [workspaceAccess("admin")] as const,
    request: { params: ResourceParams },
    responses: {
      204: { description: "Deleted" },
      ...problemResponses,
      404: problemAnswer("No such workspace or connection"),
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const row = await findConnection(c.get("db"), c.get("workspace").id, id);
    if (!row) throw unknownConnection(id);
    await deleteConnection(c.get("db"), row, Date.now());
    return c.body(null, 204);
  },
);

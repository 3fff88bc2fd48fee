// Workspace API tokens: random 256-bit bearer tokens, shown once, stored as SHA-256.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { TOKEN_SCOPES } from "../db/schema";
import { createToken, listTokens, revokeToken } from "../db/tokens";
import { problem } from "../lib/problem";
import { workspaceAccess } from "./auth";
import type { ApiEnv } from "./context";
import { isoInstant } from "./instants";
import { decodeCursor, page, PageQuery, toPage } from "./pagination";
import { json, problemAnswer, problemResponses, ResourceParams, TokenCreate, TokenCreated, WorkspaceParams, security } from "./schemas";
import { validationHook } from "./validation";

export const tokenRoutes = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });

tokenRoutes.openapi(
  createRoute({
    method: "post",
    path: "/workspaces/{ws}/tokens",
    summary: "Create an API token for the workspace (shown once)",
    tags: ["Tokens"],
    security,
    middleware: [workspaceAccess("admin")] as const,
    request: {
      params: WorkspaceParams,
      body: { content: { "application/json": { schema: TokenCreate } }, required: true },
    },
    responses: {
      201: { description: "Created", content: { "application/json": { schema: TokenCreated } } },
      ...problemResponses,
    },
  }),
  async (c) => {
    const body = c.req.valid("json");
    return c.json(await createToken(c.get("db"), c.env.DB_DIRECTORY, c.get("workspace").id, body.scopes, body.name ?? null), 201);
  },
);

const TokenItem = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    scopes: z.array(z.enum(TOKEN_SCOPES)),
    created_at: z.iso.datetime(),
    revoked_at: z.iso.datetime().nullable(),
  })
  .openapi("Token");

tokenRoutes.openapi(
  createRoute({
    method: "get",
    path: "/workspaces/{ws}/tokens",
    summary: "List the workspace's tokens (never the tokens themselves)",
    tags: ["Tokens"],
    security,
    middleware: [workspaceAccess("admin")] as const,
    request: { params: WorkspaceParams, query: PageQuery },
    responses: { 200: { description: "A page of tokens", ...json(page(TokenItem)) }, ...problemResponses },
  }),
  async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = decodeCursor(cursor);
    const rows = await listTokens(c.get("db"), c.get("workspace").id, after, limit + 1);
    return c.json(
      toPage(rows, limit, (row) => [row.createdAt, row.id], (row) => ({
        id: row.id,
        name: row.name,
        scopes: row.scopes,
        created_at: isoInstant(row.createdAt),
        revoked_at: isoInstant(row.revokedAt),
      })),
      200,
    );
  },
);

tokenRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/workspaces/{ws}/tokens/{id}",
    summary: "Revoke a token: it stops working at once",
    tags: ["Tokens"],
    security,
    middleware: [workspaceAccess("admin")] as const,
    request: { params: ResourceParams },
    responses: { 204: { description: "Revoked" }, ...problemResponses, 404: problemAnswer("No such workspace or token") },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    if (!(await revokeToken(c.get("db"), c.get("workspace").id, id, Date.now()))) throw problem(404, `no token ${JSON.stringify(id)}`);
    return c.body(null, 204);
  },
);

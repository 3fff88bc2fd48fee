// Workspace API tokens: random 256-bit bearer tokens, shown once, stored as SHA-256.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { drizzle } from "drizzle-orm/d1";
import { apiTokens, TOKEN_SCOPES, type TokenScope } from "../db/schema";
import { problem } from "../lib/problem";
import { bytesToHex, randomBytes, randomId, sha256Hex } from "../lib/crypto";
import { workspaceAccess } from "./auth";
import type { ApiEnv } from "./context";
import { decodeCursor, page, PageQuery, toPage } from "./pagination";
import { json, problemAnswer, problemResponses, TokenCreate, TokenCreated, WorkspaceParams, security } from "./schemas";
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
    const token = `qt_${bytesToHex(randomBytes(32))}`;
    const scopes = [...new Set(body.scopes)];
    const id = randomId("tok_", 8);
    await drizzle(c.env.DB)
      .insert(apiTokens)
      .values({ id, workspaceId: c.get("workspace").id, tokenHash: await sha256Hex(token), scopes, name: body.name ?? null });
    return c.json({ id, token, scopes, name: body.name ?? null }, 201);
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
    const { results } = await c.env.DB.prepare(
      `SELECT id, name, scopes, created_at, revoked_at FROM api_tokens
       WHERE workspace_id = ?1 AND (?2 IS NULL OR (created_at, id) > (?2, ?3)) ORDER BY created_at, id LIMIT ?4`,
    )
      .bind(c.get("workspace").id, after?.[0] ?? null, after?.[1] ?? null, limit + 1)
      .all<{ id: string; name: string | null; scopes: string; created_at: number; revoked_at: number | null }>();
    return c.json(
      toPage(results, limit, (row) => [row.created_at, row.id], (row) => ({
        id: row.id,
        name: row.name,
        scopes: JSON.parse(row.scopes) as TokenScope[],
        created_at: new Date(row.created_at).toISOString(),
        revoked_at: row.revoked_at === null ? null : new Date(row.revoked_at).toISOString(),
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
    request: { params: WorkspaceParams.extend({ id: z.string().openapi({ param: { name: "id", in: "path" } }) }) },
    responses: { 204: { description: "Revoked" }, ...problemResponses, 404: problemAnswer("No such workspace or token") },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const result = await c.env.DB.prepare(
      "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?3) WHERE workspace_id = ?1 AND id = ?2",
    )
      .bind(c.get("workspace").id, id, Date.now())
      .run();
    if (result.meta.changes === 0) throw problem(404, `no token ${JSON.stringify(id)}`);
    return c.body(null, 204);
  },
);

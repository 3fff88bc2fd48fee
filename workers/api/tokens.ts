// Workspace API tokens: random 256-bit bearer tokens, shown once, stored as SHA-256.
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { drizzle } from "drizzle-orm/d1";
import { apiTokens } from "../db/schema";
import { bytesToHex, randomBytes, randomId, sha256Hex } from "../lib/crypto";
import { workspaceAccess } from "./auth";
import type { ApiEnv } from "./context";
import { problemResponses, TokenCreate, TokenCreated, WorkspaceParams, security } from "./schemas";
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

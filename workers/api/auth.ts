// Bearer authentication and workspace scoping for /api/v1. Tokens are compared in
// constant time (ADMIN_TOKEN) or looked up by their SHA-256 (workspace tokens, db/tokens.ts).
import type { Context } from "hono";
import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import { placementBySlug } from "../db/directory";
import { workspaceDb } from "../db/placement";
import type { TokenScope } from "../db/schema";
import { tokenForBearer } from "../db/tokens";
import { corsOriginsOf, workspaceBySlug } from "../db/workspaces";
import { timingSafeEqualText } from "../lib/crypto";
import { problem } from "../lib/problem";
import type { ApiEnv, Principal } from "./context";
import { MOVE_RETRY_AFTER_SECONDS, PREFLIGHT_MAX_AGE_SECONDS, RATE_LIMIT_WINDOW_SECONDS } from "./limits";

export const authenticate = createMiddleware<ApiEnv>(async (c, next) => {
  const header = c.req.header("authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  const challenge = { "www-authenticate": 'Bearer realm="quotient"' };
  if (!match) throw problem(401, "missing bearer token", {}, challenge);
  const token = match[1]!;
  if (c.env.ADMIN_TOKEN && timingSafeEqualText(token, c.env.ADMIN_TOKEN)) {
    c.set("principal", { kind: "root" });
    return next();
  }
  const row = await tokenForBearer(c.env, token);
  if (!row || row.revokedAt !== null) throw problem(401, "invalid or revoked token", {}, challenge);
  // Per token, where the binding is configured (counters are per Cloudflare location).
  if (c.env.API_RATE_LIMIT && !(await c.env.API_RATE_LIMIT.limit({ key: row.id })).success) {
    throw problem(429, "too many requests for this token; retry in a minute", {}, { "retry-after": String(RATE_LIMIT_WINDOW_SECONDS) });
  }
  c.set("principal", { kind: "token", id: row.id, workspaceId: row.workspaceId, scopes: row.scopes });
  return next();
});

/** Only the ADMIN_TOKEN holder (creating workspaces). */
export const requireRoot = createMiddleware<ApiEnv>(async (c, next) => {
  if (c.get("principal").kind !== "root") throw problem(403, "this operation needs the ADMIN_TOKEN");
  return next();
});

/**
 * Whether the caller holds the admin scope of the workspace it reached (or is root): only
 * then do answers carry write-enabling values (connection ids, webhook URLs, deploy hooks).
 */
export const mayAdminister = (principal: Principal) => principal.kind === "root" || principal.scopes.includes("admin");

/**
 * Resolves :ws (the slug) and checks the caller may act on it with `scope`. Another
 * workspace's token gets 404, as for a workspace that does not exist.
 */
export function workspaceAccess(scope: TokenScope) {
  return createMiddleware<ApiEnv>(async (c, next) => {
    const slug = c.req.param("ws") ?? "";
    const principal = c.get("principal");
    const placement = await placementBySlug(c.env.DB_DIRECTORY, slug);
    // A token reaches its own workspace only: another one is never even looked up.
    const reachable = placement && (principal.kind === "root" || principal.workspaceId === placement.id);
    const db = reachable ? workspaceDb(c.env, placement) : undefined;
    const workspace = db && (await workspaceBySlug(db, slug));
    if (!placement || !db || !workspace || workspace.id !== placement.id) {
      throw problem(404, `no workspace ${JSON.stringify(slug)}`);
    }
    if (principal.kind === "token" && !principal.scopes.includes(scope) && !principal.scopes.includes("admin")) {
      throw problem(403, `this operation needs a token with the ${scope} scope`);
    }
    // While a move copies the workspace its data must not change: reads go on, writes wait.
    if (placement.pausedAt !== null && !["GET", "HEAD"].includes(c.req.method)) {
      throw problem(503, "the workspace is being moved to another database; retry in a minute", {}, { "retry-after": String(MOVE_RETRY_AFTER_SECONDS) });
    }
    c.set("workspace", workspace);
    c.set("placement", placement);
    c.set("db", db);
    return next();
  });
}

/**
 * CORS for the workspace's configured origins (PATCH cors_origins). Runs before
 * authentication so that preflight requests, which carry no token, are answered.
 */
export const workspaceCors = cors({
  origin: async (origin, c: Context<ApiEnv>) => {
    const slug = c.req.param("ws");
    if (!origin || !slug) return null;
    const placement = await placementBySlug(c.env.DB_DIRECTORY, slug);
    if (!placement) return null;
    return (await corsOriginsOf(workspaceDb(c.env, placement), slug)).includes(origin) ? origin : null;
  },
  allowHeaders: ["authorization", "content-type", "accept", "if-none-match"],
  exposeHeaders: ["etag", "retry-after", "content-disposition"],
  maxAge: PREFLIGHT_MAX_AGE_SECONDS,
});

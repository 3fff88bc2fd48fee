// Workspace API tokens: random 256-bit bearer tokens, shown once at creation and stored
// only as their SHA-256. drizzle over `api_tokens` (README.md here).
import type { D1Database } from "@cloudflare/workers-types";
import { and, asc, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { bytesToHex, randomBytes, randomId, sha256Hex } from "../lib/crypto";
import type { DatabaseBindings } from "../env";
import { placementForToken, registerToken } from "./directory";
import { afterKey, type Key } from "./keyset";
import { workspaceDb } from "./placement";
import { apiTokens, type TokenScope } from "./schema";

/** A token as listed: everything but its hash. */
export type TokenItem = Omit<typeof apiTokens.$inferSelect, "tokenHash">;

/** Random bytes of a token (256 bits) and of its id. */
const TOKEN_BYTES = 32;
const TOKEN_ID_BYTES = 8;

/**
 * Creates a token (its hash registered in the directory, the token in the workspace's
 * database); the answer is the only place the token itself ever appears.
 */
export async function createToken(
  db: D1Database,
  directory: D1Database,
  workspaceId: string,
  scopes: TokenScope[],
  name: string | null,
): Promise<{ id: string; token: string; scopes: TokenScope[]; name: string | null }> {
  const token = `qt_${bytesToHex(randomBytes(TOKEN_BYTES))}`;
  const id = randomId("tok_", TOKEN_ID_BYTES);
  const distinct = [...new Set(scopes)];
  const tokenHash = await sha256Hex(token);
  await registerToken(directory, tokenHash, workspaceId);
  await drizzle(db).insert(apiTokens).values({ id, workspaceId, tokenHash, scopes: distinct, name });
  return { id, token, scopes: distinct, name };
}

/**
 * The token a bearer presents (revoked ones included: the caller tells them apart) and the
 * placement of its workspace: the directory names the database, which holds the token.
 */
export async function tokenForBearer(env: DatabaseBindings, bearer: string) {
  const tokenHash = await sha256Hex(bearer);
  const placement = await placementForToken(env.DB_DIRECTORY, tokenHash);
  if (!placement) return undefined;
  const token = await drizzle(workspaceDb(env, placement))
    .select({ id: apiTokens.id, workspaceId: apiTokens.workspaceId, scopes: apiTokens.scopes, revokedAt: apiTokens.revokedAt })
    .from(apiTokens)
    .where(and(eq(apiTokens.tokenHash, tokenHash), eq(apiTokens.workspaceId, placement.id)))
    .get();
  return token && { ...token, placement };
}

/** A page of the workspace's tokens in creation order, after the (created_at, id) key. */
export function listTokens(db: D1Database, workspaceId: string, after: Key | null, limit: number): Promise<TokenItem[]> {
  return drizzle(db)
    .select({
      id: apiTokens.id,
      workspaceId: apiTokens.workspaceId,
      scopes: apiTokens.scopes,
      name: apiTokens.name,
      createdAt: apiTokens.createdAt,
      revokedAt: apiTokens.revokedAt,
    })
    .from(apiTokens)
    .where(and(eq(apiTokens.workspaceId, workspaceId), afterKey(apiTokens.createdAt, apiTokens.id, after)))
    .orderBy(asc(apiTokens.createdAt), asc(apiTokens.id))
    .limit(limit)
    .all();
}

/** Revokes the token (a second revocation keeps the first instant); false when there is none. */
export async function revokeToken(db: D1Database, workspaceId: string, id: string, now: number): Promise<boolean> {
  const revoked = await drizzle(db)
    .update(apiTokens)
    .set({ revokedAt: sql`COALESCE(${apiTokens.revokedAt}, ${now})` })
    .where(and(eq(apiTokens.workspaceId, workspaceId), eq(apiTokens.id, id)))
    .returning({ id: apiTokens.id })
    .all();
  return revoked.length > 0;
}

// Workspace API tokens: random 256-bit bearer tokens, shown once at creation and stored
// only as their SHA-256. drizzle over `api_tokens` (README.md here).
import type { D1Database } from "@cloudflare/workers-types";
import { and, asc, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { bytesToHex, randomBytes, randomId, sha256Hex } from "../lib/crypto";
import { afterKey, type Key } from "./keyset";
import { apiTokens, type TokenScope } from "./schema";

/** A token as listed: everything but its hash. */
export type TokenItem = Omit<typeof apiTokens.$inferSelect, "tokenHash">;

/** Random bytes of a token (256 bits) and of its id. */
const TOKEN_BYTES = 32;
const TOKEN_ID_BYTES = 8;

/** Creates a token; the answer is the only place the token itself ever appears. */
export async function createToken(
  db: D1Database,
  workspaceId: string,
  scopes: TokenScope[],
  name: string | null,
): Promise<{ id: string; token: string; scopes: TokenScope[]; name: string | null }> {
  const token = `qt_${bytesToHex(randomBytes(TOKEN_BYTES))}`;
  const id = randomId("tok_", TOKEN_ID_BYTES);
  const distinct = [...new Set(scopes)];
  await drizzle(db).insert(apiTokens).values({ id, workspaceId, tokenHash: await sha256Hex(token), scopes: distinct, name });
  return { id, token, scopes: distinct, name };
}

/** The token a bearer presents (revoked ones included: the caller tells them apart). */
export async function tokenForBearer(db: D1Database, bearer: string) {
  return drizzle(db)
    .select({ id: apiTokens.id, workspaceId: apiTokens.workspaceId, scopes: apiTokens.scopes, revokedAt: apiTokens.revokedAt })
    .from(apiTokens)
    .where(eq(apiTokens.tokenHash, await sha256Hex(bearer)))
    .get();
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

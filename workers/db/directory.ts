// The directory's data access (DB_DIRECTORY, directory-schema.ts): placements, the ids that
// lead to a workspace (webhook ids, token hashes), and what a move holds back. drizzle,
// row at a time; the two set-based reads (counts, several ids) are one statement each.
import type { D1Database } from "@cloudflare/workers-types";
import { and, asc, count, eq, getTableColumns, gt, inArray, isNotNull } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { WorkspaceDatabaseName } from "../env";
import { directoryTokens, directoryWebhookIds, directoryWorkspaces } from "./directory-schema";

export type Placement = typeof directoryWorkspaces.$inferSelect;

/** A placement's columns, for the lookups that reach it through another table. */
const PLACEMENT_COLUMNS = getTableColumns(directoryWorkspaces);

export function placementBySlug(directory: D1Database, slug: string): Promise<Placement | undefined> {
  return drizzle(directory).select().from(directoryWorkspaces).where(eq(directoryWorkspaces.slug, slug)).get();
}

export function placementById(directory: D1Database, id: string): Promise<Placement | undefined> {
  return drizzle(directory).select().from(directoryWorkspaces).where(eq(directoryWorkspaces.id, id)).get();
}

/** The placements of several workspaces (one read), by id. */
export async function placementsByIds(directory: D1Database, ids: readonly string[]): Promise<Map<string, Placement>> {
  const distinct = [...new Set(ids)];
  const rows = [];
  // drizzle binds each id: stay within D1's 100 bound parameters per statement.
  for (let i = 0; i < distinct.length; i += 90) {
    rows.push(...(await drizzle(directory).select().from(directoryWorkspaces).where(inArray(directoryWorkspaces.id, distinct.slice(i, i + 90))).all()));
  }
  return new Map(rows.map((row) => [row.id, row]));
}

/** The placement of the workspace a webhook id (connection, rotated or retired id) belongs to. */
export function placementForWebhook(directory: D1Database, webhookId: string): Promise<Placement | undefined> {
  return drizzle(directory)
    .select(PLACEMENT_COLUMNS)
    .from(directoryWebhookIds)
    .innerJoin(directoryWorkspaces, eq(directoryWorkspaces.id, directoryWebhookIds.workspaceId))
    .where(eq(directoryWebhookIds.id, webhookId))
    .get();
}

/** The placement of the workspace a token (by its SHA-256) belongs to. */
export function placementForToken(directory: D1Database, tokenHash: string): Promise<Placement | undefined> {
  return drizzle(directory)
    .select(PLACEMENT_COLUMNS)
    .from(directoryTokens)
    .innerJoin(directoryWorkspaces, eq(directoryWorkspaces.id, directoryTokens.workspaceId))
    .where(eq(directoryTokens.tokenHash, tokenHash))
    .get();
}

/** Workspaces per database (placement of new workspaces). */
export async function workspaceCounts(directory: D1Database): Promise<Map<string, number>> {
  const rows = await drizzle(directory)
    .select({ database: directoryWorkspaces.database, n: count() })
    .from(directoryWorkspaces)
    .groupBy(directoryWorkspaces.database)
    .all();
  return new Map(rows.map((row) => [row.database, row.n]));
}

/** Registers a workspace's placement; false when the slug is taken (in any database). */
export async function registerWorkspace(directory: D1Database, placement: Omit<Placement, "pausedAt">): Promise<boolean> {
  const rows = await drizzle(directory)
    .insert(directoryWorkspaces)
    .values(placement)
    .onConflictDoNothing()
    .returning({ id: directoryWorkspaces.id })
    .all();
  return rows.length > 0;
}

/** Removes a placement whose workspace could not be created. */
export async function unregisterWorkspace(directory: D1Database, id: string): Promise<void> {
  await drizzle(directory).delete(directoryWorkspaces).where(eq(directoryWorkspaces.id, id));
}

/** A webhook id now leads to the workspace (a new connection, a rotation). */
export async function registerWebhookId(directory: D1Database, id: string, workspaceId: string): Promise<void> {
  await drizzle(directory).insert(directoryWebhookIds).values({ id, workspaceId }).onConflictDoNothing();
}

/** A token (its SHA-256) now leads to the workspace. */
export async function registerToken(directory: D1Database, tokenHash: string, workspaceId: string): Promise<void> {
  await drizzle(directory).insert(directoryTokens).values({ tokenHash, workspaceId });
}

/** A page of placements by slug: all, or only `onlyId` (a workspace token's own). */
export function listPlacements(directory: D1Database, page: { onlyId?: string; afterSlug?: string; limit: number }): Promise<Placement[]> {
  return drizzle(directory)
    .select()
    .from(directoryWorkspaces)
    .where(
      and(
        page.onlyId === undefined ? undefined : eq(directoryWorkspaces.id, page.onlyId),
        page.afterSlug === undefined ? undefined : gt(directoryWorkspaces.slug, page.afterSlug),
      ),
    )
    .orderBy(asc(directoryWorkspaces.slug))
    .limit(page.limit)
    .all();
}

/** Workspaces paused by a move: the cron and the consumers leave their data alone. */
export async function pausedWorkspaceIds(directory: D1Database): Promise<Set<string>> {
  const rows = await drizzle(directory)
    .select({ id: directoryWorkspaces.id })
    .from(directoryWorkspaces)
    .where(isNotNull(directoryWorkspaces.pausedAt))
    .all();
  return new Set(rows.map((row) => row.id));
}

/** Pauses (a time) or resumes (null) a workspace. */
export async function setPaused(directory: D1Database, id: string, pausedAt: number | null): Promise<void> {
  await drizzle(directory).update(directoryWorkspaces).set({ pausedAt }).where(eq(directoryWorkspaces.id, id));
}

/** Switches the workspace to another database. */
export async function setDatabase(directory: D1Database, id: string, database: WorkspaceDatabaseName): Promise<void> {
  await drizzle(directory).update(directoryWorkspaces).set({ database }).where(eq(directoryWorkspaces.id, id));
}

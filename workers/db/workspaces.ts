// Workspaces, the tenants: created by the ADMIN_TOKEN holder, read by every request that
// names one, changed by PATCH. drizzle over the `workspaces` table (README.md here).
import type { D1Database } from "@cloudflare/workers-types";
import { eq, exists, inArray, isNull, ne, or } from "drizzle-orm";
import { CATALOG_VERSION } from "../../shared/catalog";
import { drizzle } from "drizzle-orm/d1";
import type { DatabaseBindings, WorkspaceDatabaseName } from "../env";
import { dataMonths } from "../kpi/schedule";
import { randomId } from "../lib/crypto";
import { markDirty } from "../model/dirty";
import { type Placement, registerWorkspace, unregisterWorkspace, workspaceCounts } from "./directory";
import { choosePlacement, workspaceDatabaseNames, workspaceDb } from "./placement";
import { kpiValues, workspaces } from "./schema";

/** A workspace as stored: the one workspace type of the API, the cron and the reports. */
export type WorkspaceRow = typeof workspaces.$inferSelect;

/** What a new workspace is created with (the rest takes the table's defaults). */
export type NewWorkspace = Pick<WorkspaceRow, "slug" | "name" | "timezone" | "currency" | "pipelineStages" | "deployHookUrl" | "digestWebhookUrl" | "publicReports">;

/** The settings PATCH may change; an undefined field is left as it is. */
export type WorkspaceChanges = Partial<
  Pick<WorkspaceRow, "name" | "timezone" | "currency" | "pipelineStages" | "deployHookUrl" | "digestWebhookUrl" | "corsOrigins" | "publicReports">
>;

export function workspaceBySlug(db: D1Database, slug: string): Promise<WorkspaceRow | undefined> {
  return drizzle(db).select().from(workspaces).where(eq(workspaces.slug, slug)).get();
}

export function findWorkspaceById(db: D1Database, id: string): Promise<WorkspaceRow | undefined> {
  return drizzle(db).select().from(workspaces).where(eq(workspaces.id, id)).get();
}

export async function workspaceById(db: D1Database, id: string): Promise<WorkspaceRow> {
  const row = await findWorkspaceById(db, id);
  if (!row) throw new Error(`no workspace ${id}`);
  return row;
}

/** The browser origins allowed to call the API for the workspace; none for an unknown slug. */
export async function corsOriginsOf(db: D1Database, slug: string): Promise<string[]> {
  const row = await drizzle(db).select({ corsOrigins: workspaces.corsOrigins }).from(workspaces).where(eq(workspaces.slug, slug)).get();
  return row?.corsOrigins ?? [];
}

/**
 * Creates the workspace in a workspace database (the requested one, else the one with the
 * fewest workspaces) and registers its placement; null when its slug is taken.
 */
export async function createWorkspace(
  env: DatabaseBindings,
  workspace: NewWorkspace,
  requested: WorkspaceDatabaseName | undefined,
  now: number,
): Promise<{ row: WorkspaceRow; database: WorkspaceDatabaseName } | null> {
  const database = requested ?? choosePlacement(workspaceDatabaseNames(env), await workspaceCounts(env.DB_DIRECTORY));
  const id = randomId("ws_");
  // The directory holds the slugs of every database: registering first claims the slug.
  if (!(await registerWorkspace(env.DB_DIRECTORY, { id, slug: workspace.slug, database, createdAt: now }))) return null;
  try {
    const row = await drizzle(workspaceDb(env, database))
      .insert(workspaces)
      // Nothing is stored yet, so nothing was computed with an older catalog (catalog-upgrade.ts).
      .values({ id, catalogVersion: CATALOG_VERSION, ...workspace, createdAt: now })
      .returning()
      .get();
    return { row, database };
  } catch (error) {
    await unregisterWorkspace(env.DB_DIRECTORY, id);
    throw error;
  }
}

/**
 * Applies the changes. Time zone, currency and stages move every month's KPIs, so a change
 * of one of them marks the workspace's first month dirty (recomputed from there on).
 */
export async function changeWorkspace(
  db: D1Database,
  workspace: WorkspaceRow,
  changes: WorkspaceChanges,
  now: number,
): Promise<WorkspaceRow> {
  const set = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as WorkspaceChanges;
  if (Object.keys(set).length === 0) return workspace;
  const row = (await drizzle(db).update(workspaces).set(set).where(eq(workspaces.id, workspace.id)).returning().get())!;
  if (set.timezone !== undefined || set.currency !== undefined || set.pipelineStages !== undefined) {
    const months = await dataMonths(db, workspace.id, row.timezone);
    await markDirty(db, workspace.id, months.slice(0, 1), now);
  }
  return row;
}

/** A workspace without its own stage order takes a CRM's default one (for the funnel). */
export async function adoptDefaultStages(db: D1Database, workspace: WorkspaceRow, stages: readonly string[]): Promise<void> {
  if (workspace.pipelineStages.length > 0 || stages.length === 0) return;
  await drizzle(db)
    .update(workspaces)
    .set({ pipelineStages: [...stages] })
    .where(eq(workspaces.id, workspace.id));
}

/** The workspaces of one database among `ids`. */
export async function workspacesByIds(db: D1Database, ids: readonly string[]): Promise<WorkspaceRow[]> {
  const rows: WorkspaceRow[] = [];
  // drizzle binds each id: stay within D1's 100 bound parameters per statement.
  for (let i = 0; i < ids.length; i += 90) {
    rows.push(...(await drizzle(db).select().from(workspaces).where(inArray(workspaces.id, ids.slice(i, i + 90))).all()));
  }
  return rows;
}

/** The workspaces of the placements, in their order, each read from its own database. */
export async function workspacesOfPlacements(env: DatabaseBindings, placements: readonly Placement[]): Promise<WorkspaceRow[]> {
  const byDatabase = new Map<WorkspaceDatabaseName, string[]>();
  for (const placement of placements) byDatabase.set(placement.database, [...(byDatabase.get(placement.database) ?? []), placement.id]);
  const rows = new Map<string, WorkspaceRow>();
  for (const [database, ids] of byDatabase) {
    for (const row of await workspacesByIds(workspaceDb(env, database), ids)) rows.set(row.id, row);
  }
  return placements.flatMap((placement) => rows.get(placement.id) ?? []);
}

/** Workspaces with computed KPIs: the ones the cron may publish reports for. */
export function workspacesWithKpis(db: D1Database): Promise<WorkspaceRow[]> {
  const orm = drizzle(db);
  return orm
    .select()
    .from(workspaces)
    .where(exists(orm.select({ one: kpiValues.workspaceId }).from(kpiValues).where(eq(kpiValues.workspaceId, workspaces.id))))
    .all();
}

/** Workspaces whose stored months were computed with another catalog version than `version` (or before versions were kept). */
export function workspacesBehindCatalog(db: D1Database, version: string): Promise<Pick<WorkspaceRow, "id" | "timezone">[]> {
  return drizzle(db)
    .select({ id: workspaces.id, timezone: workspaces.timezone })
    .from(workspaces)
    .where(or(isNull(workspaces.catalogVersion), ne(workspaces.catalogVersion, version)))
    .all();
}

export async function stampCatalogVersion(db: D1Database, workspaceId: string, version: string): Promise<void> {
  await drizzle(db).update(workspaces).set({ catalogVersion: version }).where(eq(workspaces.id, workspaceId)).run();
}

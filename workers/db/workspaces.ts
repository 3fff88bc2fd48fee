// Workspaces, the tenants: created by the ADMIN_TOKEN holder, read by every request that
// names one, changed by PATCH. drizzle over the `workspaces` table (README.md here).
import type { D1Database } from "@cloudflare/workers-types";
import { and, asc, eq, exists, gt, isNull, ne, or } from "drizzle-orm";
import { CATALOG_VERSION } from "../../shared/catalog";
import { drizzle } from "drizzle-orm/d1";
import { dataMonths } from "../kpi/schedule";
import { randomId } from "../lib/crypto";
import { markDirty } from "../model/dirty";
import { kpiValues, workspaces } from "./schema";

/** A workspace as stored: the one workspace type of the API, the cron and the reports. */
export type WorkspaceRow = typeof workspaces.$inferSelect;

/** What a new workspace is created with (the rest takes the table's defaults). */
export type NewWorkspace = Pick<WorkspaceRow, "slug" | "name" | "timezone" | "currency" | "pipelineStages" | "deployHookUrl" | "publicReports">;

/** The settings PATCH may change; an undefined field is left as it is. */
export type WorkspaceChanges = Partial<
  Pick<WorkspaceRow, "name" | "timezone" | "currency" | "pipelineStages" | "deployHookUrl" | "corsOrigins" | "publicReports">
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

/** Creates the workspace; null when its slug is taken. */
export async function createWorkspace(db: D1Database, workspace: NewWorkspace): Promise<WorkspaceRow | null> {
  const orm = drizzle(db);
  const taken = await orm.select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.slug, workspace.slug)).get();
  if (taken) return null;
  return orm
    .insert(workspaces)
    // Nothing is stored yet, so nothing was computed with an older catalog (catalog-upgrade.ts).
    .values({ id: randomId("ws_"), catalogVersion: CATALOG_VERSION, ...workspace })
    .returning()
    .get();
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

/** A page of workspaces by slug: all of them, or only `onlyId` (a workspace token's own). */
export function listWorkspaces(
  db: D1Database,
  page: { onlyId?: string; afterSlug?: string; limit: number },
): Promise<WorkspaceRow[]> {
  return drizzle(db)
    .select()
    .from(workspaces)
    .where(
      and(
        page.onlyId === undefined ? undefined : eq(workspaces.id, page.onlyId),
        page.afterSlug === undefined ? undefined : gt(workspaces.slug, page.afterSlug),
      ),
    )
    .orderBy(asc(workspaces.slug))
    .limit(page.limit)
    .all();
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

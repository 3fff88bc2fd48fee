// Published reports: immutable snapshots, one row per (month, version), every version of
// a month sharing its share token. drizzle over `reports` (README.md here).
import type { D1Database } from "@cloudflare/workers-types";
import { and, desc, eq, max, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { alias, QueryBuilder } from "drizzle-orm/sqlite-core";
import type { Report } from "../../shared/report";
import { bytesToHex, randomBytes } from "../lib/crypto";
import { kpiValues, reports } from "./schema";

export type ReportRow = typeof reports.$inferSelect;

/** What a publication compares and continues: the month's latest version. */
export type LatestVersion = Pick<ReportRow, "version" | "shareToken" | "contentHash">;

/** Random bytes of a share token: 128 bits, unguessable (schema.ts). */
const SHARE_TOKEN_BYTES = 16;

/** A fresh share token: a month's first publication, or a rotation. */
export function newShareToken(): string {
  return bytesToHex(randomBytes(SHARE_TOKEN_BYTES));
}

const sameMonth = alias(reports, "same_month");

/** The row is its month's latest version: the one lists show and the cron revises. */
const isLatestVersion = eq(
  reports.version,
  new QueryBuilder()
    .select({ version: max(sameMonth.version) })
    .from(sameMonth)
    .where(and(eq(sameMonth.workspaceId, reports.workspaceId), eq(sameMonth.month, reports.month))),
);

/** The rows of a month's versions, or of one version. */
const versionsOf = (workspaceId: string, month: string, version?: number) =>
  and(
    eq(reports.workspaceId, workspaceId),
    eq(reports.month, month),
    version === undefined ? undefined : eq(reports.version, version),
  );

export function latestVersion(db: D1Database, workspaceId: string, month: string): Promise<LatestVersion | undefined> {
  return drizzle(db)
    .select({ version: reports.version, shareToken: reports.shareToken, contentHash: reports.contentHash })
    .from(reports)
    .where(versionsOf(workspaceId, month))
    .orderBy(desc(reports.version))
    .limit(1)
    .get();
}

/**
 * A published report, the latest version or `version`, with the month's current share
 * token: a rotated token applies to every version of the month.
 */
export async function publishedReport(db: D1Database, workspaceId: string, month: string, version?: number): Promise<Report | null> {
  const row = await drizzle(db)
    .select({ document: reports.document, shareToken: reports.shareToken })
    .from(reports)
    .where(versionsOf(workspaceId, month, version))
    .orderBy(desc(reports.version))
    .limit(1)
    .get();
  return row ? { ...(row.document as Report), share_token: row.shareToken } : null;
}

export type ReportSummary = Pick<ReportRow, "month" | "version" | "publishedAt" | "dataAsOf" | "shareToken">;

/** A page of the latest version of each month, newest month first, before `beforeMonth`. */
export function listLatestReports(db: D1Database, workspaceId: string, beforeMonth: string | number | null, limit: number): Promise<ReportSummary[]> {
  return drizzle(db)
    .select({
      month: reports.month,
      version: reports.version,
      publishedAt: reports.publishedAt,
      dataAsOf: reports.dataAsOf,
      shareToken: reports.shareToken,
    })
    .from(reports)
    .where(and(eq(reports.workspaceId, workspaceId), isLatestVersion, beforeMonth === null ? undefined : sql`${reports.month} < ${beforeMonth}`))
    .orderBy(desc(reports.month))
    .limit(limit)
    .all();
}

/** Whether any version of the month was published. */
export async function isPublished(db: D1Database, workspaceId: string, month: string): Promise<boolean> {
  const row = await drizzle(db).select({ month: reports.month }).from(reports).where(versionsOf(workspaceId, month)).limit(1).get();
  return row !== undefined;
}

/** Stores a new version: the report's numbers, its link token and what they hash to. */
export async function storeVersion(
  db: D1Database,
  workspaceId: string,
  report: Report,
  contentHash: string,
  now: number,
): Promise<void> {
  await drizzle(db)
    .insert(reports)
    .values({
      workspaceId,
      month: report.month,
      version: report.version,
      publishedAt: now,
      dataAsOf: report.freshness.data_as_of ? Date.parse(report.freshness.data_as_of) : null,
      shareToken: report.share_token,
      contentHash,
      checkedAt: now,
      document: report,
    });
}

/** The latest version was compared with freshly computed KPIs at `now` and still stands. */
export async function markChecked(db: D1Database, workspaceId: string, month: string, version: number, now: number): Promise<void> {
  await drizzle(db).update(reports).set({ checkedAt: now }).where(versionsOf(workspaceId, month, version));
}

/** Months whose KPIs were computed again after their latest version was last checked. */
export async function monthsComputedSinceChecked(db: D1Database, workspaceId: string): Promise<string[]> {
  const rows = await drizzle(db)
    .select({ month: reports.month })
    .from(reports)
    .where(
      and(
        eq(reports.workspaceId, workspaceId),
        isLatestVersion,
        sql`(SELECT MAX(${kpiValues.computedAt}) FROM ${kpiValues}
             WHERE ${kpiValues.workspaceId} = ${reports.workspaceId} AND ${kpiValues.month} = ${reports.month}) > ${reports.checkedAt}`,
      ),
    )
    .all();
  return rows.map((row) => row.month);
}

/** Gives every version of the month a new share token; null when the month has none. */
export async function rotateShareToken(db: D1Database, workspaceId: string, month: string): Promise<string | null> {
  const token = newShareToken();
  const rotated = await drizzle(db)
    .update(reports)
    .set({ shareToken: token })
    .where(versionsOf(workspaceId, month))
    .returning({ version: reports.version })
    .all();
  return rotated.length > 0 ? token : null;
}

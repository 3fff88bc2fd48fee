// Publishing one month's report: recompute the month, assemble the report and store it
// as the month's next version, unless its numbers equal the latest version's. Versions
// are immutable snapshots and share the month's link token (db/reports.ts).
import type { D1Database } from "@cloudflare/workers-types";
import type { Report } from "../../shared/report";
import { latestVersion, markChecked, newShareToken, storeVersion } from "../db/reports";
import { workspaceById } from "../db/workspaces";
import { computeMonth } from "../kpi/engine";
import { sha256Hex } from "../lib/crypto";
import { assembleReport } from "./assemble";
import { drilldownsFor } from "./drilldowns";
import { AT_RISK_BELOW, atRiskAccountsFor, documentsFor, forecastFor, movementFor, namesFor, slippedDealsFor } from "./inputs";

/**
 * What a revision compares: the numbers, not when they were published or computed, nor the
 * members behind them (read only when a version is stored: a late event that changes no
 * number costs no members statement).
 */
async function contentHash(report: Report): Promise<string> {
  const { version: _v, published_at: _p, share_token: _s, freshness: _f, drilldowns: _d, ...content } = report;
  return sha256Hex(JSON.stringify(content));
}

export interface Publication {
  published: boolean;
  version: number;
  share_token: string;
}

/**
 * Recomputes `month`, assembles its report and stores it as the next version. Unless
 * `always`, nothing is stored when the numbers equal the latest version's.
 */
export async function publishMonth(
  db: D1Database,
  workspaceId: string,
  month: string,
  now: number,
  options: { always?: boolean; recompute?: boolean } = {},
): Promise<Publication> {
  const workspace = await workspaceById(db, workspaceId);
  if (options.recompute !== false) await computeMonth(db, workspace, month, { now });
  const latest = await latestVersion(db, workspaceId, month);
  const shareToken = latest?.shareToken ?? newShareToken();
  const { names, teams } = await namesFor(db, workspaceId);
  const report = assembleReport({
    workspace: { slug: workspace.slug, name: workspace.name, timezone: workspace.timezone, currency: workspace.currency },
    month,
    documents: await documentsFor(db, workspace, month),
    names,
    teams,
    publication: { version: (latest?.version ?? 0) + 1, published_at: new Date(now).toISOString(), share_token: shareToken },
    atRisk: { below: AT_RISK_BELOW, accounts: await atRiskAccountsFor(db, workspace, month) },
    movement: await movementFor(db, workspace, month),
    slipped: await slippedDealsFor(db, workspace, month),
    forecast: await forecastFor(db, workspace, month, now),
  });
  const hash = await contentHash(report);
  if (latest && latest.contentHash === hash && !options.always) {
    await markChecked(db, workspaceId, month, latest.version, now);
    return { published: false, version: latest.version, share_token: latest.shareToken };
  }
  report.drilldowns = await drilldownsFor(db, workspace, report, names);
  await storeVersion(db, workspaceId, report, hash, now);
  return { published: true, version: report.version, share_token: shareToken };
}

// Publishing monthly reports: immutable snapshots with a version and a share token, the
// monthly publication once a month has ended, revisions after late events, deploy hooks.
import type { D1Database } from "@cloudflare/workers-types";
import { addMonths, localMidnight, monthOf, monthRange } from "../../shared/months";
import type { Report } from "../../shared/report";
import { HOUR_MS, SECOND_MS } from "../../shared/units";
import { backoffDelayMs } from "../lib/backoff";
import { bytesToHex, randomBytes, sha256Hex } from "../lib/crypto";
import { computeMonth } from "../kpi/engine";
import { monthDocument, type MonthDocument } from "../kpi/month-document";
import { loadSettings } from "../kpi/recompute";
import { assembleReport } from "./assemble";

type WorkspaceRow = { id: string; slug: string; name: string; timezone: string; currency: string; deploy_hook_url: string | null };

async function workspaceRow(db: D1Database, workspaceId: string): Promise<WorkspaceRow> {
  const row = await db
    .prepare("SELECT id, slug, name, timezone, currency, deploy_hook_url FROM workspaces WHERE id = ?1")
    .bind(workspaceId)
    .first<WorkspaceRow>();
  if (!row) throw new Error(`no workspace ${workspaceId}`);
  return row;
}

/** The month documents a report of `month` reads: M and the 23 months before it. */
async function documentsFor(db: D1Database, workspace: WorkspaceRow, month: string) {
  const documents = new Map<string, MonthDocument>();
  for (const m of monthRange(addMonths(month, -23), month)) {
    const document = await monthDocument(db, workspace, m);
    if (document) documents.set(m, document);
  }
  return documents;
}

async function namesFor(db: D1Database, workspaceId: string) {
  const [reps, products] = await db.batch([
    db.prepare("SELECT rep_id, name, team FROM reps WHERE workspace_id = ?1").bind(workspaceId),
    db.prepare("SELECT product_id, MAX(name) AS name FROM deal_products WHERE workspace_id = ?1 AND name IS NOT NULL GROUP BY product_id").bind(workspaceId),
  ]);
  const repRows = reps!.results as { rep_id: string; name: string | null; team: string | null }[];
  return {
    names: {
      rep: Object.fromEntries(repRows.filter((r) => r.name).map((r) => [r.rep_id, r.name!])),
      product: Object.fromEntries((products!.results as { product_id: string; name: string }[]).map((p) => [p.product_id, p.name])),
    },
    teams: Object.fromEntries(repRows.map((r) => [r.rep_id, r.team])),
  };
}

/** What a revision compares: the numbers, not when they were published or computed. */
async function contentHash(report: Report): Promise<string> {
  const { version: _v, published_at: _p, share_token: _s, freshness: _f, ...content } = report;
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
  if (options.recompute !== false) await computeMonth(db, (await loadSettings(db, workspaceId))!, month, { now });
  const workspace = await workspaceRow(db, workspaceId);
  const latest = await db
    .prepare("SELECT version, share_token, content_hash FROM reports WHERE workspace_id = ?1 AND month = ?2 ORDER BY version DESC LIMIT 1")
    .bind(workspaceId, month)
    .first<{ version: number; share_token: string; content_hash: string }>();
  const shareToken = latest?.share_token ?? bytesToHex(randomBytes(16));
  const { names, teams } = await namesFor(db, workspaceId);
  const report = assembleReport({
    workspace: { slug: workspace.slug, name: workspace.name, timezone: workspace.timezone, currency: workspace.currency },
    month,
    documents: await documentsFor(db, workspace, month),
    names,
    teams,
    publication: { version: (latest?.version ?? 0) + 1, published_at: new Date(now).toISOString(), share_token: shareToken },
  });
  const hash = await contentHash(report);
  if (latest && latest.content_hash === hash && !options.always) {
    await db
      .prepare("UPDATE reports SET checked_at = ?4 WHERE workspace_id = ?1 AND month = ?2 AND version = ?3")
      .bind(workspaceId, month, latest.version, now)
      .run();
    return { published: false, version: latest.version, share_token: latest.share_token };
  }
  const dataAsOf = report.freshness.data_as_of ? Date.parse(report.freshness.data_as_of) : null;
  await db
    .prepare(
      `INSERT INTO reports (workspace_id, month, version, published_at, data_as_of, share_token, content_hash, checked_at, document)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?4, ?8)`,
    )
    .bind(workspaceId, month, report.version, now, dataAsOf, shareToken, hash, JSON.stringify(report))
    .run();
  return { published: true, version: report.version, share_token: shareToken };
}

/** Publication starts at 06:00 local time on the 1st: the month has ended and settled. */
export const PUBLISH_HOUR = 6;

/**
 * The cron's publication pass for one workspace: last month once its local month has
 * ended (from 06:00 on the 1st), and a revised version of any published month whose
 * numbers changed since. Returns the months published.
 */
export async function publishDue(db: D1Database, workspaceId: string, timezone: string, now: number): Promise<string[]> {
  const published: string[] = [];
  const current = monthOf(now, timezone);
  const [year, monthNumber] = current.split("-").map(Number) as [number, number];
  const due = localMidnight(year, monthNumber, 1, timezone) + PUBLISH_HOUR * HOUR_MS;
  const lastMonth = addMonths(current, -1);
  const existing = await db
    .prepare("SELECT 1 FROM reports WHERE workspace_id = ?1 AND month = ?2 LIMIT 1")
    .bind(workspaceId, lastMonth)
    .first();
  if (!existing && now >= due) {
    if ((await publishMonth(db, workspaceId, lastMonth, now)).published) published.push(lastMonth);
  }
  // Months recomputed after their latest publication may have changed: publish a revision if so.
  const { results } = await db
    .prepare(
      `SELECT r.month FROM reports r
       WHERE r.workspace_id = ?1 AND r.version = (SELECT MAX(version) FROM reports x WHERE x.workspace_id = r.workspace_id AND x.month = r.month)
         AND (SELECT MAX(computed_at) FROM kpi_values k WHERE k.workspace_id = r.workspace_id AND k.month = r.month) > r.checked_at`,
    )
    .bind(workspaceId)
    .all<{ month: string }>();
  for (const { month } of results) {
    // The recompute queue has just computed these months: compare, don't compute again.
    if (published.includes(month)) continue;
    if ((await publishMonth(db, workspaceId, month, now, { recompute: false })).published) published.push(month);
  }
  return published;
}

export interface HookOptions {
  attempts?: number;
  /** Milliseconds before the first retry; doubles each time. */
  backoffMs?: number;
  /** Milliseconds an attempt may take: a hook that never answers is abandoned. */
  timeoutMs?: number;
}

/**
 * POSTs the deploy hook (retries with backoff) and records the outcome. Never throws: a
 * failing hook must not fail the cron that published.
 */
export async function callDeployHook(
  db: D1Database,
  workspaceId: string,
  url: string,
  now: number,
  { attempts = 3, backoffMs = 2 * SECOND_MS, timeoutMs = 10 * SECOND_MS }: HookOptions = {},
): Promise<boolean> {
  let status: number | null = null;
  let error: string | null = null;
  let attempt = 0;
  while (attempt < attempts) {
    attempt++;
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "user-agent": "Quotient deploy hook" },
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.status;
      await response.body?.cancel();
      if (response.ok) {
        error = null;
        break;
      }
      error = `HTTP ${response.status}`;
    } catch (cause) {
      status = null;
      error = String(cause).slice(0, 500);
    }
    if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, backoffDelayMs(attempt, { firstMs: backoffMs })));
  }
  const ok = error === null;
  await db
    .prepare("INSERT INTO deploy_hook_calls (workspace_id, called_at, attempts, status, ok, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
    .bind(workspaceId, now, attempt, status, ok ? 1 : 0, error)
    .run()
    .catch((cause) => console.error("deploy hook: could not record the call", cause));
  if (!ok) console.error(`deploy hook of ${workspaceId} failed after ${attempt} attempts: ${error}`);
  return ok;
}

/** The cron's pass over every workspace with data; deploy hooks run after, in the background. */
export async function publishAll(
  db: D1Database,
  now: number,
  background: (work: Promise<unknown>) => void,
  hookOptions?: HookOptions,
): Promise<number> {
  const { results } = await db
    .prepare(
      `SELECT id, timezone, deploy_hook_url FROM workspaces w
       WHERE EXISTS (SELECT 1 FROM kpi_values k WHERE k.workspace_id = w.id)`,
    )
    .all<{ id: string; timezone: string; deploy_hook_url: string | null }>();
  let count = 0;
  for (const workspace of results) {
    try {
      const published = await publishDue(db, workspace.id, workspace.timezone, now);
      count += published.length;
      if (published.length > 0 && workspace.deploy_hook_url) {
        background(callDeployHook(db, workspace.id, workspace.deploy_hook_url, now, hookOptions));
      }
    } catch (error) {
      // One workspace's failure must not stop the others' publication.
      console.error(`publish: workspace ${workspace.id} failed`, error);
    }
  }
  return count;
}

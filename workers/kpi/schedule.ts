// Which months to recompute. A change at instant t can move every KPI from month(t) on:
// growth against M−1, year over year, year to date, and the state KPIs (open pipeline,
// leads by stage, MRR) of every later month. Cohort months before month(t) (a deal's
// created month, a lead's first-reached month) are marked dirty themselves at ingest. So a
// dirty month M means: recompute M through the workspace's latest month, never earlier.
import type { D1Database, Queue } from "@cloudflare/workers-types";
import { addMonths, monthOf, monthRange } from "../../shared/months";
import type { RecomputeMessage } from "../env";
import { dataAsOf } from "./engine";
import { sendAll } from "../lib/queue";

/**
 * The workspace's latest month: the later of its last event's month and the current
 * month, but never after the current month plus one (expected close dates and
 * pre-dated events may lie ahead; nothing is computed further out).
 */
export async function latestMonth(db: D1Database, workspaceId: string, timezone: string, now: number): Promise<string> {
  const latest = await dataAsOf(db, workspaceId);
  const current = monthOf(now, timezone);
  const limit = addMonths(current, 1);
  const lastEvent = latest === null ? current : monthOf(latest, timezone);
  return lastEvent <= current ? current : lastEvent < limit ? lastEvent : limit;
}

/** The months from a workspace's first event to its last (docs/kpis.md, rule 12). */
export async function dataMonths(db: D1Database, workspaceId: string, timezone: string): Promise<string[]> {
  const row = await db
    .prepare("SELECT MIN(occurred_at) AS first, MAX(occurred_at) AS last FROM canonical_events WHERE workspace_id = ?1")
    .bind(workspaceId)
    .first<{ first: number | null; last: number | null }>();
  if (row?.first == null || row.last == null) return [];
  return monthRange(monthOf(row.first, timezone), monthOf(row.last, timezone));
}

type Workspace = { id: string; timezone: string };

/**
 * Enqueues a recompute job for every month from each workspace's earliest dirty month to
 * its latest month, then clears the dirty marks it covered (marks made meanwhile stay).
 * One workspace database at a time (the cron runs each on its own); `paused` workspaces
 * (a move copies them) keep their marks for a later run.
 */
export async function fanOutDirtyMonths(
  db: D1Database,
  queue: Queue<RecomputeMessage>,
  now: number,
  paused: ReadonlySet<string> = new Set(),
): Promise<number> {
  const { results } = await db
    .prepare(
      `SELECT w.id, w.timezone, MIN(d.month) AS earliest FROM dirty_months d JOIN workspaces w ON w.id = d.workspace_id
       WHERE d.marked_at <= ?1 GROUP BY w.id, w.timezone`,
    )
    .bind(now)
    .all<Workspace & { earliest: string }>();
  let sent = 0;
  for (const workspace of results.filter((w) => !paused.has(w.id))) {
    // One workspace's failure is logged and its marks stay for the next run; the others go on.
    try {
      const latest = await latestMonth(db, workspace.id, workspace.timezone, now);
      // Marks never reach before the instants events may carry (events.ts) nor past the latest month.
      const earliest = workspace.earliest < "2000-01" ? "2000-01" : workspace.earliest;
      const from = earliest < latest ? earliest : latest;
      const jobs = monthRange(from, latest).map((month) => ({ workspaceId: workspace.id, month }));
      await sendAll(queue, jobs);
      await db.prepare("DELETE FROM dirty_months WHERE workspace_id = ?1 AND marked_at <= ?2").bind(workspace.id, now).run();
      sent += jobs.length;
    } catch (error) {
      console.error(`cron: dirty months of workspace ${workspace.id} failed, left for the next run`, error);
    }
  }
  return sent;
}

/**
 * Enqueues the trailing three months (the current one and the two before) of every
 * workspace with data, never before its first event's month (docs/kpis.md, rule 12).
 */
export async function fanOutTrailingMonths(
  db: D1Database,
  queue: Queue<RecomputeMessage>,
  now: number,
  paused: ReadonlySet<string> = new Set(),
): Promise<number> {
  const { results } = await db
    .prepare(
      `SELECT w.id, w.timezone, (SELECT MIN(e.occurred_at) FROM canonical_events e WHERE e.workspace_id = w.id) AS first_event
       FROM workspaces w WHERE EXISTS (SELECT 1 FROM canonical_events e WHERE e.workspace_id = w.id)`,
    )
    .all<Workspace & { first_event: number }>();
  let sent = 0;
  for (const workspace of results.filter((w) => !paused.has(w.id))) {
    try {
      const current = monthOf(now, workspace.timezone);
      const firstMonth = monthOf(workspace.first_event, workspace.timezone);
      const from = addMonths(current, -2) > firstMonth ? addMonths(current, -2) : firstMonth;
      const jobs = from > current ? [] : monthRange(from, current).map((month) => ({ workspaceId: workspace.id, month }));
      await sendAll(queue, jobs);
      sent += jobs.length;
    } catch (error) {
      console.error(`cron: trailing months of workspace ${workspace.id} failed`, error);
    }
  }
  return sent;
}

// What a report of month M reads besides the workspace: the month documents of M and the
// 23 months before it, the display names of reps and products, the at-risk accounts of M,
// its pipeline movement, its largest slipped deals and the forecast made at start(M+1). Set-based reads of the KPI tables and projections, in raw D1 like the engine that
// writes them (db/README.md).
import type { D1Database } from "@cloudflare/workers-types";
import { addMonths, monthRange } from "../../shared/months";
import { monthDocument, type MonthDocument } from "../kpi/month-document";
import type { WorkspaceRow } from "../db/workspaces";
import { engineParams, monthParams } from "../kpi/engine";
import { DEAL_PLANS } from "../kpi/facts";
import { STORE_FORECAST } from "../kpi/forecast";
import { pipelineMovement, type PipelineMovement } from "../kpi/movement-document";
import { ACCOUNT_HEALTH, AT_RISK_BELOW } from "../kpi/health";
import { P, parameterCount } from "../kpi/sql";

/** Months a report looks back over, M included: two years, for M−12 and its year to date. */
export const REPORT_MONTHS = 24;

/** The month documents a report of `month` reads, by month (months never computed left out). */
export async function documentsFor(db: D1Database, workspace: WorkspaceRow, month: string): Promise<Map<string, MonthDocument>> {
  const documents = new Map<string, MonthDocument>();
  for (const m of monthRange(addMonths(month, -(REPORT_MONTHS - 1)), month)) {
    const document = await monthDocument(db, workspace, m);
    if (document) documents.set(m, document);
  }
  return documents;
}

/** Rep and product names for the report's rows, and each rep's team. */
export async function namesFor(db: D1Database, workspaceId: string) {
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

/**
 * The report lists at most this many at-risk accounts, the lowest scores first: the ones
 * to call this week, within the page's weight (the count of all of them is a KPI).
 */
export const AT_RISK_LIST_LIMIT = 10;

/** One at-risk customer account at start(M+1), as the engine's health fact computes it. */
export interface AccountHealthRow {
  account_id: string;
  name: string;
  /** The account's owner rep at start(M+1), null without one. */
  owner_rep_id: string | null;
  segment: string;
  region: string;
  mrr: number;
  revenue: number;
  loyalty: number;
  engagement: number;
  score: number;
}

/**
 * The at-risk accounts of M: one statement over the engine's ACCOUNT_HEALTH fact
 * (workers/kpi/health.ts, the rows customer_health and accounts_at_risk aggregate; docs/kpis.md,
 * rules 32–34), cut to the lowest scores — then the largest MRR, which has the most to lose.
 * Accounts whose MRR has ended (revenue part 0: they paid and pay nothing now) stay
 * customers by rule 24 and at risk, but come last: the list is the accounts still to save.
 * Its cost is the fact's, bounded by the customer accounts at start(M+1) and the score's
 * windows, not by the history; the names are one primary-key lookup per listed account.
 */
export const AT_RISK_ACCOUNTS = `WITH at_risk AS (
  SELECT * FROM (${ACCOUNT_HEALTH}) WHERE health < ${AT_RISK_BELOW}
  ORDER BY (mrr = 0 AND revenue = 0), health, mrr DESC, account_id LIMIT ${AT_RISK_LIST_LIMIT})
SELECT r.account_id, COALESCE(x.name, r.account_id) AS name, NULLIF(r.rep, 'unknown') AS owner_rep_id, r.segment, r.region,
  r.mrr, r.revenue, r.loyalty, r.engagement, r.health AS score
FROM at_risk r LEFT JOIN accounts x ON x.workspace_id = ${P.workspace} AND x.account_id = r.account_id
ORDER BY (r.mrr = 0 AND r.revenue = 0), r.health, r.mrr DESC, r.account_id`;

export async function atRiskAccountsFor(db: D1Database, workspace: WorkspaceRow, month: string): Promise<AccountHealthRow[]> {
  const params = monthParams(workspace, month, null, 0, "report");
  const { results } = await db.prepare(AT_RISK_ACCOUNTS).bind(...params.slice(0, parameterCount(AT_RISK_ACCOUNTS))).all<AccountHealthRow>();
  return results;
}

export { AT_RISK_BELOW };

/** The report lists at most this many slipped deals, the largest first (the count of all is a KPI). */
export const SLIPPED_LIST_LIMIT = 10;

/** One slipped deal of M, as the engine's plan fact computes it (instants in ms). */
export interface SlippedDealRow {
  deal_id: string;
  name: string;
  /** The owner rep at start(M+1), null without one. */
  owner_rep_id: string | null;
  /** Converted to the workspace currency; null without an amount or a rate. */
  converted: number | null;
  planned: number;
  expected: number | null;
  pushed: number;
}

/**
 * The largest slipped deals of M: one statement over the engine's DEAL_PLANS fact
 * (workers/kpi/facts.ts, the rows slipped_deals and slipped_value aggregate; docs/kpis.md,
 * rule 38), cut to the largest converted values. Its cost is the fact's, bounded by the
 * deals open at an edge of M, not by the history; owner names come from namesFor.
 */
export const SLIPPED_DEALS = `SELECT p.deal_id, COALESCE(p.name, p.deal_id) AS name, NULLIF(p.rep, 'unknown') AS owner_rep_id,
  p.converted, p.planned, p.expected, p.pushed
FROM (${DEAL_PLANS}) p WHERE p.slipped
ORDER BY p.converted IS NULL, p.converted DESC, p.deal_id LIMIT ${SLIPPED_LIST_LIMIT}`;

export async function slippedDealsFor(db: D1Database, workspace: WorkspaceRow, month: string): Promise<SlippedDealRow[]> {
  const params = monthParams(workspace, month, null, 0, "report");
  const { results } = await db.prepare(SLIPPED_DEALS).bind(...params.slice(0, parameterCount(SLIPPED_DEALS))).all<SlippedDealRow>();
  return results;
}

/** The waterfall of M overall and by team (stored with the month's KPIs); null if never computed. */
export async function movementFor(db: D1Database, workspace: WorkspaceRow, month: string): Promise<{ all: PipelineMovement; team: PipelineMovement } | null> {
  const [all, team] = [await pipelineMovement(db, workspace, month, "all"), await pipelineMovement(db, workspace, month, "team")];
  return all && team ? { all, team } : null;
}

/** One target month of a stored forecast, overall (workers/kpi/forecast.ts, docs/kpis.md rule 39). */
export interface ForecastRow {
  target_month: string;
  deals: number;
  pipeline: number;
  weighted: number;
  trailing_revenue: number;
  quota: number | null;
  made_at: number;
}

/**
 * The forecast the report of M looks ahead with: the one made at start(M+1) for M+1 … M+3,
 * overall. If M+1 has not been computed yet it is made now, by the engine's own statement
 * (STORE_FORECAST: from the state at start(M+1), stored once, never rewritten), so the
 * report and the later months show the same forecast; before start(M+1) (`now`) nothing
 * can be made and the rows are empty: the report says "not yet made".
 */
export async function forecastFor(db: D1Database, workspace: WorkspaceRow, month: string, now: number): Promise<{ madeAtStartOf: string; rows: ForecastRow[] }> {
  const madeAtStartOf = addMonths(month, 1);
  const params = engineParams(workspace, madeAtStartOf, null, now, "report");
  await db.prepare(STORE_FORECAST).bind(...params.slice(0, parameterCount(STORE_FORECAST))).run();
  const { results } = await db
    .prepare(`SELECT target_month, deals, pipeline, weighted, trailing_revenue, quota, made_at FROM forecasts
      WHERE workspace_id = ?1 AND month = ?2 AND dimension = 'all' AND key = 'all' ORDER BY target_month`)
    .bind(workspace.id, madeAtStartOf)
    .all<ForecastRow>();
  return { madeAtStartOf, rows: results };
}

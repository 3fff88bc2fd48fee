// The KPI engine: computes every catalog KPI of one (workspace, month) with set-based SQL
// in D1. Each family's statement runs on its own into a staging run (so no single call
// holds the database for long and webhooks are served between them); one small atomic
// batch then replaces the month's kpi_values, warnings and pipeline movement with the finished run. A run
// holding a KPI id the catalog lacks is refused: nothing of it is swapped in.
import type { D1Database } from "@cloudflare/workers-types";
import { CATALOG_VERSION, KPIS } from "../../shared/catalog";
import { addMonths, monthRange, startOfMonth } from "../../shared/months";
import { HOUR_MS } from "../../shared/units";
import { ACTIVITY_QUERIES } from "./activity";
import { CUSTOMER_QUERIES, LTV_TO_CAC } from "./customers";
import { FORECAST_ACCURACY, FORECAST_VALUES, forecastMonths, STORE_FORECAST } from "./forecast";
import { FUNNEL_QUERIES } from "./funnel";
import { HEALTH_QUERIES } from "./health";
import { LEAD_QUERIES } from "./leads";
import { PIPELINE_MOVEMENT } from "./movement";
import { PIPELINE_VELOCITY, REVENUE_QUERIES } from "./revenue";
import { P, parameterCount } from "./sql";
import { WARNING_QUERIES } from "./warnings";

export interface WorkspaceSettings {
  id: string;
  timezone: string;
  currency: string;
  pipelineStages: string[];
}

/** Values for the numbered parameters of sql.ts, in order. */
export function monthParams(
  workspace: WorkspaceSettings,
  month: string,
  dataAsOf: number | null,
  computedAt: number,
  run: string = crypto.randomUUID(),
) {
  const start = (m: string) => startOfMonth(m, workspace.timezone);
  const yearMonths = monthRange(`${month.slice(0, 4)}-01`, month).map((m) => ({
    month: m,
    start: start(m),
    end: start(addMonths(m, 1)),
  }));
  return [
    workspace.id,
    month,
    start(month),
    start(addMonths(month, 1)),
    workspace.currency,
    start(addMonths(month, -1)),
    addMonths(month, -1),
    start(addMonths(month, -12)),
    start(addMonths(month, -11)),
    addMonths(month, -12),
    JSON.stringify(yearMonths),
    JSON.stringify(workspace.pipelineStages),
    dataAsOf,
    computedAt,
    CATALOG_VERSION,
    run,
    start(addMonths(month, -2)),
  ];
}

/**
 * The parameters a month's run binds: monthParams, the members' ?18 and ?19 unused (null),
 * and ?20 the months the forecast reads (forecast.ts FORECAST_MONTHS).
 */
export function engineParams(
  workspace: WorkspaceSettings,
  month: string,
  dataAsOf: number | null,
  computedAt: number,
  run: string = crypto.randomUUID(),
) {
  return [...monthParams(workspace, month, dataAsOf, computedAt, run), null, null, forecastMonths(month, workspace.timezone)];
}

/**
 * Of a catalog KPI only the dimensions the catalog lists are stored (the families compute
 * their breakdowns together); a row of any other id is kept, for the check before the
 * swap to refuse the run.
 */
const CATALOG_PAIRS = KPIS.flatMap((kpi) => kpi.dimensions.map((d) => `'${kpi.id}/${d}'`)).join(", ");
const CATALOG_IDS = KPIS.map((kpi) => `'${kpi.id}'`).join(", ");

/** A family query's rows into the run (exported for the test of the refusal). */
export const insertValues = (query: string) => `INSERT INTO kpi_values_staging
  (run, workspace_id, month, kpi, dimension, key, value, numerator, denominator, computed_at, data_as_of, catalog_version)
SELECT ${P.run}, ${P.workspace}, ${P.month}, kpi, dimension, key, value, numerator, denominator, ${P.computedAt}, ${P.dataAsOf}, ${P.catalogVersion}
FROM (${query}) WHERE kpi || '/' || dimension IN (${CATALOG_PAIRS}) OR kpi NOT IN (${CATALOG_IDS})`;

/** The overall record is always present: 0 for totals, null for everything else. */
const OVERALL_DEFAULTS = JSON.stringify(
  KPIS.filter((kpi) => kpi.dimensions.includes("all")).map((kpi) => ({
    id: kpi.id,
    empty: kpi.aggregation === "total" ? 0 : null,
  })),
);

const INSERT_OVERALL_DEFAULTS = `INSERT INTO kpi_values_staging
  (run, workspace_id, month, kpi, dimension, key, value, numerator, denominator, computed_at, data_as_of, catalog_version)
SELECT ${P.run}, ${P.workspace}, ${P.month}, c.value ->> '$.id', 'all', 'all', c.value ->> '$.empty', NULL, NULL,
  ${P.computedAt}, ${P.dataAsOf}, ${P.catalogVersion}
FROM json_each('${OVERALL_DEFAULTS}') c
WHERE NOT EXISTS (SELECT 1 FROM kpi_values_staging v WHERE v.run = ${P.run}
  AND v.kpi = c.value ->> '$.id' AND v.dimension = 'all')`;

const insertWarnings = (query: string) => `INSERT INTO month_warnings_staging (run, workspace_id, month, warning, count, computed_at)
SELECT ${P.run}, ${P.workspace}, ${P.month}, warning, count, ${P.computedAt} FROM (${query})`;

/** The month's pipeline movement rows into the run (movement.ts). */
const insertMovements = (query: string) => `INSERT INTO pipeline_movements_staging
  (run, workspace_id, month, dimension, key, movement, deals, value, computed_at)
SELECT ${P.run}, ${P.workspace}, ${P.month}, dimension, key, movement, deals, value, ${P.computedAt} FROM (${query})`;

/** A statement of a month's computation, named `family.query` (bench and timings report it). */
export interface EngineStatement {
  name: string;
  sql: string;
}

const family = (name: string, queries: Record<string, string>, wrap: (sql: string) => string) =>
  Object.entries(queries).map(([query, sql]) => ({ name: `${name}.${query}`, sql: wrap(sql) }));

export const ENGINE_STATEMENTS: readonly EngineStatement[] = [
  ...family("revenue", REVENUE_QUERIES, insertValues),
  ...family("funnel", FUNNEL_QUERIES, insertValues),
  ...family("leads", LEAD_QUERIES, insertValues),
  ...family("activity", ACTIVITY_QUERIES, insertValues),
  ...family("customers", CUSTOMER_QUERIES, insertValues),
  ...family("customers", HEALTH_QUERIES, insertValues),
  { name: "revenue.pipeline_velocity", sql: insertValues(PIPELINE_VELOCITY) },
  { name: "customers.ltv_to_cac", sql: insertValues(LTV_TO_CAC) },
  // The forecast of M is stored once (not staged: no recompute may replace it), then read.
  { name: "forecast.store", sql: STORE_FORECAST },
  { name: "forecast.values", sql: insertValues(FORECAST_VALUES) },
  { name: "forecast.accuracy", sql: insertValues(FORECAST_ACCURACY) },
  { name: "defaults.overall", sql: INSERT_OVERALL_DEFAULTS },
  ...family("warnings", WARNING_QUERIES, insertWarnings),
  { name: "movement.pipeline", sql: insertMovements(PIPELINE_MOVEMENT) },
];

/** The latest event time the workspace has seen (stamped on every row as data_as_of). */
export async function dataAsOf(db: D1Database, workspaceId: string): Promise<number | null> {
  const row = await db
    .prepare("SELECT MAX(occurred_at) AS latest FROM canonical_events WHERE workspace_id = ?1")
    .bind(workspaceId)
    .first<{ latest: number | null }>();
  return row?.latest ?? null;
}

interface BoundStatement extends EngineStatement {
  count: number;
}

const bound = (statements: readonly EngineStatement[]): BoundStatement[] =>
  statements.map(({ name, sql }) => ({ name, sql, count: parameterCount(sql) }));

const BOUND = bound(ENGINE_STATEMENTS);

/** Runs abandoned mid-way (a Worker stopped) are cleared once they are this old. */
const STALE_RUN_MS = HOUR_MS;

/** ?1 run: the KPI ids of the run that the catalog lacks (the primary key's prefix serves it). */
const UNKNOWN_KPIS = `SELECT DISTINCT kpi FROM kpi_values_staging WHERE run = ?1 AND kpi NOT IN (${CATALOG_IDS})`;

/** ?1 run, ?2 workspace, ?3 month: the finished run becomes the month's values, atomically. */
const SWAP = [
  "DELETE FROM kpi_values WHERE workspace_id = ?2 AND month = ?3",
  `INSERT INTO kpi_values
     (workspace_id, month, kpi, dimension, key, value, numerator, denominator, computed_at, data_as_of, catalog_version)
   SELECT workspace_id, month, kpi, dimension, key, value, numerator, denominator, computed_at, data_as_of, catalog_version
   FROM kpi_values_staging WHERE run = ?1`,
  "DELETE FROM month_warnings WHERE workspace_id = ?2 AND month = ?3",
  `INSERT INTO month_warnings (workspace_id, month, warning, count, computed_at)
   SELECT workspace_id, month, warning, count, computed_at FROM month_warnings_staging WHERE run = ?1`,
  "DELETE FROM pipeline_movements WHERE workspace_id = ?2 AND month = ?3",
  `INSERT INTO pipeline_movements (workspace_id, month, dimension, key, movement, deals, value, computed_at)
   SELECT workspace_id, month, dimension, key, movement, deals, value, computed_at FROM pipeline_movements_staging WHERE run = ?1`,
];

const DISCARD = [
  "DELETE FROM kpi_values_staging WHERE run = ?1",
  "DELETE FROM month_warnings_staging WHERE run = ?1",
  "DELETE FROM pipeline_movements_staging WHERE run = ?1",
];

/** ?1 workspace, ?2 month, ?3 cutoff. */
const DISCARD_STALE = [
  "DELETE FROM kpi_values_staging WHERE workspace_id = ?1 AND month = ?2 AND computed_at < ?3",
  "DELETE FROM month_warnings_staging WHERE workspace_id = ?1 AND month = ?2 AND computed_at < ?3",
  "DELETE FROM pipeline_movements_staging WHERE workspace_id = ?1 AND month = ?2 AND computed_at < ?3",
];

/** How long each statement of a month's computation ran inside D1 (its own `meta.duration`). */
export interface MonthTimings {
  statements: { name: string; ms: number }[];
}

export interface ComputeOptions {
  dataAsOf?: number | null;
  now?: number;
}

/**
 * Recomputes one month: every statement binds the same parameters and runs alone into a
 * fresh staging run; the swap is one atomic batch, after a check that the run holds only
 * catalog KPIs (timed as part of "swap"). Readers see the previous values until then, and
 * a failure — a statement's, or a KPI id the catalog lacks — leaves them in place.
 */
export function computeMonth(
  db: D1Database,
  workspace: WorkspaceSettings,
  month: string,
  options: ComputeOptions = {},
): Promise<MonthTimings> {
  return runMonth(db, workspace, month, BOUND, options);
}

/** computeMonth with other statements than the engine's: for tests of the run itself. */
export function computeMonthWith(
  db: D1Database,
  workspace: WorkspaceSettings,
  month: string,
  statements: readonly EngineStatement[],
  options: ComputeOptions = {},
): Promise<MonthTimings> {
  return runMonth(db, workspace, month, bound(statements), options);
}

async function runMonth(
  db: D1Database,
  workspace: WorkspaceSettings,
  month: string,
  statementsToRun: readonly BoundStatement[],
  options: ComputeOptions,
): Promise<MonthTimings> {
  const asOf = options.dataAsOf !== undefined ? options.dataAsOf : await dataAsOf(db, workspace.id);
  const computedAt = options.now ?? Date.now();
  const run = crypto.randomUUID();
  const params = engineParams(workspace, month, asOf, computedAt, run);
  await db.batch(DISCARD_STALE.map((sql) => db.prepare(sql).bind(workspace.id, month, computedAt - STALE_RUN_MS)));
  const statements: MonthTimings["statements"] = [];
  try {
    for (const { name, sql, count } of statementsToRun) {
      const result = await db
        .prepare(sql)
        .bind(...params.slice(0, count))
        .run()
        .catch((error: unknown) => {
          throw new Error(`KPI statement ${name} failed for ${workspace.id} ${month}`, { cause: error });
        });
      statements.push({ name, ms: result.meta.duration });
    }
    const unknown = await db.prepare(UNKNOWN_KPIS).bind(run).all<{ kpi: string }>();
    if (unknown.results.length > 0) {
      const ids = unknown.results.map((r) => r.kpi).join(", ");
      throw new Error(`KPI ids the catalog lacks in the run of ${workspace.id} ${month}: ${ids}`);
    }
    const swapParams = [run, workspace.id, month];
    const swapped = await db.batch(
      [...SWAP, ...DISCARD].map((sql) => db.prepare(sql).bind(...swapParams.slice(0, parameterCount(sql)))),
    );
    const swapMs = swapped.reduce((sum, r) => sum + r.meta.duration, unknown.meta.duration);
    statements.push({ name: "swap", ms: swapMs });
  } catch (error) {
    await db.batch(DISCARD.map((sql) => db.prepare(sql).bind(run))).catch(() => undefined);
    throw error;
  }
  return { statements };
}

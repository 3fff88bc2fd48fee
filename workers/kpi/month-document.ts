// The read side of the engine: a month's KPI values and warnings as the month document
// of design.md, and a KPI's series over months. The engine stores only catalog KPIs
// (engine.ts refuses a run with any other id), so the document lists the catalog's.
import type { D1Database } from "@cloudflare/workers-types";
import { aggregationOf, CATALOG_VERSION, type Dimension, type KpiId, kpiDefinition, KPIS } from "../../shared/catalog";

export interface ValueRecord {
  dimension: string;
  key: string;
  value: number | null;
  numerator?: number | null;
  denominator?: number | null;
}

export interface MonthDocument {
  workspace: string;
  month: string;
  timezone: string;
  currency: string;
  catalog_version: string;
  computed_at: string;
  data_as_of: string | null;
  kpis: Record<KpiId, { unit: string; values: ValueRecord[] }>;
  warnings: Record<string, number>;
}

type Row = {
  kpi: string;
  dimension: string;
  key: string;
  value: number | null;
  numerator: number | null;
  denominator: number | null;
  computed_at: number;
  data_as_of: number | null;
  catalog_version: string;
};

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Ratios and means carry their numerator and denominator so clients can re-aggregate. */
export function valueRecord(row: Pick<Row, "kpi" | "dimension" | "key" | "value" | "numerator" | "denominator">): ValueRecord {
  const record: ValueRecord = { dimension: row.dimension, key: row.key, value: row.value };
  const aggregation = aggregationOf(row.kpi);
  if (aggregation === "ratio" || aggregation === "mean") {
    record.numerator = row.numerator;
    record.denominator = row.denominator;
  }
  return record;
}

const WARNINGS = ["missing_fx", "won_without_owner", "won_without_amount", "deals_without_amount", "dead_letters"];

/** The month document, or null when the month has not been computed. */
export async function monthDocument(
  db: D1Database,
  workspace: { id: string; slug: string; timezone: string; currency: string },
  month: string,
): Promise<MonthDocument | null> {
  const [values, warnings] = await db.batch([
    db.prepare("SELECT * FROM kpi_values WHERE workspace_id = ?1 AND month = ?2").bind(workspace.id, month),
    db.prepare("SELECT warning, count FROM month_warnings WHERE workspace_id = ?1 AND month = ?2").bind(workspace.id, month),
  ]);
  const rows = values!.results as Row[];
  if (rows.length === 0) return null;
  const byKpi = new Map<string, Row[]>();
  let computedAt = 0;
  for (const row of rows) {
    // Appended in place: grouping stays linear in the rows (a large workspace has tens of thousands).
    const group = byKpi.get(row.kpi);
    if (group) group.push(row);
    else byKpi.set(row.kpi, [row]);
    if (row.computed_at > computedAt) computedAt = row.computed_at;
  }
  const kpis = Object.fromEntries(
    KPIS.map((kpi) => {
      const order = (d: string) => kpi.dimensions.indexOf(d as Dimension);
      const kpiRows = (byKpi.get(kpi.id) ?? []).sort(
        (a, b) => order(a.dimension) - order(b.dimension) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
      );
      return [kpi.id, { unit: kpi.unit, values: kpiRows.map(valueRecord) }];
    }),
  ) as MonthDocument["kpis"];
  const counts = Object.fromEntries(
    (warnings!.results as { warning: string; count: number }[]).map((w) => [w.warning, w.count]),
  );
  return {
    workspace: workspace.slug,
    month,
    timezone: workspace.timezone,
    currency: workspace.currency,
    catalog_version: rows[0]!.catalog_version ?? CATALOG_VERSION,
    computed_at: iso(computedAt)!,
    data_as_of: iso(rows[0]!.data_as_of),
    kpis,
    warnings: Object.fromEntries(WARNINGS.map((w) => [w, counts[w] ?? 0])),
  };
}

export interface Series {
  kpi: string;
  unit: string;
  dimension: string;
  from: string;
  to: string;
  entries: (ValueRecord & { month: string })[];
  summary: { current: number | null; previous: number | null; change: number | null };
}

/** The latest month with computed values, or null. */
export async function latestComputedMonth(db: D1Database, workspaceId: string): Promise<string | null> {
  const row = await db
    .prepare("SELECT MAX(month) AS month FROM kpi_values WHERE workspace_id = ?1")
    .bind(workspaceId)
    .first<{ month: string | null }>();
  return row?.month ?? null;
}

/**
 * A KPI's values by `dimension` over [from, to]. The summary compares the overall value of
 * `to` with the month before it; change = current − previous, in the KPI's unit.
 */
export async function series(
  db: D1Database,
  workspaceId: string,
  kpiId: string,
  dimension: string,
  from: string,
  to: string,
  previousMonth: string,
): Promise<Series> {
  const kpi = kpiDefinition(kpiId);
  const [entries, overall] = await db.batch([
    db
      .prepare(
        `SELECT month, kpi, dimension, key, value, numerator, denominator FROM kpi_values
         WHERE workspace_id = ?1 AND kpi = ?2 AND dimension = ?3 AND month >= ?4 AND month <= ?5 ORDER BY month, key`,
      )
      .bind(workspaceId, kpiId, dimension, from, to),
    db
      .prepare(
        `SELECT month, value FROM kpi_values WHERE workspace_id = ?1 AND kpi = ?2 AND dimension = 'all'
         AND month IN (?3, ?4)`,
      )
      .bind(workspaceId, kpiId, to, previousMonth),
  ]);
  const overallByMonth = new Map((overall!.results as { month: string; value: number | null }[]).map((r) => [r.month, r.value]));
  const current = overallByMonth.get(to) ?? null;
  const previous = overallByMonth.get(previousMonth) ?? null;
  return {
    kpi: kpiId,
    unit: kpi.unit,
    dimension,
    from,
    to,
    entries: (entries!.results as (Row & { month: string })[]).map((row) => ({ month: row.month, ...valueRecord(row) })),
    summary: { current, previous, change: current === null || previous === null ? null : current - previous },
  };
}

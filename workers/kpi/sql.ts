// SQL building blocks shared by the KPI families. Every family query binds the same
// numbered parameters (MonthParams) and returns rows of
// (kpi, dimension, key, value, numerator, denominator). KPI ids enter SQL only as typed
// catalog ids (kpiLiteral and the row builders below), each checked against the way the
// catalog says its value is built.
import { type Aggregation, type KpiId, kpiDefinition, scaleOf } from "../../shared/catalog";
import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from "../../shared/units";

/** The bound parameters, by number. */
export const P = {
  workspace: "?1",
  month: "?2",
  start: "?3", // start(M)
  end: "?4", // start(M+1)
  base: "?5", // base currency
  prevStart: "?6", // start(M−1)
  prevMonth: "?7", // "YYYY-MM" of M−1
  yoyStart: "?8", // start(M−12)
  yoyEnd: "?9", // start(M−11)
  yoyMonth: "?10", // "YYYY-MM" of M−12
  yearMonths: "?11", // JSON [{month, start, end}] for January … M of M's year
  stages: "?12", // JSON array of the workspace's pipeline stages
  dataAsOf: "?13",
  computedAt: "?14",
  catalogVersion: "?15",
  run: "?16", // the staging run the statements write into (engine.ts)
  twoBackStart: "?17", // start(M−2)
  // The members of values (workers/kpi/members.ts): a JSON array of the dimensions to read
  // and one key; null reads every dimension, every key.
  dimension: "?18",
  key: "?19",
} as const;

/** SQLite counts parameters up to the largest ?N a statement uses; D1 wants exactly that many. */
export const parameterCount = (sql: string) => Math.max(0, ...[...sql.matchAll(/\?(\d+)/g)].map((m) => Number(m[1])));

/** An entity field's value at an instant: the latest history entry at or before it. */
export function valueAt(
  entityType: string,
  entityId: string,
  field: string,
  instant: string,
  column: "value_text" | "value_num" = "value_text",
): string {
  return `(SELECT h.${column} FROM field_history h WHERE h.workspace_id = ${P.workspace} AND h.entity_type = '${entityType}'
    AND h.entity_id = ${entityId} AND h.field = '${field}' AND h.occurred_at <= ${instant}
    ORDER BY h.occurred_at DESC, h.event_id DESC LIMIT 1)`;
}

/**
 * An entity's field value at an instant, read from its projection row `row` (which has
 * the column `field` and `updated_at`, its latest event) when no event came after the
 * instant — then nothing has changed since and the current value is the value then —
 * else from the history. State at the latest month's edge costs no history read.
 */
export function stateAt(
  row: string,
  entityType: string,
  entityId: string,
  field: string,
  instant: string,
  column: "value_text" | "value_num" = "value_text",
): string {
  return `(CASE WHEN ${row}.updated_at <= ${instant} THEN ${row}.${field} ELSE ${valueAt(entityType, entityId, field, instant, column)} END)`;
}

/**
 * A rep's team at an instant, `unknown` when none: the rep row's team when the rep has
 * not changed since (one small-table lookup), else its history.
 */
export function teamAt(repId: string, instant: string): string {
  return `COALESCE((SELECT ${stateAt("team_rep", "rep", "team_rep.rep_id", "team", instant)} FROM reps team_rep
    WHERE team_rep.workspace_id = ${P.workspace} AND team_rep.rep_id = ${repId}), 'unknown')`;
}

/**
 * The FX rate of a currency usable in `month`: the rate registered for that month, else
 * the latest earlier month's; the base currency's rate is 1; null when there is none.
 */
export function rateAt(currency: string, month: string): string {
  return `(CASE WHEN ${currency} = ${P.base} THEN 1.0 ELSE (SELECT r.rate FROM fx_rates r
    WHERE r.workspace_id = ${P.workspace} AND r.currency = ${currency} AND r.month <= ${month}
    ORDER BY r.month DESC LIMIT 1) END)`;
}

/**
 * Explodes fact rows into one row per dimension: `join` adds `dim.dimension`, `key` is the
 * fact's key in that dimension. A JSON list, not a UNION: D1 allows 5 compound terms.
 */
export function dimensionJoin(dimensions: Record<string, string>): { join: string; key: string; names: string[] } {
  const names = Object.keys(dimensions);
  return {
    names,
    join: `CROSS JOIN (SELECT value AS dimension FROM json_each('${JSON.stringify(names)}')) dim`,
    key: `CASE dim.dimension ${names.map((d) => `WHEN '${d}' THEN ${dimensions[d]}`).join(" ")} END`,
  };
}

/** D1 builds SQLite with at most 5 terms per compound SELECT. */
const MAX_COMPOUND_TERMS = 5;

/**
 * UNION ALL of any number of SELECTs within D1's limit: groups of five, each wrapped in a
 * sub-select (which starts its own count).
 */
export function unionAll(...terms: string[]): string {
  if (terms.length <= MAX_COMPOUND_TERMS) return terms.join("\nUNION ALL ");
  const groups: string[] = [];
  for (let i = 0; i < terms.length; i += MAX_COMPOUND_TERMS) {
    groups.push(`SELECT * FROM (${terms.slice(i, i + MAX_COMPOUND_TERMS).join("\nUNION ALL ")})`);
  }
  return unionAll(...groups);
}

/** A number as an SQL real literal (`60000.0`), so that a division by it is never an integer one. */
const real = (n: number) => (Number.isInteger(n) ? `${n}.0` : String(n));

/**
 * The SQL string literal of a KPI id. Throws (when the statements are built, at module
 * load) if the catalog builds the KPI otherwise than the statement does.
 */
export function kpiLiteral(kpi: KpiId, ...builtAs: Aggregation[]): string {
  const { aggregation } = kpiDefinition(kpi);
  if (!builtAs.includes(aggregation)) {
    throw new Error(`the engine builds ${kpi} as ${builtAs.join(" or ")}, the catalog says ${aggregation}`);
  }
  return `'${kpi}'`;
}

/**
 * `SELECT kpi, dimension, key, value, numerator, denominator` for a ratio or a mean with
 * null on 0: value = scale × numerator ÷ denominator, the scale of the catalog (nps: 100).
 */
export function ratio(kpi: KpiId, numerator: string, denominator: string, from: string, where = "1"): string {
  return `SELECT ${kpiLiteral(kpi, "ratio", "mean")} AS kpi, dimension, key,
      CASE WHEN (${denominator}) = 0 THEN NULL ELSE (${numerator}) * ${real(scaleOf(kpi))} / (${denominator}) END AS value,
      (${numerator}) AS numerator, (${denominator}) AS denominator
    FROM ${from} WHERE ${where}`;
}

/** `SELECT kpi, dimension, key, value` for a total (no numerator or denominator). */
export function total(kpi: KpiId, value: string, from: string, where = "1"): string {
  return `SELECT ${kpiLiteral(kpi, "total")} AS kpi, dimension, key, ${value} AS value, NULL AS numerator, NULL AS denominator
    FROM ${from} WHERE ${where}`;
}

/**
 * Median per (dimension, key) of `value` over `from`: the middle value, or the mean of
 * the two middle values for an even count. `denominator` carries the count.
 */
export function median(kpi: KpiId, from: string): string {
  return `SELECT ${kpiLiteral(kpi, "median")} AS kpi, dimension, key, AVG(value) AS value, NULL AS numerator, MAX(n) AS denominator
    FROM (SELECT dimension, key, value,
            ROW_NUMBER() OVER (PARTITION BY dimension, key ORDER BY value) AS position,
            COUNT(*) OVER (PARTITION BY dimension, key) AS n
          FROM ${from})
    WHERE position IN ((n + 1) / 2, (n + 2) / 2)
    GROUP BY dimension, key`;
}

/**
 * Durations are elapsed time (docs/kpis.md, Conventions): a number of milliseconds (or of
 * seconds, for `hoursFromSeconds`) as a real number of the unit. The operand is a column,
 * a call or a parenthesised expression: `days("(closed_at - created_at)")`.
 */
export const days = (ms: string) => `${ms} / ${real(DAY_MS)}`;
export const minutes = (ms: string) => `${ms} / ${real(MINUTE_MS)}`;
export const hoursFromSeconds = (seconds: string) => `${seconds} / ${real(HOUR_MS / SECOND_MS)}`;

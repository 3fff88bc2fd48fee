// Measured facts: one definition for a KPI's value and for the members behind it.
//
// A family names its facts — one row per member (a deal, a lead, an activity, an account,
// a response…), keyed into every breakdown — and the measures it aggregates, each "these
// rows, each contributing that" (a count: 1; a sum: an amount, days, seconds…). The family
// statement aggregates the measures per (dimension, key); a value's numerator and
// denominator are sums and differences of measures ("won + lost", "current − previous").
// The members of a value are then the keyed rows of its (dimension, key) that its side's
// measures count, each with its contribution: the same facts, the same predicates, so the
// count (or the sum) of the members is the numerator (or the denominator) by construction.
// workers/kpi/members.ts runs them; test/workers/kpi-members.test.ts checks every value.
import type { KpiId } from "../../shared/catalog";
import { kpiDefinition } from "../../shared/catalog";
import { median as medianRow, P, ratio as ratioRow, total as totalRow } from "./sql";

/** The rows a measure counts, and what each contributes: 1 for a count, `each` for a sum. */
export interface Measure {
  kind: "count" | "sum";
  when: string;
  each: string;
}

/** Rows where `when` holds, each counting 1. */
export const count = (when = "1"): Measure => ({ kind: "count", when, each: "1" });

/** Rows where `when` holds and `each` is not null, each contributing `each`. */
export const sum = (each: string, when = "1"): Measure => ({ kind: "sum", when, each });

/** The kinds of member, as the members API names them (entity tables: workers/model/entities.ts). */
export type MemberType = "deal" | "lead" | "activity" | "account" | "survey" | "rep" | "marketing_spend";

/**
 * How a facts row names its member: SQL over the row `f` for its type (a literal when the
 * facts hold one kind), id, the instant that placed it in the month and, where it has
 * money, its amount, currency and converted amount.
 */
export interface MemberColumns {
  type: string;
  id: string;
  placedAt: string;
  amount?: string;
  currency?: string;
  converted?: string;
}

/**
 * One family's facts: `with` ends in a CTE of member rows, `keyed` turns them into rows with
 * `dimension` and `key` (the facts' own columns kept), `measures` name what is aggregated.
 * `keyed` and `member` are written over `f`, the facts rows (usually dimensionJoin's join
 * and key); measures over the facts' columns unqualified (they are read from the keyed and
 * the pre-aggregated rows alike).
 */
export interface FactsDefinition<M extends string> {
  with: string;
  from: string;
  keyed: { join: string; key: string; names: string[]; where?: string };
  member: MemberColumns;
  measures: Record<M, Measure>;
  /**
   * Columns to sum the facts by before they are keyed (the keys must read only these):
   * a month's activities become a few thousand partial sums instead of every activity in
   * every breakdown. The members read the facts row by row.
   */
  preaggregateBy?: string[];
}

/** A term of a side: a measure, added or subtracted. */
interface Term<M extends string> {
  measure: M;
  sign: 1 | -1;
}

/** The numerator and denominator of a value as measures (a total's value is its numerator). */
export interface ValueSides<M extends string = string> {
  kpi: KpiId;
  facts: MeasuredFacts<M>;
  /** The breakdowns these facts compute the KPI in (another family may compute others). */
  dimensions: string[];
  numerator: Term<M>[] | null;
  denominator: Term<M>[] | null;
}

const TERM = /^\s*([+-]?)\s*([a-z_][a-z0-9_]*)\s*/;

/**
 * A side written as measures joined by + and − ("won + lost", "current - previous"). Throws
 * when the module loads if it is anything else: then its members cannot be listed.
 */
function parseSide<M extends string>(kpi: KpiId, side: string, measures: Record<M, Measure>): Term<M>[] {
  const terms: Term<M>[] = [];
  let rest = side;
  while (rest.trim() !== "") {
    const match = TERM.exec(rest);
    if (!match || (terms.length > 0 && match[1] === "")) throw new Error(`${kpi}: the side "${side}" is not a sum of measures`);
    const name = match[2] as M;
    if (!(name in measures)) throw new Error(`${kpi}: "${name}" in "${side}" is not a measure of its facts`);
    terms.push({ measure: name, sign: match[1] === "-" ? -1 : 1 });
    rest = rest.slice(match[0].length);
  }
  return terms;
}

const column = (name: string, m: Measure) =>
  m.kind === "count"
    ? `SUM(CASE WHEN ${m.when} THEN 1 ELSE 0 END) AS ${name}`
    : `TOTAL(CASE WHEN ${m.when} THEN ${m.each} END) AS ${name}`;

const resum = (name: string, m: Measure) => (m.kind === "count" ? `SUM(${name}) AS ${name}` : `TOTAL(${name}) AS ${name}`);

/** Whether a facts row is counted by a measure. */
export const counts = (m: Measure) => (m.kind === "count" ? `(${m.when})` : `(${m.when}) AND (${m.each}) IS NOT NULL`);

/**
 * A family's measured facts: `agg` (the CTEs up to `agg`, one row per dimension and key
 * with every measure) and builders of the value rows that also record each KPI's sides.
 */
export class MeasuredFacts<M extends string = string> {
  readonly values: ValueSides<M>[] = [];

  constructor(readonly definition: FactsDefinition<M>) {}

  /** `WITH …, keyed AS (…), agg AS (…)`: ready for the value rows, which read `agg` (and `keyed`). */
  get agg(): string {
    const { with: prelude, from, keyed, measures, preaggregateBy } = this.definition;
    const entries = Object.entries(measures) as [string, Measure][];
    const where = keyed.where ? `WHERE ${keyed.where}` : "";
    if (!preaggregateBy) {
      return `${prelude},
keyed AS (SELECT f.*, dim.dimension, ${keyed.key} AS key FROM ${from} f ${keyed.join} ${where}),
agg AS (SELECT dimension, key, ${entries.map(([n, m]) => column(n, m)).join(", ")} FROM keyed GROUP BY dimension, key)`;
    }
    const by = preaggregateBy.join(", ");
    return `${prelude},
partial AS (SELECT ${by}, ${entries.map(([n, m]) => column(n, m)).join(", ")} FROM ${from} GROUP BY ${by}),
keyed AS (SELECT f.*, dim.dimension, ${keyed.key} AS key FROM partial f ${keyed.join} ${where}),
agg AS (SELECT dimension, key, ${entries.map(([n, m]) => resum(n, m)).join(", ")} FROM keyed GROUP BY dimension, key)`;
  }

  /** The facts keyed row by row, `keyed` with the member columns (the members statement reads it). */
  get memberRows(): string {
    const { with: prelude, from, keyed, member } = this.definition;
    const where = [keyed.where && `(${keyed.where})`, `(${P.dimension} IS NULL OR dim.dimension = ${P.dimension})`]
      .filter(Boolean)
      .join(" AND ");
    return `${prelude},
keyed AS (SELECT f.*, dim.dimension, ${keyed.key} AS key,
    ${member.type} AS member_type, ${member.id} AS member_id, ${member.placedAt} AS placed_at,
    ${member.amount ?? "NULL"} AS member_amount, ${member.currency ?? "NULL"} AS member_currency,
    ${member.converted ?? "NULL"} AS member_converted
  FROM ${from} f ${keyed.join} WHERE ${where})`;
  }

  private record(kpi: KpiId, numerator: string | null, denominator: string | null, dimensions?: string[]) {
    const { measures, keyed } = this.definition;
    this.values.push({
      kpi,
      facts: this,
      dimensions: dimensions ?? keyed.names,
      numerator: numerator === null ? null : parseSide(kpi, numerator, measures),
      denominator: denominator === null ? null : parseSide(kpi, denominator, measures),
    });
  }

  /**
   * sql.ts ratio over `agg`, its sides recorded. `dimensions`: the breakdowns it is stored
   * in when `where` keeps fewer than the facts are keyed by.
   */
  ratio(kpi: KpiId, numerator: string, denominator: string, where?: string, dimensions?: string[]): string {
    this.record(kpi, numerator, denominator, dimensions);
    return ratioRow(kpi, numerator, denominator, "agg", where);
  }

  /** sql.ts total over `agg` of one side of measures, recorded as its numerator. */
  total(kpi: KpiId, value: string, where?: string, dimensions?: string[]): string {
    this.record(kpi, value, null, dimensions);
    return totalRow(kpi, value, "agg", where);
  }

  /** sql.ts median of `value` over the keyed rows a count measure counts (its population, the denominator). */
  median(kpi: KpiId, value: string, population: M): string {
    const m: Measure = this.definition.measures[population];
    if (m.kind !== "count") throw new Error(`${kpi}: a median's population is a count`);
    this.record(kpi, null, population);
    return medianRow(kpi, `(SELECT dimension, key, ${value} AS value FROM keyed WHERE ${counts(m)})`);
  }
}

/** Every KPI whose members can be listed: the facts of each of its breakdowns, with its sides. */
export type MembersRegistry = ReadonlyMap<KpiId, ReadonlyMap<string, ValueSides>>;

/** The registries of several families as one; a breakdown of a KPI measured twice is a mistake. */
export function mergeRegistries(...families: MeasuredFacts[]): MembersRegistry {
  const all = new Map<KpiId, Map<string, ValueSides>>();
  for (const family of families) {
    for (const sides of family.values) {
      kpiDefinition(sides.kpi);
      const byDimension = all.get(sides.kpi) ?? new Map<string, ValueSides>();
      for (const dimension of sides.dimensions) {
        if (byDimension.has(dimension)) throw new Error(`${sides.kpi} by ${dimension} is measured by two families`);
        byDimension.set(dimension, sides as ValueSides);
      }
      all.set(sides.kpi, byDimension);
    }
  }
  return all;
}

// The members of a stored value: the deals, leads, activities, accounts, responses… its
// numerator or its denominator counts, read from the same measured facts that computed it
// (measures.ts), at the cost of that family's statement. Nothing is stored: a month's
// members follow from its facts, as its values did when the month was computed.
import type { D1Database } from "@cloudflare/workers-types";
import { aggregationOf, type KpiId } from "../../shared/catalog";
import { type WorkspaceSettings, monthParams } from "./engine";
import { counts, type Measure, mergeRegistries, type MemberType, type MembersRegistry, type ValueSides } from "./measures";
import { P, parameterCount, rateAt } from "./sql";
import { ACTIVITY_FACTS } from "./activity";
import { CUSTOMER_FACTS } from "./customers";
import { FUNNEL_FACTS } from "./funnel";
import { HEALTH_FACTS } from "./health";
import { LEAD_FACTS } from "./leads";
import { REVENUE_FACTS } from "./revenue";

export type Side = "numerator" | "denominator";

/** Every KPI whose members can be listed; the others are derived from other values (see their members). */
export const MEMBERS: MembersRegistry = mergeRegistries(
  ...REVENUE_FACTS, ...FUNNEL_FACTS, ...LEAD_FACTS, ...ACTIVITY_FACTS, ...CUSTOMER_FACTS, ...HEALTH_FACTS,
);

/** The facts and sides of a KPI's breakdown; undefined when its members cannot be listed. */
export const sidesOf = (kpi: KpiId, dimension: string) => MEMBERS.get(kpi)?.get(dimension);

/** The KPIs without members, each with why (the API says it). */
export function withoutMembers(kpi: KpiId): string | null {
  if (MEMBERS.has(kpi)) return null;
  return aggregationOf(kpi) === "derived"
    ? `${kpi} is derived from other KPIs' values; list the members of those`
    : `the members of ${kpi} cannot be listed yet`;
}

/**
 * The members of one side of a KPI's values: one row per (dimension, key, member), the
 * member's contribution summed (a deal with two lines of one product is one member). With
 * ?18 and ?19 null, every value's members.
 */
export function membersStatement(sides: ValueSides, side: Side): string | null {
  const terms = sides[side];
  if (!terms) return null;
  const measures: Record<string, Measure> = sides.facts.definition.measures;
  const measure = (name: string) => measures[name]!;
  const contribution = terms
    .map(({ measure: name, sign }) => {
      const m = measure(name);
      return `${sign < 0 ? "- " : ""}(CASE WHEN ${counts(m)} THEN ${m.kind === "count" ? "1" : m.each} ELSE 0 END)`;
    })
    .join(" + ");
  return `${sides.facts.memberRows}
SELECT dimension, key, member_type, member_id, MIN(placed_at) AS placed_at, MAX(member_amount) AS amount,
  MAX(member_currency) AS currency, MAX(member_converted) AS converted, SUM(contribution) AS contribution
FROM (SELECT *, ${contribution} AS contribution FROM keyed
      WHERE (${P.key} IS NULL OR key = ${P.key}) AND (${terms.map((t) => counts(measure(t.measure))).join(" OR ")}))
GROUP BY dimension, key, member_type, member_id`;
}

/** The month's parameters, the dimensions to read (a JSON array, ?18) and the key (?19); null: all. */
function bind(db: D1Database, sql: string, workspace: WorkspaceSettings, month: string, dimensions: string | null, key: string | null, ...extra: unknown[]) {
  const params = [...monthParams(workspace, month, null, 0), dimensions, key, ...extra];
  return db.prepare(sql).bind(...params.slice(0, Math.max(parameterCount(sql), 19 + extra.length)));
}

/**
 * How many members each value of one side has and what they add up to, for every breakdown
 * of the KPI (the members test reads it); null when the KPI has no such side.
 */
export async function memberTotals(
  db: D1Database,
  workspace: WorkspaceSettings,
  month: string,
  kpi: KpiId,
  side: Side,
): Promise<{ dimension: string; key: string; members: number; total: number }[] | null> {
  const byDimension = MEMBERS.get(kpi);
  if (!byDimension) return null;
  const rows: { dimension: string; key: string; members: number; total: number }[] = [];
  for (const sides of new Set(byDimension.values())) {
    const sql = membersStatement(sides, side);
    if (!sql) continue;
    const { results } = await bind(
      db,
      `SELECT dimension, key, COUNT(*) AS members, TOTAL(contribution) AS total FROM (${sql}) GROUP BY dimension, key`,
      workspace,
      month,
      null,
      null,
    ).all<{ dimension: string; key: string; members: number; total: number }>();
    rows.push(...results.filter((r) => byDimension.get(r.dimension) === sides));
  }
  return rows;
}

export interface Member {
  type: MemberType;
  id: string;
  name: string | null;
  owner_rep_id: string | null;
  owner_name: string | null;
  amount: number | null;
  currency: string | null;
  converted: number | null;
  /** What it adds to the side: 1 for a count, its amount (days, minutes…) for a sum; negative where subtracted. */
  contribution: number;
  /** The instant that placed it in the month (ISO 8601), null where the value is a state. */
  placed_at: string | null;
  connection_kind: string | null;
  crm_id: string;
}

export interface MemberPage {
  members: Member[];
  /** All members of the side and the sum of their contributions (= the numerator or denominator). */
  count: number;
  total: number;
}

/**
 * Names, owners and the connection that sent each member, for a page of them (?1 workspace,
 * ?2 the members as JSON, ?3 the month, ?5 the base currency). A deal whose facts carry no
 * amount (the opportunity cohort, the funnel, handoffs) shows its current amount, converted
 * at the month's rate (sql.ts rateAt), as the KPIs of what happened read it (docs/kpis.md,
 * rule 8).
 */
const DETAILS = `SELECT p.*,
  d.amount AS deal_amount, COALESCE(d.currency, ?5) AS deal_currency,
  d.amount * ${rateAt("COALESCE(d.currency, ?5)", "?3")} AS deal_converted,
  CASE p.member_type WHEN 'deal' THEN d.name WHEN 'account' THEN a.name WHEN 'rep' THEN r.name
    WHEN 'activity' THEN act.type WHEN 'survey' THEN s.survey WHEN 'marketing_spend' THEN p.member_id END AS name,
  CASE p.member_type WHEN 'deal' THEN d.owner_rep_id WHEN 'lead' THEN l.owner_rep_id WHEN 'account' THEN a.owner_rep_id
    WHEN 'activity' THEN act.rep_id WHEN 'survey' THEN s.rep_id WHEN 'rep' THEN p.member_id END AS owner_rep_id,
  (SELECT c.kind FROM field_history h
     JOIN connections c ON c.workspace_id = h.workspace_id
     JOIN canonical_events e ON e.connection_id = c.id AND e.event_id = h.event_id
   WHERE h.workspace_id = ?1 AND h.entity_type = p.member_type AND h.entity_id = p.member_id
   ORDER BY h.occurred_at, h.event_id LIMIT 1) AS connection_kind
FROM (SELECT j.value ->> '$.t' AS member_type, j.value ->> '$.i' AS member_id FROM json_each(?2) j) p
LEFT JOIN deals d ON p.member_type = 'deal' AND d.workspace_id = ?1 AND d.deal_id = p.member_id
LEFT JOIN leads l ON p.member_type = 'lead' AND l.workspace_id = ?1 AND l.lead_id = p.member_id
LEFT JOIN accounts a ON p.member_type = 'account' AND a.workspace_id = ?1 AND a.account_id = p.member_id
LEFT JOIN reps r ON p.member_type = 'rep' AND r.workspace_id = ?1 AND r.rep_id = p.member_id
LEFT JOIN activities act ON p.member_type = 'activity' AND act.workspace_id = ?1 AND act.activity_id = p.member_id
LEFT JOIN survey_responses s ON p.member_type = 'survey' AND s.workspace_id = ?1 AND s.response_id = p.member_id`;

/**
 * The names, owners and connections of member rows (one DETAILS statement and one of owner
 * names for all of them): a function from a row to its Member.
 */
async function memberDetails(db: D1Database, workspace: WorkspaceSettings, month: string, rows: MemberRow[]): Promise<(row: MemberRow) => Member> {
  const workspaceId = workspace.id;
  const unique = [...new Map(rows.map((r) => [`${r.member_type}|${r.member_id}`, { t: r.member_type, i: r.member_id }])).values()];
  const details =
    unique.length === 0
      ? []
      : (
          await db
            .prepare(DETAILS)
            .bind(workspaceId, JSON.stringify(unique), month, null, workspace.currency)
            .all<MemberDetails>()
        ).results;
  const byMember = new Map(details.map((d) => [`${d.member_type}|${d.member_id}`, d]));
  const owners = [...new Set(details.flatMap((d) => (d.owner_rep_id ? [d.owner_rep_id] : [])))];
  const ownerNames = new Map(
    owners.length === 0
      ? []
      : (
          await db
            .prepare("SELECT rep_id, name FROM reps WHERE workspace_id = ?1 AND rep_id IN (SELECT value FROM json_each(?2))")
            .bind(workspaceId, JSON.stringify(owners))
            .all<{ rep_id: string; name: string | null }>()
        ).results.map((r) => [r.rep_id, r.name]),
  );
  return (r) => {
    const d = byMember.get(`${r.member_type}|${r.member_id}`);
    return {
      type: r.member_type,
      id: r.member_id,
      name: d?.name ?? null,
      owner_rep_id: d?.owner_rep_id ?? null,
      owner_name: (d?.owner_rep_id && ownerNames.get(d.owner_rep_id)) ?? null,
      amount: r.amount ?? d?.deal_amount ?? null,
      currency: r.currency ?? (r.amount === null ? d?.deal_currency : null) ?? null,
      converted: r.converted ?? d?.deal_converted ?? null,
      contribution: r.contribution,
      placed_at: r.placed_at === null ? null : new Date(r.placed_at).toISOString(),
      connection_kind: d?.connection_kind ?? null,
      crm_id: r.member_id,
    };
  };
}

interface MemberDetails {
  member_type: string;
  member_id: string;
  name: string | null;
  owner_rep_id: string | null;
  connection_kind: string | null;
  deal_amount: number | null;
  deal_currency: string | null;
  deal_converted: number | null;
}

interface MemberRow {
  member_type: MemberType;
  member_id: string;
  placed_at: number | null;
  amount: number | null;
  currency: string | null;
  converted: number | null;
  contribution: number;
  magnitude: number;
  member: string;
  member_count: number;
  member_total: number;
}

/**
 * A members statement's rows with their rank keys — `magnitude` (the contribution's size)
 * and `member` ("type|id"), largest first then by member — and the count and total of
 * the side they belong to (per value when `partition` names dimension and key).
 */
const ranked = (sql: string, partition = "") => `SELECT m.*, ABS(contribution) AS magnitude, member_type || '|' || member_id AS member,
    ROW_NUMBER() OVER (${partition} ORDER BY ABS(contribution) DESC, member_type || '|' || member_id) AS position,
    COUNT(*) OVER (${partition}) AS member_count, TOTAL(contribution) OVER (${partition}) AS member_total
  FROM (${sql}) m`;

/** Where a page starts: after this member in the order of membersPage. */
export type MemberCursor = [magnitude: number, member: string];

/**
 * One page of the members of (month, kpi, dimension, key, side): largest contribution first
 * (then by type and id), after `after`; the count and total are the whole side's. Null
 * when the KPI has no members in that breakdown or no such side.
 */
export async function membersPage(
  db: D1Database,
  workspace: WorkspaceSettings,
  month: string,
  kpi: KpiId,
  dimension: string,
  key: string,
  side: Side,
  limit: number,
  after: MemberCursor | null,
): Promise<(MemberPage & { next: MemberCursor | null }) | null> {
  const sides = sidesOf(kpi, dimension);
  const sql = sides && membersStatement(sides, side);
  if (!sql) return null;
  const { results } = await bind(
    db,
    `SELECT * FROM (${ranked(sql)})
     WHERE ?20 IS NULL OR magnitude < ?20 OR (magnitude = ?20 AND member > ?21)
     ORDER BY position LIMIT ?22`,
    workspace,
    month,
    JSON.stringify([dimension]),
    key,
    after?.[0] ?? null,
    after?.[1] ?? null,
    limit + 1,
  ).all<MemberRow>();
  const more = results.length > limit;
  results.splice(limit);
  const last = results.at(-1);
  const next: MemberCursor | null = more && last ? [last.magnitude, last.member] : null;
  const first = results[0];
  if (!first) {
    // A cursor past the last member: the side's count and total still hold.
    const side = await bind(db, `SELECT COUNT(*) AS count, TOTAL(contribution) AS total FROM (${sql})`, workspace, month, JSON.stringify([dimension]), key)
      .first<{ count: number; total: number }>();
    return { members: [], count: side?.count ?? 0, total: side?.total ?? 0, next: null };
  }
  const details = await memberDetails(db, workspace, month, results);
  return {
    next,
    count: first.member_count,
    total: first.member_total,
    members: results.map((r) => details(r)),
  };
}

/** A value whose members a report lists (workers/reports/drilldowns.ts). */
export interface ValueRef {
  kpi: KpiId;
  dimension: string;
  key: string;
}

export interface ValueMembers extends ValueRef {
  side: Side;
  page: MemberPage;
}

/**
 * The largest `limit` members of each side of many values at once: one statement per KPI
 * side and facts, reading only the breakdowns asked for, not one per value. Values
 * without members are left out.
 */
export async function membersOfValues(
  db: D1Database,
  workspace: WorkspaceSettings,
  month: string,
  values: readonly ValueRef[],
  limit: number,
): Promise<ValueMembers[]> {
  // One statement per KPI side and facts (a KPI's breakdowns may come from several facts).
  const groups = new Map<ValueSides, Map<Side, { kpi: KpiId; wanted: ValueRef[] }>>();
  for (const value of values) {
    const sides = sidesOf(value.kpi, value.dimension);
    if (!sides) continue;
    const bySide = groups.get(sides) ?? new Map<Side, { kpi: KpiId; wanted: ValueRef[] }>();
    for (const side of ["numerator", "denominator"] as Side[]) {
      if (!sides[side]) continue;
      const group = bySide.get(side) ?? { kpi: value.kpi, wanted: [] };
      group.wanted.push(value);
      bySide.set(side, group);
    }
    groups.set(sides, bySide);
  }
  const found: (ValueMembers & { rows: MemberRow[] })[] = [];
  const statements = [...groups].flatMap(([sides, bySide]) => [...bySide].map(([side, group]) => ({ sides, side, ...group })));
  for (const { sides, side, kpi, wanted } of statements) {
    const sql = membersStatement(sides, side)!;
    const { results } = await bind(
      db,
      `SELECT * FROM (${ranked(`SELECT * FROM (${sql}) WHERE dimension || '|' || key IN (SELECT value FROM json_each(?20))`, "PARTITION BY dimension, key")})
       WHERE position <= ?21 ORDER BY dimension, key, position`,
      workspace,
      month,
      JSON.stringify([...new Set(wanted.map((v) => v.dimension))]),
      null,
      JSON.stringify([...new Set(wanted.map((v) => `${v.dimension}|${v.key}`))]),
      limit,
    ).all<MemberRow & { dimension: string; key: string }>();
    // Rows come ordered by value, so each value's rows are one run.
    for (const row of results) {
      const last = found.at(-1);
      if (last?.kpi === kpi && last.side === side && last.dimension === row.dimension && last.key === row.key) last.rows.push(row);
      else found.push({ kpi, dimension: row.dimension, key: row.key, side, rows: [row], page: { count: row.member_count, total: row.member_total, members: [] } });
    }
  }
  const details = await memberDetails(db, workspace, month, found.flatMap((f) => f.rows));
  return found.map(({ rows, ...value }) => ({ ...value, page: { ...value.page, members: rows.map((r) => details(r)) } }));
}

// The drill-downs of a report: for each value it links to — a headline tile, a leaderboard
// row, a breakdown's bar, a "what changed" sentence — the largest members of its numerator
// (and, for a ratio or a mean, of its denominator), read by workers/kpi/members.ts from the
// facts that computed the value. The site renders one page per drill-down at
// `deals/<id>/` below the report (shared/drilldown.ts).
import type { D1Database } from "@cloudflare/workers-types";
import { KPI_BY_ID, type KpiId } from "../../shared/catalog";
import { drilldownId } from "../../shared/drilldown";
import type { Drilldown, Report } from "../../shared/report";
import type { WorkspaceSettings } from "../kpi/engine";
import { type Member, membersOfValues, sidesOf, type ValueRef } from "../kpi/members";

/**
 * Members listed per side: a page stays small and the stored report well within D1's row
 * limit; the members API lists them all.
 */
export const DRILLDOWN_MEMBERS = 20;

interface Linked extends ValueRef {
  label: string;
  value: number | null;
}

/** A breakdown anywhere in the report: an object with a KPI, a dimension and items. */
function isBreakdown(node: unknown): node is { kpi: string; dimension: string; items: { key: string; label: string; value: number | null }[] } {
  return typeof node === "object" && node !== null && "kpi" in node && "dimension" in node && "items" in node && Array.isArray(node.items);
}

function walk(node: unknown, visit: (node: unknown) => void): void {
  visit(node);
  if (Array.isArray(node)) node.forEach((child) => walk(child, visit));
  else if (typeof node === "object" && node !== null) Object.values(node).forEach((child) => walk(child, visit));
}

/** The values the report links to, each once: tiles, leaderboard rows, the bars of every breakdown, the sentences' values. */
export function linkedValues(report: Report): Linked[] {
  const linked = new Map<string, Linked>();
  const add = (kpi: string, dimension: string, key: string, label: string, value: number | null) => {
    if (!KPI_BY_ID.has(kpi) || !sidesOf(kpi as KpiId, dimension)) return;
    const id = drilldownId(kpi, dimension, key);
    if (!linked.has(id)) linked.set(id, { kpi: kpi as KpiId, dimension, key, label, value });
  };
  for (const h of report.headlines) add(h.kpi, "all", "all", "All", h.value);
  for (const row of report.leaderboard) add("revenue_won", "rep", row.rep_id, row.name, row.revenue_won);
  walk(report, (node) => {
    if (isBreakdown(node)) for (const item of node.items) add(node.kpi, node.dimension, item.key, item.label, item.value);
  });
  for (const sentence of report.changes ?? []) {
    if (sentence.members) add(sentence.kpi, sentence.members.dimension, sentence.members.key, sentence.members.key, null);
  }
  return [...linked.values()];
}

const compact = (m: Member) => ({
  type: m.type,
  id: m.id,
  name: m.name,
  owner_name: m.owner_name,
  amount: m.amount,
  currency: m.currency,
  converted: m.converted,
  contribution: m.contribution,
  placed_at: m.placed_at,
  connection_kind: m.connection_kind,
  crm_id: m.crm_id,
});

/** The report's drill-downs, read for every value it links to. */
export async function drilldownsFor(db: D1Database, workspace: WorkspaceSettings, report: Report): Promise<Drilldown[]> {
  const linked = linkedValues(report);
  const found = await membersOfValues(db, workspace, report.month, linked, DRILLDOWN_MEMBERS);
  const sideOf = (value: ValueRef, side: "numerator" | "denominator") => {
    const members = found.find((f) => f.kpi === value.kpi && f.dimension === value.dimension && f.key === value.key && f.side === side);
    return members ? { count: members.page.count, total: members.page.total, members: members.page.members.map(compact) } : null;
  };
  return linked.flatMap((value) => {
    const numerator = sideOf(value, "numerator");
    if (!numerator) return [];
    const hasDenominator = sidesOf(value.kpi, value.dimension)?.denominator !== null;
    return [{
      id: drilldownId(value.kpi, value.dimension, value.key),
      kpi: value.kpi,
      dimension: value.dimension,
      key: value.key,
      label: value.label,
      value: value.value,
      numerator,
      denominator: hasDenominator ? (sideOf(value, "denominator") ?? { count: 0, total: 0, members: [] }) : null,
    }];
  });
}

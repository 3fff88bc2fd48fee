// "What changed": the three to six sentences a report opens with, written from the fixed
// templates below (no language model) with the month's KPI values, M−1's and the 12 months'
// before M. Pure: the values come in as rows; assemble.ts takes them from the month
// documents the report already reads, so the sentences cost no query of their own.
// How moves are ranked, explained and flagged: docs/spec-readings.md, "What changed".
import { type Dimension, type KpiId, kpiDefinition } from "../../shared/catalog";
import { changeKindOf } from "../../shared/deltas";
import { createFormatter, type Formatter } from "../../shared/format";
import { addMonths, monthRange } from "../../shared/months";
import type { ChangeSentence } from "../../shared/report";

/** A stored KPI value (kpi_values): the denominator only for ratios and means. */
export interface ChangeValue {
  month: string;
  kpi: string;
  dimension: string;
  key: string;
  value: number | null;
  denominator?: number | null;
}

export interface ChangeInput {
  month: string;
  /** The workspace currency, for money. */
  currency: string;
  /** The overall values of CHANGE_KPIS for M and the 12 months before it, and their breakdowns for M and M−1. */
  values: readonly ChangeValue[];
  /** A member's display name (a rep's name, a loss reason in words); the key itself without one. */
  label?: (dimension: Dimension, key: string) => string;
}

/** How a count driver's change is named: "4 of the 5 extra losses". */
interface CountNouns {
  more: string;
  fewer: string;
}

/**
 * A total whose change, member by member, explains the move: the member that moved most
 * the way the driver moved is named. Money reads as an amount, a count by its nouns.
 */
interface Driver {
  kpi: KpiId;
  /** The driver explains the move only when it moved this way itself. */
  moved: "rose" | "fell";
  /** Its name mid-sentence: "deals lost in APAC rose by 6". */
  noun: string;
  counted?: CountNouns;
  /** A second breakdown of the driver, said after the first and not linked: "…, and 3 had the reason “Price”". */
  also?: "reason";
}

interface Template {
  kpi: KpiId;
  /** Where the biggest mover is looked for, ties to the earlier dimension; each is one of the KPI's. */
  dimensions: readonly Dimension[];
  /** The totals that explain a rise and a fall, first that applies; without, the KPI's own breakdown does. */
  rose?: readonly Driver[];
  fell?: readonly Driver[];
}

const WINS: CountNouns = { more: "extra wins", fewer: "fewer wins" };
const LOSSES: CountNouns = { more: "extra losses", fewer: "fewer losses" };

/** A total explained by its own breakdown. */
const own = (kpi: KpiId, noun: string, counted?: CountNouns): Pick<Template, "rose" | "fell"> => ({
  rose: [{ kpi, moved: "rose", noun, counted }],
  fell: [{ kpi, moved: "fell", noun, counted }],
});

/** Every KPI "What changed" may write about, and how its move is explained. */
export const TEMPLATES: readonly Template[] = [
  { kpi: "revenue_won", dimensions: ["region", "team", "source"], ...own("revenue_won", "revenue won") },
  { kpi: "deals_won", dimensions: ["region", "team", "source"], ...own("deals_won", "deals won", WINS) },
  {
    // A win rate moves with its wins and its losses: the one that moved the same way explains it.
    kpi: "win_rate",
    dimensions: ["region", "team", "source"],
    rose: [
      { kpi: "deals_won", moved: "rose", noun: "deals won", counted: WINS },
      { kpi: "deals_lost", moved: "fell", noun: "deals lost", counted: LOSSES },
    ],
    fell: [
      { kpi: "deals_lost", moved: "rose", noun: "deals lost", counted: LOSSES, also: "reason" },
      { kpi: "deals_won", moved: "fell", noun: "deals won", counted: WINS },
    ],
  },
  {
    kpi: "deals_lost",
    dimensions: ["region", "team"],
    rose: [{ kpi: "deals_lost", moved: "rose", noun: "deals lost", counted: LOSSES, also: "reason" }],
    fell: [{ kpi: "deals_lost", moved: "fell", noun: "deals lost", counted: LOSSES, also: "reason" }],
  },
  { kpi: "lost_revenue", dimensions: ["reason", "team"], ...own("lost_revenue", "lost revenue") },
  { kpi: "avg_deal_size", dimensions: ["region", "team"] },
  { kpi: "sales_cycle_days", dimensions: ["region", "team"] },
  { kpi: "open_pipeline_value", dimensions: ["region", "team"], ...own("open_pipeline_value", "open pipeline") },
  {
    kpi: "new_opportunities",
    dimensions: ["region", "team", "source"],
    ...own("new_opportunities", "new opportunities", { more: "extra opportunities", fewer: "fewer opportunities" }),
  },
  { kpi: "slipped_value", dimensions: ["team"], ...own("slipped_value", "slipped value") },
  { kpi: "new_leads", dimensions: ["source", "team"], ...own("new_leads", "new leads", { more: "extra leads", fewer: "fewer leads" }) },
  { kpi: "lead_conversion_rate", dimensions: ["source"] },
  { kpi: "mrr", dimensions: ["region", "segment"], ...own("mrr", "MRR") },
  { kpi: "churned_mrr", dimensions: ["region", "segment"], ...own("churned_mrr", "churned MRR") },
  { kpi: "nps", dimensions: ["region", "segment"] },
  { kpi: "customer_health", dimensions: ["segment", "region"] },
];

/** The KPIs whose values the templates read (the sentences' and their drivers'). */
export const CHANGE_KPIS: readonly KpiId[] = [
  ...new Set(TEMPLATES.flatMap((t) => [t.kpi, ...[...(t.rose ?? []), ...(t.fell ?? [])].map((d) => d.kpi)])),
];

/** Where a member is, after a noun: "4 of the 5 extra losses were in APAC". */
export const WHERE: Partial<Record<Dimension, (label: string) => string>> = {
  region: (label) => `in ${label}`,
  team: (label) => `in the ${label} team`,
  source: (label) => `from ${label}`,
  segment: (label) => `in the ${label} segment`,
  reason: (label) => `with the reason “${label}”`,
};

export const MIN_SENTENCES = 3;
export const MAX_SENTENCES = 6;
/** A move this large (3 % of a money or count value, 3 points of a ratio or a score) is worth a sentence. */
export const NOTABLE_MOVE = 0.03;
/** A relative move counts as at most this (doubling) when moves are ranked. */
export const MAX_RELATIVE_SIZE = 1;
/** A value is compared with its trailing range only when at least this many of the 12 months have one. */
export const MIN_RANGE_MONTHS = 6;
/** A member's own ratio or mean is named only with at least this many deals, leads or answers behind it in both months. */
export const MIN_MEMBER_BASE = 5;

/** Money and counts change relatively; ratios, scores and durations by their difference (as the headlines do). */
const isRelative = (kpi: KpiId) => changeKindOf(kpiDefinition(kpi).unit) === "relative";

/**
 * How much a value moved, comparable across KPIs: the relative change of money, counts and
 * durations, the difference of a ratio (1 point weighs as 1 %) and of a score (out of 100).
 * Null when it cannot be said (a relative change from 0).
 */
function sizeOf(kpi: KpiId, current: number, previous: number): number | null {
  const unit = kpiDefinition(kpi).unit;
  if (unit === "ratio") return Math.abs(current - previous);
  if (unit === "score") return Math.abs(current - previous) / 100;
  // Capped at doubling: a value grown from next to nothing would otherwise outrank every
  // larger move (ties keep TEMPLATES order).
  return previous === 0 ? null : Math.min(MAX_RELATIVE_SIZE, Math.abs(current - previous) / Math.abs(previous));
}

/**
 * The change in words without its sign, after the verb that says which way: "25%", "6 pp",
 * "3.2 days"; beyond doubling, both values ("from $78"), which read better than "2,700.9%".
 */
function changeText(format: Formatter, kpi: KpiId, current: number, previous: number): string {
  const unit = kpiDefinition(kpi).unit;
  if (!isRelative(kpi)) return format.change("difference", unit, Math.abs(current - previous)).replace(/^[+±]/, "");
  const relative = Math.abs(current - previous) / Math.abs(previous);
  if (relative > MAX_RELATIVE_SIZE) return `from ${format.value(unit, previous)}`;
  return format.change("relative", unit, relative).replace(/^[+±]/, "");
}

interface Explanation {
  clause: string;
  members: ChangeSentence["members"];
}

interface Candidate {
  kpi: KpiId;
  /** The sentence up to its explanation: "Win rate worsened, falling 6 pp to 31.0%". */
  head: string;
  explained: Explanation | null;
  outside_range: boolean;
  size: number;
}

/** Indexes the rows by month, KPI and dimension, and each one by its key. */
function index(values: readonly ChangeValue[]) {
  const rows = new Map<string, Map<string, ChangeValue>>();
  for (const row of values) {
    const at = `${row.month}|${row.kpi}|${row.dimension}`;
    const byKey = rows.get(at);
    if (byKey) byKey.set(row.key, row);
    else rows.set(at, new Map([[row.key, row]]));
  }
  const members = (month: string, kpi: KpiId, dimension: Dimension): ReadonlyMap<string, ChangeValue> =>
    rows.get(`${month}|${kpi}|${dimension}`) ?? new Map();
  const overall = (month: string, kpi: KpiId) => members(month, kpi, "all").get("all")?.value ?? null;
  return { members, overall };
}

/** The sentences of `input.month`: the biggest movers first, at most MAX_SENTENCES. */
export function whatChanged(input: ChangeInput): ChangeSentence[] {
  const { month } = input;
  const previousMonth = addMonths(month, -1);
  const format = createFormatter(input.currency);
  const label = input.label ?? ((_dimension: Dimension, key: string) => key);
  const { members, overall } = index(input.values);
  const trailing = monthRange(addMonths(month, -12), previousMonth);

  /** The keys of a dimension in M or M−1, never the catch-all "unknown": naming it explains nothing. */
  const keysOf = (kpi: KpiId, dimension: Dimension) =>
    [...new Set([...members(month, kpi, dimension).keys(), ...members(previousMonth, kpi, dimension).keys()])]
      .filter((key) => key !== "unknown")
      .sort();
  const memberValue = (m: string, kpi: KpiId, dimension: Dimension, key: string) => members(m, kpi, dimension).get(key);

  /** "4 of the 5 extra losses were in APAC", from the first driver that moved the way it explains. */
  function driverClause(template: Template, drivers: readonly Driver[]): Explanation | null {
    for (const driver of drivers) {
      const current = overall(month, driver.kpi);
      const previous = overall(previousMonth, driver.kpi);
      if (current === null || previous === null) continue;
      const sign = driver.moved === "rose" ? 1 : -1;
      const whole = sign * (current - previous);
      if (whole <= 0) continue;
      /** The member of `dimensions` whose own change went furthest the driver's way. */
      const moverIn = (dimensions: readonly Dimension[]) => {
        let mover: { dimension: Dimension; key: string; part: number } | null = null;
        for (const dimension of dimensions) {
          for (const key of keysOf(driver.kpi, dimension)) {
            // A total without a row is 0 (docs/kpis.md, Conventions).
            const part = sign * ((memberValue(month, driver.kpi, dimension, key)?.value ?? 0) - (memberValue(previousMonth, driver.kpi, dimension, key)?.value ?? 0));
            if (part > 0 && (mover === null || part > mover.part)) mover = { dimension, key, part };
          }
        }
        return mover;
      };
      const best = moverIn(template.dimensions);
      if (best === null) continue;
      const where = WHERE[best.dimension]!(label(best.dimension, best.key));
      const amount = (n: number) => format.value(driver.counted ? "count" : "money", n);
      const verb = driver.moved;
      let clause: string;
      if (best.part > whole || (driver.counted && whole === 1)) {
        clause = `${driver.noun} ${where}${best.part > whole ? " alone" : ""} ${verb} by ${amount(best.part)}`;
      } else if (driver.counted) {
        const noun = driver.moved === "rose" ? driver.counted.more : driver.counted.fewer;
        clause = best.part === whole
          ? `${whole === 2 ? "both" : `all ${amount(whole)}`} ${noun} were ${where}`
          : `${amount(best.part)} of the ${amount(whole)} ${noun} ${best.part === 1 ? "was" : "were"} ${where}`;
      } else {
        const noun = driver.moved === "rose" ? "increase" : "drop";
        clause = best.part === whole
          ? `all of the ${amount(whole)} ${noun} was ${where}`
          : `${amount(best.part)} of the ${amount(whole)} ${noun} was ${where}`;
      }
      // The second breakdown only after "n of the whole": after "alone" it would read as a part of the member.
      const second = driver.also && best.part <= whole && !(driver.counted && whole === 1) ? moverIn([driver.also]) : null;
      if (second && second.part <= whole) clause += `, and ${amount(second.part)} had the reason “${label(second.dimension, second.key)}”`;
      return { clause, members: { dimension: best.dimension, key: best.key } };
    }
    return null;
  }

  /** "the largest fall was in APAC: down 12 pp to 20.0%", of a ratio's, mean's or score's own breakdown. */
  function ownClause(template: Template, rose: boolean): Explanation | null {
    const { kpi } = template;
    let best: { dimension: Dimension; key: string; size: number; current: number; previous: number } | null = null;
    for (const dimension of template.dimensions) {
      for (const key of keysOf(kpi, dimension)) {
        const current = memberValue(month, kpi, dimension, key);
        const previous = memberValue(previousMonth, kpi, dimension, key);
        if (current?.value == null || previous?.value == null) continue;
        // A member with a handful of deals swings most and means least.
        if ((current.denominator ?? 0) < MIN_MEMBER_BASE || (previous.denominator ?? 0) < MIN_MEMBER_BASE) continue;
        if (current.value === previous.value || current.value > previous.value !== rose) continue;
        const size = sizeOf(kpi, current.value, previous.value);
        if (size !== null && (best === null || size > best.size)) best = { dimension, key, size, current: current.value, previous: previous.value };
      }
    }
    if (best === null) return null;
    const where = WHERE[best.dimension]!(label(best.dimension, best.key));
    const unit = kpiDefinition(kpi).unit;
    const clause = `the largest ${rose ? "rise" : "fall"} was ${where}: ${rose ? "up" : "down"} ${changeText(format, kpi, best.current, best.previous)} to ${format.value(unit, best.current)}`;
    return { clause, members: { dimension: best.dimension, key: best.key } };
  }

  const candidates: Candidate[] = [];
  for (const template of TEMPLATES) {
    const { kpi } = template;
    const definition = kpiDefinition(kpi);
    const current = overall(month, kpi);
    const previous = overall(previousMonth, kpi);
    if (current === null || previous === null) continue;
    const size = sizeOf(kpi, current, previous);
    if (size === null) continue;
    const value = format.value(definition.unit, current);
    const history = trailing.map((m) => overall(m, kpi)).filter((v): v is number => v !== null);
    const extreme = history.length < MIN_RANGE_MONTHS ? null
      : current > Math.max(...history) ? "highest"
      : current < Math.min(...history) ? "lowest"
      : null;
    const flag = extreme ? `, the ${extreme} in 12 months` : "";
    let head: string;
    let explained: Explanation | null = null;
    // A change too small to print ("0%", "0 pp") is no move: the value held.
    if (changeText(format, kpi, current, previous) === changeText(format, kpi, previous, previous)) {
      head = `${definition.name} held at ${value}${flag}`;
    } else {
      const rose = current > previous;
      const improved = rose === (definition.direction === "up");
      const drivers = rose ? template.rose : template.fell;
      explained = drivers ? driverClause(template, drivers) : ownClause(template, rose);
      head = `${definition.name} ${improved ? "improved" : "worsened"}, ${rose ? "rising" : "falling"} ${changeText(format, kpi, current, previous)} to ${value}${flag}`;
    }
    candidates.push({ kpi, head, explained, outside_range: extreme !== null, size });
  }

  // The biggest moves first (ties in TEMPLATES order: the sort is stable). A value outside its
  // trailing range is worth a sentence however small its move, but outranks no larger move.
  candidates.sort((a, b) => b.size - a.size);
  const chosen = candidates.filter((c) => c.size >= NOTABLE_MOVE || c.outside_range).slice(0, MAX_SENTENCES);
  // A quiet month still opens with three sentences: the largest of the small moves.
  const quiet = candidates.filter((c) => !chosen.includes(c)).slice(0, Math.max(0, MIN_SENTENCES - chosen.length));
  // Win rate and deals lost can share their explanation: the second says it no more.
  const said = new Set<string>();
  return candidates
    .filter((c) => chosen.includes(c) || quiet.includes(c))
    .map((c): ChangeSentence => {
      const explained = c.explained && !said.has(c.explained.clause) ? c.explained : null;
      if (explained) said.add(explained.clause);
      return { kpi: c.kpi, text: `${c.head}${explained ? `; ${explained.clause}` : ""}.`, members: explained?.members ?? null, outside_range: c.outside_range };
    });
}

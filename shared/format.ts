// Formatting of report values for people: money in the workspace currency, ratios as
// percentages, durations in the unit their size reads best in (shared/durations.ts), months
// and instants in words. One place, shared by the site and the digest (workers/reports/digest.ts),
// so the tiles, the charts, their tables and the digest always print the same strings.
import type { Unit } from "./catalog";
import { type DurationOptions, type DurationUnit, formatDuration } from "./durations";

/** Every report page is in English; the currency comes from the workspace. */
const LOCALE = "en-US";

/** What a null value reads as; the markup adds "no data" for assistive technology. */
export const NO_DATA = "—";

const cache = new Map<string, Intl.NumberFormat>();
function numberFormat(options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = JSON.stringify(options);
  let format = cache.get(key);
  if (!format) {
    format = new Intl.NumberFormat(LOCALE, options);
    cache.set(key, format);
  }
  return format;
}

/** Units the catalog may use; anything else (a future unit) prints as a plain number. */
export function asUnit(unit: string): Unit | "number" {
  return (["count", "money", "ratio", "multiple", "days", "minutes", "hours", "score"] as const).find((u) => u === unit) ?? "number";
}

export interface Formatter {
  currency: string;
  /** The full value: "$150,000", "27.1%", "41.5 days", "26.7 h"; null → "—". */
  value(unit: string, value: number | null): string;
  /** A short form for axis ticks and tight labels: "$150K", "27%". */
  compact(unit: string, value: number | null): string;
  /** A change as stored in the report: relative (a − b) ÷ |b| or an absolute difference. */
  change(kind: "relative" | "difference", unit: string, change: number | null): string;
}

export function createFormatter(currency: string): Formatter {
  const money = (value: number) =>
    numberFormat({
      style: "currency",
      currency,
      // Whole units for totals; cents only where they carry information (cost per lead, ARPA).
      maximumFractionDigits: Math.abs(value) >= 1000 ? 0 : 2,
      minimumFractionDigits: Math.abs(value) >= 1000 ? 0 : 2,
    }).format(value);
  const plain = (value: number, digits: number) => numberFormat({ maximumFractionDigits: digits }).format(value);
  // The catalog keeps one KPI in hours, activity_hours: a sum of time spent, which stays in
  // hours at most ("1,180 h", not "49.2 days"). Minutes and days are elapsed times.
  const duration = (unit: DurationUnit, value: number, options: DurationOptions = {}) =>
    formatDuration(value, unit, { largest: unit === "hours" ? "hours" : "days", ...options });

  function value(unit: string, value: number | null): string {
    if (value === null || !Number.isFinite(value)) return NO_DATA;
    const kind = asUnit(unit);
    switch (kind) {
      case "money":
        return money(value);
      case "ratio":
        return numberFormat({ style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(value);
      case "days":
      case "minutes":
      case "hours":
        return duration(kind, value);
      case "multiple":
        return `${plain(value, 1)}×`;
      case "count":
        return plain(value, 1);
      case "score":
        return plain(value, 1);
      default:
        return plain(value, 2);
    }
  }

  function compact(unit: string, value: number | null): string {
    if (value === null || !Number.isFinite(value)) return NO_DATA;
    const kind = asUnit(unit);
    switch (kind) {
      case "money":
        return numberFormat({ style: "currency", currency, notation: "compact", minimumFractionDigits: 0, maximumFractionDigits: 1 }).format(value);
      case "ratio":
        return numberFormat({ style: "percent", maximumFractionDigits: 0 }).format(value);
      case "multiple":
        return `${plain(value, 1)}×`;
      case "days":
      case "minutes":
      case "hours":
        return duration(kind, value, { whole: true });
      default:
        return numberFormat({ notation: "compact", maximumFractionDigits: 1 }).format(value);
    }
  }

  function change(kind: "relative" | "difference", unit: string, change: number | null): string {
    if (change === null || !Number.isFinite(change)) return NO_DATA;
    const sign = change > 0 ? "+" : change < 0 ? "−" : "±";
    const size = Math.abs(change);
    if (kind === "relative") {
      return `${sign}${numberFormat({ style: "percent", maximumFractionDigits: 1 }).format(size)}`;
    }
    // A difference of two ratios is in percentage points, never "percent".
    if (asUnit(unit) === "ratio") return `${sign}${plain(size * 100, 1)} pp`;
    if (asUnit(unit) === "score") return `${sign}${plain(size, 1)} pts`;
    return `${sign}${value(unit, size)}`;
  }

  return { currency, value, compact, change };
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** "2026-03" → "March 2026". */
export function monthLabel(month: string): string {
  const [year, m] = month.split("-");
  return `${MONTHS[Number(m) - 1] ?? m} ${year}`;
}

/** "2026-03" → "Mar"; with the year, "Mar 2026". */
export function shortMonth(month: string, withYear = false): string {
  const [year, m] = month.split("-");
  const name = (MONTHS[Number(m) - 1] ?? m ?? "").slice(0, 3);
  return withYear ? `${name} ${year}` : name;
}

/** An ISO instant in the workspace's zone: "April 9, 2026 at 10:30 AM EDT". */
export function instantLabel(iso: string | null, timeZone: string): string {
  if (iso === null) return NO_DATA;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(LOCALE, { dateStyle: "long", timeStyle: "short", timeZone }).format(date) +
    ` ${zoneName(date, timeZone)}`;
}

function zoneName(date: Date, timeZone: string): string {
  const part = new Intl.DateTimeFormat(LOCALE, { timeZone, timeZoneName: "short" })
    .formatToParts(date)
    .find((p) => p.type === "timeZoneName");
  return part?.value ?? timeZone;
}

/** An ISO instant's calendar day in the workspace's zone: "Mar 20, 2026". */
export function dateLabel(iso: string | null, timeZone: string): string {
  if (iso === null) return NO_DATA;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(LOCALE, { dateStyle: "medium", timeZone }).format(date);
}

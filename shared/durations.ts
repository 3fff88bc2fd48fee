// Durations for people: the one formatter that turns a KPI's elapsed time (kept in the
// catalog's unit: minutes, hours or days) into the unit its size reads best in — "40 s",
// "45 min", "26.7 h", "3.2 days". The API and the CSV keep the catalog's unit; only what a
// person reads (the report's tiles, tables, charts, deltas and descriptions) goes through here.
import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from "./units";

export type DurationUnit = "minutes" | "hours" | "days";

export const DURATION_UNITS: readonly DurationUnit[] = ["minutes", "hours", "days"];

export function isDurationUnit(unit: string): unit is DurationUnit {
  return (DURATION_UNITS as readonly string[]).includes(unit);
}

const UNIT_MS: Record<DurationUnit, number> = { minutes: MINUTE_MS, hours: HOUR_MS, days: DAY_MS };

/**
 * The units a duration may be shown in, smallest first, each up to (not including) the size
 * at which the next one takes over. Hours run to 48 so that "26.7 h" (a day and a bit) stays
 * in hours; from two days on, days.
 */
const SCALE = [
  { ms: SECOND_MS, below: MINUTE_MS, one: "s", many: "s", catalog: null },
  { ms: MINUTE_MS, below: HOUR_MS, one: "min", many: "min", catalog: "minutes" },
  { ms: HOUR_MS, below: 48 * HOUR_MS, one: "h", many: "h", catalog: "hours" },
  { ms: DAY_MS, below: Infinity, one: "day", many: "days", catalog: "days" },
] as const;

export interface DurationOptions {
  /**
   * The largest unit to use. A sum of time spent (activity hours) stays in hours: 1,180 h of
   * calls are not "49.2 days".
   */
  largest?: DurationUnit;
  /** Whole numbers only, for axis ticks and tight labels. */
  whole?: boolean;
}

const formats = new Map<number, Intl.NumberFormat>();
function number(value: number, digits: number): string {
  let format = formats.get(digits);
  if (!format) {
    format = new Intl.NumberFormat("en-US", { maximumFractionDigits: digits });
    formats.set(digits, format);
  }
  return format.format(value);
}

/** Fraction digits: one below 100 ("26.7 h", "3.2 days"), none from 100 ("412 days") and for seconds. */
const digitsFor = (size: number, unit: (typeof SCALE)[number], whole: boolean) =>
  whole || unit.catalog === null || size >= 99.95 ? 0 : 1;

/**
 * A duration given in `unit` (the catalog's), written in the unit its size reads best in:
 * seconds under a minute, minutes under an hour, hours under 48 hours, days beyond — decided
 * after rounding, so 59.97 minutes read "1 h", not "60 min". Negative values get a minus sign
 * (U+2212); zero is "0 min".
 */
export function formatDuration(value: number, unit: DurationUnit, options: DurationOptions = {}): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite duration: ${value}`);
  const whole = options.whole ?? false;
  const largest = SCALE.findIndex((u) => u.catalog === (options.largest ?? "days"));
  const ms = Math.abs(value) * UNIT_MS[unit];
  const sign = value < 0 && ms > 0 ? "−" : "";
  if (ms === 0) return "0 min";
  for (let index = 0; index <= largest; index++) {
    const scale = SCALE[index]!;
    const size = ms / scale.ms;
    const digits = digitsFor(size, scale, whole);
    const rounded = Math.round(size * 10 ** digits) / 10 ** digits;
    if (index < largest && rounded * scale.ms >= scale.below) continue;
    return `${sign}${number(rounded, digits)} ${rounded === 1 ? scale.one : scale.many}`;
  }
  throw new Error("unreachable: the largest unit has no upper bound");
}

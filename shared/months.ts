// Month arithmetic in a workspace's IANA time zone. A month "YYYY-MM" is the half-open
// interval [start(M), start(M+1)) where start(M) is local midnight on the 1st.

const MONTH_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

function parseMonth(month: string): { year: number; month: number } {
  const match = MONTH_PATTERN.exec(month);
  if (!match) throw new RangeError(`not a month (YYYY-MM): ${month}`);
  return { year: Number(match[1]), month: Number(match[2]) };
}

function formatMonth(year: number, month: number): string {
  return `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}`;
}

/** The month `count` months after (or before, when negative) `month`. */
export function addMonths(month: string, count: number): string {
  const { year, month: m } = parseMonth(month);
  const index = year * 12 + (m - 1) + count;
  return formatMonth(Math.floor(index / 12), (index % 12) + 1);
}

/** How many months [from, to] holds, both "YYYY-MM" (0 when from is after to). */
export function monthCount(from: string, to: string): number {
  const index = (m: string) => Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7)) - 1;
  return Math.max(0, index(to) - index(from) + 1);
}

/** Every month from `from` to `to`, both included. */
export function monthRange(from: string, to: string): string[] {
  const months: string[] = [];
  for (let m = from; m <= to; m = addMonths(m, 1)) months.push(m);
  return months;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** True when `timeZone` is an IANA zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Local wall-clock fields of an instant in a zone. */
function localParts(instant: number, timeZone: string) {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  return parts as { year: number; month: number; day: number; hour: number; minute: number; second: number };
}

/** Offset of the zone from UTC at an instant, in milliseconds (local − UTC). */
function offsetAt(instant: number, timeZone: string): number {
  const p = localParts(instant, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** The month (in `timeZone`) that contains the instant (ms since epoch). */
export function monthOf(instant: number, timeZone: string): string {
  const p = localParts(instant, timeZone);
  return formatMonth(p.year, p.month);
}

/** The instant of local midnight of a calendar day in `timeZone` (month 1–12). */
export function localMidnight(year: number, month: number, day: number, timeZone: string): number {
  const wallClock = Date.UTC(year, month - 1, day);
  // Two passes: the offset at the guess can differ from the offset at the answer
  // when a DST change falls between them.
  let instant = wallClock - offsetAt(wallClock, timeZone);
  instant = wallClock - offsetAt(instant, timeZone);
  return instant;
}

/** start(M): the instant of local midnight on the 1st of `month` in `timeZone`. */
export function startOfMonth(month: string, timeZone: string): number {
  const { year, month: m } = parseMonth(month);
  return localMidnight(year, m, 1, timeZone);
}

/** [start(M), start(M+1)) as instants. */
export function monthBounds(month: string, timeZone: string): { start: number; end: number } {
  return { start: startOfMonth(month, timeZone), end: startOfMonth(addMonths(month, 1), timeZone) };
}

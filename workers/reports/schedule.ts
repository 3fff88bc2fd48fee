// When reports are published: last month once the workspace's local month has ended and
// settled, and a revision of any published month whose numbers changed since.
import type { D1Database } from "@cloudflare/workers-types";
import { addMonths, localMidnight, monthOf } from "../../shared/months";
import { HOUR_MS } from "../../shared/units";
import { isPublished, monthsComputedSinceChecked } from "../db/reports";
import { publishMonth } from "./publish";

/** Publication starts at 06:00 local time on the 1st: the month has ended and settled. */
export const PUBLISH_HOUR = 6;

/** The instant, in the workspace's time zone, from which last month is published. */
function publicationStart(currentMonth: string, timezone: string): number {
  const [year, monthNumber] = currentMonth.split("-").map(Number) as [number, number];
  return localMidnight(year, monthNumber, 1, timezone) + PUBLISH_HOUR * HOUR_MS;
}

/**
 * The cron's publication pass for one workspace: last month once its local month has
 * ended (from 06:00 on the 1st), and a revised version of any published month whose
 * numbers changed since. Returns the months published.
 */
export async function publishDue(db: D1Database, workspaceId: string, timezone: string, now: number): Promise<string[]> {
  const published: string[] = [];
  const current = monthOf(now, timezone);
  const lastMonth = addMonths(current, -1);
  if (!(await isPublished(db, workspaceId, lastMonth)) && now >= publicationStart(current, timezone)) {
    if ((await publishMonth(db, workspaceId, lastMonth, now)).published) published.push(lastMonth);
  }
  // Months recomputed after their latest publication may have changed: publish a revision if so.
  for (const month of await monthsComputedSinceChecked(db, workspaceId)) {
    // The recompute queue has just computed these months: compare, don't compute again.
    if (published.includes(month)) continue;
    if ((await publishMonth(db, workspaceId, month, now, { recompute: false })).published) published.push(month);
  }
  return published;
}

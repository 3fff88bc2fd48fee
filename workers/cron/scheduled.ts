// The Cron Triggers. Every 5 minutes: sweep the inbox (no stored delivery is left
// unprocessed) and fan out recomputes of dirty months. Hourly, also the trailing three
// months of every workspace with data, so "this month" stays fresh.
import type { ScheduledController } from "@cloudflare/workers-types";
import type { Env } from "../env";
import { sweepInbox } from "../ingest/inbox";
import { fanOutDirtyMonths, fanOutTrailingMonths } from "../kpi/schedule";

export const EVERY_FIVE_MINUTES = "*/5 * * * *";
export const HOURLY = "0 * * * *";

export async function runScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const now = controller.scheduledTime;
  const swept = await sweepInbox(env.DB, env.EVENTS_QUEUE, now);
  const dirty = await fanOutDirtyMonths(env.DB, env.RECOMPUTE_QUEUE, now);
  const trailing = controller.cron === HOURLY ? await fanOutTrailingMonths(env.DB, env.RECOMPUTE_QUEUE, now) : 0;
  if (swept + dirty + trailing > 0) {
    console.log(`cron ${controller.cron}: re-enqueued ${swept} inbox rows, ${dirty} dirty and ${trailing} trailing month jobs`);
  }
}

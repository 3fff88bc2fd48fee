// The Cron Triggers. Every 5 minutes: sweep the inbox (no stored delivery is left
// unprocessed) and fan out recomputes of dirty months. Hourly, also the trailing three
// months of every workspace with data, and the monthly reports (publication and revisions).
import type { ExecutionContext, ScheduledController } from "@cloudflare/workers-types";
import type { Env } from "../env";
import { sweepInbox } from "../ingest/inbox";
import { fanOutDirtyMonths, fanOutTrailingMonths } from "../kpi/schedule";
import { publishAll } from "../reports/publish";

export const EVERY_FIVE_MINUTES = "*/5 * * * *";
export const HOURLY = "0 * * * *";

export async function runScheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
  const now = controller.scheduledTime;
  const swept = await sweepInbox(env.DB, env.EVENTS_QUEUE, now);
  const dirty = await fanOutDirtyMonths(env.DB, env.RECOMPUTE_QUEUE, now);
  let trailing = 0;
  let published = 0;
  if (controller.cron === HOURLY) {
    trailing = await fanOutTrailingMonths(env.DB, env.RECOMPUTE_QUEUE, now);
    // Deploy hooks run after the response, with their own retries: never blocking the cron.
    published = await publishAll(env.DB, now, (work) => ctx.waitUntil(work));
  }
  if (swept + dirty + trailing + published > 0) {
    console.log(
      `cron ${controller.cron}: re-enqueued ${swept} inbox rows, ${dirty} dirty and ${trailing} trailing month jobs; published ${published} reports`,
    );
  }
}

// The Cron Triggers. Every 5 minutes: sweep the inbox (no stored delivery is left
// unprocessed, failed ones are retried with a slow backoff), mark every month of a workspace
// computed with an older catalog version dirty, and fan out recomputes of dirty months. Hourly, also the trailing three months of every workspace with data, the
// monthly reports (publication and revisions) and retention. Each step fails alone.
import type { ExecutionContext, ScheduledController } from "@cloudflare/workers-types";
import type { Env } from "../env";
import { sweepInbox } from "../ingest/inbox";
import { upgradeCatalog } from "../kpi/catalog-upgrade";
import { fanOutDirtyMonths, fanOutTrailingMonths } from "../kpi/schedule";
import { publishAll } from "../reports/cron";
import { applyRetention } from "./retention";

export const EVERY_FIVE_MINUTES = "*/5 * * * *";
export const HOURLY = "0 * * * *";

/** Runs one step of the cron; a failing step is logged and the next steps still run. */
async function step(name: string, work: () => Promise<number>): Promise<number> {
  try {
    return await work();
  } catch (error) {
    console.error(`cron: ${name} failed`, error);
    return 0;
  }
}

export async function runScheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
  const now = controller.scheduledTime;
  const swept = await step("inbox sweep", () => sweepInbox(env.DB, env.EVENTS_QUEUE, now));
  await step("catalog upgrade", () => upgradeCatalog(env.DB, now));
  const dirty = await step("dirty months", () => fanOutDirtyMonths(env.DB, env.RECOMPUTE_QUEUE, now));
  let trailing = 0;
  let published = 0;
  if (controller.cron === HOURLY) {
    trailing = await step("trailing months", () => fanOutTrailingMonths(env.DB, env.RECOMPUTE_QUEUE, now));
    // Deploy hooks run after the response, with their own retries: never blocking the cron.
    published = await step("publication", () => publishAll(env.DB, now, (work) => ctx.waitUntil(work)));
    await step("retention", () => applyRetention(env, now));
  }
  if (swept + dirty + trailing + published > 0) {
    console.log(
      `cron ${controller.cron}: re-enqueued ${swept} inbox rows, ${dirty} dirty and ${trailing} trailing month jobs; published ${published} reports`,
    );
  }
}

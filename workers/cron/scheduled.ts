// The Cron Trigger: sweep the inbox so no stored delivery is left unprocessed.
import type { ScheduledController } from "@cloudflare/workers-types";
import type { Env } from "../env";
import { sweepInbox } from "../ingest/inbox";

export async function runScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const swept = await sweepInbox(env.DB, env.EVENTS_QUEUE, controller.scheduledTime);
  if (swept > 0) console.log(`cron: re-enqueued ${swept} inbox rows`);
}

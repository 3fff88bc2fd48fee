// The Cron Triggers. Every 5 minutes: sweep the inbox (no stored delivery is left
// unprocessed, failed ones are retried with a slow backoff), mark every month of a workspace
// computed with an older catalog version dirty, and fan out recomputes of dirty months. Hourly, also the trailing three months of every workspace with data, the
// monthly reports (publication and revisions) and retention. Each step fails alone, and
// each workspace database runs on its own, side by side: one database failing or slow
// never stops or delays another's sweep, recompute or publication.
import type { ExecutionContext, ScheduledController } from "@cloudflare/workers-types";
import { pausedWorkspaceIds } from "../db/directory";
import { type PlacedDatabase, workspaceDatabases } from "../db/placement";
import type { Env } from "../env";
import { releaseHeld, resumedWithHeld } from "../ingest/held";
import { sweepInbox } from "../ingest/inbox";
import { upgradeCatalog } from "../kpi/catalog-upgrade";
import { fanOutDirtyMonths, fanOutTrailingMonths } from "../kpi/schedule";
import { publishAll } from "../reports/cron";
import { reportSiteUrl } from "../reports/digest";
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

export interface DatabaseRun {
  database: string;
  swept: number;
  dirty: number;
  trailing: number;
  published: number;
}

/** The cron's steps over one workspace database; `paused` workspaces are left to their move. */
export async function runDatabase(
  env: Env,
  { name, db }: PlacedDatabase,
  controller: Pick<ScheduledController, "cron" | "scheduledTime">,
  background: (work: Promise<unknown>) => void,
  paused: ReadonlySet<string>,
): Promise<DatabaseRun> {
  const now = controller.scheduledTime;
  const run: DatabaseRun = { database: name, swept: 0, dirty: 0, trailing: 0, published: 0 };
  run.swept = await step(`${name} inbox sweep`, () => sweepInbox({ name, db }, env.EVENTS_QUEUE, now, paused));
  await step(`${name} catalog upgrade`, () => upgradeCatalog(db, now, undefined, paused));
  run.dirty = await step(`${name} dirty months`, () => fanOutDirtyMonths(db, env.RECOMPUTE_QUEUE, now, paused));
  if (controller.cron === HOURLY) {
    run.trailing = await step(`${name} trailing months`, () => fanOutTrailingMonths(db, env.RECOMPUTE_QUEUE, now, paused));
    // Deploy hooks and digest webhooks run after the response, with their own retries: never blocking the cron.
    run.published = await step(`${name} publication`, () => publishAll(db, now, background, undefined, paused, reportSiteUrl(env.REPORT_SITE_URL)));
    await step(`${name} retention`, () => applyRetention(env, db, now));
  }
  return run;
}

export async function runScheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<DatabaseRun[]> {
  const now = controller.scheduledTime;
  let paused: Set<string>;
  try {
    paused = await pausedWorkspaceIds(env.DB_DIRECTORY);
  } catch (error) {
    // Without the directory the cron cannot tell which workspaces a move is copying.
    console.error("cron: the directory is unavailable; nothing done this run", error);
    return [];
  }
  // What requests held just as a move resumed its workspace (ingest/held.ts).
  await step("held deliveries", async () => {
    let released = 0;
    for (const workspaceId of await resumedWithHeld(env.DB_DIRECTORY)) {
      released += await step(`held deliveries of ${workspaceId}`, () => releaseHeld(env, env.EVENTS_QUEUE, workspaceId, now));
    }
    return released;
  });
  const runs = await Promise.all(
    workspaceDatabases(env).map((database) => runDatabase(env, database, controller, (work) => ctx.waitUntil(work), paused)),
  );
  for (const run of runs) {
    if (run.swept + run.dirty + run.trailing + run.published > 0) {
      console.log(
        `cron ${controller.cron} ${run.database}: re-enqueued ${run.swept} inbox rows, ${run.dirty} dirty and ${run.trailing} trailing month jobs; published ${run.published} reports`,
      );
    }
  }
  return runs;
}

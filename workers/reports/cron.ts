// The cron's publication pass over every workspace with data (cron/scheduled.ts, hourly).
import type { D1Database } from "@cloudflare/workers-types";
import { workspacesWithKpis } from "../db/workspaces";
import { callDeployHook, type HookOptions } from "./deploy-hook";
import { publishDue } from "./schedule";

/**
 * Publishes what is due in every workspace with data of one workspace database (the cron
 * runs each database on its own), but `paused` ones (a move copies them); deploy hooks run
 * after, in the background.
 */
export async function publishAll(
  db: D1Database,
  now: number,
  background: (work: Promise<unknown>) => void,
  hookOptions?: HookOptions,
  paused: ReadonlySet<string> = new Set(),
): Promise<number> {
  let count = 0;
  for (const workspace of (await workspacesWithKpis(db)).filter((w) => !paused.has(w.id))) {
    try {
      const published = await publishDue(db, workspace.id, workspace.timezone, now);
      count += published.length;
      if (published.length > 0 && workspace.deployHookUrl) {
        background(callDeployHook(db, workspace.id, workspace.deployHookUrl, now, hookOptions));
      }
    } catch (error) {
      // One workspace's failure must not stop the others' publication.
      console.error(`publish: workspace ${workspace.id} failed`, error);
    }
  }
  return count;
}

// The cron's publication pass over every workspace with data (cron/scheduled.ts, hourly).
import type { D1Database } from "@cloudflare/workers-types";
import { publishedReport } from "../db/reports";
import { workspacesWithKpis } from "../db/workspaces";
import { callDeployHook, type HookOptions } from "./deploy-hook";
import { digestOf } from "./digest";
import { sendDigest } from "./digest-webhook";
import { publishDue } from "./schedule";

/**
 * Publishes what is due in every workspace with data of one workspace database (the cron
 * runs each database on its own), but `paused` ones (a move copies them); the deploy hook
 * and the digest webhook (one message per month published) run after, in the background.
 * `site` is the report site's URL (REPORT_SITE_URL): without it no digest can link to its
 * report, so none is sent.
 */
export async function publishAll(
  db: D1Database,
  now: number,
  background: (work: Promise<unknown>) => void,
  hookOptions?: HookOptions,
  paused: ReadonlySet<string> = new Set(),
  site: URL | null = null,
): Promise<number> {
  let count = 0;
  for (const workspace of (await workspacesWithKpis(db)).filter((w) => !paused.has(w.id))) {
    try {
      const published = await publishDue(db, workspace.id, workspace.timezone, now);
      count += published.length;
      if (published.length > 0 && workspace.deployHookUrl) {
        background(callDeployHook(db, workspace.id, workspace.deployHookUrl, now, hookOptions));
      }
      const digestUrl = workspace.digestWebhookUrl;
      if (published.length > 0 && digestUrl) {
        if (site === null) console.error(`digest webhook of ${workspace.id} skipped: REPORT_SITE_URL is not set`);
        else background(sendDigests(db, workspace.id, digestUrl, published, site, hookOptions));
      }
    } catch (error) {
      // One workspace's failure must not stop the others' publication.
      console.error(`publish: workspace ${workspace.id} failed`, error);
    }
  }
  return count;
}

/** The digest of each month just published, oldest first, one message each. Never throws. */
async function sendDigests(db: D1Database, workspaceId: string, url: string, months: readonly string[], site: URL, options?: HookOptions): Promise<void> {
  for (const month of [...months].sort()) {
    try {
      const report = await publishedReport(db, workspaceId, month);
      if (report) await sendDigest(workspaceId, url, digestOf(report, site), options);
    } catch (error) {
      console.error(`digest webhook of ${workspaceId} ${month} failed`, error);
    }
  }
}

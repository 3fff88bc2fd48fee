// The deploy hook: after a publication, a POST to the workspace's URL (a static host's
// build hook) so the site is rebuilt with the new report. Retried with backoff, bounded
// in time, recorded in deploy_hook_calls. Which URLs may be called and how they are called
// are shared with the digest webhook (outbound.ts).
import type { D1Database } from "@cloudflare/workers-types";
import { recordDeployHookCall } from "../db/deploy-hook-calls";
import { HOOK_DEFAULTS, type HookOptions, hookUrlProblem, type Outcome, postWithRetries } from "./outbound";

export type { HookOptions } from "./outbound";
/** A deploy hook URL follows the rules of every outbound hook (outbound.ts). */
export const deployHookUrlProblem = hookUrlProblem;

/**
 * POSTs the deploy hook (retries with backoff) and records the outcome. Never throws: a
 * failing hook must not fail the cron that published.
 */
export async function callDeployHook(
  db: D1Database,
  workspaceId: string,
  url: string,
  now: number,
  options: HookOptions = {},
): Promise<boolean> {
  // Checked again before every call: a URL stored before the rule (or by hand) is not trusted.
  const refused = deployHookUrlProblem(url);
  const outcome: Outcome = refused
    ? { attempts: 0, status: null, error: `refused: the deploy hook URL ${refused}` }
    : await postWithRetries(url, { userAgent: "Quotient deploy hook" }, { ...HOOK_DEFAULTS, ...options });
  const { status, error } = outcome;
  const ok = error === null;
  await recordDeployHookCall(db, { workspaceId, calledAt: now, attempts: outcome.attempts, status, ok, error }).catch((cause) =>
    console.error("deploy hook: could not record the call", cause),
  );
  if (!ok) console.error(`deploy hook of ${workspaceId} failed after ${outcome.attempts} attempts: ${error}`);
  return ok;
}

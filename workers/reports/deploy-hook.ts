// The deploy hook: after a publication, a POST to the workspace's URL (a static host's
// build hook) so the site is rebuilt with the new report. Retried with backoff, bounded
// in time, recorded in deploy_hook_calls.
import type { D1Database } from "@cloudflare/workers-types";
import { SECOND_MS } from "../../shared/units";
import { recordDeployHookCall } from "../db/deploy-hook-calls";
import { backoffDelayMs } from "../lib/backoff";

export interface HookOptions {
  attempts?: number;
  /** Milliseconds before the first retry; doubles each time. */
  backoffMs?: number;
  /** Milliseconds an attempt may take: a hook that never answers is abandoned. */
  timeoutMs?: number;
}

/** The longest error text kept of a failed attempt. */
const MAX_ERROR_CHARS = 500;

interface Outcome {
  attempts: number;
  /** HTTP status of the last attempt, null when it did not answer. */
  status: number | null;
  /** Null when the hook answered 2xx. */
  error: string | null;
}

/** POSTs `url` until it answers 2xx or the attempts run out. */
async function postWithRetries(url: string, { attempts, backoffMs, timeoutMs }: Required<HookOptions>): Promise<Outcome> {
  let status: number | null = null;
  let error: string | null = null;
  let attempt = 0;
  while (attempt < attempts) {
    attempt++;
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "user-agent": "Quotient deploy hook" },
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.status;
      await response.body?.cancel();
      if (response.ok) {
        error = null;
        break;
      }
      error = `HTTP ${response.status}`;
    } catch (cause) {
      status = null;
      error = String(cause).slice(0, MAX_ERROR_CHARS);
    }
    if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, backoffDelayMs(attempt, { firstMs: backoffMs })));
  }
  return { attempts: attempt, status, error };
}

/**
 * POSTs the deploy hook (retries with backoff) and records the outcome. Never throws: a
 * failing hook must not fail the cron that published.
 */
export async function callDeployHook(
  db: D1Database,
  workspaceId: string,
  url: string,
  now: number,
  { attempts = 3, backoffMs = 2 * SECOND_MS, timeoutMs = 10 * SECOND_MS }: HookOptions = {},
): Promise<boolean> {
  const outcome = await postWithRetries(url, { attempts, backoffMs, timeoutMs });
  const { status, error } = outcome;
  const ok = error === null;
  await recordDeployHookCall(db, { workspaceId, calledAt: now, attempts: outcome.attempts, status, ok, error }).catch((cause) =>
    console.error("deploy hook: could not record the call", cause),
  );
  if (!ok) console.error(`deploy hook of ${workspaceId} failed after ${outcome.attempts} attempts: ${error}`);
  return ok;
}

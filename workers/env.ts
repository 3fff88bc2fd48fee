// The Worker's bindings, declared once; every module types its context with these.
import type { D1Database, Queue, RateLimit } from "@cloudflare/workers-types";

export type InboxMessage = { inboxId: number };
export type RecomputeMessage = { workspaceId: string; month: string };

export interface Env {
  DB: D1Database;
  EVENTS_QUEUE: Queue<InboxMessage>;
  RECOMPUTE_QUEUE: Queue<RecomputeMessage>;
  /** Bearer token allowed to do everything (a Worker secret). */
  ADMIN_TOKEN: string;
  /** 32 random bytes, base64: the AES-GCM key that encrypts connection secrets at rest. */
  SECRETS_KEY: string;
  /**
   * Keys SECRETS_KEY replaced, comma-separated (a Worker secret; absent = none): they only
   * open secrets sealed before a rotation, until POST /api/v1/admin/rotate-secrets has
   * re-sealed every one under SECRETS_KEY.
   */
  SECRETS_KEY_PREVIOUS?: string;
  /** Requests per workspace token (Workers rate-limiting binding); absent = no limit. */
  API_RATE_LIMIT?: RateLimit;
  /** Days a processed delivery's raw body is kept (wrangler.toml [vars]); default 90. */
  RAW_BODY_RETENTION_DAYS?: string;
  /** Dead letters kept per workspace, newest first (wrangler.toml [vars]); default 10,000. */
  DEAD_LETTERS_PER_WORKSPACE?: string;
  /**
   * "true" lets a deploy hook be http://localhost / 127.0.0.1 (local development only; off by
   * default). Read through process.env by workers/reports/deploy-hook.ts.
   */
  ALLOW_LOCAL_DEPLOY_HOOKS?: string;
}

// The Worker's bindings, declared once; every module types its context with these.
import type { D1Database, Queue, RateLimit } from "@cloudflare/workers-types";

/**
 * An inbox row to apply: inbox ids are numbered per database, so the message names the
 * workspace database (its binding) holding the row. Messages sent before the directory
 * existed carry no database: they were all in the first one (workers/db/placement.ts).
 */
export type InboxMessage = { inboxId: number; database?: WorkspaceDatabaseName };
/** A month to recompute; the consumer finds the workspace's database in the directory. */
export type RecomputeMessage = { workspaceId: string; month: string };

/** The binding of a workspace database: every D1 binding named DB_WS_<n> in wrangler.toml. */
export type WorkspaceDatabaseName = `DB_WS_${string}`;

/** The D1 bindings: the directory and the workspace databases (workers/db/placement.ts). */
export type DatabaseBindings = {
  /**
   * The directory: what is global (workspaces and their placement, webhook ids and token
   * hashes → workspace, moves and what arrives during them). No workspace data.
   */
  DB_DIRECTORY: D1Database;
} & { [binding in WorkspaceDatabaseName]: D1Database };

export interface Env extends DatabaseBindings {
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
  /**
   * The report site's base URL, where the built site is served (wrangler.toml [vars], e.g.
   * https://reports.example.com/): the digest links to /r/<share_token>/ below it. Unset,
   * the API answers 503 for a digest and the cron sends none (workers/reports/digest.ts).
   */
  REPORT_SITE_URL?: string;
  /**
   * Seconds a move waits after pausing a workspace before it copies (wrangler.toml [vars];
   * default 30): longer than any request or queue batch that read the directory before the
   * pause and may still write to the old database.
   */
  MOVE_SETTLE_SECONDS?: string;
}

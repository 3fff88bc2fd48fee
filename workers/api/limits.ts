// The API's limits in one place: what a request may carry, how much a page holds, how
// long answers about the limits tell clients to wait.

/** The largest request body the API reads (settings tables are the largest legitimate ones). */
export const MAX_API_BODY_BYTES = 1024 * 1024;

/** Items per page of every list: `?limit=` from 1 to MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE without it. */
export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

/** Longest name of a workspace, connection or token. */
export const MAX_NAME_LENGTH = 200;

/** Rows one PUT of quotas, FX rates or spend may carry. */
export const MAX_SETTINGS_ROWS = 10_000;

/** Browser origins a workspace may allow (CORS). */
export const MAX_CORS_ORIGINS = 50;

/** Months one synchronous recompute may cover; the cron recomputes longer ranges itself. */
export const MAX_RECOMPUTE_MONTHS = 36;

/** Months a KPI series covers when `from` is not given, `to` included. */
export const DEFAULT_SERIES_MONTHS = 12;

/** The rate limit's window (wrangler.toml [[ratelimits]] period): a limited client retries after it. */
export const RATE_LIMIT_WINDOW_SECONDS = 60;

/** How long a browser may cache a CORS preflight answer. */
export const PREFLIGHT_MAX_AGE_SECONDS = 600;

/** A write to a workspace a move has paused is answered 503 with this Retry-After. */
export const MOVE_RETRY_AFTER_SECONDS = 60;

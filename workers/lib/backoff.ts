// Exponential backoff, the one rule behind every retry delay of the Worker: the inbox
// sweep's slow retries of failed deliveries (ingest/inbox.ts) and the deploy hook's
// retries (reports/deploy-hook.ts), and the queues' retries of deliveries (ingest/consumer.ts)
// and recomputes (kpi/recompute.ts).

export interface Backoff {
  /** Delay before the first retry. */
  firstMs: number;
  /** The longest delay: doubling stops there. */
  maxMs?: number;
}

/** The delay before retry number `retry` (1 = the first): firstMs, doubling each time, at most maxMs. */
export function backoffDelayMs(retry: number, { firstMs, maxMs = Number.POSITIVE_INFINITY }: Backoff): number {
  return Math.min(maxMs, firstMs * 2 ** Math.max(0, retry - 1));
}

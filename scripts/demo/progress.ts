// The demo loader's progress lines, one counter per thing counted, in three units:
// - a request is one HTTP POST to a webhook endpoint (a HubSpot batch, a Salesforce
//   message, one Pipedrive / Close / Stripe event, a native batch);
// - a delivery is what the Worker stores from it in its inbox and applies: one per request,
//   or one per item of a batch (HubSpot events, Salesforce notifications) — the unit of
//   the API's ingest-status;
// - a source event is one canonical part (a CRM's fields, or the native rest of an event),
//   said once when the company is split.
// A counter never passes its total: the bar is clamped, and the totals are known (requests)
// or read with the counts they total (deliveries).

/** `[####....]` for done of total; done is clamped to [0, total]. */
export function bar(done: number, total: number, width = 28): string {
  const share = total <= 0 ? 1 : Math.min(1, Math.max(0, done / total));
  const filled = Math.round(share * width);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
}

const count = (n: number) => String(Math.max(0, Math.round(n)));
const plural = (n: number, one: string, many = `${one}s`) => `${count(n)} ${n === 1 ? one : many}`;

/** While posting: requests answered of all requests, and the failures among them. */
export function postingLine(p: { answered: number; total: number; failed: number; seconds: number }): string {
  const answered = Math.min(p.answered, p.total);
  return `  ${bar(answered, p.total)} ${count(answered)}/${plural(p.total, "request")} answered · ${p.seconds.toFixed(0)} s` +
    (p.failed > 0 ? ` · ${count(p.failed)} refused` : "");
}

/** The inbox's counts (ingest-status, less what was there before), all in deliveries. */
export interface InboxCounts {
  processed: number;
  failed: number;
  pending: number;
}

/** Deliveries the Worker has stored: applied, failed or still pending. */
export const stored = (c: InboxCounts) => c.processed + c.failed + c.pending;

/** While the queue applies the inbox: deliveries applied of those stored. */
export function applyingLine(c: InboxCounts): string {
  const total = stored(c);
  return `  ${bar(c.processed + c.failed, total)} ${count(c.processed)}/${plural(total, "delivery", "deliveries")} applied · ${count(c.pending)} pending` +
    (c.failed > 0 ? ` · ${count(c.failed)} failed` : "");
}

/** While recomputing or publishing: months done of all months. */
export function monthsLine(done: number, total: number, month: string): string {
  return `  ${bar(done, total)} ${count(Math.min(done, total))}/${plural(total, "month")} · ${month}`;
}

/** The loader's last line: requests posted, the deliveries they carried, and how many were applied. */
export function doneLine(p: {
  seconds: number;
  requests: number;
  refused: number;
  inbox: InboxCounts;
  deadLetters: number;
}): string {
  const total = stored(p.inbox);
  return `• done in ${p.seconds.toFixed(1)} s: ${plural(p.requests, "request")} posted (${count(p.refused)} refused) ` +
    `carrying ${plural(total, "delivery", "deliveries")}; ${count(p.inbox.processed)}/${count(total)} deliveries applied` +
    (p.inbox.failed > 0 ? `, ${count(p.inbox.failed)} failed` : "") +
    (p.inbox.pending > 0 ? `, ${count(p.inbox.pending)} still pending` : "") +
    `; ${plural(p.deadLetters, "dead letter")} (events the Worker refused)`;
}

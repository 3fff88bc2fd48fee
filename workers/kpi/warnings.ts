// Data-quality counts of a month: money left out for want of an FX rate, deals won
// without an owner or an amount, and events in the dead-letter store.
import { DEALS_WON_IN_MONTH, inMonth, OPEN_DEALS, subscriptionMrrAt } from "./facts";
import { P, rateAt } from "./sql";

/**
 * Open deals the warnings count: only those without an amount or a usable rate are kept,
 * so the open pipeline is read once and never materialized whole.
 */
const COUNTS = `WITH won AS MATERIALIZED (${DEALS_WON_IN_MONTH}),
open AS MATERIALIZED (SELECT deal_id, amount, rate FROM (${OPEN_DEALS}) WHERE amount IS NULL OR rate IS NULL),
subscriptions_unpriced AS (
  SELECT s.subscription_id FROM subscriptions s
  WHERE s.workspace_id = ${P.workspace}
    AND COALESCE(${subscriptionMrrAt(P.end)}, 0) + COALESCE(${subscriptionMrrAt(P.start)}, 0) > 0
    AND ${rateAt(`COALESCE(s.currency, ${P.base})`, P.month)} IS NULL)
SELECT 'missing_fx' AS warning,
  (SELECT COUNT(*) FROM (SELECT deal_id FROM won WHERE amount IS NOT NULL AND rate IS NULL
                         UNION SELECT deal_id FROM open WHERE amount IS NOT NULL AND rate IS NULL))
  + (SELECT COUNT(*) FROM subscriptions_unpriced) AS count
UNION ALL SELECT 'won_without_owner', (SELECT COUNT(*) FROM won WHERE owner_rep_id IS NULL)
UNION ALL SELECT 'won_without_amount', (SELECT COUNT(*) FROM won WHERE amount IS NULL)
UNION ALL SELECT 'deals_without_amount',
  (SELECT COUNT(*) FROM (SELECT deal_id FROM won WHERE amount IS NULL UNION SELECT deal_id FROM open WHERE amount IS NULL))
UNION ALL SELECT 'dead_letters',
  (SELECT COUNT(*) FROM dead_letters WHERE workspace_id = ${P.workspace}
     AND ${inMonth("COALESCE(occurred_at, created_at)")})`;

export const WARNING_QUERIES = { counts: COUNTS };

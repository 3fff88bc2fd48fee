// Data-quality counts of a month: money left out for want of an FX rate, deals won
// without an owner or an amount, and events in the dead-letter store.
import { closedDeals, OPEN_DEALS } from "./revenue";
import { P, rateAt, stateAt } from "./sql";

const WON = `SELECT * FROM (${closedDeals(P.start, P.end, P.month)}) WHERE status = 'won'`;

/**
 * Open deals the warnings count: only those without an amount or a usable rate are kept,
 * so the open pipeline is read once and never materialized whole.
 */
const COUNTS = `WITH won AS MATERIALIZED (${WON}),
open AS MATERIALIZED (SELECT deal_id, amount, rate FROM (${OPEN_DEALS}) WHERE amount IS NULL OR rate IS NULL),
subscriptions_unpriced AS (
  SELECT s.subscription_id FROM subscriptions s
  WHERE s.workspace_id = ${P.workspace}
    AND COALESCE(${stateAt("s", "subscription", "s.subscription_id", "mrr", P.end, "value_num")}, 0)
      + COALESCE(${stateAt("s", "subscription", "s.subscription_id", "mrr", P.start, "value_num")}, 0) > 0
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
     AND COALESCE(occurred_at, created_at) >= ${P.start} AND COALESCE(occurred_at, created_at) < ${P.end})`;

export const WARNING_QUERIES = { counts: COUNTS };

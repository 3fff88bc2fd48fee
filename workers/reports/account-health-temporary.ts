// TEMPORARY COPY — delete when the customers branch lands its named fact in workers/kpi.
// The report reads the account-level health of customer_health (docs/kpis.md, "Health
// score") through the fact the engine exports; until it is on main, this file stands in
// for it with the same interface: ACCOUNT_HEALTH binds the engine's month parameters and
// returns one row per customer account at start(M+1) with
// account_id, name, owner_rep_id, segment, region, mrr, revenue, loyalty, engagement, score.
import { CONTACT_TYPES_SQL } from "../model/events";
import { customerAccountsAt, subscriptionMrrAt } from "../kpi/facts";
import { P, rateAt, stateAt } from "../kpi/sql";
import { monthParams, type WorkspaceSettings } from "../kpi/engine";
import { addMonths, startOfMonth } from "../../shared/months";
import { DAY_MS } from "../../shared/units";

/** Accounts whose health score is below this are at risk (catalog: accounts_at_risk). */
export const AT_RISK_BELOW = 70;

/** start(M−2) for the revenue trend is beyond the engine's parameters; start(M−11) for loyalty is P.yoyEnd. */
const START_M_MINUS_2 = "?17";
const START_M_MINUS_11 = P.yoyEnd;

const account = (field: string) => stateAt("x", "account", "x.account_id", field, P.end);

export const ACCOUNT_HEALTH = `WITH customer AS MATERIALIZED (${customerAccountsAt(P.end)}),
subscription_mrr AS MATERIALIZED (
  SELECT s.account_id,
    ${rateAt(`COALESCE(${stateAt("s", "subscription", "s.subscription_id", "currency", P.end)}, ${P.base})`, P.month)} AS rate,
    COALESCE(${subscriptionMrrAt(START_M_MINUS_2)}, 0) AS m0,
    COALESCE(${subscriptionMrrAt(P.end)}, 0) AS m1,
    EXISTS (SELECT 1 FROM field_history h WHERE h.workspace_id = ${P.workspace} AND h.entity_type = 'subscription'
      AND h.entity_id = s.subscription_id AND h.field = 'mrr' AND h.value_num > 0 AND h.occurred_at < ${P.end}) AS had_mrr
  FROM customer c CROSS JOIN subscriptions s ON s.workspace_id = ${P.workspace} AND s.account_id = c.account_id),
account_mrr AS MATERIALIZED (
  SELECT account_id, TOTAL(CASE WHEN rate IS NOT NULL THEN m0 * rate END) AS m0,
    TOTAL(CASE WHEN rate IS NOT NULL THEN m1 * rate END) AS m1, MAX(had_mrr) AS had_mrr
  FROM subscription_mrr GROUP BY account_id),
nps AS MATERIALIZED (
  SELECT account_id, MAX(score) AS score FROM (
    SELECT r.account_id, r.score, ROW_NUMBER() OVER (PARTITION BY r.account_id ORDER BY r.occurred_at DESC, r.response_id DESC) AS latest
    FROM survey_responses r
    WHERE r.workspace_id = ${P.workspace} AND r.survey = 'nps' AND r.account_id IS NOT NULL AND r.score IS NOT NULL
      AND r.occurred_at >= ${START_M_MINUS_11} AND r.occurred_at < ${P.end})
  WHERE latest = 1 GROUP BY account_id),
last_contact AS MATERIALIZED (
  SELECT a.account_id, MAX(a.occurred_at) AS at FROM activities a
  WHERE a.workspace_id = ${P.workspace} AND a.account_id IS NOT NULL AND a.type IN ${CONTACT_TYPES_SQL}
    AND a.occurred_at >= ${P.end} - ${90 * DAY_MS} AND a.occurred_at < ${P.end}
  GROUP BY a.account_id),
components AS (
  SELECT c.account_id, COALESCE(x.name, c.account_id) AS name, ${account("owner_rep_id")} AS owner_rep_id,
    COALESCE(${account("segment")}, 'unknown') AS segment, COALESCE(${account("region")}, 'unknown') AS region,
    COALESCE(m.m1, 0) AS mrr,
    CASE WHEN COALESCE(m.had_mrr, 0) = 0 THEN 0.5
      WHEN m.m0 = 0 AND m.m1 > 0 THEN 1.0
      WHEN m.m0 > 0 THEN MIN(1.0, MAX(0.0, 0.5 + (m.m1 - m.m0) / (2 * m.m0)))
      ELSE 0.0 END AS revenue,
    COALESCE(n.score / 10.0, 0.5) AS loyalty,
    CASE WHEN l.at IS NULL THEN 0.0
      WHEN (${P.end} - l.at) <= ${30 * DAY_MS} THEN 1.0
      ELSE (90.0 - (${P.end} - l.at) * 1.0 / ${DAY_MS}) / 60.0 END AS engagement
  FROM customer c
  LEFT JOIN accounts x ON x.workspace_id = ${P.workspace} AND x.account_id = c.account_id
  LEFT JOIN account_mrr m ON m.account_id = c.account_id
  LEFT JOIN nps n ON n.account_id = c.account_id
  LEFT JOIN last_contact l ON l.account_id = c.account_id)
SELECT account_id, name, owner_rep_id, segment, region, mrr, revenue, loyalty, engagement,
  CAST(100.0 * (0.4 * revenue + 0.3 * loyalty + 0.3 * engagement) + 0.5 + 1e-9 AS INTEGER) AS score
FROM components`;

/** The parameters ACCOUNT_HEALTH binds: the engine's, then start(M−2). */
export function accountHealthParams(workspace: WorkspaceSettings, month: string): unknown[] {
  return [...monthParams(workspace, month, null, 0, "report"), startOfMonth(addMonths(month, -2), workspace.timezone)];
}

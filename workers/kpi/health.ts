// The customer health score (docs/kpis.md, rules 32–34): per customer account at
// t = start(M+1), an integer 0–100 from its MRR trend, its latest NPS and its latest contact
// activity; customer_health is the mean, accounts_at_risk the share below 70.
//
// Cost: the customer accounts at t (facts.ts), then per account only index-driven reads
// bounded by the score's own windows — its subscriptions' MRR at two instants, its NPS
// responses of the 12 months (one index range of the workspace's responses), and its
// activities of the last 90 days before t (the activities_account index, newest first,
// stopping at the first contact activity). Nothing older than 90 days of activity, or
// than start(M−11) of surveys, is read.
import { count, MeasuredFacts, sum } from "./measures";
import { CONTACT_TYPES_SQL } from "../model/events";
import { customerAccountsAt, subscriptionHadMrrBefore, subscriptionMrrAt, subscriptionRate, withAccountKeysAt } from "./facts";
import { days, dimensionJoin, P, unionAll } from "./sql";
import { DAY_MS } from "../../shared/units";

/** Health below this is "at risk" (accounts_at_risk). */
export const AT_RISK_BELOW = 70;

/** Engagement is 1 up to this many days since the latest contact activity, 0 from ENGAGEMENT_NONE_DAYS. */
const ENGAGEMENT_FULL_DAYS = 30;
const ENGAGEMENT_NONE_DAYS = 90;

/**
 * The instant of account `accountId`'s latest contact activity before `instant`
 * (docs/kpis.md, rule 34), looked at only in the ENGAGEMENT_NONE_DAYS before it — an older
 * one scores 0 like none. The account index is named: the planner could otherwise walk the
 * time index over every account's activities.
 */
const latestContactBefore = (accountId: string, instant: string) => `(SELECT a.occurred_at
    FROM activities a INDEXED BY activities_account
    WHERE a.workspace_id = ${P.workspace} AND a.account_id = ${accountId}
      AND a.occurred_at < ${instant} AND a.occurred_at > ${instant} - ${ENGAGEMENT_NONE_DAYS * DAY_MS}
      AND a.type IN ${CONTACT_TYPES_SQL}
    ORDER BY a.occurred_at DESC LIMIT 1)`;

const healthKeys = dimensionJoin({ all: "'all'", rep: "f.rep", segment: "f.segment", region: "f.region" });

/**
 * Every customer account at t with its health (docs/kpis.md, rules 32–34): account_id, its
 * keys at t (rep, region, segment), its MRR at t at M's rate, the three components, each in
 * [0, 1], and the score. Components:
 * - revenue from m0 = MRR at start(M−2) and m1 = MRR at t, both at M's rate (rule 16);
 *   subscriptions without a usable rate are left out, as in the MRR family;
 * - loyalty from the latest `nps` response in [start(M−11), t), ties to the larger id;
 * - engagement from d, the days from the latest contact activity before t to t.
 * The score rounds half up after rounding away binary noise at 1e-9 (rule 32), so that
 * 57.5 computed as 57.49999999999999 is 58. The KPIs below and the report's accounts at
 * risk (workers/reports/inputs.ts) read it.
 */
export const ACCOUNT_HEALTH = `WITH customer AS MATERIALIZED (${customerAccountsAt(P.end)}),
subscription_mrr AS MATERIALIZED (
  SELECT s.account_id, ${subscriptionRate(P.end)} AS rate,
    COALESCE(${subscriptionMrrAt(P.twoBackStart)}, 0) AS m0,
    COALESCE(${subscriptionMrrAt(P.end)}, 0) AS m1,
    ${subscriptionHadMrrBefore(P.end)} AS had_mrr
  FROM customer c
  JOIN subscriptions s ON s.workspace_id = ${P.workspace} AND s.account_id = c.account_id),
account_mrr AS (
  SELECT account_id, TOTAL(m0 * rate) AS m0, TOTAL(m1 * rate) AS m1, MAX(had_mrr) AS had_mrr
  FROM subscription_mrr WHERE rate IS NOT NULL GROUP BY account_id),
latest_nps AS MATERIALIZED (
  SELECT account_id, TOTAL(CASE WHEN position = 1 THEN score END) AS score FROM (
    SELECT r.account_id, r.score,
      ROW_NUMBER() OVER (PARTITION BY r.account_id ORDER BY r.occurred_at DESC, r.response_id DESC) AS position
    FROM survey_responses r
    WHERE r.workspace_id = ${P.workspace} AND r.survey = 'nps'
      AND r.occurred_at >= ${P.yoyEnd} AND r.occurred_at < ${P.end} AND r.account_id IS NOT NULL)
  GROUP BY account_id),
account AS MATERIALIZED (${withAccountKeysAt(
  `SELECT c.account_id, ${latestContactBefore("c.account_id", P.end)} AS contact_at FROM customer c`,
  P.end,
)}),
components AS (
  SELECT a.account_id, a.rep, a.region, a.segment, COALESCE(m.m1, 0) AS mrr,
    CASE
      WHEN m.had_mrr IS NULL OR NOT m.had_mrr THEN 0.5
      WHEN m.m0 = 0 AND m.m1 > 0 THEN 1.0
      WHEN m.m0 > 0 THEN MIN(1.0, MAX(0.0, 0.5 + (m.m1 - m.m0) / (2 * m.m0)))
      ELSE 0.0 END AS revenue,
    COALESCE(n.score / 10.0, 0.5) AS loyalty,
    CASE
      WHEN a.contact_at IS NULL THEN 0.0
      ELSE MIN(1.0, MAX(0.0, (${ENGAGEMENT_NONE_DAYS} - ${days(`(${P.end} - a.contact_at)`)}) / ${ENGAGEMENT_NONE_DAYS - ENGAGEMENT_FULL_DAYS}.0))
      END AS engagement
  FROM account a
  LEFT JOIN account_mrr m ON m.account_id = a.account_id
  LEFT JOIN latest_nps n ON n.account_id = a.account_id),
scored AS (
  SELECT account_id, rep, region, segment, mrr, revenue, loyalty, engagement,
    CAST(ROUND(100 * (0.4 * revenue + 0.3 * loyalty + 0.3 * engagement), 9) + 0.5 AS INTEGER) AS health
  FROM components)
SELECT * FROM scored`;

/**
 * The customer accounts at t with their health, one row per account: the members of both
 * KPIs are accounts, placed at no instant (the score is a state at t).
 */
export const HEALTH_SCORES = new MeasuredFacts({
  with: `WITH account_health AS MATERIALIZED (${ACCOUNT_HEALTH})`,
  from: "account_health",
  keyed: healthKeys,
  // The account's MRR at t, in the base currency (at M's rate).
  member: { type: "'account'", id: "f.account_id", placedAt: "NULL", amount: "f.mrr", currency: P.base, converted: "f.mrr" },
  measures: {
    health: sum("health"),
    accounts: count(),
    at_risk: count(`health < ${AT_RISK_BELOW}`),
  },
});

/** customer_health is the mean score, accounts_at_risk the share below AT_RISK_BELOW. */
const HEALTH = `${HEALTH_SCORES.agg}
${unionAll(
  HEALTH_SCORES.ratio("customer_health", "health", "accounts"),
  HEALTH_SCORES.ratio("accounts_at_risk", "at_risk", "accounts"),
)}`;

export const HEALTH_QUERIES = { health: HEALTH };

/** The measured facts of this family: their values' members (members.ts). */
export const HEALTH_FACTS: MeasuredFacts[] = [HEALTH_SCORES];

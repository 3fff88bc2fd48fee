// Named facts the KPI families share: the month window, how a deal is classified, the
// deals won, lost, created in or open at the end of a month, and the customer accounts
// at an instant. Families import these and never each other, so a rule of docs/kpis.md
// that several families read is written here once.
import { CONTACT_TYPES_SQL } from "../model/events";
import { dimensionJoin, P, rateAt, stateAt, teamAt } from "./sql";

/** Overall, by rep and by team: the breakdown of the facts with `rep` and `team` columns. */
export const repTeamKeys = dimensionJoin({ all: "'all'", rep: "f.rep", team: "f.team" });

/** An instant in month M, the half-open [start(M), start(M+1)) (docs/kpis.md, Conventions). */
export const inMonth = (instant: string) => `(${instant} >= ${P.start} AND ${instant} < ${P.end})`;

/** A breakdown key: the first candidate that is not null, else `unknown` (docs/kpis.md, Conventions). */
const keyOrUnknown = (...candidates: string[]) => `COALESCE(${candidates.join(", ")}, 'unknown')`;

/**
 * A region key (docs/kpis.md, Conventions and rule 18): the account's region, else the
 * owner rep's — the deal's owner for a deal, the account's owner for an account or a
 * survey — then the further fallbacks (a survey's own rep), else `unknown`.
 */
export const regionKey = (accountRegion: string, ownerRegion: string, ...fallbacks: string[]) =>
  keyOrUnknown(accountRegion, ownerRegion, ...fallbacks);

/** The account `accountId` is not deleted (docs/kpis.md, rule 6: never counted, in any month). */
export const accountNotDeleted = (accountId: string) =>
  `NOT EXISTS (SELECT 1 FROM accounts x WHERE x.workspace_id = ${P.workspace} AND x.account_id = ${accountId} AND x.deleted_at IS NOT NULL)`;

/** The MRR of subscription row `s` at an instant (unconverted). */
export const subscriptionMrrAt = (instant: string) =>
  stateAt("s", "subscription", "s.subscription_id", "mrr", instant, "value_num");

/**
 * A deal `d`'s breakdown keys by its current attributes (docs/kpis.md, rule 8), its owner's
 * team at `teamInstant`; read through DEAL_ATTRIBUTE_JOINS. A deal's region is its
 * account's, else its owner's (docs/spec-readings.md: not the account owner's).
 */
const dealKeys = (teamInstant: string) => `COALESCE(d.owner_rep_id, 'unknown') AS rep,
      ${teamAt("d.owner_rep_id", teamInstant)} AS team,
      ${regionKey("account.region", "owner.region")} AS region,
      COALESCE(d.source, lead.source, 'unknown') AS source,
      COALESCE(account.segment, 'unknown') AS segment`;

/** The rows a deal `d` is classified by: its account, its owner rep and its lead (for the source). */
const DEAL_ATTRIBUTE_JOINS = `LEFT JOIN accounts account ON account.workspace_id = d.workspace_id AND account.account_id = d.account_id
    LEFT JOIN reps owner ON owner.workspace_id = d.workspace_id AND owner.rep_id = d.owner_rep_id
    LEFT JOIN leads lead ON lead.workspace_id = d.workspace_id AND lead.lead_id = d.lead_id`;

/**
 * Deals won or lost in [start, end), classified by their current attributes (docs/kpis.md,
 * rule 8) except the owner's team, taken at closed_at. `converted` is null without an
 * amount or without a usable rate for `rateMonth`; `reason` is the loss-reason key and
 * `competitive` whether a competitor is named (rule 26), `term_months` the contract length
 * (rule 27).
 */
export function closedDeals(start: string, end: string, rateMonth: string): string {
  // The rate is looked up once per deal; `converted` reuses it.
  return `SELECT c.*, c.amount * c.rate AS converted FROM (
    SELECT d.deal_id, d.status, d.kind, d.amount, d.currency, d.created_at, d.closed_at, d.owner_rep_id, d.term_months,
      ${lossReasonKey("d.lost_reason")} AS reason,
      ${nonBlank("d.competitor")} AS competitive,
      ${dealKeys("d.closed_at")},
      ${rateAt(`COALESCE(d.currency, ${P.base})`, rateMonth)} AS rate
    FROM deals d
    ${DEAL_ATTRIBUTE_JOINS}
    WHERE d.workspace_id = ${P.workspace} AND d.deleted_at IS NULL AND d.status IN ('won', 'lost')
      AND d.closed_at >= ${start} AND d.closed_at < ${end}) c`;
}

/** Deals won in M, converted at M's rate. */
export const DEALS_WON_IN_MONTH = `SELECT * FROM (${closedDeals(P.start, P.end, P.month)}) WHERE status = 'won'`;

/** Deals created in M, the opportunity cohort: current attributes, the owner's team at created_at (rule 8). */
export const DEALS_CREATED_IN_MONTH = `SELECT d.deal_id, d.status, d.amount, d.currency, d.created_at, d.owner_rep_id, d.lead_id,
    ${dealKeys("d.created_at")}
  FROM deals d
  ${DEAL_ATTRIBUTE_JOINS}
  WHERE d.workspace_id = ${P.workspace} AND d.deleted_at IS NULL
    AND ${inMonth("d.created_at")}`;

/**
 * The deals that can be open at some instant in [from, to] — open or without status now, or
 * won / lost but created before `to` and closed or changed since `from` — as `deal_id`
 * rows, from index ranges of deals_status; deleted ones included (callers decide: the
 * pipeline movement follows a deal until its deletion). Only these can be open then, so
 * the attribute lookups run for the open pipeline and never for the whole history.
 */
export const dealsOpenBetween = (from: string, to: string) => `SELECT deal_id FROM deals WHERE workspace_id = ${P.workspace} AND status IS NULL
  UNION ALL SELECT deal_id FROM deals WHERE workspace_id = ${P.workspace} AND status = 'open'
  UNION ALL SELECT deal_id FROM deals WHERE workspace_id = ${P.workspace} AND status IN ('won', 'lost')
    AND created_at < ${to} AND (closed_at >= ${from} OR updated_at > ${from})`;

/** The deals that can be open at start(M) or at start(M+1) (slippage, the pipeline movement). */
export const DEALS_AT_MONTH_EDGES = dealsOpenBetween(P.start, P.end);

/**
 * Deal row `row` (with created_at and closed_at) is open at `instant` given its status then
 * (docs/kpis.md, Conventions: created before it and not closed at it).
 */
export const openAt = (row: string, status: string, instant: string) =>
  `(${row}.created_at < ${instant} AND (${status} IS NULL OR ${status} = 'open' OR ${row}.closed_at >= ${instant}))`;

/**
 * Each deal's plan for M (docs/kpis.md, rule 38): deal_id, name, its owner (rep) and team
 * at start(M+1), its converted amount then at M's rate, its plan (expected close as of
 * start(M), or its first event when later) and its expected close at start(M+1), and
 * whether it slipped, was pushed out of M or pulled into it. Over the deals that can be
 * open at either edge or closed in M; deleted ones never count (rule 6); deals without a
 * plan are left out. The slippage KPIs (revenue.ts) and the report's slipped deals read it.
 */
export const DEAL_PLANS = `WITH candidate AS (${DEALS_AT_MONTH_EDGES}),
edges AS MATERIALIZED (
  SELECT d.deal_id, d.name, d.created_at, d.closed_at,
    ${stateAt("d", "deal", "d.deal_id", "status", P.end)} AS status,
    ${stateAt("d", "deal", "d.deal_id", "owner_rep_id", P.end)} AS owner,
    ${stateAt("d", "deal", "d.deal_id", "amount", P.end, "value_num")} AS amount,
    COALESCE(${stateAt("d", "deal", "d.deal_id", "currency", P.end)}, ${P.base}) AS currency,
    ${stateAt("d", "deal", "d.deal_id", "expected_close_at", `MAX(${P.start}, d.first_seen_at)`, "value_num")} AS planned,
    ${stateAt("d", "deal", "d.deal_id", "expected_close_at", P.end, "value_num")} AS expected
  FROM candidate c CROSS JOIN deals d ON d.workspace_id = ${P.workspace} AND d.deal_id = c.deal_id
  WHERE d.deleted_at IS NULL AND d.created_at < ${P.end})
SELECT e.deal_id, e.name, COALESCE(e.owner, 'unknown') AS rep, ${teamAt("e.owner", P.end)} AS team,
  e.amount, e.currency, e.amount * ${rateAt("e.currency", P.month)} AS converted, e.planned, e.expected,
  ${inMonth("e.planned")} AND ${openAt("e", "e.status", P.end)} AS slipped,
  ${inMonth("e.planned")} AND e.expected >= ${P.end} AS pushed,
  e.planned >= ${P.end} AND ${inMonth("e.expected")} AS pulled_in
FROM edges e WHERE e.planned IS NOT NULL`;

/**
 * Deals open at start(M+1) = P.end, every attribute as of that instant (docs/kpis.md,
 * rule 9), with the rate of M for their currency at that instant.
 *
 * Open at t: created_at < t and (status at t is open or none, or closed_at >= t). Only
 * two kinds of deal can be, read from the deals_status index, so the attribute lookups
 * run for the open pipeline and never for the whole history: deals whose current status
 * is open or none, and won / lost deals created before t that closed at or after t or
 * changed after t (their status at t may still have been open).
 */
export const OPEN_DEALS = `SELECT s.*, ${rateAt("s.currency", P.month)} AS rate FROM (
    SELECT d.deal_id, d.created_at, d.closed_at,
      ${stateAt("d", "deal", "d.deal_id", "status", P.end)} AS status,
      ${stateAt("d", "deal", "d.deal_id", "owner_rep_id", P.end)} AS owner,
      ${stateAt("d", "deal", "d.deal_id", "account_id", P.end)} AS account_id,
      ${stateAt("d", "deal", "d.deal_id", "amount", P.end, "value_num")} AS amount,
      COALESCE(${stateAt("d", "deal", "d.deal_id", "currency", P.end)}, ${P.base}) AS currency
    FROM (${dealsOpenBetween(P.end, P.end)}) candidate
    CROSS JOIN deals d ON d.workspace_id = ${P.workspace} AND d.deal_id = candidate.deal_id
    WHERE d.deleted_at IS NULL AND d.created_at < ${P.end}) s
  WHERE ${openAt("s", "s.status", P.end)}`;

/**
 * Customer accounts at an instant (docs/kpis.md, rule 24): a won deal closed before it, or
 * MRR above 0 at it; deleted accounts are never customers. Set-based: the won deals closed
 * before the instant (an index range of deals) and the subscriptions' MRR at it, never
 * per account.
 */
export function customerAccountsAt(instant: string): string {
  return `SELECT c.account_id FROM (
      SELECT account_id FROM deals WHERE workspace_id = ${P.workspace} AND status = 'won' AND closed_at < ${instant}
        AND deleted_at IS NULL AND account_id IS NOT NULL
      UNION
      SELECT s.account_id FROM subscriptions s WHERE s.workspace_id = ${P.workspace} AND s.account_id IS NOT NULL
      GROUP BY s.account_id
      HAVING TOTAL(${subscriptionMrrAt(instant)}) > 0) c
    WHERE ${accountNotDeleted("c.account_id")}`;
}

// ---------------------------------------------------------------- catalog version 2: deals, leads, activity
// Function declarations (hoisted), because closedDeals above already reads them when the
// module's constants are built.

/** A text without its leading and trailing blanks: spaces, tabs and line breaks (docs/kpis.md, rule 26). */
function trimmed(text: string): string {
  return `TRIM(${text}, ' ' || char(9) || char(10) || char(13))`;
}

/** 1 when a text holds more than blanks, else 0 (also for null): a competitor is named (docs/kpis.md, rule 26). */
function nonBlank(text: string): string {
  return `COALESCE(${trimmed(text)} <> '', 0)`;
}

/** A lost deal's reason key: lost_reason trimmed and lower-cased, `unknown` when absent or blank (docs/kpis.md, rule 26). */
function lossReasonKey(lostReason: string): string {
  return `COALESCE(NULLIF(LOWER(${trimmed(lostReason)}), ''), 'unknown')`;
}

/** Activity `a` is an outbound contact activity: direction outbound, a contact type (docs/kpis.md, Definitions). */
export function outboundContact(a: string): string {
  return `(${a}.workspace_id = ${P.workspace} AND ${a}.direction = 'outbound' AND ${a}.type IN ${CONTACT_TYPES_SQL})`;
}

/**
 * The first touch of lead `leadId` (docs/kpis.md, rule 29): the type of its first outbound
 * contact activity at any time — earliest occurred_at, ties to the larger activity id —
 * else `none`. One range of the activities_lead index per lead: call it only for a
 * month's leads.
 */
export function firstTouchOf(leadId: string): string {
  return `COALESCE((SELECT o.type FROM activities o WHERE ${outboundContact("o")} AND o.lead_id = ${leadId}
    ORDER BY o.occurred_at, o.activity_id DESC LIMIT 1), 'none')`;
}

// ---------------------------------------------------------------- customers (catalog version 2)
// Accounts keyed at an instant, subscription rates and MRR history, and the customer start
// (customer_acquisition_cost), shared by the MRR family and the health score.

/**
 * The FX rate of subscription row `s` usable in M, for its currency as of `instant` (the
 * base currency when it has none): MRR at both edges is converted at M's rate
 * (docs/kpis.md, rule 16). Null when there is no usable rate.
 */
export const subscriptionRate = (instant: string) =>
  rateAt(`COALESCE(${stateAt("s", "subscription", "s.subscription_id", "currency", instant)}, ${P.base})`, P.month);

/**
 * Subscription row `s` had MRR above 0 at an instant strictly before `before`: one range of
 * its own MRR history, ending at the first such value.
 */
export const subscriptionHadMrrBefore = (before: string) =>
  `EXISTS (SELECT 1 FROM field_history h WHERE h.workspace_id = ${P.workspace} AND h.entity_type = 'subscription'
      AND h.entity_id = s.subscription_id AND h.field = 'mrr' AND h.value_num > 0 AND h.occurred_at < ${before})`;

/** The owner rep of account `accountId` at an instant (null without one): one account row, its history when it changed since. */
export const accountOwnerAt = (accountId: string, instant: string) =>
  `(SELECT ${stateAt("owner_of", "account", accountId, "owner_rep_id", instant)} FROM accounts owner_of
    WHERE owner_of.workspace_id = ${P.workspace} AND owner_of.account_id = ${accountId})`;

/**
 * The rows of `accountRows` (a SELECT with an `account_id` column) with the account's keys
 * at an instant, as the MRR family and the health score read them (docs/kpis.md,
 * Conventions and rule 18): `rep` its owner rep, `region` its own region else its owner
 * rep's, `segment` its segment, each as of the instant, `unknown` when missing. An
 * account id without an accounts row (seen only in deals or subscriptions) has them all
 * `unknown`.
 */
export function withAccountKeysAt(accountRows: string, instant: string): string {
  return `SELECT k.*, COALESCE(k.owner_rep_id, 'unknown') AS rep,
      ${regionKey("k.own_region", stateAt("owner", "rep", "k.owner_rep_id", "region", instant))} AS region,
      COALESCE(k.own_segment, 'unknown') AS segment
    FROM (SELECT a.*, ${stateAt("x", "account", "a.account_id", "region", instant)} AS own_region,
        ${stateAt("x", "account", "a.account_id", "segment", instant)} AS own_segment,
        ${stateAt("x", "account", "a.account_id", "owner_rep_id", instant)} AS owner_rep_id
      FROM (${accountRows}) a
      LEFT JOIN accounts x ON x.workspace_id = ${P.workspace} AND x.account_id = a.account_id) k
    LEFT JOIN reps owner ON owner.workspace_id = ${P.workspace} AND owner.rep_id = k.owner_rep_id`;
}

/**
 * The new customers of M (docs/kpis.md, rule 35), one row per account_id: accounts whose
 * customer start — the earlier of their first won deal's closed_at and the first instant
 * their MRR was above 0 — lies in M; account ids seen in deals or subscriptions, deleted
 * accounts (and deleted deals) left out. Read from M's facts only: the won deals closed
 * in M and the MRR values set above 0 in M (index ranges of the month), each candidate
 * then checked for an earlier start through its own deals and subscriptions.
 */
export const NEW_CUSTOMERS_IN_MONTH = `SELECT c.account_id FROM (
    SELECT account_id FROM deals WHERE workspace_id = ${P.workspace} AND status = 'won'
      AND closed_at >= ${P.start} AND closed_at < ${P.end} AND deleted_at IS NULL AND account_id IS NOT NULL
    UNION
    SELECT s.account_id FROM field_history h
    JOIN subscriptions s ON s.workspace_id = h.workspace_id AND s.subscription_id = h.entity_id
    WHERE h.workspace_id = ${P.workspace} AND h.entity_type = 'subscription' AND h.field = 'mrr'
      AND h.occurred_at >= ${P.start} AND h.occurred_at < ${P.end} AND h.value_num > 0 AND s.account_id IS NOT NULL) c
  WHERE ${accountNotDeleted("c.account_id")}
    AND NOT EXISTS (SELECT 1 FROM deals d WHERE d.workspace_id = ${P.workspace} AND d.account_id = c.account_id
      AND d.status = 'won' AND d.closed_at < ${P.start} AND d.deleted_at IS NULL)
    AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.workspace_id = ${P.workspace} AND s.account_id = c.account_id
      AND ${subscriptionHadMrrBefore(P.start)})`;

/**
 * The customer start (docs/kpis.md, rule 35) of `accountId`, a new customer of M
 * (NEW_CUSTOMERS_IN_MONTH): it started in M, so its start is the earlier of its first won
 * deal closed in M and the first instant in M one of its subscriptions' MRR was set above
 * 0 — index ranges of M only, through the account's own subscriptions (CROSS JOIN keeps
 * that order: not every MRR change of M per account). The members of
 * customer_acquisition_cost are placed at it.
 */
export const customerStartInMonth = (accountId: string) => `(SELECT MIN(started) FROM (
    SELECT MIN(d.closed_at) AS started FROM deals d WHERE d.workspace_id = ${P.workspace} AND d.account_id = ${accountId}
      AND d.status = 'won' AND ${inMonth("d.closed_at")} AND d.deleted_at IS NULL
    UNION ALL
    SELECT MIN(h.occurred_at) FROM subscriptions s
    CROSS JOIN field_history h ON h.workspace_id = s.workspace_id AND h.entity_type = 'subscription'
      AND h.entity_id = s.subscription_id AND h.field = 'mrr'
    WHERE s.workspace_id = ${P.workspace} AND s.account_id = ${accountId}
      AND ${inMonth("h.occurred_at")} AND h.value_num > 0))`;

// Family D, activity and responsiveness: activity counts and hours, how fast new leads
// and customers are answered, replies and meetings, touches per deal, joint selling.
import type { MeasuredFacts } from "./measures";
import { HOUR_MS } from "../../shared/units";
import { CONTACT_TYPES_SQL } from "../model/events";
import { accountNotDeleted, closedDeals, customerAccountsAt, inMonth, outboundContact, repTeamKeys, subscriptionMrrAt } from "./facts";
import { dimensionJoin, hoursFromSeconds, median, minutes, P, ratio, teamAt, total, unionAll } from "./sql";

/** Contact activities: the types that reach a person. */
const CONTACT_TYPES = CONTACT_TYPES_SQL;

const activityKeys = dimensionJoin({ all: "'all'", type: "f.type", rep: "f.rep", team: "f.team" });

/**
 * Activities in M. Joint: two or more distinct reps among the activity's rep and its
 * participants (a participant list holding only that rep is not joint), read from the
 * activity's own list. Selling time: the seconds of contact activities over the seconds of
 * all, a missing duration counting 0 (docs/kpis.md, rule 31). Summed per (type, rep, team) first, so the breakdowns re-add a few
 * thousand partial sums instead of exploding every activity into every dimension.
 */
const ACTIVITIES = `WITH facts AS MATERIALIZED (
  SELECT COALESCE(a.type, 'unknown') AS type, COALESCE(a.rep_id, 'unknown') AS rep, ${teamAt("a.rep_id", "a.occurred_at")} AS team,
    COALESCE(a.duration_seconds, 0) AS seconds,
    a.type IN ${CONTACT_TYPES} AS contact,
    CASE WHEN a.participant_rep_ids IS NULL THEN 0
      WHEN a.rep_id IS NOT NULL THEN EXISTS (SELECT 1 FROM json_each(a.participant_rep_ids) p WHERE p.value <> a.rep_id)
      ELSE (SELECT COUNT(DISTINCT p.value) FROM json_each(a.participant_rep_ids) p) >= 2 END AS joint
  FROM activities a WHERE a.workspace_id = ${P.workspace} AND ${inMonth("a.occurred_at")}),
partial AS (
  SELECT type, rep, team, COUNT(*) AS activities, TOTAL(seconds) AS seconds, SUM(contact) AS contacts,
    TOTAL(CASE WHEN contact THEN seconds END) AS contact_seconds,
    SUM(contact AND joint) AS joint, SUM(type = 'business_review') AS reviews
  FROM facts GROUP BY type, rep, team),
keyed AS (SELECT f.*, dim.dimension, ${activityKeys.key} AS key FROM partial f ${activityKeys.join}),
agg AS (
  SELECT dimension, key, SUM(activities) AS activities, ${hoursFromSeconds("TOTAL(seconds)")} AS hours,
    TOTAL(seconds) AS seconds, TOTAL(contact_seconds) AS contact_seconds,
    SUM(contacts) AS contacts, SUM(joint) AS joint, SUM(reviews) AS reviews
  FROM keyed GROUP BY dimension, key)
${unionAll(
  total("activities", "activities", "agg"),
  total("activity_hours", "hours", "agg"),
  ratio("joint_activity_rate", "joint", "contacts", "agg", "contacts > 0 AND dimension <> 'type'"),
  total("business_reviews", "reviews", "agg", "reviews > 0 AND dimension <> 'type'"),
  ratio("selling_time_share", "contact_seconds", "seconds", "agg", "dimension <> 'type'"),
)}`;

/**
 * Contacts reached per account (docs/kpis.md, rule 30): contact activities in M that carry
 * both an account and a lead; per account the distinct leads reached, averaged over the
 * accounts. By rep: per (rep, account) over the rep's own such activities, averaged over
 * the accounts that rep reached.
 */
const CONTACTS_PER_ACCOUNT = `WITH reached AS MATERIALIZED (
  SELECT DISTINCT COALESCE(a.rep_id, 'unknown') AS rep, a.account_id, a.lead_id FROM activities a
  WHERE a.workspace_id = ${P.workspace} AND ${inMonth("a.occurred_at")} AND a.type IN ${CONTACT_TYPES}
    AND a.account_id IS NOT NULL AND a.lead_id IS NOT NULL),
per_account AS (
  SELECT 'all' AS dimension, 'all' AS key, COUNT(DISTINCT lead_id) AS leads FROM reached GROUP BY account_id
  UNION ALL SELECT 'rep', rep, COUNT(*) FROM reached GROUP BY rep, account_id),
agg AS (SELECT dimension, key, TOTAL(leads) AS leads, COUNT(*) AS accounts FROM per_account GROUP BY dimension, key)
${ratio("contacts_per_account", "leads", "accounts", "agg")}`;

const OUTBOUND_CONTACT = outboundContact("o");

/**
 * Leads created in M and their first outbound contact at or after created_at
 * (docs/kpis.md, rule 19); followed up counts an outbound contact at any time.
 */
const LEAD_RESPONSE = `WITH facts AS MATERIALIZED (
  SELECT COALESCE(l.owner_rep_id, 'unknown') AS rep, COALESCE(l.source, 'unknown') AS source,
    (SELECT o.occurred_at FROM activities o WHERE ${OUTBOUND_CONTACT} AND o.lead_id = l.lead_id
       AND o.occurred_at >= l.created_at ORDER BY o.occurred_at LIMIT 1) - l.created_at AS response_ms,
    EXISTS (SELECT 1 FROM activities o WHERE ${OUTBOUND_CONTACT} AND o.lead_id = l.lead_id) AS followed
  FROM leads l WHERE l.workspace_id = ${P.workspace} AND l.deleted_at IS NULL AND ${inMonth("l.created_at")}),
keyed AS (SELECT f.*, dim.dimension, ${dimensionJoin({ all: "'all'", rep: "f.rep", source: "f.source" }).key} AS key
  FROM facts f ${dimensionJoin({ all: "'all'", rep: "f.rep", source: "f.source" }).join}),
agg AS (
  SELECT dimension, key, COUNT(*) AS leads, SUM(followed) AS followed,
    COUNT(response_ms) AS responded, TOTAL(${minutes("response_ms")}) AS minutes,
    TOTAL(response_ms <= ${HOUR_MS}) AS within_hour
  FROM keyed GROUP BY dimension, key),
responses AS (SELECT dimension, key, ${minutes("response_ms")} AS value FROM keyed WHERE response_ms IS NOT NULL)
${unionAll(
  ratio("lead_response_minutes", "minutes", "responded", "agg", "responded > 0"),
  ratio("responded_within_1h", "within_hour", "leads", "agg"),
  ratio("leads_followed_up", "followed", "leads", "agg"),
  median("lead_response_minutes_median", "responses"),
)}`;

/**
 * Inbound activities in M linked to a lead or an account, answered by the next outbound
 * contact strictly after them on the same lead, else the same account (docs/kpis.md, rule 20).
 */
const CUSTOMER_RESPONSE = `WITH facts AS MATERIALIZED (
  SELECT COALESCE(a.rep_id, 'unknown') AS rep, ${teamAt("a.rep_id", "a.occurred_at")} AS team,
    CASE WHEN a.lead_id IS NOT NULL
      THEN (SELECT o.occurred_at FROM activities o WHERE ${OUTBOUND_CONTACT} AND o.lead_id = a.lead_id AND o.occurred_at > a.occurred_at
              ORDER BY o.occurred_at LIMIT 1)
      ELSE (SELECT o.occurred_at FROM activities o WHERE ${OUTBOUND_CONTACT} AND o.account_id = a.account_id AND o.occurred_at > a.occurred_at
              ORDER BY o.occurred_at LIMIT 1)
    END - a.occurred_at AS response_ms
  FROM activities a
  WHERE a.workspace_id = ${P.workspace} AND a.direction = 'inbound' AND ${inMonth("a.occurred_at")}
    AND (a.lead_id IS NOT NULL OR a.account_id IS NOT NULL)),
keyed AS (SELECT f.*, dim.dimension, ${repTeamKeys.key} AS key FROM facts f ${repTeamKeys.join}),
agg AS (SELECT dimension, key, COUNT(response_ms) AS answered, TOTAL(${minutes("response_ms")}) AS minutes FROM keyed GROUP BY dimension, key)
${ratio("customer_response_minutes", "minutes", "answered", "agg", "answered > 0")}`;

/** A reply: an inbound call or email with a positive, negative or neutral outcome. */
const reply = (a: string) =>
  `(${a}.direction = 'inbound' AND ${a}.type IN ('call', 'email') AND ${a}.outcome IN ('positive', 'negative', 'neutral'))`;

/**
 * Prospects: distinct leads with an outbound contact in M, belonging to the rep of each
 * such contact; positive when the lead has a positive reply in M (docs/kpis.md, rule 21).
 */
const POSITIVE_REPLIES = `WITH outreach AS (
  SELECT DISTINCT o.lead_id, COALESCE(o.rep_id, 'unknown') AS rep, ${teamAt("o.rep_id", "o.occurred_at")} AS team
  FROM activities o WHERE ${OUTBOUND_CONTACT} AND o.lead_id IS NOT NULL AND ${inMonth("o.occurred_at")}),
positive AS (
  SELECT DISTINCT r.lead_id FROM activities r
  WHERE r.workspace_id = ${P.workspace} AND ${reply("r")} AND r.outcome = 'positive' AND r.lead_id IS NOT NULL
    AND ${inMonth("r.occurred_at")}),
keyed AS (SELECT DISTINCT dim.dimension, ${repTeamKeys.key} AS key, f.lead_id FROM outreach f ${repTeamKeys.join}),
agg AS (
  SELECT dimension, key, COUNT(*) AS prospects, SUM(lead_id IN (SELECT lead_id FROM positive)) AS positives
  FROM keyed GROUP BY dimension, key)
${ratio("positive_reply_rate", "positives", "prospects", "agg")}`;

/**
 * Meetings scheduled in M keyed by the meeting's rep, over replies keyed by the reply's
 * rep (docs/kpis.md, rule 22).
 */
const MEETING_BOOKING = `WITH facts AS MATERIALIZED (
  SELECT a.type = 'meeting' AND a.outcome = 'scheduled' AS meeting, ${reply("a")} AS reply,
    COALESCE(a.rep_id, 'unknown') AS rep, ${teamAt("a.rep_id", "a.occurred_at")} AS team
  FROM activities a
  WHERE a.workspace_id = ${P.workspace} AND ${inMonth("a.occurred_at")}
    AND ((a.type = 'meeting' AND a.outcome = 'scheduled') OR ${reply("a")})),
keyed AS (SELECT f.*, dim.dimension, ${repTeamKeys.key} AS key FROM facts f ${repTeamKeys.join}),
agg AS (SELECT dimension, key, SUM(meeting) AS meetings, SUM(reply) AS replies FROM keyed GROUP BY dimension, key)
${ratio("meeting_booking_rate", "meetings", "replies", "agg")}`;

/** Activities of every type linked to a deal up to its close, over deals closed in M (docs/kpis.md, rule 23). */
const TOUCHES = `WITH facts AS MATERIALIZED (
  SELECT c.status, c.rep, c.team,
    (SELECT COUNT(*) FROM activities a WHERE a.workspace_id = ${P.workspace} AND a.deal_id = c.deal_id
       AND a.occurred_at <= c.closed_at) AS touches
  FROM (${closedDeals(P.start, P.end, P.month)}) c),
keyed AS (SELECT f.*, dim.dimension, ${repTeamKeys.key} AS key FROM facts f ${repTeamKeys.join}),
agg AS (
  SELECT dimension, key,
    SUM(status = 'won') AS won, TOTAL(CASE WHEN status = 'won' THEN touches END) AS won_touches,
    SUM(status = 'lost') AS lost, TOTAL(CASE WHEN status = 'lost' THEN touches END) AS lost_touches
  FROM keyed GROUP BY dimension, key)
${unionAll(
  ratio("touches_per_won_deal", "won_touches", "won", "agg", "won > 0"),
  ratio("touches_per_lost_deal", "lost_touches", "lost", "agg", "lost > 0"),
)}`;

/** An account's MRR at an instant: the sum of its subscriptions' MRR then (unconverted). */
const mrrOfAccountAt = (accountId: string, instant: string) =>
  `(SELECT TOTAL(${subscriptionMrrAt(instant)}) FROM subscriptions s
    WHERE s.workspace_id = ${P.workspace} AND s.account_id = ${accountId})`;

/**
 * Contact activities on customer accounts in M ÷ customer accounts at start(M+1)
 * (docs/kpis.md, rule 24).
 * An activity's account is a customer at the activity's instant: its first won deal closed
 * before it (looked up once per account of the month) or MRR above 0 at it.
 */
const CUSTOMER_TOUCHES = `WITH touches AS MATERIALIZED (
  SELECT a.account_id, a.occurred_at, COALESCE(a.rep_id, 'unknown') AS rep FROM activities a
  WHERE a.workspace_id = ${P.workspace} AND a.type IN ${CONTACT_TYPES} AND ${inMonth("a.occurred_at")}
    AND a.account_id IS NOT NULL),
touched_accounts AS MATERIALIZED (
  SELECT t.account_id,
    (SELECT MIN(d.closed_at) FROM deals d WHERE d.workspace_id = ${P.workspace} AND d.account_id = t.account_id
       AND d.status = 'won' AND d.deleted_at IS NULL) AS won_at
  FROM (SELECT DISTINCT account_id FROM touches) t
  WHERE ${accountNotDeleted("t.account_id")}),
facts AS MATERIALIZED (
  SELECT t.rep FROM touches t JOIN touched_accounts c ON c.account_id = t.account_id
  WHERE c.won_at < t.occurred_at OR ${mrrOfAccountAt("t.account_id", "t.occurred_at")} > 0),
customers AS (SELECT COUNT(*) AS accounts FROM (${customerAccountsAt(P.end)})),
agg AS (
  SELECT 'all' AS dimension, 'all' AS key, (SELECT COUNT(*) FROM facts) AS touches
  UNION ALL SELECT 'rep', rep, COUNT(*) FROM facts GROUP BY rep)
${ratio("customer_touches", "touches", "(SELECT accounts FROM customers)", "agg")}`;

export const ACTIVITY_QUERIES = {
  activities: ACTIVITIES,
  lead_response: LEAD_RESPONSE,
  customer_response: CUSTOMER_RESPONSE,
  positive_replies: POSITIVE_REPLIES,
  meeting_booking: MEETING_BOOKING,
  touches: TOUCHES,
  customer_touches: CUSTOMER_TOUCHES,
  contacts_per_account: CONTACTS_PER_ACCOUNT,
};

/** The measured facts of this family: their values' members (members.ts). */
export const ACTIVITY_FACTS: MeasuredFacts[] = [];

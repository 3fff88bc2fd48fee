// Family D, activity and responsiveness: activity counts and hours, how fast new leads
// and customers are answered, replies and meetings, touches per deal, joint selling.
import { count, MeasuredFacts, sum } from "./measures";
import { HOUR_MS } from "../../shared/units";
import { CONTACT_TYPES_SQL } from "../model/events";
import { accountNotDeleted, closedDeals, customerAccountsAt, inMonth, outboundContact, repTeamKeys, subscriptionMrrAt } from "./facts";
import { dimensionJoin, hoursFromSeconds, minutes, P, teamAt, unionAll } from "./sql";

/** Contact activities: the types that reach a person. */
const CONTACT_TYPES = CONTACT_TYPES_SQL;

/**
 * Keys facts rows that name their own breakdown (`scope`) and key (`scope_key`): one keyed
 * row each. For facts whose member differs by breakdown — a lead is one prospect overall
 * however many reps reached it, and one for each of those reps.
 */
const scopedKeys = (...names: string[]) => ({
  names,
  join: `CROSS JOIN (SELECT value AS dimension FROM json_each('${JSON.stringify(names)}')) dim ON dim.dimension = f.scope`,
  key: "f.scope_key",
});

/**
 * Activities in M, one row per activity. Joint: two or more distinct reps among the
 * activity's rep and its participants (a participant list holding only that rep is not
 * joint), read from the activity's own list. Selling time: the seconds of contact
 * activities over the seconds of all, a missing duration counting 0 — it adds nothing to
 * either sum, so an activity without one is no member of them (docs/kpis.md, rule 31).
 * Summed per (type, rep, team) first, so the breakdowns re-add a few thousand partial sums
 * instead of exploding every activity into every dimension.
 */
export const ACTIVITIES_IN_MONTH = new MeasuredFacts({
  with: `WITH facts AS MATERIALIZED (
  SELECT a.activity_id, a.occurred_at, COALESCE(a.type, 'unknown') AS type, COALESCE(a.rep_id, 'unknown') AS rep,
    ${teamAt("a.rep_id", "a.occurred_at")} AS team,
    a.duration_seconds AS seconds,
    a.type IN ${CONTACT_TYPES} AS contact,
    CASE WHEN a.participant_rep_ids IS NULL THEN 0
      WHEN a.rep_id IS NOT NULL THEN EXISTS (SELECT 1 FROM json_each(a.participant_rep_ids) p WHERE p.value <> a.rep_id)
      ELSE (SELECT COUNT(DISTINCT p.value) FROM json_each(a.participant_rep_ids) p) >= 2 END AS joint
  FROM activities a WHERE a.workspace_id = ${P.workspace} AND ${inMonth("a.occurred_at")})`,
  from: "facts",
  keyed: dimensionJoin({ all: "'all'", type: "f.type", rep: "f.rep", team: "f.team" }),
  member: { type: "'activity'", id: "f.activity_id", placedAt: "f.occurred_at" },
  measures: {
    activities: count(),
    hours: sum(hoursFromSeconds("seconds")),
    seconds: sum("seconds"),
    contacts: count("contact"),
    contact_seconds: sum("seconds", "contact"),
    joint: count("contact AND joint"),
    reviews: count("type = 'business_review'"),
  },
  preaggregateBy: ["type", "rep", "team"],
});

/** Breakdowns of the activity KPIs that have no `type` key (the catalog's). */
const REP_TEAM = ["all", "rep", "team"];

const ACTIVITIES = `${ACTIVITIES_IN_MONTH.agg}
${unionAll(
  ACTIVITIES_IN_MONTH.total("activities", "activities"),
  ACTIVITIES_IN_MONTH.total("activity_hours", "hours"),
  ACTIVITIES_IN_MONTH.ratio("joint_activity_rate", "joint", "contacts", "contacts > 0 AND dimension <> 'type'", REP_TEAM),
  ACTIVITIES_IN_MONTH.total("business_reviews", "reviews", "reviews > 0 AND dimension <> 'type'", REP_TEAM),
  ACTIVITIES_IN_MONTH.ratio("selling_time_share", "contact_seconds", "seconds", "dimension <> 'type'", REP_TEAM),
)}`;

/**
 * Contacts reached per account (docs/kpis.md, rule 30): contact activities in M that carry
 * both an account and a lead; per account the distinct leads reached, averaged over the
 * accounts. By rep: per (rep, account) over the rep's own such activities, averaged over
 * the accounts that rep reached. One facts row per member of each breakdown: a lead with the
 * number of accounts it was reached at (by that rep), and each account reached.
 */
export const CONTACTS_REACHED = new MeasuredFacts({
  with: `WITH reached AS MATERIALIZED (
  SELECT COALESCE(a.rep_id, 'unknown') AS rep, a.account_id, a.lead_id, MIN(a.occurred_at) AS first_at FROM activities a
  WHERE a.workspace_id = ${P.workspace} AND ${inMonth("a.occurred_at")} AND a.type IN ${CONTACT_TYPES}
    AND a.account_id IS NOT NULL AND a.lead_id IS NOT NULL
  GROUP BY 1, 2, 3),
facts AS (
  SELECT 'all' AS scope, 'all' AS scope_key, 'lead' AS member_type, lead_id AS member_id,
    COUNT(DISTINCT account_id) AS accounts_reached, MIN(first_at) AS first_at FROM reached GROUP BY lead_id
  UNION ALL SELECT 'all', 'all', 'account', account_id, NULL, MIN(first_at) FROM reached GROUP BY account_id
  UNION ALL SELECT 'rep', rep, 'lead', lead_id, COUNT(*), MIN(first_at) FROM reached GROUP BY rep, lead_id
  UNION ALL SELECT 'rep', rep, 'account', account_id, NULL, MIN(first_at) FROM reached GROUP BY rep, account_id)`,
  from: "facts",
  keyed: scopedKeys("all", "rep"),
  member: { type: "f.member_type", id: "f.member_id", placedAt: "f.first_at" },
  measures: {
    // Σ over accounts of the distinct leads reached there = Σ over leads of the accounts they were reached at.
    leads: sum("accounts_reached", "member_type = 'lead'"),
    accounts: count("member_type = 'account'"),
  },
});

const CONTACTS_PER_ACCOUNT = `${CONTACTS_REACHED.agg}
${CONTACTS_REACHED.ratio("contacts_per_account", "leads", "accounts")}`;

const OUTBOUND_CONTACT = outboundContact("o");

/**
 * Leads created in M and their first outbound contact at or after created_at
 * (docs/kpis.md, rule 19); followed up counts an outbound contact at any time.
 */
export const LEADS_CREATED = new MeasuredFacts({
  with: `WITH facts AS MATERIALIZED (
  SELECT l.lead_id, l.created_at, COALESCE(l.owner_rep_id, 'unknown') AS rep, COALESCE(l.source, 'unknown') AS source,
    (SELECT o.occurred_at FROM activities o WHERE ${OUTBOUND_CONTACT} AND o.lead_id = l.lead_id
       AND o.occurred_at >= l.created_at ORDER BY o.occurred_at LIMIT 1) - l.created_at AS response_ms,
    EXISTS (SELECT 1 FROM activities o WHERE ${OUTBOUND_CONTACT} AND o.lead_id = l.lead_id) AS followed
  FROM leads l WHERE l.workspace_id = ${P.workspace} AND l.deleted_at IS NULL AND ${inMonth("l.created_at")})`,
  from: "facts",
  keyed: dimensionJoin({ all: "'all'", rep: "f.rep", source: "f.source" }),
  member: { type: "'lead'", id: "f.lead_id", placedAt: "f.created_at" },
  measures: {
    leads: count(),
    followed: count("followed"),
    responded: count("response_ms IS NOT NULL"),
    minutes: sum(minutes("response_ms")),
    within_hour: count(`response_ms <= ${HOUR_MS}`),
  },
});

const LEAD_RESPONSE = `${LEADS_CREATED.agg}
${unionAll(
  LEADS_CREATED.ratio("lead_response_minutes", "minutes", "responded", "responded > 0"),
  LEADS_CREATED.ratio("responded_within_1h", "within_hour", "leads"),
  LEADS_CREATED.ratio("leads_followed_up", "followed", "leads"),
  LEADS_CREATED.median("lead_response_minutes_median", minutes("response_ms"), "responded"),
)}`;

/**
 * Inbound activities in M linked to a lead or an account, answered by the next outbound
 * contact strictly after them on the same lead, else the same account (docs/kpis.md, rule 20).
 */
export const INBOUND_ACTIVITIES = new MeasuredFacts({
  with: `WITH facts AS MATERIALIZED (
  SELECT a.activity_id, a.occurred_at, COALESCE(a.rep_id, 'unknown') AS rep, ${teamAt("a.rep_id", "a.occurred_at")} AS team,
    CASE WHEN a.lead_id IS NOT NULL
      THEN (SELECT o.occurred_at FROM activities o WHERE ${OUTBOUND_CONTACT} AND o.lead_id = a.lead_id AND o.occurred_at > a.occurred_at
              ORDER BY o.occurred_at LIMIT 1)
      ELSE (SELECT o.occurred_at FROM activities o WHERE ${OUTBOUND_CONTACT} AND o.account_id = a.account_id AND o.occurred_at > a.occurred_at
              ORDER BY o.occurred_at LIMIT 1)
    END - a.occurred_at AS response_ms
  FROM activities a
  WHERE a.workspace_id = ${P.workspace} AND a.direction = 'inbound' AND ${inMonth("a.occurred_at")}
    AND (a.lead_id IS NOT NULL OR a.account_id IS NOT NULL))`,
  from: "facts",
  keyed: repTeamKeys,
  member: { type: "'activity'", id: "f.activity_id", placedAt: "f.occurred_at" },
  measures: {
    answered: count("response_ms IS NOT NULL"),
    minutes: sum(minutes("response_ms")),
  },
});

const CUSTOMER_RESPONSE = `${INBOUND_ACTIVITIES.agg}
${INBOUND_ACTIVITIES.ratio("customer_response_minutes", "minutes", "answered", "answered > 0", ["all", "rep"])}`;

/** A reply: an inbound call or email with a positive, negative or neutral outcome. */
const reply = (a: string) =>
  `(${a}.direction = 'inbound' AND ${a}.type IN ('call', 'email') AND ${a}.outcome IN ('positive', 'negative', 'neutral'))`;

/**
 * Prospects: distinct leads with an outbound contact in M, belonging to the rep of each
 * such contact; positive when the lead has a positive reply in M (docs/kpis.md, rule 21).
 * One facts row per prospect of each breakdown (a lead once overall, once per rep and per
 * team that reached it), placed at its first such contact.
 */
export const PROSPECTS = new MeasuredFacts({
  with: `WITH outreach AS MATERIALIZED (
  SELECT o.lead_id, COALESCE(o.rep_id, 'unknown') AS rep, ${teamAt("o.rep_id", "o.occurred_at")} AS team,
    MIN(o.occurred_at) AS first_at
  FROM activities o WHERE ${OUTBOUND_CONTACT} AND o.lead_id IS NOT NULL AND ${inMonth("o.occurred_at")}
  GROUP BY 1, 2, 3),
positive AS (
  SELECT DISTINCT r.lead_id FROM activities r
  WHERE r.workspace_id = ${P.workspace} AND ${reply("r")} AND r.outcome = 'positive' AND r.lead_id IS NOT NULL
    AND ${inMonth("r.occurred_at")}),
prospects AS (
  SELECT 'all' AS scope, 'all' AS scope_key, lead_id, MIN(first_at) AS first_at FROM outreach GROUP BY lead_id
  UNION ALL SELECT 'rep', rep, lead_id, MIN(first_at) FROM outreach GROUP BY rep, lead_id
  UNION ALL SELECT 'team', team, lead_id, MIN(first_at) FROM outreach GROUP BY team, lead_id),
facts AS (SELECT p.*, p.lead_id IN (SELECT lead_id FROM positive) AS positive FROM prospects p)`,
  from: "facts",
  keyed: scopedKeys("all", "rep", "team"),
  member: { type: "'lead'", id: "f.lead_id", placedAt: "f.first_at" },
  measures: {
    prospects: count(),
    positives: count("positive"),
  },
});

const POSITIVE_REPLIES = `${PROSPECTS.agg}
${PROSPECTS.ratio("positive_reply_rate", "positives", "prospects")}`;

/**
 * Meetings scheduled in M keyed by the meeting's rep, over replies keyed by the reply's
 * rep (docs/kpis.md, rule 22).
 */
export const MEETINGS_AND_REPLIES = new MeasuredFacts({
  with: `WITH facts AS MATERIALIZED (
  SELECT a.activity_id, a.occurred_at, a.type = 'meeting' AND a.outcome = 'scheduled' AS meeting, ${reply("a")} AS reply,
    COALESCE(a.rep_id, 'unknown') AS rep, ${teamAt("a.rep_id", "a.occurred_at")} AS team
  FROM activities a
  WHERE a.workspace_id = ${P.workspace} AND ${inMonth("a.occurred_at")}
    AND ((a.type = 'meeting' AND a.outcome = 'scheduled') OR ${reply("a")}))`,
  from: "facts",
  keyed: repTeamKeys,
  member: { type: "'activity'", id: "f.activity_id", placedAt: "f.occurred_at" },
  measures: {
    meetings: count("meeting"),
    replies: count("reply"),
  },
});

const MEETING_BOOKING = `${MEETINGS_AND_REPLIES.agg}
${MEETINGS_AND_REPLIES.ratio("meeting_booking_rate", "meetings", "replies")}`;

/**
 * Activities of every type linked to a deal up to its close, over deals closed in M
 * (docs/kpis.md, rule 23): the deals closed in M and their touches, each a facts row keyed
 * by its deal's rep and team, summed per (kind, status, rep, team) before the breakdowns.
 */
export const CLOSED_DEAL_TOUCHES = new MeasuredFacts({
  with: `WITH closed AS MATERIALIZED (SELECT deal_id, status, rep, team, closed_at FROM (${closedDeals(P.start, P.end, P.month)})),
facts AS (
  SELECT 'deal' AS member_type, c.deal_id AS member_id, c.closed_at AS placed_at, c.status, c.rep, c.team FROM closed c
  UNION ALL SELECT 'activity', a.activity_id, a.occurred_at, c.status, c.rep, c.team
  FROM closed c CROSS JOIN activities a ON a.workspace_id = ${P.workspace} AND a.deal_id = c.deal_id AND a.occurred_at <= c.closed_at)`,
  from: "facts",
  keyed: repTeamKeys,
  member: { type: "f.member_type", id: "f.member_id", placedAt: "f.placed_at" },
  measures: {
    won: count("member_type = 'deal' AND status = 'won'"),
    won_touches: count("member_type = 'activity' AND status = 'won'"),
    lost: count("member_type = 'deal' AND status = 'lost'"),
    lost_touches: count("member_type = 'activity' AND status = 'lost'"),
  },
  preaggregateBy: ["member_type", "status", "rep", "team"],
});

const TOUCHES = `${CLOSED_DEAL_TOUCHES.agg}
${unionAll(
  CLOSED_DEAL_TOUCHES.ratio("touches_per_won_deal", "won_touches", "won", "won > 0"),
  CLOSED_DEAL_TOUCHES.ratio("touches_per_lost_deal", "lost_touches", "lost", "lost > 0"),
)}`;

/** An account's MRR at an instant: the sum of its subscriptions' MRR then (unconverted). */
const mrrOfAccountAt = (accountId: string, instant: string) =>
  `(SELECT TOTAL(${subscriptionMrrAt(instant)}) FROM subscriptions s
    WHERE s.workspace_id = ${P.workspace} AND s.account_id = ${accountId})`;

/**
 * Contact activities on customer accounts in M ÷ customer accounts at start(M+1)
 * (docs/kpis.md, rule 24).
 * An activity's account is a customer at the activity's instant: its first won deal closed
 * before it (looked up once per account of the month) or MRR above 0 at it. The facts are
 * those touches and the customer accounts at start(M+1), a state (placed at no instant);
 * summed per (kind, rep) first, the accounts are one partial row added to every key.
 */
export const CUSTOMER_TOUCH_FACTS = new MeasuredFacts({
  with: `WITH touches AS MATERIALIZED (
  SELECT a.activity_id, a.account_id, a.occurred_at, COALESCE(a.rep_id, 'unknown') AS rep FROM activities a
  WHERE a.workspace_id = ${P.workspace} AND a.type IN ${CONTACT_TYPES} AND ${inMonth("a.occurred_at")}
    AND a.account_id IS NOT NULL),
touched_accounts AS MATERIALIZED (
  SELECT t.account_id,
    (SELECT MIN(d.closed_at) FROM deals d WHERE d.workspace_id = ${P.workspace} AND d.account_id = t.account_id
       AND d.status = 'won' AND d.deleted_at IS NULL) AS won_at
  FROM (SELECT DISTINCT account_id FROM touches) t
  WHERE ${accountNotDeleted("t.account_id")}),
customer_touches AS MATERIALIZED (
  SELECT 'activity' AS member_type, t.activity_id AS member_id, t.occurred_at AS placed_at, t.rep
  FROM touches t JOIN touched_accounts c ON c.account_id = t.account_id
  WHERE c.won_at < t.occurred_at OR ${mrrOfAccountAt("t.account_id", "t.occurred_at")} > 0),
facts AS (
  SELECT * FROM customer_touches
  UNION ALL SELECT 'account', account_id, NULL, NULL FROM (${customerAccountsAt(P.end)})),
touch_keys AS (SELECT 'all' AS dimension, 'all' AS key UNION ALL SELECT DISTINCT 'rep', rep FROM customer_touches)`,
  from: "facts",
  // Touches by their rep; the customer accounts are every key's denominator.
  keyed: {
    names: ["all", "rep"],
    join: "CROSS JOIN touch_keys dim ON dim.dimension = 'all' OR f.member_type = 'account' OR dim.key = f.rep",
    key: "dim.key",
  },
  member: { type: "f.member_type", id: "f.member_id", placedAt: "f.placed_at" },
  measures: {
    touches: count("member_type = 'activity'"),
    accounts: count("member_type = 'account'"),
  },
  preaggregateBy: ["member_type", "rep"],
});

const CUSTOMER_TOUCHES = `${CUSTOMER_TOUCH_FACTS.agg}
${CUSTOMER_TOUCH_FACTS.ratio("customer_touches", "touches", "accounts")}`;

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
export const ACTIVITY_FACTS: MeasuredFacts[] = [
  ACTIVITIES_IN_MONTH, LEADS_CREATED, INBOUND_ACTIVITIES, PROSPECTS, MEETINGS_AND_REPLIES, CLOSED_DEAL_TOUCHES,
  CUSTOMER_TOUCH_FACTS, CONTACTS_REACHED,
];

// The KPI catalog: every KPI Quotient computes, once, with everything that defines it —
// how its value is built, whether it is a state, its unit, direction, breakdowns and basis.
// The engine, the API, the reports, the glossary (site and docs/kpis.md) and the charts all
// read it. Ids are a contract (docs/kpis.md): never rename one.

export const CATALOG_VERSION = "3";

export type Family = "revenue" | "funnel" | "leads" | "activity" | "customers" | "forecast";
export type Unit = "count" | "money" | "ratio" | "multiple" | "days" | "minutes" | "hours" | "score";
/** How the glossaries (site and docs/kpis.md) name each unit. */
export const UNIT_NAMES: Record<Unit, string> = {
  count: "count",
  money: "money (workspace currency)",
  ratio: "ratio, shown as a percentage",
  multiple: "multiple, shown as 3.2×",
  days: "days (shown by size: 26.7 h, 3.2 days)",
  minutes: "minutes (shown by size: 45 min, 26.7 h, 3.2 days)",
  hours: "hours of time spent (shown as 45 min or 1,180 h)",
  score: "score",
};

/** "up": a higher value is better; "down": a lower value is better. */
export type Direction = "up" | "down";
export type Dimension =
  | "all" | "rep" | "team" | "region" | "product" | "source" | "segment" | "type" | "stage"
  | "reason" | "first_touch";

/**
 * How a value is built, which says what a client can re-aggregate: totals (0 when
 * nothing happened), ratios and means (numerator ÷ denominator, null when the
 * denominator is 0; a mean's numerator is the sum, its denominator the count), medians,
 * and values derived from other KPIs (docs/kpis.md, Conventions).
 */
export type Aggregation = "total" | "ratio" | "mean" | "median" | "derived";

interface KpiFields {
  id: string;
  name: string;
  family: Family;
  unit: Unit;
  direction: Direction;
  aggregation: Aggregation;
  /**
   * A state describes an instant, the end of the month (start(M+1), docs/kpis.md, rule 9),
   * not what happened during it: summing it over months means nothing, so it has no
   * year to date.
   */
  state: boolean;
  /** A ratio's value is scale × numerator ÷ denominator; 1 when absent (nps: 100). */
  scale?: number;
  /** Breakdowns besides the overall value ("all" is listed when the KPI has one). */
  dimensions: Dimension[];
  /** The formula in plain words. */
  formula: string;
  /** What the numbers are measured on, and choices that differ between vendors. */
  basis: string;
}

const DEAL_DIMS: Dimension[] = ["all", "rep", "team", "region", "source", "segment"];

/**
 * Returns the entries as given; its type parameter collects their ids as a union of
 * literals (KpiId) while every other field keeps its declared, mutable type.
 */
function defineCatalog<Id extends string>(kpis: readonly (KpiFields & { id: Id })[]) {
  return kpis;
}

export const FAMILIES: Record<Family, string> = {
  revenue: "Revenue and deals",
  funnel: "Stage conversion",
  leads: "Leads and lifecycle",
  activity: "Activity and responsiveness",
  customers: "Customers and loyalty",
  forecast: "Forecast",
};

const DEFINITIONS = defineCatalog([
  // ---------------------------------------------------------------- A. Revenue and deals
  {
    id: "revenue_won", name: "Revenue won", family: "revenue", unit: "money", direction: "up",
    aggregation: "total", state: false,
    dimensions: ["all", "rep", "team", "region", "product", "source", "segment"],
    formula: "Σ amount of deals won in the month, converted to the base currency",
    basis: "Won in M = status won and closed_at in M. Converted at the close month's rate; deals without a usable rate are left out and counted in the missing_fx warning. By product: Σ quantity × unit_price of each line.",
  },
  {
    id: "deals_won", name: "Deals won", family: "revenue", unit: "count", direction: "up",
    aggregation: "total", state: false,
    dimensions: ["all", "rep", "team", "region", "product", "source", "segment"],
    formula: "count of deals won in the month",
    basis: "By product a deal counts once per distinct product; a deal without lines counts under unknown.",
  },
  {
    id: "deals_lost", name: "Deals lost", family: "revenue", unit: "count", direction: "down",
    aggregation: "total", state: false,
    dimensions: [...DEAL_DIMS, "reason"],
    formula: "count of deals lost in the month",
    basis: "Lost in M = status lost and closed_at in M. By reason: the deal's lost_reason lower-cased and trimmed, unknown when absent or empty.",
  },
  {
    id: "win_rate", name: "Win rate", family: "revenue", unit: "ratio", direction: "up",
    aggregation: "ratio", state: false,
    dimensions: DEAL_DIMS,
    formula: "deals won ÷ (deals won + deals lost)",
    basis: "Closed-in-period basis: deals closed in M. The created-cohort basis is opportunity_win_rate.",
  },
  {
    id: "win_loss_ratio", name: "Win/loss ratio", family: "revenue", unit: "ratio", direction: "up",
    aggregation: "ratio", state: false,
    dimensions: ["all", "rep", "team"],
    formula: "deals won ÷ deals lost",
    basis: "Deals closed in M; null when nothing was lost.",
  },
  {
    id: "avg_deal_size", name: "Average deal size", family: "revenue", unit: "money", direction: "up",
    aggregation: "ratio", state: false,
    dimensions: DEAL_DIMS,
    formula: "revenue won ÷ deals won with a usable amount",
    basis: "Won deals without an amount or without a usable FX rate are left out of both sides.",
  },
  {
    id: "sales_cycle_days", name: "Sales cycle", family: "revenue", unit: "days", direction: "down",
    aggregation: "mean", state: false,
    dimensions: ["all", "rep", "team", "region", "source"],
    formula: "mean of (closed_at − created_at) in days over deals won in the month",
    basis: "Elapsed days (seconds ÷ 86 400).",
  },
  {
    id: "sales_cycle_days_median", name: "Sales cycle (median)", family: "revenue", unit: "days", direction: "down",
    aggregation: "median", state: false,
    dimensions: ["all", "rep", "team"],
    formula: "median of (closed_at − created_at) in days over deals won in the month",
    basis: "For an even count, the mean of the two middle values.",
  },
  {
    id: "new_opportunities", name: "New opportunities", family: "revenue", unit: "count", direction: "up",
    aggregation: "total", state: false,
    dimensions: ["all", "rep", "team", "region", "source"],
    formula: "count of deals created in the month",
    basis: "created_at defaults to the deal's first event.",
  },
  {
    id: "opportunity_win_rate", name: "Opportunity win rate", family: "revenue", unit: "ratio", direction: "up",
    aggregation: "ratio", state: false,
    dimensions: ["all", "rep", "team", "source"],
    formula: "of deals created in the month, the share whose current status is won",
    basis: "Created-cohort basis: keeps moving as the cohort's deals close; a published report freezes it.",
  },
  {
    id: "open_pipeline_value", name: "Open pipeline", family: "revenue", unit: "money", direction: "up",
    aggregation: "total", state: true,
    dimensions: ["all", "rep", "team", "region"],
    formula: "Σ amount of deals open at the end of the month, converted",
    basis: "State at start(M+1): every attribute as of that instant, converted at M's rate.",
  },
  {
    id: "open_deals", name: "Open deals", family: "revenue", unit: "count", direction: "up",
    aggregation: "total", state: true,
    dimensions: ["all", "rep", "team", "region"],
    formula: "count of deals open at the end of the month",
    basis: "Open at t = created before t and not closed at t.",
  },
  {
    id: "pipeline_velocity", name: "Pipeline velocity", family: "revenue", unit: "money", direction: "up",
    aggregation: "derived", state: true,
    dimensions: ["all", "rep", "team"],
    formula: "open deals × average deal size × win rate ÷ sales cycle days (money per day)",
    basis: "Each key from its own components of the month; null when a component is null or the cycle is 0.",
  },
  {
    id: "sales_growth", name: "Sales growth (MoM)", family: "revenue", unit: "ratio", direction: "up",
    aggregation: "ratio", state: false,
    dimensions: ["all", "rep", "team", "region", "product"],
    formula: "(revenue won in M − revenue won in M−1) ÷ revenue won in M−1",
    basis: "Keys of either month; a key only in M−1 gives −1; null when M−1 had no revenue.",
  },
  {
    id: "sales_growth_yoy", name: "Sales growth (YoY)", family: "revenue", unit: "ratio", direction: "up",
    aggregation: "ratio", state: false,
    dimensions: ["all", "rep", "team", "region", "product"],
    formula: "(revenue won in M − revenue won in M−12) ÷ revenue won in M−12",
    basis: "As sales_growth, against the same month a year earlier.",
  },
  {
    id: "expansion_revenue", name: "Expansion revenue", family: "revenue", unit: "money", direction: "up",
    aggregation: "total", state: false,
    dimensions: ["all", "rep", "team"],
    formula: "revenue won over deals of kind expansion",
    basis: "Upsell and cross-sell to existing customers; renewals are not expansion.",
  },
  {
    id: "upsell_rate", name: "Upsell rate", family: "revenue", unit: "ratio", direction: "up",
    aggregation: "ratio", state: false,
    dimensions: ["all", "rep", "team"],
    formula: "won deals of kind expansion ÷ deals won",
    basis: "Counts kind expansion only, not renewal.",
  },
  {
    id: "avg_selling_price", name: "Average selling price", family: "revenue", unit: "money", direction: "up",
    aggregation: "ratio", state: false,
    dimensions: ["all", "product"],
    formula: "Σ line revenue ÷ Σ line quantity over product lines of deals won in the month",
    basis: "Line revenue = quantity × unit_price, converted; not scaled to the deal amount.",
  },
  {
    id: "slipped_deals", name: "Slipped deals", family: "revenue", unit: "count", direction: "down",
    aggregation: "total", state: false,
    dimensions: ["all", "rep", "team"],
    formula: "count of deals expected to close in the month that were still open at its end",
    basis: "Expected to close in M: the expected close date as of the start of the month (as of its first event for a deal first seen later) lies in M. By the owner at the end of the month (rule 38).",
  },
  {
    id: "slipped_value", name: "Slipped deals (value)", family: "revenue", unit: "money", direction: "down",
    aggregation: "total", state: false,
    dimensions: ["all", "rep", "team"],
    formula: "Σ converted amount of deals expected to close in the month that were still open at its end",
    basis: "The amount at the end of the month, at the month's rate; a deal without an amount or a usable rate adds 0.",
  },
  {
    id: "pushed_deals", name: "Pushed deals", family: "revenue", unit: "count", direction: "down",
    aggregation: "total", state: false,
    dimensions: ["all", "rep", "team"],
    formula: "count of deals whose expected close moved out of the month, to a later one, during the month",
    basis: "From an expected close in M at the start of the month (rule 38) to one after M at its end. A pushed deal still open at the end has slipped too.",
  },
  {
    id: "pushed_value", name: "Pushed deals (value)", family: "revenue", unit: "money", direction: "down",
    aggregation: "total", state: false,
    dimensions: ["all", "rep", "team"],
    formula: "Σ converted amount of deals whose expected close moved out of the month, to a later one, during the month",
    basis: "The amount at the end of the month, at the month's rate; a deal without an amount or a usable rate adds 0.",
  },
  {
    id: "pulled_in_deals", name: "Pulled-in deals", family: "revenue", unit: "count", direction: "up",
    aggregation: "total", state: false,
    dimensions: ["all", "rep", "team"],
    formula: "count of deals whose expected close moved into the month from a later one during the month",
    basis: "From an expected close after M at the start of the month (rule 38) to one in M at its end; an overdue date moved into M is neither pulled in nor pushed.",
  },
  {
    id: "pulled_in_value", name: "Pulled-in deals (value)", family: "revenue", unit: "money", direction: "up",
    aggregation: "total", state: false,
    dimensions: ["all", "rep", "team"],
    formula: "Σ converted amount of deals whose expected close moved into the month from a later one during the month",
    basis: "The amount at the end of the month, at the month's rate; a deal without an amount or a usable rate adds 0.",
  },
  {
    id: "quota_attainment", name: "Quota attainment", family: "revenue", unit: "ratio", direction: "up",
    aggregation: "ratio", state: false,
    dimensions: ["all", "rep", "team"],
    formula: "revenue won ÷ quota for the month",
    basis: "Team and overall: Σ revenue won of reps with a quota ÷ Σ their quotas. A rep's team is taken at the end of the month.",
  },
  {
    id: "quota_attainment_ytd", name: "Quota attainment (YTD)", family: "revenue", unit: "ratio", direction: "up",
    aggregation: "ratio", state: false,
    dimensions: ["all", "rep", "team"],
    formula: "Σ revenue won ÷ Σ quota over the months of the year up to M",
    basis: "Sums only the months in which the rep has a quota; never the mean of monthly percentages.",
  },
  {
    id: "reps_at_quota", name: "Reps at quota", family: "revenue", unit: "ratio", direction: "up",
    aggregation: "ratio", state: false,
    dimensions: ["all", "team"],
    formula: "of reps with a quota for the month, the share whose attainment is at least 100 %",
    basis: "Below 60 % a team leader reads it as a sign the quota is wrong.",
  },
  {
    id: "acv", name: "Annual contract value", family: "revenue", unit: "money", direction: "up",
    aggregation: "mean", state: false,
    dimensions: ["all", "rep", "team", "segment"],
    formula: "mean over deals won in the month of converted amount × 12 ÷ term_months",
    basis: "term_months defaults to 12; contracts shorter than a year are annualised. Won deals without an amount or a usable FX rate are left out.",
  },
  {
    id: "lost_revenue", name: "Lost revenue", family: "revenue", unit: "money", direction: "down",
    aggregation: "total", state: false,
    dimensions: ["all", "rep", "team", "reason"],
    formula: "Σ converted amount of deals lost in the month",
    basis: "Converted at the close month's rate; lost deals without an amount or a usable rate add 0. By reason: lost_reason lower-cased and trimmed, unknown when absent or empty.",
  },
  {
    id: "competitive_loss_rate", name: "Competitive loss rate", family: "revenue", unit: "ratio", direction: "down",
    aggregation: "ratio", state: false,
    dimensions: ["all", "rep", "team"],
    formula: "deals lost in the month to a named competitor ÷ deals lost in the month",
    basis: "A loss is competitive when the deal's competitor field is not empty.",
  },
  // ---------------------------------------------------------------- B. Stage conversion
  {
    id: "stage_reached", name: "Deals reaching each stage", family: "funnel", unit: "count", direction: "up",
    aggregation: "total", state: false,
    dimensions: ["stage"],
    formula: "for each stage: count of deals created in the month that reached it",
    basis: "Reached s = the stage history holds s or a later stage, or the deal is won. Stages outside the workspace's pipeline are ignored.",
  },
  {
    id: "stage_conversion", name: "Stage conversion", family: "funnel", unit: "ratio", direction: "up",
    aggregation: "ratio", state: false,
    dimensions: ["stage"],
    formula: "for each consecutive pair s>t: deals that reached t ÷ deals that reached s, over deals created in the month",
    basis: "Created-cohort basis; a deal that skips a stage still counts as reaching it.",
  },
  // ---------------------------------------------------------------- C. Leads and lifecycle
  {
    id: "new_leads", name: "New leads", family: "leads", unit: "count", direction: "up",
    aggregation: "total", state: false,
    dimensions: ["all", "source", "rep", "team"],
    formula: "count of leads created in the month",
    basis: "created_at defaults to the lead's first event.",
  },
  {
    id: "leads_by_stage", name: "Leads by lifecycle stage", family: "leads", unit: "count", direction: "up",
    aggregation: "total", state: true,
    dimensions: ["stage"],
    formula: "for each lifecycle stage: leads whose stage at the end of the month is that stage",
    basis: "State at start(M+1) over leads created before it; a lead without a stage counts under unknown.",
  },
  {
    id: "lead_conversion_rate", name: "Lead conversion rate", family: "leads", unit: "ratio", direction: "up",
    aggregation: "ratio", state: false,
    dimensions: ["all", "source", "rep", "first_touch"],
    formula: "of leads created in the month, the share that reached customer",
    basis: "Created-cohort basis. By first touch: the type of the lead's first outbound contact activity at any time (the nurturing approach), none when there is none.",
  },
  {
    id: "mql_to_customer_rate", name: "MQL → customer", family: "leads", unit: "ratio", direction: "up",
    aggregation: "ratio", state: false,
    dimensions: ["all", "source", "rep"],
    formula: "of leads that first reached mql in the month, the share that reached customer",
    basis: "A lead reaches a stage when its history holds that stage or a later one, at the earliest such entry.",
  },
  {
    id: "sql_to_customer_rate", name: "SQL → customer", family: "leads", unit: "ratio", direction: "up",
    aggregation: "ratio", state: false,
    dimensions: ["all", "source", "rep"],
    formula: "of leads that first reached sql in the month, the share that reached customer",
    basis: "As mql_to_customer_rate, from sql.",
  },
  {
    id: "customer_lifecycle_days", name: "Lead-to-customer time", family: "leads", unit: "days", direction: "down",
    aggregation: "mean", state: false,
    dimensions: ["all", "source"],
    formula: "mean of (reached customer − created_at) in days over leads that first reached customer in the month",
    basis: "Elapsed days.",
  },
  {
    id: "cost_per_lead", name: "Cost per lead", family: "leads", unit: "money", direction: "down",
    aggregation: "ratio", state: false,
    dimensions: ["all", "source"],
    formula: "marketing spend in the month ÷ new leads",
    basis: "Per source: that source's spend ÷ its new leads; a source without spend has spend 0; spend without leads gives null.",
  },
  {
    id: "revenue_per_spend", name: "Revenue per marketing spend", family: "leads", unit: "ratio", direction: "up",
    aggregation: "ratio", state: false,
    dimensions: ["all", "source"],
    formula: "revenue won of deals from the source ÷ spend on the source in the month",
    basis: "A deal's source is its own, else its lead's; null without spend.",
  },
  {
    id: "handoffs", name: "BDR handoffs", family: "leads", unit: "count", direction: "up",
    aggregation: "total", state: false,
    dimensions: ["all", "rep", "team"],
    formula: "deals created in the month from a lead whose owner then was another rep than the deal's owner",
    basis: "Both owners must be known: the lead's owner at the deal's created_at and the deal's owner. Keyed by the lead's owner (who handed off), team at the deal's created_at.",
  },
  {
    id: "avg_lead_score", name: "Average lead score", family: "leads", unit: "score", direction: "up",
    aggregation: "mean", state: false,
    dimensions: ["all", "source", "rep"],
    formula: "mean score (0–100) of leads created in the month that have one",
    basis: "The lead's current score; leads without a score are left out.",
  },
  {
    id: "customer_acquisition_cost", name: "Customer acquisition cost", family: "leads", unit: "money", direction: "down",
    aggregation: "ratio", state: false,
    dimensions: ["all"],
    formula: "all marketing spend of the month ÷ new customers in the month",
    basis: "An account's customer start is the earlier of its first won deal's closed_at and the first instant its MRR was above 0; new customers are the accounts (seen in accounts, deals or subscriptions, not deleted) whose start falls in the month. Marketing spend only (sales cost is not recorded); null without new customers, 0 without spend.",
  },
  // ---------------------------------------------------------------- D. Activity and responsiveness
  {
    id: "activities", name: "Activities", family: "activity", unit: "count", direction: "up",
    aggregation: "total", state: false,
    dimensions: ["all", "type", "rep", "team"],
    formula: "count of activities in the month",
    basis: "An activity's instant is its latest logging event.",
  },
  {
    id: "activity_hours", name: "Activity hours", family: "activity", unit: "hours", direction: "up",
    aggregation: "total", state: false,
    dimensions: ["all", "type", "rep", "team"],
    formula: "Σ duration of activities in the month, in hours",
    basis: "Activities without a duration add 0.",
  },
  {
    id: "lead_response_minutes", name: "Lead response time", family: "activity", unit: "minutes", direction: "down",
    aggregation: "mean", state: false,
    dimensions: ["all", "rep", "source"],
    formula: "mean minutes from a new lead's created_at to the first outbound contact at or after it",
    basis: "Over leads created in M that have such a contact; contact = call, email, meeting, demo or business review.",
  },
  {
    id: "lead_response_minutes_median", name: "Lead response time (median)", family: "activity", unit: "minutes", direction: "down",
    aggregation: "median", state: false,
    dimensions: ["all", "rep"],
    formula: "median of the same minutes",
    basis: "For an even count, the mean of the two middle values.",
  },
  {
    id: "responded_within_1h", name: "Leads answered within 1 h", family: "activity", unit: "ratio", direction: "up",
    aggregation: "ratio", state: false,
    dimensions: ["all", "rep", "source"],
    formula: "of leads created in the month, the share whose first outbound contact came within 60 minutes",
    basis: "Within 1 h means at most 60 minutes after created_at.",
  },
  {
    id: "leads_followed_up", name: "Leads followed up", family: "activity", unit: "ratio", direction: "up",
    aggregation: "ratio", state: false,
    dimensions: ["all", "rep", "source"],
    formula: "of leads created in the month, the share with at least one outbound contact",
    basis: "An outbound contact at any time counts.",
  },
  {
    id: "customer_response_minutes", name: "Customer response time", family: "activity", unit: "minutes", direction: "down",
    aggregation: "mean", state: false,
    dimensions: ["all", "rep"],
    formula: "mean minutes from an inbound activity to the next outbound contact on the same lead (else account)",
    basis: "Inbound activities in M linked to a lead or account, answered; keyed by the inbound activity's rep.",
  },
  {
    id: "positive_reply_rate", name: "Positive reply rate", family: "activity", unit: "ratio", direction: "up",
    aggregation: "ratio", state: false,
    dimensions: ["all", "rep", "team"],
    formula: "prospects with a positive reply in the month ÷ prospects contacted in the month",
    basis: "Per prospect (distinct leads with an outbound contact in M), not per message.",
  },
  {
    id: "meeting_booking_rate", name: "Meeting booking rate", family: "activity", unit: "ratio", direction: "up",
    aggregation: "ratio", state: false,
    dimensions: ["all", "rep", "team"],
    formula: "meetings scheduled in the month ÷ replies in the month",
    basis: "Reply = inbound call or email with a positive, negative or neutral outcome.",
  },
  {
    id: "touches_per_won_deal", name: "Touches per won deal", family: "activity", unit: "count", direction: "down",
    aggregation: "mean", state: false,
    dimensions: ["all", "rep", "team"],
    formula: "mean count of activities on a deal up to its close, over deals won in the month",
    basis: "Every activity type counts, notes and tasks included.",
  },
  {
    id: "touches_per_lost_deal", name: "Touches per lost deal", family: "activity", unit: "count", direction: "down",
    aggregation: "mean", state: false,
    dimensions: ["all", "rep", "team"],
    formula: "mean count of activities on a deal up to its close, over deals lost in the month",
    basis: "Every activity type counts.",
  },
  {
    id: "joint_activity_rate", name: "Joint activity rate", family: "activity", unit: "ratio", direction: "up",
    aggregation: "ratio", state: false,
    dimensions: ["all", "rep", "team"],
    formula: "share of contact activities in the month that involve two or more reps",
    basis: "By rep: the activity's own rep.",
  },
  {
    id: "customer_touches", name: "Touches per customer account", family: "activity", unit: "count", direction: "up",
    aggregation: "ratio", state: true,
    dimensions: ["all", "rep"],
    formula: "contact activities on customer accounts in the month ÷ customer accounts at the end of the month",
    basis: "A customer account has a won deal closed before the instant, or MRR above 0 at it.",
  },
  {
    id: "business_reviews", name: "Business reviews", family: "activity", unit: "count", direction: "up",
    aggregation: "total", state: false,
    dimensions: ["all", "rep", "team"],
    formula: "count of business review activities in the month",
    basis: "",
  },
  {
    id: "contacts_per_account", name: "Contacts reached per account", family: "activity", unit: "count", direction: "up",
    aggregation: "mean", state: false,
    dimensions: ["all", "rep"],
    formula: "mean over accounts of the distinct leads reached by contact activities in the month",
    basis: "Only contact activities that carry both an account_id and a lead_id. By rep: the same over that rep's own activities.",
  },
  {
    id: "selling_time_share", name: "Selling time share", family: "activity", unit: "ratio", direction: "up",
    aggregation: "ratio", state: false,
    dimensions: ["all", "rep", "team"],
    formula: "time in contact activities ÷ time in all activities, in the month",
    basis: "Σ duration_seconds; a missing duration counts 0; null when no activity has a duration.",
  },
  // ---------------------------------------------------------------- E. Customers and loyalty
  {
    id: "nps", name: "Net Promoter Score", family: "customers", unit: "score", direction: "up",
    aggregation: "ratio", scale: 100, state: false,
    dimensions: ["all", "rep", "region", "segment"],
    formula: "100 × (promoters − detractors) ÷ responses",
    basis: "NPS responses in M; promoters score 9–10, detractors 0–6; on [−100, 100].",
  },
  {
    id: "nps_promoters", name: "NPS promoters", family: "customers", unit: "count", direction: "up",
    aggregation: "total", state: false,
    dimensions: ["all", "rep", "region", "segment"],
    formula: "count of NPS responses scoring 9–10", basis: "",
  },
  {
    id: "nps_passives", name: "NPS passives", family: "customers", unit: "count", direction: "up",
    aggregation: "total", state: false,
    dimensions: ["all", "rep", "region", "segment"],
    formula: "count of NPS responses scoring 7–8", basis: "",
  },
  {
    id: "nps_detractors", name: "NPS detractors", family: "customers", unit: "count", direction: "down",
    aggregation: "total", state: false,
    dimensions: ["all", "rep", "region", "segment"],
    formula: "count of NPS responses scoring 0–6", basis: "",
  },
  {
    id: "csat", name: "Customer satisfaction", family: "customers", unit: "score", direction: "up",
    aggregation: "mean", state: false,
    dimensions: ["all", "rep", "region"],
    formula: "mean score of CSAT responses in the month", basis: "",
  },
  {
    id: "employee_satisfaction", name: "Employee satisfaction", family: "customers", unit: "score", direction: "up",
    aggregation: "mean", state: false,
    dimensions: ["all", "team"],
    formula: "mean score of employee survey responses in the month", basis: "",
  },
  {
    id: "mrr", name: "MRR", family: "customers", unit: "money", direction: "up",
    aggregation: "total", state: true,
    dimensions: ["all", "region", "segment"],
    formula: "Σ account MRR at the end of the month, converted",
    basis: "An account's MRR is the sum of its subscriptions' MRR at the instant.",
  },
  {
    id: "new_mrr", name: "New MRR", family: "customers", unit: "money", direction: "up",
    aggregation: "total", state: false,
    dimensions: ["all", "region", "segment"],
    formula: "MRR at the end of the month of accounts that start from 0 and never had MRR before",
    basis: "Start and end of M both converted at M's rate, so FX moves are never movements.",
  },
  {
    id: "expansion_mrr", name: "Expansion MRR", family: "customers", unit: "money", direction: "up",
    aggregation: "total", state: false,
    dimensions: ["all", "region", "segment"],
    formula: "Σ increase of MRR over accounts paying at the start and more at the end", basis: "",
  },
  {
    id: "contraction_mrr", name: "Contraction MRR", family: "customers", unit: "money", direction: "down",
    aggregation: "total", state: false,
    dimensions: ["all", "region", "segment"],
    formula: "Σ decrease of MRR over accounts paying less, but above 0, at the end", basis: "",
  },
  {
    id: "churned_mrr", name: "Churned MRR", family: "customers", unit: "money", direction: "down",
    aggregation: "total", state: false,
    dimensions: ["all", "region", "segment"],
    formula: "Σ MRR at the start of the month of accounts at 0 at the end", basis: "",
  },
  {
    id: "reactivation_mrr", name: "Reactivation MRR", family: "customers", unit: "money", direction: "up",
    aggregation: "total", state: false,
    dimensions: ["all", "region", "segment"],
    formula: "MRR at the end of the month of accounts back from 0 that had MRR before", basis: "",
  },
  {
    id: "active_customers", name: "Active customers", family: "customers", unit: "count", direction: "up",
    aggregation: "total", state: true,
    dimensions: ["all", "region", "segment"],
    formula: "accounts with MRR above 0 at the end of the month", basis: "",
  },
  {
    id: "logo_churn_rate", name: "Logo churn", family: "customers", unit: "ratio", direction: "down",
    aggregation: "ratio", state: false,
    dimensions: ["all", "region", "segment", "rep"],
    formula: "accounts paying at the start and at 0 at the end ÷ accounts paying at the start",
    basis: "Accounts that start and churn inside the month are left out (ChartMogul's choice for business customers). By rep: the account's owner rep at the start of the month.",
  },
  {
    id: "revenue_churn_rate", name: "Revenue churn", family: "customers", unit: "ratio", direction: "down",
    aggregation: "ratio", state: false,
    dimensions: ["all", "region", "segment", "rep"],
    formula: "(churned MRR + contraction MRR) ÷ MRR at the start of the month", basis: "By rep: the account's owner rep at the start of the month.",
  },
  {
    id: "net_revenue_retention", name: "Net revenue retention", family: "customers", unit: "ratio", direction: "up",
    aggregation: "ratio", state: false,
    dimensions: ["all", "region", "segment", "rep"],
    formula: "(MRR at the start + expansion − contraction − churned) ÷ MRR at the start",
    basis: "Over accounts paying at the start of the month. By rep: the account's owner rep at the start of the month.",
  },
  {
    id: "arpa", name: "ARPA", family: "customers", unit: "money", direction: "up",
    aggregation: "ratio", state: true,
    dimensions: ["all", "region", "segment"],
    formula: "MRR ÷ active customers", basis: "Average revenue per account, per month.",
  },
  {
    id: "customer_lifetime_value", name: "Customer lifetime value", family: "customers", unit: "money", direction: "up",
    aggregation: "derived", state: true,
    dimensions: ["all", "region", "segment"],
    formula: "ARPA ÷ logo churn rate",
    basis: "Uses the month's churn, not a trailing average; null when churn is 0.",
  },
  {
    id: "customer_health", name: "Customer health", family: "customers", unit: "score", direction: "up",
    aggregation: "mean", state: true,
    dimensions: ["all", "rep", "segment", "region"],
    formula: "mean health score (0–100) of customer accounts at the end of the month",
    basis: "Health = round half up(100 × (0.4 revenue + 0.3 loyalty + 0.3 engagement)): revenue from the MRR trend since two months before the month's start, both ends at the month's rate (0.5 for customers that never paid), loyalty from the latest NPS in 12 months (0.5 without), engagement from the days since the last contact activity (1 within 30, 0 from 90). Customer accounts as for customer_touches. By rep, region and segment: the account's at the end of the month.",
  },
  {
    id: "accounts_at_risk", name: "Accounts at risk", family: "customers", unit: "ratio", direction: "down",
    aggregation: "ratio", state: true,
    dimensions: ["all", "rep", "segment", "region"],
    formula: "customer accounts with a health score below 70 ÷ customer accounts at the end of the month",
    basis: "The health score of customer_health.",
  },
  {
    id: "ltv_to_cac", name: "LTV : CAC", family: "customers", unit: "multiple", direction: "up",
    aggregation: "derived", state: false,
    dimensions: ["all"],
    formula: "customer lifetime value ÷ customer acquisition cost of the month",
    basis: "Null when either is null or 0. The lifetime value uses the month's churn.",
  },
  // ---------------------------------------------------------------- F. Forecast (catalog version 3)
  // Made once at start(M) and stored (docs/kpis.md, rule 39): a recompute never rewrites them.
  {
    id: "forecast_weighted", name: "Weighted forecast", family: "forecast", unit: "money", direction: "up",
    aggregation: "total", state: false,
    dimensions: ["all", "rep", "team"],
    formula: "Σ over deals open at the start of the month and placed in it of converted amount × P(won | stage), as made at the start of the month",
    basis: "P(won | stage) = of the deals open in that stage at one of the 12 month starts before, the share won by the start of the month; a stage with fewer than 10 such deals, or a deal without a stage, uses the share over all those deals. A deal is placed in the month of its expected close at the start of the month; without one, or with one already past, in the month itself. Amount, stage, owner and team as at the start of the month, converted at the month's rate. Stored when the month is first computed and never rewritten.",
  },
  {
    id: "forecast_run_rate", name: "Run-rate forecast", family: "forecast", unit: "money", direction: "up",
    aggregation: "mean", state: false,
    dimensions: ["all", "rep", "team"],
    formula: "mean revenue won over the three months before the month, as made at the start of the month",
    basis: "The three revenue_won values of M−3, M−2 and M−1 (0 for a month without a won deal), each at its close month's rate; by rep: the deal's owner, by team: the owner's team at the close. Stored with the weighted forecast, never rewritten.",
  },
  {
    id: "pipeline_coverage", name: "Pipeline coverage", family: "forecast", unit: "multiple", direction: "up",
    aggregation: "ratio", state: false,
    dimensions: ["all", "rep", "team"],
    formula: "open pipeline placed in the month ÷ the month's total quota, as made at the start of the month",
    basis: "The unweighted converted amount of the deals the weighted forecast places in the month. By rep: the rep's quota; by team: the quotas of the reps in it at the start of the month; a key without a quota is not listed, and the overall value is null without quotas.",
  },
  {
    id: "forecast_accuracy", name: "Forecast accuracy", family: "forecast", unit: "ratio", direction: "up",
    aggregation: "derived", state: false,
    dimensions: ["all", "rep", "team"],
    formula: "1 − |weighted forecast made at the start of the month − revenue won in it| ÷ revenue won in it",
    basis: "Only once the month has closed (computed at or after its end); null when no revenue was won or no forecast was made for the month. Below 0 when the forecast missed by more than the revenue; a key without a forecast compares with 0.",
  },
]);

/** The id of a catalog KPI. */
export type KpiId = (typeof DEFINITIONS)[number]["id"];

export interface KpiDefinition extends KpiFields {
  id: KpiId;
}

export const KPIS: readonly KpiDefinition[] = DEFINITIONS;

export const KPI_IDS: readonly KpiId[] = KPIS.map((kpi) => kpi.id);

/** By id; a plain string key, for callers that validate ids from outside (isKpiId). */
export const KPI_BY_ID: ReadonlyMap<string, KpiDefinition> = new Map(KPIS.map((kpi) => [kpi.id, kpi]));

export function isKpiId(id: string): id is KpiId {
  return KPI_BY_ID.has(id);
}

/** The catalog entry of a KPI; throws for an id the catalog lacks (never a default). */
export function kpiDefinition(id: string): KpiDefinition {
  const kpi = KPI_BY_ID.get(id);
  if (!kpi) throw new Error(`unknown KPI ${JSON.stringify(id)}: not in catalog version ${CATALOG_VERSION}`);
  return kpi;
}

export function aggregationOf(id: string): Aggregation {
  return kpiDefinition(id).aggregation;
}

/** scale × numerator ÷ denominator is a ratio's value (nps: 100, every other ratio: 1). */
export function scaleOf(id: string): number {
  return kpiDefinition(id).scale ?? 1;
}

// A deterministic "large workspace" for benchmarks: a mid-size sales organisation over 24
// months told as native events (workers/model/events.ts) plus the settings the KPIs read.
// Same options ⇒ identical output. At size 1: 300 reps in 10 teams and 4 regions, 10,000
// accounts, 50,000 leads, 100,000 deals, 1,000,000 activities, 20,000 survey responses,
// 5,000 subscriptions and a few deletions; every count scales linearly with `size`.
// Benchmark setup only: never part of `npm test`.
import { addMonths, monthRange, startOfMonth } from "../shared/months";
import { DAY_MS as DAY, HOUR_MS as HOUR, MINUTE_MS as MINUTE } from "../shared/units";
import { ACTIVITY_OUTCOMES, type EventType } from "../workers/model/events";

export interface NativeEvent {
  id: string;
  type: EventType;
  occurred_at: string;
  data: Record<string, unknown>;
}

export interface LargeWorkspaceSettings {
  quotas: { rep_id: string; month: string; amount: number }[];
  fx_rates: { currency: string; month: string; rate: number }[];
  spend: { source: string; month: string; amount: number }[];
}

export interface LargeWorkspace {
  timezone: string;
  currency: string;
  pipelineStages: string[];
  months: string[];
  /** Sorted by occurred_at (ties keep generation order). */
  events: NativeEvent[];
  settings: LargeWorkspaceSettings;
}

export interface LargeWorkspaceOptions {
  /** 1 = full size (about 1.7 million events); counts scale linearly. */
  size: number;
  seed?: number;
}

export const LAST_MONTH = "2026-10";
export const MONTH_COUNT = 24;
export const TIMEZONE = "America/New_York";
export const PIPELINE_STAGES = ["discovery", "demo", "proposal", "negotiation"];

/** mulberry32: small, fast, seedable. */
class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  between(a: number, b: number): number {
    return a + (b - a) * this.next();
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  /** Picks by weights (parallel arrays). */
  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let i = 0; i < items.length; i++) {
      r -= weights[i]!;
      if (r < 0) return items[i]!;
    }
    return items[items.length - 1]!;
  }
  /** Log-normal around `median`. */
  lognormal(median: number, sigma: number): number {
    const u = Math.max(this.next(), 1e-12);
    const v = this.next();
    return median * Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  }
}

const REGIONS = ["north_america", "emea", "apac", "latam"];
const TEAMS = [
  "atlas", "borealis", "cobalt", "delta", "ember", "fjord", "granite", "harbor", "iris", "juniper",
].map((name, i) => ({ name, region: REGIONS[i < 4 ? 0 : i < 7 ? 1 : i < 9 ? 2 : 3]! }));
const SEGMENTS = ["smb", "mid_market", "enterprise"];
const SEGMENT_WEIGHTS = [0.55, 0.32, 0.13];
const SEGMENT_DEAL_MEDIAN: Record<string, number> = { smb: 6_000, mid_market: 22_000, enterprise: 85_000 };
const INDUSTRIES = ["software", "finance", "healthcare", "retail", "manufacturing", "education", "media", "logistics"];
export const SOURCES = ["website", "referral", "paid_search", "events", "outbound", "partner"];
const SOURCE_WEIGHTS = [0.3, 0.12, 0.22, 0.1, 0.18, 0.08];
const LOST_REASONS = ["price", "competitor", "no_decision", "timing", "features", "budget"];
const COMPETITORS = ["Rivalsoft", "Northwind CRM", "Acme Analytics"];
const PRODUCTS = [
  { product_id: "p_core", name: "Core platform", price: 12_000 },
  { product_id: "p_analytics", name: "Analytics", price: 6_000 },
  { product_id: "p_api", name: "API access", price: 3_600 },
  { product_id: "p_seats", name: "Extra seats", price: 480 },
  { product_id: "p_support", name: "Premium support", price: 2_400 },
  { product_id: "p_copilot", name: "AI Copilot", price: 9_000 },
];
const ACTIVITY_TYPES = ["call", "email", "meeting", "demo", "business_review", "note", "task", "social", "other"] as const;
const ACTIVITY_WEIGHTS = [0.26, 0.34, 0.12, 0.05, 0.02, 0.09, 0.08, 0.03, 0.01];
const DURATION_MEDIAN: Partial<Record<string, number>> = { call: 360, meeting: 1_800, demo: 2_700, business_review: 3_600 };
const CURRENCIES = ["USD", "EUR", "GBP"];
const CURRENCY_WEIGHTS = [0.8, 0.12, 0.08];

/** Index of the last element of a sorted array that is < value (−1 when none). */
function lastBelow(sorted: Float64Array, count: number, value: number): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

export function generateLargeWorkspace({ size, seed = 1 }: LargeWorkspaceOptions): LargeWorkspace {
  if (!(size > 0)) throw new RangeError(`size must be positive: ${size}`);
  const rng = new Rng(seed);
  // Catalog version 2's optional fields (lead score, contract term, competitor) draw from
  // their own stream, so planting them leaves every other generated value as it was.
  const fieldsRng = new Rng(seed ^ 0xf1e1d);
  const months = monthRange(addMonths(LAST_MONTH, -(MONTH_COUNT - 1)), LAST_MONTH);
  const monthStarts = [...months, addMonths(LAST_MONTH, 1)].map((m) => startOfMonth(m, TIMEZONE));
  const START = monthStarts[0]!;
  const END = monthStarts[MONTH_COUNT]!; // exclusive
  const SPAN = END - START;
  const scaled = (n: number, min = 1) => Math.max(min, Math.round(n * size));
  /** An instant in the period with ~40% growth from the first month to the last. */
  const growingInstant = (from = START) => {
    // Inverse CDF of a linear density rising from 1 to 1.4 over the period.
    const u = rng.next();
    const a = 0.2;
    const x = (-1 + Math.sqrt(1 + 4 * a * (1 + a) * u)) / (2 * a);
    const t = from + Math.floor(x * (END - from));
    return Math.min(END - 1, t);
  };

  // Events are collected unsorted with their instants, then sorted by instant.
  const raw: NativeEvent[] = [];
  const times: number[] = [];
  let serial = 0;
  const emit = (type: EventType, t: number, data: Record<string, unknown>) => {
    if (t < START || t >= END) return false;
    raw.push({ id: `evt_${(serial++).toString(36)}`, type, occurred_at: "", data });
    times.push(t);
    return true;
  };

  // ---- reps
  const repCount = scaled(300, 4);
  const reps: { id: string; team: string; region: string; hired: number; left: number }[] = [];
  for (let i = 0; i < repCount; i++) {
    const team = TEAMS[i % TEAMS.length]!;
    const id = `rep_${i + 1}`;
    // Most reps are there from the start; some join later and some leave.
    const hired = i < repCount * 0.8 || repCount < 10 ? START : START + Math.floor(rng.between(0.05, 0.8) * SPAN);
    const left = repCount >= 10 && rng.chance(0.06) ? hired + Math.floor(rng.between(0.3, 0.95) * (END - hired)) : END;
    reps.push({ id, team: team.name, region: team.region, hired, left });
    emit("rep.upserted", hired, {
      rep_id: id,
      name: `Rep ${i + 1}`,
      email: `rep${i + 1}@large.example`,
      team: team.name,
      region: team.region,
      active: true,
    });
    if (left < END) emit("rep.upserted", left, { rep_id: id, active: false });
  }
  const repAt = (t: number) => {
    for (let tries = 0; tries < 8; tries++) {
      const rep = reps[rng.int(repCount)]!;
      if (rep.hired <= t && t < rep.left) return rep;
    }
    return reps[0]!;
  };

  // ---- accounts
  const accountCount = scaled(10_000, 5);
  const accounts: { id: string; segment: string; created: number }[] = [];
  for (let i = 0; i < accountCount; i++) {
    const id = `acc_${i + 1}`;
    // A third exists before the period; the rest arrive over it.
    const created = i < accountCount / 3 ? START + rng.int(30 * DAY) : growingInstant();
    const segment = rng.weighted(SEGMENTS, SEGMENT_WEIGHTS);
    const owner = repAt(created);
    accounts.push({ id, segment, created });
    emit("account.upserted", created, {
      account_id: id,
      name: `Account ${i + 1}`,
      region: rng.chance(0.9) ? owner.region : null,
      segment,
      industry: rng.pick(INDUSTRIES),
      owner_rep_id: owner.id,
    });
    if (rng.chance(0.15)) emit("account.upserted", growingInstant(created + DAY), { account_id: id, owner_rep_id: repAt(END - 1).id });
  }
  accounts.sort((a, b) => a.created - b.created);
  const accountTimes = Float64Array.from(accounts, (a) => a.created);
  /** An account that exists at `t` (null when none yet). */
  const accountBefore = (t: number) => {
    const last = lastBelow(accountTimes, accounts.length, t);
    return last < 0 ? null : accounts[rng.int(last + 1)]!;
  };

  // ---- leads
  const leadCount = scaled(50_000, 10);
  const leadCreated = new Float64Array(leadCount);
  for (let i = 0; i < leadCount; i++) leadCreated[i] = growingInstant();
  leadCreated.sort();
  const leads: { id: string; created: number; owner: string; account: string | null }[] = [];
  for (let i = 0; i < leadCount; i++) {
    const id = `lead_${i + 1}`;
    const created = leadCreated[i]!;
    const owner = repAt(created);
    const account = rng.chance(0.4) ? accountBefore(created) : null;
    leads.push({ id, created, owner: owner.id, account: account?.id ?? null });
    const source = rng.weighted(SOURCES, SOURCE_WEIGHTS);
    const data: Record<string, unknown> = {
      lead_id: id,
      owner_rep_id: owner.id,
      source,
      stage: "lead",
      created_at: new Date(created).toISOString(),
    };
    if (account) data.account_id = account.id;
    if (fieldsRng.chance(0.8)) data.score = fieldsRng.int(101);
    // Most leads are announced as they are created; some arrive a little later.
    emit("lead.upserted", rng.chance(0.85) ? created : created + rng.int(2 * DAY), data);
    let t = created + 5 * MINUTE;
    for (const [stage, p, days] of [["mql", 0.4, 6], ["sql", 0.5, 12], ["customer", 0.3, 30]] as const) {
      if (!rng.chance(p)) break;
      t += Math.floor(rng.between(0.2, 2) * days * DAY);
      if (!emit("lead.upserted", t, { lead_id: id, stage })) break;
    }
    if (rng.chance(0.15)) emit("lead.upserted", t + rng.int(20 * DAY) + HOUR, { lead_id: id, owner_rep_id: repAt(t).id });
  }

  // ---- deals
  const dealCount = scaled(100_000, 10);
  const dealCreated = new Float64Array(dealCount);
  for (let i = 0; i < dealCount; i++) dealCreated[i] = growingInstant();
  dealCreated.sort();
  const dealEnds = new Float64Array(dealCount); // last event of each deal, for deletions
  for (let i = 0; i < dealCount; i++) {
    const id = `deal_${i + 1}`;
    const created = dealCreated[i]!;
    const owner = repAt(created);
    const account = accountBefore(created);
    const segment = account?.segment ?? "smb";
    const leadIndex = rng.chance(0.6) ? lastBelow(leadCreated, leadCount, created) : -1;
    const lead = leadIndex >= 0 ? leads[rng.int(leadIndex + 1)]! : null;
    const currency = rng.weighted(CURRENCIES, CURRENCY_WEIGHTS);
    const kind = rng.weighted(["new", "expansion", "renewal"], [0.7, 0.2, 0.1]);
    const data: Record<string, unknown> = {
      deal_id: id,
      name: `Deal ${i + 1}`,
      owner_rep_id: owner.id,
      pipeline: "default",
      stage: PIPELINE_STAGES[0],
      status: "open",
      currency,
      kind,
      source: lead ? rng.weighted(SOURCES, SOURCE_WEIGHTS) : rng.chance(0.5) ? "outbound" : "referral",
      created_at: new Date(created).toISOString(),
    };
    if (account) data.account_id = account.id;
    if (lead) data.lead_id = lead.id;
    if (fieldsRng.chance(0.4)) data.term_months = fieldsRng.pick([6, 12, 24, 36]);
    if (rng.chance(0.3)) {
      const lines = [];
      const count = 1 + rng.int(3);
      let amount = 0;
      for (let l = 0; l < count; l++) {
        const product = PRODUCTS[(i + l * 2) % PRODUCTS.length]!;
        const quantity = product.product_id === "p_seats" ? 5 + rng.int(50) : 1 + rng.int(3);
        const unitPrice = Math.round(product.price * rng.between(0.8, 1.1));
        amount += quantity * unitPrice;
        lines.push({ product_id: product.product_id, name: product.name, quantity, unit_price: unitPrice });
      }
      data.products = lines;
      data.amount = amount;
    } else {
      // Amounts arrive as numbers or decimal strings, as CRMs send them.
      const amount = Math.round(rng.lognormal(SEGMENT_DEAL_MEDIAN[segment]!, 0.6) * 100) / 100;
      data.amount = rng.chance(0.2) ? amount.toFixed(2) : amount;
    }
    emit("deal.upserted", created, data);
    // 2–4 stage moves through the pipeline, then ~70% close.
    let t = created;
    const moves = 2 + rng.int(3);
    let stage = 0;
    let last = created;
    for (let m = 0; m < moves; m++) {
      t += Math.floor(rng.between(2, 18) * DAY);
      stage = Math.min(PIPELINE_STAGES.length - 1, stage + 1 + (rng.chance(0.15) ? 1 : 0));
      const change: Record<string, unknown> = { deal_id: id, stage: PIPELINE_STAGES[stage] };
      if (rng.chance(0.15) && !data.products) change.amount = Math.round(Number(data.amount) * rng.between(0.8, 1.2) * 100) / 100;
      if (!emit("deal.upserted", t, change)) break;
      last = t;
    }
    if (t < END && rng.chance(0.7)) {
      t += Math.floor(rng.between(1, 20) * DAY);
      const won = rng.chance(0.38);
      const closing: Record<string, unknown> = { deal_id: id, status: won ? "won" : "lost" };
      // Mostly an explicit closed_at (a little before the update), else implicit by status.
      if (rng.chance(0.85)) closing.closed_at = new Date(t - rng.int(3) * DAY).toISOString();
      if (!won) closing.lost_reason = rng.pick(LOST_REASONS);
      if (!won && (closing.lost_reason === "competitor" || fieldsRng.chance(0.2))) closing.competitor = fieldsRng.pick(COMPETITORS);
      if (emit("deal.upserted", t, closing)) last = t;
    }
    dealEnds[i] = last;
  }

  // ---- activities (2% logged a second time, later, with the same activity_id)
  const activityCount = scaled(1_000_000, 50);
  for (let i = 0; i < activityCount; i++) {
    const id = `act_${i + 1}`;
    const t = growingInstant();
    const type = rng.weighted(ACTIVITY_TYPES, ACTIVITY_WEIGHTS);
    const rep = repAt(t);
    const data: Record<string, unknown> = {
      activity_id: id,
      type,
      direction: type === "note" || type === "task" ? null : rng.chance(0.7) ? "outbound" : "inbound",
      rep_id: rep.id,
    };
    const link = rng.next();
    if (link < 0.4) {
      const d = lastBelow(dealCreated, dealCount, t);
      if (d >= 0) {
        data.deal_id = `deal_${rng.int(d + 1) + 1}`;
        const account = accountBefore(t);
        if (account && rng.chance(0.5)) data.account_id = account.id;
      }
    } else if (link < 0.75) {
      const l = lastBelow(leadCreated, leadCount, t);
      if (l >= 0) {
        const lead = leads[Math.max(0, l - rng.int(Math.min(l + 1, 2_000)))]!; // mostly recent leads
        data.lead_id = lead.id;
        if (lead.account) data.account_id = lead.account;
      }
    } else if (link < 0.92) {
      const account = accountBefore(t);
      if (account) data.account_id = account.id;
    }
    const median = DURATION_MEDIAN[type];
    if (median) data.duration_seconds = Math.round(rng.lognormal(median, 0.5));
    if (rng.chance(0.4)) data.outcome = rng.pick(ACTIVITY_OUTCOMES);
    if ((type === "meeting" || type === "demo" || type === "business_review") && rng.chance(0.5)) {
      const others = new Set<string>();
      const count = 1 + rng.int(2);
      for (let p = 0; p < count; p++) {
        const other = reps[rng.int(repCount)]!.id;
        if (other !== rep.id) others.add(other);
      }
      data.participant_rep_ids = [...others];
    }
    emit("activity.logged", t, data);
    if (rng.chance(0.02)) emit("activity.logged", t + HOUR + rng.int(3 * DAY), { ...data });
  }

  // ---- survey responses
  const surveyCount = scaled(20_000, 10);
  for (let i = 0; i < surveyCount; i++) {
    const t = growingInstant();
    const survey = rng.weighted(["nps", "csat", "employee"], [0.5, 0.3, 0.2]);
    const data: Record<string, unknown> = { response_id: `resp_${i + 1}`, survey };
    if (survey === "employee") {
      data.score = Math.min(10, Math.max(0, Math.round(rng.between(4, 11))));
      data.rep_id = repAt(t).id;
    } else {
      data.score = survey === "nps" ? Math.min(10, Math.round(rng.between(3, 11))) : 1 + rng.int(5);
      const account = accountBefore(t);
      if (account) data.account_id = account.id;
      else {
        const l = lastBelow(leadCreated, leadCount, t);
        if (l >= 0) data.lead_id = leads[rng.int(l + 1)]!.id;
      }
      if (rng.chance(0.1)) data.comment = rng.pick(["Great support", "Too expensive", "Love the reports", "Onboarding was slow"]);
    }
    if (!data.account_id && !data.lead_id && !data.rep_id) data.rep_id = repAt(t).id;
    emit("survey.responded", t, data);
  }

  // ---- subscriptions: an account's MRR, a few changes, some churn, a few come back
  const subscriptionCount = Math.min(accounts.length, scaled(5_000, 5));
  for (let i = 0; i < subscriptionCount; i++) {
    const account = accounts[Math.floor((i * accounts.length) / subscriptionCount)]!;
    const id = `sub_${i + 1}`;
    const currency = rng.chance(0.1) ? "EUR" : null;
    let mrr = Math.round(rng.lognormal(SEGMENT_DEAL_MEDIAN[account.segment]! / 12, 0.5));
    let t = Math.max(START, account.created + rng.int(40 * DAY));
    const first: Record<string, unknown> = { subscription_id: id, account_id: account.id, mrr };
    if (currency) first.currency = currency;
    if (!emit("subscription.updated", t, first)) continue;
    const changes = 1 + rng.int(4);
    let churned = false;
    for (let c = 0; c < changes; c++) {
      t += Math.floor(rng.between(30, 150) * DAY);
      if (churned) {
        if (!rng.chance(0.25)) break;
        mrr = Math.round(rng.lognormal(SEGMENT_DEAL_MEDIAN[account.segment]! / 12, 0.5)); // reactivated
        churned = false;
      } else if (rng.chance(0.15)) {
        mrr = 0;
        churned = true;
      } else mrr = Math.max(10, Math.round(mrr * rng.between(0.85, 1.35)));
      const change: Record<string, unknown> = { subscription_id: id, account_id: account.id, mrr };
      if (currency) change.currency = currency;
      if (!emit("subscription.updated", t, change)) break;
    }
  }

  // ---- deletions (~0.2% of deals, leads and accounts)
  const deletions = (count: number, make: (i: number) => void) => {
    const n = Math.max(1, Math.round(count * 0.002));
    for (let k = 0; k < n; k++) make(rng.int(count));
  };
  deletions(dealCount, (i) => emit("deal.deleted", dealEnds[i]! + HOUR + rng.int(20 * DAY), { deal_id: `deal_${i + 1}` }));
  deletions(leadCount, (i) => emit("lead.deleted", leads[i]!.created + 40 * DAY + rng.int(60 * DAY), { lead_id: leads[i]!.id }));
  deletions(accounts.length, (i) => emit("account.deleted", growingInstant(accounts[i]!.created + 30 * DAY), { account_id: accounts[i]!.id }));

  // ---- sort by instant (ties in generation order) and stamp the ISO instants
  const order = new Uint32Array(raw.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  const timeArray = Float64Array.from(times);
  order.sort((a, b) => timeArray[a]! - timeArray[b]! || a - b);
  const events: NativeEvent[] = new Array(raw.length);
  for (let i = 0; i < order.length; i++) {
    const event = raw[order[i]!]!;
    event.occurred_at = new Date(timeArray[order[i]!]!).toISOString();
    events[i] = event;
  }

  // ---- settings
  const settingsRng = new Rng(seed ^ 0x5eed);
  const quotas: LargeWorkspaceSettings["quotas"] = [];
  months.forEach((month, m) => {
    const seasonal = 1 + 0.1 * Math.sin((m / 12) * 2 * Math.PI) + (month.endsWith("-12") ? 0.15 : 0);
    for (const rep of reps) {
      // Active at some point of the month.
      if (rep.hired >= monthStarts[m + 1]! || rep.left < monthStarts[m]!) continue;
      const amount = Math.round((45_000 * seasonal * (1 + 0.015 * m) * settingsRng.between(0.8, 1.2)) / 100) * 100;
      quotas.push({ rep_id: rep.id, month, amount });
    }
  });
  const fx_rates: LargeWorkspaceSettings["fx_rates"] = [];
  months.forEach((month, m) => {
    fx_rates.push({ currency: "EUR", month, rate: Math.round((1.085 + 0.035 * Math.sin(m / 3) + settingsRng.between(-0.008, 0.008)) * 10_000) / 10_000 });
    fx_rates.push({ currency: "GBP", month, rate: Math.round((1.265 + 0.03 * Math.cos(m / 4) + settingsRng.between(-0.008, 0.008)) * 10_000) / 10_000 });
  });
  const spend: LargeWorkspaceSettings["spend"] = [];
  months.forEach((month, m) => {
    SOURCES.forEach((source, s) => {
      const base = 400_000 * SOURCE_WEIGHTS[s]! * size * (1 + 0.015 * m);
      spend.push({ source, month, amount: Math.round(base * settingsRng.between(0.9, 1.1)) });
    });
  });

  return {
    timezone: TIMEZONE,
    currency: "USD",
    pipelineStages: [...PIPELINE_STAGES],
    months,
    events,
    settings: { quotas, fx_rates, spend },
  };
}

// The demo company: a deterministic (seeded) sales organisation told as canonical native
// events (workers/model/events.ts) plus the settings the KPIs read (stages, quotas, FX
// rates, marketing spend). Same options ⇒ byte-identical output.
//
// The story a sales leader should recognise:
// - Atlas (North America, on HubSpot) is the strong team: fast lead response, high win rate.
// - Cobalt (North America + LATAM, on Close) is the weak team: slow follow-up, low win rate,
//   more churn.
// - Delta (APAC, on Salesforce) sells to enterprises and slips in the last quarter: a
//   competitor arrives, fewer leads, lower win rate, more churn, lower NPS.
// - Borealis (EMEA, on Pipedrive) sells in EUR.
// - "AI Copilot" launches mid-period and takes off: attached to more and more new deals and
//   sold as expansions to existing customers.
// - Seasonality (summer dip, Q4 push) and steady growth.
// - Quotas a team can make: Atlas beats its number most months (about 110 %), Borealis and
//   Delta come close, Cobalt lands well below (about 65 %). Reps work their month as sales
//   teams do: a team past its number lets late deals slip into next month, one short of it
//   pulls in deals due in the next weeks, and no rep's month goes past 250 % of quota.
// - One record: in the last month a Borealis rep signs Meridian Foundry GmbH, an
//   enterprise rollout months in the making, worth over three times the rep's quota (story.ts
//   tells it; it is the only rep-month past 250 %).
// - The competitor that arrives in APAC has a name: Kinetiq appears in Delta's lost deals in
//   the last quarter, and nowhere before or elsewhere (other competitive losses name the
//   established rivals).
// - A few customer accounts slide into risk in the last quarter: nobody contacts them any
//   more, their NPS drops, and their MRR halves (`sliding`; their health score ends far
//   below 70).
// - Catalog version 2's fields: contract terms (term_months) on most deals, a lost reason on
//   most losses and the competitor on competitive ones, lead scores that follow the source's
//   quality, and handoffs: in Atlas, Borealis and Delta the team's first rep works as a BDR
//   who owns and opens half of the team's leads, then hands the deal to the account executive;
//   notes and tasks take time, so selling time is a share below 100 %.
// The catalog-2 details draw on their own random stream, so the stories above stay as they were.
//
// Entity ids look like the ids of the system each team works in (HubSpot numeric ids,
// Pipedrive integers, Close `lead_…`, Salesforce 18-character ids), because the CRMs'
// adapters keep their ids as they are; a Stripe customer id is the account id used by deals.
import { addMonths, localMidnight, monthOf, monthRange, startOfMonth } from "../../shared/months";
import type { EventType } from "../../workers/model/events";

export type Crm = "hubspot" | "pipedrive" | "close" | "salesforce";
/** Where an event is sent: a team's CRM, Stripe (billing) or the native format. */
export type System = Crm | "stripe" | "native";

export interface NativeEvent {
  id: string;
  type: EventType;
  occurred_at: string;
  data: Record<string, unknown>;
}

export interface DemoOptions {
  seed?: number;
  /** Last month generated (YYYY-MM); default: the last complete month before `now` (UTC). */
  end?: string;
  /** Default 18. */
  months?: number;
  /** 1 = full (about 25 reps, ~20k events); 0.1 = a few reps, for CI. */
  scale?: number;
  /** Used only to default `end`. */
  now?: number | Date;
  /** The workspace's time zone (Salesforce CloseDates become local midnight in it). */
  timezone?: string;
}

export interface Team {
  key: string;
  name: string;
  crm: Crm;
  regions: string[];
}

export interface Rep {
  id: string;
  name: string;
  email: string;
  team: string;
  region: string;
  crm: Crm;
  /** Month index the rep joined (0 = from the start) and left (null = still here). */
  joined: number;
  left: number | null;
}

export interface SubscriptionPlan {
  product_id: string;
  /** Monthly price per seat in minor units (cents). */
  unit_amount: number;
  currency: string;
}

export interface Settings {
  pipeline_stages: string[];
  quotas: { rep_id: string; month: string; amount: number }[];
  fx_rates: { currency: string; month: string; rate: number }[];
  spend: { source: string; month: string; amount: number }[];
}

export interface Company {
  name: string;
  seed: number;
  scale: number;
  timezone: string;
  currency: string;
  start: string;
  end: string;
  months: string[];
  /** Month index the new product launched. */
  launchMonth: string;
  teams: Team[];
  reps: Rep[];
  products: { id: string; name: string; line: string }[];
  /** The Salesforce organization the Delta team's org has. */
  salesforceOrgId: string;
  /**
   * The story's one outlier: a rep's record deal that takes the month far past quota (null
   * when the period is too short to tell it).
   */
  outlier: { rep_id: string; month: string; deal_id: string; account: string } | null;
  /** Every event, ordered by occurred_at (ids ascend with it). */
  events: NativeEvent[];
  /** The system each event comes from (parallel to `events`). */
  systems: System[];
  /** Stripe price per subscription: the seats are mrr / unit price. */
  plans: Record<string, SubscriptionPlan>;
  settings: Settings;
  /** The competitor that arrives with the slipping region's last quarter. */
  competitor: { name: string; region: string; team: string; from: string };
  /** The customer accounts that slide into risk in the last quarter. */
  sliding: { account_id: string; name: string; rep_id: string; team: string }[];
}

// ---------------------------------------------------------------- randomness

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  between(min: number, max: number): number {
    return min + (max - min) * this.next();
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let roll = this.next() * total;
    for (const [item, weight] of entries) {
      roll -= weight;
      if (roll < 0) return item;
    }
    return entries[entries.length - 1]![0];
  }
  gauss(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /** Log-normal around a median. */
  skewed(median: number, spread: number): number {
    return median * Math.exp(this.gauss() * spread);
  }
  /** A count with expectation x: floor(x) plus one with the fraction's probability. */
  count(x: number): number {
    const whole = Math.floor(x);
    return whole + (this.chance(x - whole) ? 1 : 0);
  }
  text(alphabet: string, length: number): string {
    let out = "";
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(this.next() * alphabet.length)];
    return out;
  }
}

// ---------------------------------------------------------------- constants

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const PIPELINE_STAGES = ["discovery", "demo", "proposal", "negotiation"] as const;

/** The stage a CRM shows once a deal is closed (Pipedrive keeps the deal in its stage). */
export const CLOSED_STAGES: Record<Crm, { won: string; lost: string } | null> = {
  hubspot: { won: "closedwon", lost: "closedlost" },
  salesforce: { won: "Closed Won", lost: "Closed Lost" },
  close: { won: "Won", lost: "Lost" },
  pipedrive: null,
};

export const SOURCES = ["organic", "paid_search", "paid_social", "events", "referral", "outbound"] as const;
const SOURCE_WEIGHTS: [string, number][] = [
  ["organic", 25], ["paid_search", 20], ["paid_social", 14], ["events", 10], ["referral", 12], ["outbound", 19],
];
/** Sources whose leads are better (more of them progress). */
const SOURCE_QUALITY: Record<string, number> = {
  organic: 1, paid_search: 0.95, paid_social: 0.8, events: 1.05, referral: 1.3, outbound: 0.9,
};
const SPEND_BASE: Record<string, number> = { organic: 4000, paid_search: 14000, paid_social: 9000, events: 11000 };

const LOST_REASONS = ["Price too high", "Chose a competitor", "No decision", "Bad timing", "Missing feature"] as const;
/** The reason a loss to a competitor carries. */
const COMPETITOR_REASON = "Chose a competitor";
/** The competitor that arrives in the slipping region's last quarter. */
export const NEW_COMPETITOR = "Kinetiq";
/** The rivals a competitive loss names anywhere else. */
const ESTABLISHED_COMPETITORS = ["Salesforce Sales Cloud", "Pipeliner", "Forecastly"] as const;
/** Share of losses whose rep records no reason. */
const NO_REASON_SHARE = 0.05;
/** Share of a BDR team's leads that the BDR owns and hands off (Close teams have no BDR). */
const HANDOFF_SHARE = 0.5;
/** Customer accounts that slide into risk in the last quarter, at full scale. */
const SLIDING_ACCOUNTS = 5;
/** Monthly chance that a rep checks in with a customer account (a call or an email). */
const CHECK_IN: Record<string, number> = { atlas: 0.85, borealis: 0.8, cobalt: 0.55, delta: 0.8 };

export const PRODUCTS = [
  { id: "core", name: "Quotient Core", line: "Platform" },
  { id: "analytics", name: "Analytics Pro", line: "Platform" },
  { id: "integrations", name: "Integrations Pack", line: "Services" },
  { id: "support", name: "Premium Support", line: "Services" },
  { id: "copilot", name: "AI Copilot", line: "AI" },
] as const;

/** Annual list price per unit, per currency. Seats are billed monthly at 1/12. */
const PRICES: Record<string, Record<string, number>> = {
  USD: { core: 1200, analytics: 300, integrations: 15000, support: 30000, copilot: 600 },
  EUR: { core: 1104, analytics: 276, integrations: 13800, support: 27600, copilot: 552 },
};

interface TeamProfile {
  team: Team;
  /** Probability to advance from each open stage to the next (the last one: to win). */
  advance: [number, number, number, number];
  /** Lead lifecycle progression factor. */
  qualify: number;
  /** Reps at full scale. */
  size: number;
  /** New leads per month for the whole team at full scale (before seasonality and growth). */
  leads: number;
  followUp: number;
  responseMinutes: number;
  replyRate: number;
  eurShare: number;
  segments: [string, number][];
  churn: number;
  nps: number;
  csat: number;
  morale: number;
  /** Monthly quota per rep at full scale, in USD (before seasonality, growth and ramp). */
  quota: number;
  /**
   * How the team works its month, as shares of the team's quota: below the floor its reps
   * pull in deals due in the next weeks; above the ceiling the latest deals slip to next month.
   */
  band: [number, number];
}

const TEAM_PROFILES: TeamProfile[] = [
  {
    team: { key: "atlas", name: "Atlas", crm: "hubspot", regions: ["North America"] },
    advance: [0.88, 0.83, 0.85, 0.78],
    qualify: 1.1, size: 7, leads: 17, followUp: 0.96, responseMinutes: 9, replyRate: 0.45, eurShare: 0,
    segments: [["SMB", 45], ["Mid-Market", 45], ["Enterprise", 10]],
    churn: 0.01, nps: 8.7, csat: 4.5, morale: 8.3, quota: 22_600, band: [1.1, 1.3],
  },
  {
    team: { key: "borealis", name: "Borealis", crm: "pipedrive", regions: ["EMEA"] },
    advance: [0.84, 0.78, 0.8, 0.72],
    qualify: 1, size: 5, leads: 17, followUp: 0.9, responseMinutes: 55, replyRate: 0.36, eurShare: 0.8,
    segments: [["SMB", 50], ["Mid-Market", 40], ["Enterprise", 10]],
    churn: 0.014, nps: 8, csat: 4.2, morale: 7.5, quota: 35_100, band: [0.78, 1.15],
  },
  {
    team: { key: "cobalt", name: "Cobalt", crm: "close", regions: ["North America", "LATAM"] },
    advance: [0.76, 0.7, 0.72, 0.64],
    qualify: 1.1, size: 5, leads: 18, followUp: 0.72, responseMinutes: 260, replyRate: 0.26, eurShare: 0,
    segments: [["SMB", 80], ["Mid-Market", 18], ["Enterprise", 2]],
    churn: 0.026, nps: 7.1, csat: 3.8, morale: 6.1, quota: 27_600, band: [0.52, 0.85],
  },
  {
    team: { key: "delta", name: "Delta", crm: "salesforce", regions: ["APAC"] },
    advance: [0.85, 0.8, 0.8, 0.7],
    qualify: 1.05, size: 7, leads: 19, followUp: 0.92, responseMinutes: 70, replyRate: 0.38, eurShare: 0,
    segments: [["SMB", 25], ["Mid-Market", 50], ["Enterprise", 25]],
    churn: 0.012, nps: 8.2, csat: 4.3, morale: 7.8, quota: 33_900, band: [0.75, 1.2],
  },
];

/** The team whose rep signs the story's record deal in the last month. */
const OUTLIER_TEAM = "borealis";

/** The teams whose region slips in the last quarter (APAC). */
const SLIPPING_TEAM = "delta";

/** A first deal is at most this share of its rep's monthly quota (seats shrink to fit). */
const FIRST_DEAL_SHARE = 2.2;
/** A rep's month stays under this share of quota, bar a single deal up to HARD_CAP. */
const REP_CEILING = 2;
/** No planned close takes a rep's month past this share of quota (the story's outlier aside). */
const HARD_CAP = 2.4;
/** Share of the deals about to sign that the competitor takes in the slipping region. */
const COMPETITOR_TAKES = 0.3;
/** The slipping team's new business stalls beyond this share of its target. */
const SLIP_CEILING = 0.7;
/** How far ahead a team short of its number pulls in deals. */
const PULL_IN_DAYS = 60;
/** Quota growth per month (the plan grows with the company). */
const QUOTA_GROWTH = 0.03;
/** Share of the new-business target in a rep's first months (no quota in the first). */
export const QUOTA_RAMP = [0, 0.25, 0.5, 0.75];

const SEASONALITY = [0.85, 0.95, 1.05, 1, 1, 0.95, 0.8, 0.78, 1.05, 1.1, 1.18, 1.08];

const FIRST_NAMES = [
  "Ava", "Ben", "Chloe", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Isla", "Jonas", "Keiko", "Liam", "Maya",
  "Nikhil", "Olivia", "Pablo", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wen", "Ximena", "Yusuf", "Zoe",
  "Amara", "Bruno", "Carmen", "Diego", "Emeka", "Freya",
];
const LAST_NAMES = [
  "Reed", "Ortiz", "Park", "Volkov", "Ruiz", "Haddad", "Kim", "Tanaka", "Moreau", "Berg", "Sato", "Walsh", "Patel",
  "Iyer", "Brown", "Silva", "Nakamura", "Costa", "Lund", "Shah", "Farouk", "Novak", "Li", "Garcia", "Demir", "Clarke",
  "Okafor", "Rossi", "Vega", "Fernandes", "Mensah", "Larsen",
];
const COMPANY_FIRST = [
  "Northwind", "Bluepeak", "Cedar", "Driftwood", "Ember", "Foxglove", "Granite", "Harbor", "Ironleaf", "Juniper",
  "Kestrel", "Lumen", "Meridian", "Nimbus", "Oakridge", "Pinnacle", "Quarry", "Redwood", "Summit", "Tidewater",
  "Umber", "Vantage", "Willow", "Xenon", "Yarrow", "Zephyr", "Alder", "Beacon", "Cobalt Bay", "Delta Rise",
];
const COMPANY_SECOND = [
  "Logistics", "Health", "Analytics", "Foods", "Robotics", "Energy", "Capital", "Media", "Labs", "Retail",
  "Systems", "Mobility", "Pharma", "Textiles", "Networks", "Studios", "Freight", "Insurance", "Software", "Foundry",
];
const INDUSTRIES = ["Software", "Manufacturing", "Healthcare", "Retail", "Financial Services", "Logistics", "Media", "Education"];
const COMPANY_SUFFIX = ["Inc.", "Ltd", "GmbH", "Group", "Co.", "S.A.", "Pty Ltd", "LLC"];

// ---------------------------------------------------------------- ids

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const LOWER_ALNUM = "0123456789abcdefghijklmnopqrstuvwxyz";
const MIXED_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function base62(n: number, width: number): string {
  let out = "";
  let rest = n;
  while (rest > 0) {
    out = BASE62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out.padStart(width, "0");
}

/** The 18-character Salesforce id of a 15-character one (the case-restoring suffix). */
export function salesforce18(id15: string): string {
  let suffix = "";
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15[chunk * 5 + i]!;
      if (c >= "A" && c <= "Z") bits |= 1 << i;
    }
    suffix += "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[bits];
  }
  return id15 + suffix;
}

type IdKind = "rep" | "account" | "lead" | "deal" | "activity";

class Ids {
  private counters = new Map<string, number>();
  constructor(private rng: Rng) {}

  private nextCount(key: string): number {
    const n = (this.counters.get(key) ?? 0) + 1;
    this.counters.set(key, n);
    return n;
  }

  of(crm: Crm, kind: IdKind): string {
    const n = this.nextCount(`${crm}:${kind}`);
    switch (crm) {
      case "hubspot": {
        const base = { rep: 81_000_000, lead: 101_000_000, account: 5_100_000_000, deal: 12_400_000_000, activity: 40_100_000_000 }[kind];
        return String(base + n * 7);
      }
      case "pipedrive": {
        const base = { rep: 14_000_000, lead: 3000, account: 2000, deal: 1000, activity: 50_000 }[kind];
        return String(base + n);
      }
      case "close": {
        const prefix = { rep: "user", lead: "lead", account: "lead", deal: "oppo", activity: "acti" }[kind];
        return `${prefix}_${this.rng.text(MIXED_ALNUM, 22)}`;
      }
      case "salesforce": {
        const prefix = { rep: "005", lead: "00Q", account: "001", deal: "006", activity: "00T" }[kind];
        return salesforce18(`${prefix}8d0000${base62(n, 6)}`);
      }
    }
  }

  salesforceEvent(): string {
    return salesforce18(`00U8d0000${base62(this.nextCount("salesforce:event"), 6)}`);
  }

  other(prefix: string, length = 24): string {
    return `${prefix}${this.rng.text(LOWER_ALNUM, length)}`;
  }
}

// ---------------------------------------------------------------- generator

interface RepState extends Rep {
  profile: TeamProfile;
}

interface Line {
  product_id: string;
  name: string;
  quantity: number;
  unit_price: number;
}

interface Customer {
  accountId: string;
  name: string;
  rep: RepState;
  leadId: string | null;
  region: string;
  segment: string;
  currency: string;
  seats: number;
  copilotSeats: number;
  coreSub: string | null;
  copilotSub: string | null;
  active: boolean;
  everBilled: boolean;
  billedSince: number;
  churnedAt: number | null;
  stripeCustomer: boolean;
  renewalDue: number | null;
  openExpansion: boolean;
}

interface Win {
  at: number;
  customer: Customer;
  kind: "new" | "expansion" | "renewal";
  lines: Line[];
}

interface Links {
  lead_id?: string;
  account_id?: string;
  deal_id?: string;
}

function isoMonthOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

function lastCompleteMonth(now: number): string {
  return addMonths(isoMonthOf(now), -1);
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

export function generateCompany(options: DemoOptions = {}): Company {
  const seed = options.seed ?? 42;
  const scale = options.scale ?? 1;
  if (!(scale > 0 && scale <= 4)) throw new RangeError("scale must be in (0, 4]");
  const monthCount = options.months ?? 18;
  const timezone = options.timezone ?? "America/New_York";
  const now = options.now === undefined ? Date.now() : typeof options.now === "number" ? options.now : options.now.getTime();
  const end = options.end ?? lastCompleteMonth(now);
  const start = addMonths(end, -(monthCount - 1));
  const months = monthRange(start, end);
  const M = months.length;
  const launchIndex = Math.floor(M / 2);
  const lastQuarter = M - 3;

  const rng = new Rng(seed);
  const ids = new Ids(rng);
  /** Catalog version 2's details (terms, reasons, competitors, scores, handoffs, sliding accounts). */
  const details = new Rng(seed ^ 0xc2c2c2);
  const horizon = startOfMonth(addMonths(end, 1), timezone) - HOUR;
  const firstInstant = startOfMonth(start, timezone);
  const [y0, mo0] = start.split("-").map(Number) as [number, number];
  /** UTC midnight of the 1st of month index m (m may be M: the month after the end). */
  const monthStartUtc = (m: number) => Date.UTC(y0, mo0 - 1 + m, 1);
  const monthIndexOf = (ms: number) => {
    const month = isoMonthOf(ms);
    return months.indexOf(month);
  };
  const lastQuarterStart = monthStartUtc(Math.max(0, lastQuarter));

  type Pending = { at: number; seq: number; system: System; type: EventType; data: Record<string, unknown> };
  const pending: Pending[] = [];
  let seq = 0;
  const emit = (system: System, type: EventType, at: number, data: Record<string, unknown>) => {
    if (at > horizon || at < firstInstant) return;
    pending.push({ at, seq: seq++, system, type, data });
  };
  const iso = (ms: number) => new Date(ms).toISOString();
  const minute = (ms: number) => Math.round(ms / MINUTE) * MINUTE;
  /** A business-hours instant (09:00–17:00 New York, roughly) on a weekday of month m. */
  const businessTime = (m: number, fromDay = 1, toDay = 28) => {
    const base = monthStartUtc(m);
    let day = rng.int(fromDay, toDay);
    const weekday = new Date(base + (day - 1) * DAY).getUTCDay();
    if (weekday === 0) day = Math.min(28, day + 1);
    if (weekday === 6) day = Math.max(1, day - 1);
    return minute(base + (day - 1) * DAY + rng.int(13 * 60 + 30, 21 * 60 + 30) * MINUTE);
  };
  const after = (t: number, minDays: number, maxDays: number) =>
    minute(t + rng.between(minDays, maxDays) * DAY + rng.int(0, 240) * MINUTE);

  // ---- teams and reps
  /** Reps per team at this scale (at least one). */
  const perTeam = (profile: TeamProfile) => Math.max(1, Math.round(profile.size * scale));
  const reps: RepState[] = [];
  const usedNames = new Set<string>();
  const newRep = (profile: TeamProfile, region: string, joined: number): RepState => {
    let name: string;
    do name = `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`;
    while (usedNames.has(name));
    usedNames.add(name);
    const rep: RepState = {
      id: ids.of(profile.team.crm, "rep"),
      name,
      email: `${name.toLowerCase().replace(/[^a-z]+/g, ".")}@quotient-demo.example`,
      team: profile.team.name,
      region,
      crm: profile.team.crm,
      joined,
      left: null,
      profile,
    };
    reps.push(rep);
    return rep;
  };
  for (const profile of TEAM_PROFILES) {
    const count = perTeam(profile);
    for (let i = 0; i < count; i++) newRep(profile, profile.team.regions[i % profile.team.regions.length]!, 0);
  }
  const repEvent = (rep: RepState, at: number) =>
    emit("native", "rep.upserted", at, {
      rep_id: rep.id, name: rep.name, email: rep.email, team: rep.team, region: rep.region, active: true,
    });
  for (const [i, rep] of reps.entries()) repEvent(rep, firstInstant + 8 * HOUR + i * MINUTE);
  // Staff turnover: a Cobalt rep leaves mid-period and a replacement joins a month later.
  const cobalt = TEAM_PROFILES.find((p) => p.team.key === "cobalt")!;
  const cobaltReps = reps.filter((r) => r.profile === cobalt);
  if (cobaltReps.length >= 3 && M >= 12) {
    const leaver = cobaltReps[cobaltReps.length - 1]!;
    leaver.left = launchIndex;
    emit("native", "rep.upserted", businessTime(launchIndex, 20, 26), { rep_id: leaver.id, active: false });
    const hire = newRep(cobalt, leaver.region, launchIndex + 1);
    repEvent(hire, monthStartUtc(launchIndex + 1) + 14 * HOUR);
  }
  const activeReps = (profile: TeamProfile, m: number) =>
    reps.filter((r) => r.profile === profile && r.joined <= m && (r.left === null || r.left > m));
  const bookedKey = (rep: RepState, m: number) => `${rep.id}|${m}`;

  // ---- quotas and FX rates
  const seasonOf = (m: number) => SEASONALITY[Number(months[m]!.slice(5, 7)) - 1]!;
  /** A fully ramped rep's new-business target for month m (seasonal, growing). */
  const standardQuota = (profile: TeamProfile, m: number) =>
    profile.quota * ((profile.size * scale) / perTeam(profile)) * (0.5 + 0.5 * seasonOf(m)) * (1 + QUOTA_GROWTH * m);
  /** USD of the renewals each rep owns that fall due in a month (bookedKey), added to the quota. */
  const renewalPlan = new Map<string, number>();
  /**
   * A rep's quota for month m: the new-business target, ramped over a rep's first months
   * (the whole team is new in the first month: the company starts selling), plus the
   * renewals the rep owns that fall due in m. 0 when not on the team.
   */
  const quotaOf = (rep: RepState, m: number) => {
    if (m < 0 || m >= M || rep.joined > m || (rep.left !== null && rep.left <= m)) return 0;
    const ramp = QUOTA_RAMP[m - rep.joined] ?? 1;
    if (ramp === 0) return 0;
    const target = standardQuota(rep.profile, m) * ramp + (renewalPlan.get(bookedKey(rep, m)) ?? 0);
    return Math.round(target / 100) * 100;
  };
  const fxRng = new Rng(seed ^ 0x5eed);
  const fx_rates: Settings["fx_rates"] = months.map((month, m) => ({
    currency: "EUR",
    month,
    rate: Math.round((1.085 + 0.035 * Math.sin(m / 3) + fxRng.between(-0.008, 0.008)) * 10_000) / 10_000,
  }));
  const inUsd = (amount: number, currency: string, m: number) =>
    currency === "USD" ? amount : amount * fx_rates[Math.min(M - 1, Math.max(0, m))]!.rate;

  const plans: Record<string, SubscriptionPlan> = {};
  const customers: Customer[] = [];
  const wins: Win[] = [];
  let surveyCount = 0;
  const surveyId = () => `resp_${String(++surveyCount).padStart(6, "0")}`;

  // ---- activities
  const activity = (
    rep: RepState,
    at: number,
    type: string,
    links: Links,
    extra: { direction?: string; duration?: number; outcome?: string; participants?: string[] } = {},
  ) => {
    const crm = rep.crm;
    const id = type === "meeting" && crm === "salesforce" ? ids.salesforceEvent() : ids.of(crm, "activity");
    const data: Record<string, unknown> = { activity_id: id, type };
    if (extra.direction) data.direction = extra.direction;
    data.rep_id = rep.id;
    if (extra.participants && extra.participants.length > 0) data.participant_rep_ids = extra.participants;
    // A Close lead is the company: an activity on it is on the lead and the account.
    const leadId = crm === "close" ? (links.lead_id ?? links.account_id) : links.lead_id;
    const accountId = crm === "close" ? leadId : links.account_id;
    if (leadId) data.lead_id = leadId;
    if (accountId) data.account_id = accountId;
    if (links.deal_id) data.deal_id = links.deal_id;
    if (extra.duration !== undefined) data.duration_seconds = extra.duration;
    // Notes and tasks take time too (what selling_time_share sets contact time against).
    else if (type === "note" || type === "task") data.duration_seconds = details.int(5, 30) * 60;
    if (extra.outcome) data.outcome = extra.outcome;
    emit(crm, "activity.logged", minute(at), data);
    return id;
  };
  const minutes = (min: number, max: number) => rng.int(min, max) * 60;
  /**
   * A rep's check-in with a customer account (what keeps its engagement up), drawn from the
   * details stream: its id and time never touch the main one (Close ids are random text).
   */
  const checkIn = (rep: RepState, c: Customer, m: number) => {
    const crm = rep.crm;
    const id = crm === "close" ? `acti_${details.text(MIXED_ALNUM, 22)}` : ids.of(crm, "activity");
    const at = minute(monthStartUtc(m) + details.int(0, 27) * DAY + details.int(13 * 60 + 30, 21 * 60 + 30) * MINUTE);
    const call = details.chance(0.4);
    emit(crm, "activity.logged", at, {
      activity_id: id, type: call ? "call" : "email", direction: "outbound", rep_id: rep.id,
      ...(crm === "close" ? { lead_id: c.accountId } : {}), account_id: c.accountId,
      ...(call ? { duration_seconds: details.int(5, 25) * 60 } : {}),
    });
  };
  const seOf = (rep: RepState, m: number) => {
    const others = activeReps(rep.profile, m).filter((r) => r !== rep);
    return others.length > 0 ? rng.pick(others) : null;
  };

  // ---- deals
  const priceOf = (currency: string, product: string) => PRICES[currency]![product]!;
  const productName = (id: string) => PRODUCTS.find((p) => p.id === id)!.name;
  const seatsFor = (segment: string) =>
    segment === "Enterprise" ? rng.int(80, 150) : segment === "Mid-Market" ? rng.int(30, 70) : rng.int(10, 30);
  const copilotAttach = (m: number) => (m < launchIndex ? 0 : Math.min(0.68, 0.14 + 0.075 * (m - launchIndex)));

  const newDealLines = (segment: string, currency: string, m: number): Line[] => {
    const seats = seatsFor(segment);
    const lines: Line[] = [{ product_id: "core", name: productName("core"), quantity: seats, unit_price: priceOf(currency, "core") }];
    if (rng.chance(0.45)) lines.push({ product_id: "analytics", name: productName("analytics"), quantity: seats, unit_price: priceOf(currency, "analytics") });
    if (rng.chance(segment === "SMB" ? 0.15 : 0.4)) lines.push({ product_id: "integrations", name: productName("integrations"), quantity: 1, unit_price: priceOf(currency, "integrations") });
    if (segment === "Enterprise" && rng.chance(0.7)) lines.push({ product_id: "support", name: productName("support"), quantity: 1, unit_price: priceOf(currency, "support") });
    if (rng.chance(copilotAttach(m))) {
      lines.push({ product_id: "copilot", name: productName("copilot"), quantity: Math.max(5, Math.round(seats * rng.between(0.3, 0.9))), unit_price: priceOf(currency, "copilot") });
    }
    return lines;
  };
  const amountOf = (lines: Line[]) => round2(lines.reduce((sum, l) => sum + l.quantity * l.unit_price, 0));
  /**
   * A first deal is sized to the rep's month ("land small, then expand"): seats shrink
   * until the amount is at most FIRST_DEAL_SHARE of the rep's quota.
   */
  const fitLines = (lines: Line[], profile: TeamProfile, currency: string, m: number): Line[] => {
    const limit = FIRST_DEAL_SHARE * standardQuota(profile, m);
    const amount = inUsd(amountOf(lines), currency, m);
    if (amount <= limit) return lines;
    const fixed = lines.filter((l) => l.quantity === 1).reduce((sum, l) => sum + l.quantity * l.unit_price, 0);
    const factor = Math.max(0.05, (limit / inUsd(1, currency, m) - fixed) / (amountOf(lines) - fixed));
    return lines.map((l) => (l.quantity === 1 ? l : { ...l, quantity: Math.max(3, Math.floor(l.quantity * factor)) }));
  };

  /** A contract's length: most deals carry one; renewals and enterprise deals run longer. */
  const termOf = (kind: "new" | "expansion" | "renewal", segment: string): number | null => {
    if (!details.chance(0.8)) return null;
    if (kind === "renewal") return details.weighted([[12, 3], [24, 1]] as [number, number][]);
    if (kind === "expansion") return 12;
    if (segment === "Enterprise") return details.weighted([[12, 2], [24, 2], [36, 3]] as [number, number][]);
    if (segment === "SMB") return details.weighted([[6, 1], [12, 6], [24, 1]] as [number, number][]);
    return details.weighted([[12, 5], [24, 2], [36, 1]] as [number, number][]);
  };
  /** Who took a competitive loss: the newcomer in the slipping region's last quarter, else an established rival. */
  const competitorOf = (rep: RepState, at: number) =>
    rep.profile.team.key === SLIPPING_TEAM && at >= lastQuarterStart ? NEW_COMPETITOR : details.pick(ESTABLISHED_COMPETITORS);

  /** closed_at as each CRM sends it for a close at `at`. */
  const closedAtOf = (crm: Crm, at: number) => {
    // Close sends the close date as a calendar date (UTC midnight); Salesforce's CloseDate
    // is a day in the workspace's zone; the others keep the instant.
    const day = new Date(at);
    if (crm === "close") return Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate());
    if (crm === "salesforce") return localMidnight(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), timezone);
    return at;
  };
  /** Local starts of the months around the period, for reportMonthOf. */
  const localStarts = [-1, ...months.map((_, i) => i), M, M + 1, M + 2].map((i) => ({
    month: addMonths(start, i),
    at: startOfMonth(addMonths(start, i), timezone),
  }));
  /** The report month a close at `at` counts in (the workspace's zone, as the KPIs read it). */
  const reportMonthOf = (crm: Crm, at: number) => {
    // A Salesforce CloseDate is local midnight of the day: its month is the day's.
    if (crm === "salesforce") return new Date(at).toISOString().slice(0, 7);
    const closedAt = closedAtOf(crm, at);
    for (let i = localStarts.length - 1; i >= 0; i--) if (closedAt >= localStarts[i]!.at) return localStarts[i]!.month;
    return monthOf(closedAt, timezone);
  };

  // ---- closing: a won deal waits here until its rep's month is planned (scheduleMonth).
  interface PendingWin {
    seq: number;
    rep: RepState;
    /** When the deal would close left alone. */
    natural: number;
    /** Not before: a day after its last stage change. */
    earliest: number;
    amount: number;
    currency: string;
    /** Renewals close when due (the quota plans them); only new business is worked. */
    renewal: boolean;
    close: (at: number) => void;
    /** Lost at the last moment instead (the competitor in the slipping region). */
    lose: (at: number) => void;
  }
  const pendingWins: PendingWin[] = [];
  let winSeq = 0;
  /** Revenue closed per rep and month, in USD at the month's rate (the story's outlier, ahead). */
  const booked = new Map<string, number>();

  /**
   * Scripts a deal from its creation to its close (or to the horizon): stage moves,
   * activities, and a Win for the billing simulation.
   */
  const scriptDeal = (args: {
    rep: RepState;
    customer: Customer;
    leadId: string | null;
    created: number;
    kind: "new" | "expansion" | "renewal";
    lines: Line[];
    source: string | null;
    name: string;
    ease?: number;
    onClose?: (won: boolean, at: number) => void;
  }) => {
    const { rep, customer, kind, lines, created } = args;
    const crm = rep.crm;
    const dealId = ids.of(crm, "deal");
    // A Close opportunity hangs off a Close lead, which is the account and the lead at once.
    const leadId = crm === "close" ? customer.accountId : args.leadId;
    const segmentSlow = customer.segment === "Enterprise" ? 1.8 : customer.segment === "Mid-Market" ? 1.3 : 1;
    const links: Links = { deal_id: dealId, account_id: customer.accountId, ...(leadId ? { lead_id: leadId } : {}) };
    const term = termOf(kind, customer.segment);
    const data: Record<string, unknown> = {
      deal_id: dealId,
      name: args.name,
      account_id: customer.accountId,
      ...(leadId ? { lead_id: leadId } : {}),
      owner_rep_id: rep.id,
      stage: "discovery",
      status: "open",
      amount: amountOf(lines),
      currency: customer.currency,
      kind,
      ...(args.source ? { source: args.source } : {}),
      created_at: iso(created),
      products: lines.map((l) => ({ ...l })),
      ...(term === null ? {} : { term_months: term }),
    };
    emit(crm, "deal.upserted", created, data);
    const m0 = Math.max(0, monthIndexOf(created));
    activity(rep, after(created, 0.5, 3), "call", links, { direction: "outbound", duration: minutes(15, 40) });

    let t = created;
    let stage = 0;
    let currentLines = lines;
    const gap = () => rng.between(4, 14) * segmentSlow;
    for (;;) {
      const next = after(t, gap() * 0.6, gap() * 1.4);
      const m = monthIndexOf(next);
      let p = rep.profile.advance[stage]! * (args.ease ?? 1);
      // The competitor in the slipping region (and at closing, see scheduleMonth).
      if (rep.profile.team.key === SLIPPING_TEAM && next >= lastQuarterStart) p *= 0.92;
      p = Math.min(0.97, p);
      const advances = rng.chance(p);
      // A win due soon after the horizon can still be pulled in before it (scheduleMonth).
      const wins = advances && stage === PIPELINE_STAGES.length - 1;
      if (next > horizon && !(wins && next < horizon + PULL_IN_DAYS * DAY)) return;
      if (!advances) {
        const competitorHeavy = rep.profile.team.key === SLIPPING_TEAM && next >= lastQuarterStart;
        const reason = competitorHeavy && rng.chance(0.6) ? "Chose a competitor" : rng.pick(LOST_REASONS);
        closeDeal(false, next, reason);
        return;
      }
      if (stage === PIPELINE_STAGES.length - 1) {
        pendingWins.push({
          seq: winSeq++, rep, natural: next, earliest: t + DAY, amount: amountOf(currentLines), currency: customer.currency,
          renewal: kind === "renewal", close: (at) => closeDeal(true, at, null), lose: (at) => closeDeal(false, at, "Chose a competitor"),
        });
        return;
      }
      stage += 1;
      t = next;
      const stageName = PIPELINE_STAGES[stage]!;
      const change: Record<string, unknown> = { deal_id: dealId, stage: stageName, status: "open" };
      if (stageName === "negotiation" && rng.chance(0.55)) {
        // A discount is agreed: the lines and the amount move together.
        const off = rng.pick([0.05, 0.1, 0.15]);
        currentLines = currentLines.map((l) => ({ ...l, unit_price: Math.round(l.unit_price * (1 - off)) }));
        change.amount = amountOf(currentLines);
        change.products = currentLines.map((l) => ({ ...l }));
      }
      emit(crm, "deal.upserted", t, change);
      const mm = Math.max(m0, m);
      if (stageName === "demo") {
        const se = seOf(rep, mm);
        const demoAt = after(t, 0.5, 3);
        activity(rep, demoAt, "demo", links, {
          direction: "outbound",
          duration: minutes(40, 70),
          outcome: "held",
          participants: se ? [rep.id, se.id] : undefined,
        });
        if (rng.chance(0.5)) activity(rep, demoAt + 2 * HOUR, "note", links);
      } else if (stageName === "proposal") {
        const sent = after(t, 0.1, 1);
        activity(rep, sent, "email", links, { direction: "outbound" });
        if (rng.chance(0.5)) activity(rep, sent + 5 * MINUTE, "task", links);
        if (rng.chance(0.5)) {
          activity(rep, after(sent, 0.5, 3), "email", links, { direction: "inbound", outcome: rng.chance(0.6) ? "positive" : "neutral" });
        }
      } else if (stageName === "negotiation") {
        activity(rep, after(t, 0.5, 2), "meeting", links, { direction: "outbound", duration: minutes(30, 60), outcome: "held" });
        if (rng.chance(0.5)) activity(rep, after(t, 2, 5), "call", links, { direction: "outbound", duration: minutes(10, 30) });
      }
    }

    function closeDeal(won: boolean, at: number, reason: string | null) {
      const closing: Record<string, unknown> = { deal_id: dealId };
      const closedStage = CLOSED_STAGES[crm];
      if (closedStage) closing.stage = won ? closedStage.won : closedStage.lost;
      closing.status = won ? "won" : "lost";
      closing.closed_at = iso(closedAtOf(crm, at));
      if (reason && !details.chance(NO_REASON_SHARE)) {
        closing.lost_reason = reason;
        if (reason === COMPETITOR_REASON) closing.competitor = competitorOf(rep, at);
      }
      emit(crm, "deal.upserted", at, closing);
      if (won) wins.push({ at, customer, kind, lines: currentLines });
      args.onClose?.(won, at);
    }
  };

  // ---- leads
  const leadSources = (m: number): [string, number][] =>
    SOURCE_WEIGHTS.map(([s, w]) => [s, s === "paid_social" && m >= launchIndex ? w * 1.4 : w]);

  const companyName = () => `${rng.pick(COMPANY_FIRST)} ${rng.pick(COMPANY_SECOND)} ${rng.pick(COMPANY_SUFFIX)}`;

  const scriptLead = (profile: TeamProfile, m: number) => {
    const candidates = activeReps(profile, m);
    if (candidates.length === 0) return;
    const rep = rng.pick(candidates);
    const crm = profile.team.crm;
    const created = businessTime(m);
    const source = rng.weighted(leadSources(m));
    const segment = rng.weighted(profile.segments);
    const name = companyName();
    const leadId = ids.of(crm, "lead");
    const accountId = crm === "close" ? leadId : ids.of(crm, "account");
    const region = rep.region;
    const currency = rng.chance(profile.eurShare) ? "EUR" : "USD";
    emit(crm, "account.upserted", created, {
      account_id: accountId, name, region, segment, industry: rng.pick(INDUSTRIES), owner_rep_id: rep.id,
    });
    const subscriber = (source === "organic" || source === "paid_social") && rng.chance(0.5);
    const slipping = profile.team.key === SLIPPING_TEAM && m >= lastQuarter;
    const quality = SOURCE_QUALITY[source]! * profile.qualify * (slipping ? 0.75 : 1);
    // The team's BDR owns and opens some leads; the deal goes to the account executive (`rep`).
    const bdr = crm === "close" ? undefined : candidates[0];
    const owner = bdr && bdr !== rep && details.chance(HANDOFF_SHARE) ? bdr : rep;
    // A lead score follows the source's quality (most leads have one).
    const score = details.chance(0.85) ? Math.max(1, Math.min(99, Math.round(52 * quality + details.gauss() * 14))) : null;
    emit(crm, "lead.upserted", created, {
      lead_id: leadId, account_id: accountId, owner_rep_id: owner.id, source, stage: subscriber ? "subscriber" : "lead", created_at: iso(created),
      ...(score === null ? {} : { score }),
    });
    const links: Links = { lead_id: leadId, account_id: accountId };

    // The lifecycle: subscriber → lead → mql → sql → opportunity (a deal).
    let t = created;
    if (subscriber) {
      if (!rng.chance(0.55)) {
        if (rng.chance(0.3)) activity(rep, after(created, 1, 10), "other", links, { direction: "inbound" });
        return;
      }
      t = after(t, 3, 20);
      emit(crm, "lead.upserted", t, { lead_id: leadId, stage: "lead" });
    }
    const reachesMql = rng.chance(Math.min(0.95, 0.82 * quality));
    // Outreach from the moment it is a lead.
    if (rng.chance(profile.followUp)) {
      const first = minute(t + Math.max(2, rng.skewed(profile.responseMinutes, 0.9)) * MINUTE);
      const channel = rng.chance(0.55) ? "call" : "email";
      activity(owner, first, channel, links, channel === "call" ? { direction: "outbound", duration: minutes(2, 10) } : { direction: "outbound" });
      let touch = first;
      for (let i = rng.int(0, 1); i > 0; i--) {
        touch = after(touch, 1, 4);
        const type = rng.weighted([["email", 5], ["call", 3], ["social", 2]] as [string, number][]);
        activity(owner, touch, type, links, type === "call" ? { direction: "outbound", duration: minutes(1, 8) } : { direction: "outbound" });
      }
      const replies = reachesMql ? rng.chance(0.85) : rng.chance(profile.replyRate * 0.7);
      if (replies) {
        const replyAt = after(first, 0.1, 3);
        const outcome = reachesMql ? (rng.chance(0.8) ? "positive" : "neutral") : rng.chance(0.55) ? "negative" : "neutral";
        activity(rep, replyAt, rng.chance(0.7) ? "email" : "call", links, { direction: "inbound", outcome });
        if (outcome === "positive" && rng.chance(0.6)) activity(rep, replyAt + 40 * MINUTE, "meeting", links, { direction: "outbound", outcome: "scheduled" });
      }
    }
    if (!reachesMql) return;
    t = after(t, 2, 9);
    emit(crm, "lead.upserted", t, { lead_id: leadId, stage: "mql" });
    if (!rng.chance(Math.min(0.95, 0.78 * quality))) {
      if (rng.chance(0.5)) activity(rep, after(t, 1, 5), "meeting", links, { direction: "outbound", duration: 0, outcome: rng.chance(0.5) ? "no_show" : "canceled" });
      return;
    }
    t = after(t, 2, 9);
    emit(crm, "lead.upserted", t, { lead_id: leadId, stage: "sql" });
    activity(rep, minute(t - 2 * HOUR), "meeting", links, { direction: "outbound", duration: minutes(25, 45), outcome: "held" });
    if (!rng.chance(Math.min(0.95, 0.85 * quality))) return;
    t = after(t, 1, 6);
    emit(crm, "lead.upserted", t, { lead_id: leadId, stage: "opportunity" });
    const customer: Customer = {
      accountId, name, rep, leadId, region, segment, currency, seats: 0, copilotSeats: 0, coreSub: null, copilotSub: null,
      active: false, everBilled: false, billedSince: 0, churnedAt: null, stripeCustomer: false, renewalDue: null, openExpansion: false,
    };
    const created2 = t + 5 * MINUTE;
    const dealMonth = Math.max(0, monthIndexOf(created2));
    const lines = fitLines(newDealLines(segment, currency, dealMonth), profile, currency, dealMonth);
    scriptDeal({
      rep, customer, leadId, created: created2, kind: "new", lines, source, name: `${name} — ${productName("core")}`,
      onClose: (won, at) => {
        if (won) emit(crm, "lead.upserted", at + MINUTE, { lead_id: leadId, stage: "customer" });
      },
    });
  };

  // ---- billing (Stripe)
  const seatPrice = (currency: string, product: "core" | "copilot") => Math.round((priceOf(currency, product) * 100) / 12);
  const subscriptionEvent = (customer: Customer, subId: string, seats: number, at: number) => {
    const plan = plans[subId]!;
    if (!customer.stripeCustomer) {
      emit("stripe", "account.upserted", at - MINUTE, { account_id: customer.accountId, name: customer.name });
      customer.stripeCustomer = true;
    }
    emit("stripe", "subscription.updated", at, {
      subscription_id: subId,
      account_id: customer.accountId,
      mrr: Math.round((seats * plan.unit_amount) / 100 * 1e6) / 1e6,
      currency: plan.currency,
    });
  };
  const openSubscription = (customer: Customer, product: "core" | "copilot", seats: number, at: number) => {
    const subId = ids.other("sub_");
    plans[subId] = { product_id: product, unit_amount: seatPrice(customer.currency, product), currency: customer.currency };
    subscriptionEvent(customer, subId, seats, at);
    return subId;
  };

  const applyWin = (win: Win) => {
    const c = win.customer;
    const at = minute(win.at + rng.between(1, 4) * DAY);
    const coreSeats = win.lines.filter((l) => l.product_id === "core").reduce((s, l) => s + l.quantity, 0);
    const copilotSeats = win.lines.filter((l) => l.product_id === "copilot").reduce((s, l) => s + l.quantity, 0);
    if (win.kind === "renewal") {
      c.renewalDue = null;
      return;
    }
    if (win.kind === "new" || !c.active) {
      c.seats = coreSeats;
      c.copilotSeats = copilotSeats;
      if (c.seats > 0) c.coreSub = openSubscription(c, "core", c.seats, at);
      if (c.copilotSeats > 0) c.copilotSub = openSubscription(c, "copilot", c.copilotSeats, at + MINUTE);
      c.active = true;
      c.everBilled = true;
      c.billedSince = at;
      c.renewalDue = at + 365 * DAY;
      if (!customers.includes(c)) customers.push(c);
      return;
    }
    if (coreSeats > 0 && c.coreSub) {
      c.seats += coreSeats;
      subscriptionEvent(c, c.coreSub, c.seats, at);
    }
    if (copilotSeats > 0) {
      c.copilotSeats += copilotSeats;
      if (c.copilotSub) subscriptionEvent(c, c.copilotSub, c.copilotSeats, at + MINUTE);
      else c.copilotSub = openSubscription(c, "copilot", c.copilotSeats, at + MINUTE);
    }
  };
  const churn = (c: Customer, at: number) => {
    for (const sub of [c.coreSub, c.copilotSub]) if (sub) subscriptionEvent(c, sub, 0, at);
    c.coreSub = null;
    c.copilotSub = null;
    c.active = false;
    c.churnedAt = at;
    c.renewalDue = null;
  };
  let winCursor = 0;
  const processWins = (until: number) => {
    wins.sort((a, b) => a.at - b.at);
    while (winCursor < wins.length && wins[winCursor]!.at < until) applyWin(wins[winCursor++]!);
  };

  /**
   * Plans month m's closes the way a sales team works its number. Renewals due in m close
   * when due. Each rep's other won deals due in m close in order while the rep's month stays
   * under REP_CEILING × quota (a first deal may go up to HARD_CAP × quota); the rest slip to
   * the first days of next month. Then the team's new business against its new-business
   * target: above the band's ceiling, its latest deals slip to next month; below its floor,
   * reps pull in deals due in the next PULL_IN_DAYS (the rep furthest from quota first) and
   * close them in the last days of m. Reps without a quota (gone) close when due.
   */
  const scheduleMonth = (m: number) => {
    const month = months[m]!;
    const nextMonth = monthStartUtc(m + 1);
    const closing = new Map<PendingWin, number>();
    const lost = new Map<PendingWin, number>();
    const slip = (w: PendingWin) => {
      w.natural = Math.max(businessTime(m + 1, 3, 12), w.earliest);
    };
    const isDue = (w: PendingWin) => reportMonthOf(w.rep.crm, w.natural) <= month;
    const value = (w: PendingWin) => inUsd(w.amount, w.currency, m);
    for (const profile of TEAM_PROFILES) {
      const team = reps.filter((r) => r.profile === profile);
      const quota = new Map(team.map((r) => [r, quotaOf(r, m)]));
      const target = new Map(team.map((r) => [r, quota.get(r)! > 0 ? quota.get(r)! - (renewalPlan.get(bookedKey(r, m)) ?? 0) : 0]));
      /** Everything a rep closes in m, and its new business alone. */
      const all = new Map(team.map((r) => [r, booked.get(bookedKey(r, m)) ?? 0]));
      const fresh = new Map(all);
      const pending = pendingWins.filter((w) => w.rep.profile === profile).sort((a, b) => a.natural - b.natural || a.seq - b.seq);
      const due = new Set(pending.filter(isDue));
      const accept = (w: PendingWin, at: number) => {
        closing.set(w, at);
        all.set(w.rep, all.get(w.rep)! + value(w));
        if (!w.renewal) fresh.set(w.rep, fresh.get(w.rep)! + value(w));
      };
      // A deal due in a month already planned (rare) closes early in this one.
      const dueAt = (w: PendingWin) => (reportMonthOf(w.rep.crm, w.natural) === month ? w.natural : Math.max(businessTime(m, 2, 8), w.earliest));
      // The slipping region: the competitor takes a share of the deals about to sign.
      const slipping = profile.team.key === SLIPPING_TEAM && m >= lastQuarter;
      if (slipping) {
        for (const w of due) {
          if (!rng.chance(COMPETITOR_TAKES)) continue;
          lost.set(w, dueAt(w));
          due.delete(w);
        }
      }
      for (const w of due) if (w.renewal || quota.get(w.rep) === 0) accept(w, dueAt(w));
      for (const w of due) {
        if (closing.has(w)) continue;
        const q = quota.get(w.rep)!;
        const sum = all.get(w.rep)!;
        if (sum + value(w) <= REP_CEILING * q || (sum === 0 && value(w) <= HARD_CAP * q)) accept(w, dueAt(w));
        else slip(w);
      }
      const teamTarget = team.reduce((total, r) => total + target.get(r)!, 0);
      if (teamTarget > 0) {
        const teamSum = () => team.reduce((total, r) => total + (quota.get(r)! > 0 ? fresh.get(r)! : 0), 0);
        // A slipping team has nothing to pull in, and its deals stall (slip) past SLIP_CEILING.
        const [floor, ceiling] = slipping ? [0, SLIP_CEILING] : profile.band;
        // Above the ceiling: the latest deals slip (never below the floor).
        for (const w of [...due].reverse()) {
          if (teamSum() <= ceiling * teamTarget) break;
          if (!closing.has(w) || w.renewal || quota.get(w.rep) === 0 || teamSum() - value(w) < floor * teamTarget) continue;
          closing.delete(w);
          all.set(w.rep, all.get(w.rep)! - value(w));
          fresh.set(w.rep, fresh.get(w.rep)! - value(w));
          slip(w);
        }
        // Below the floor: pull in.
        const candidates = pending.filter((w) => !due.has(w) && !w.renewal && w.natural < nextMonth + PULL_IN_DAYS * DAY && quota.get(w.rep)! > 0);
        const attainment = (r: RepState) => all.get(r)! / quota.get(r)!;
        while (teamSum() < floor * teamTarget) {
          const pick = candidates
            .filter((w) => all.get(w.rep)! + value(w) <= REP_CEILING * quota.get(w.rep)! && teamSum() + value(w) <= ceiling * teamTarget)
            .sort((a, b) => attainment(a.rep) - attainment(b.rep) || a.natural - b.natural)[0];
          if (!pick) break;
          candidates.splice(candidates.indexOf(pick), 1);
          const at = Math.max(businessTime(m, 22, 27), pick.earliest);
          if (reportMonthOf(pick.rep.crm, at) === month) accept(pick, at);
        }
      }
      for (const r of team) booked.set(bookedKey(r, m), all.get(r)!);
    }
    for (const [w, at] of closing) w.close(at);
    for (const [w, at] of lost) w.lose(at);
    for (let i = pendingWins.length - 1; i >= 0; i--) if (closing.has(pendingWins[i]!) || lost.has(pendingWins[i]!)) pendingWins.splice(i, 1);
  };

  // ---- the outlier: months of work on one enterprise deal, signed in the last month
  let outlier: Company["outlier"] = null;
  const OUTLIER_LEAD_MONTH = M - 6;
  const scriptOutlier = () => {
    const profile = TEAM_PROFILES.find((p) => p.team.key === OUTLIER_TEAM)!;
    const team = activeReps(profile, OUTLIER_LEAD_MONTH);
    const rep = team[Math.min(1, team.length - 1)]!;
    const crm = rep.crm;
    const name = "Meridian Foundry GmbH";
    const leadId = ids.of(crm, "lead");
    const accountId = ids.of(crm, "account");
    const links: Links = { lead_id: leadId, account_id: accountId };
    const t0 = businessTime(OUTLIER_LEAD_MONTH, 3, 10);
    emit(crm, "account.upserted", t0, {
      account_id: accountId, name, region: rep.region, segment: "Enterprise", industry: "Manufacturing", owner_rep_id: rep.id,
    });
    emit(crm, "lead.upserted", t0, {
      lead_id: leadId, account_id: accountId, owner_rep_id: rep.id, source: "referral", stage: "lead", created_at: iso(t0),
    });
    activity(rep, t0 + 25 * MINUTE, "call", links, { direction: "outbound", duration: minutes(10, 20) });
    activity(rep, t0 + DAY, "email", links, { direction: "inbound", outcome: "positive" });
    activity(rep, t0 + DAY + 40 * MINUTE, "meeting", links, { direction: "outbound", outcome: "scheduled" });
    emit(crm, "lead.upserted", t0 + 6 * DAY, { lead_id: leadId, stage: "mql" });
    activity(rep, t0 + 13 * DAY - 2 * HOUR, "meeting", links, { direction: "outbound", duration: minutes(45, 60), outcome: "held" });
    emit(crm, "lead.upserted", t0 + 13 * DAY, { lead_id: leadId, stage: "sql" });
    const created = t0 + 16 * DAY;
    emit(crm, "lead.upserted", created, { lead_id: leadId, stage: "opportunity" });
    const currency = "EUR";
    /** Lines for about `usd` (support, integrations, and seats of core and analytics). */
    const linesFor = (usd: number): Line[] => {
      const fixed = priceOf(currency, "support") + priceOf(currency, "integrations");
      const perSeat = priceOf(currency, "core") + priceOf(currency, "analytics");
      const seats = Math.max(20, Math.round((usd / inUsd(1, currency, M - 1) - fixed) / perSeat));
      return [
        { product_id: "core", name: productName("core"), quantity: seats, unit_price: priceOf(currency, "core") },
        { product_id: "analytics", name: productName("analytics"), quantity: seats, unit_price: priceOf(currency, "analytics") },
        { product_id: "integrations", name: productName("integrations"), quantity: 1, unit_price: priceOf(currency, "integrations") },
        { product_id: "support", name: productName("support"), quantity: 1, unit_price: priceOf(currency, "support") },
      ];
    };
    // First scoped for one plant; the rollout to every plant is agreed in the last month.
    const lines = linesFor(1.6 * standardQuota(profile, M - 1));
    const dealId = ids.of(crm, "deal");
    const deal: Links = { ...links, deal_id: dealId };
    emit(crm, "deal.upserted", created + 5 * MINUTE, {
      deal_id: dealId, name: `${name} — ${productName("core")}`, account_id: accountId, lead_id: leadId, owner_rep_id: rep.id,
      stage: "discovery", status: "open", amount: amountOf(lines), currency, kind: "new", source: "referral",
      created_at: iso(created + 5 * MINUTE), products: lines.map((l) => ({ ...l })),
    });
    activity(rep, created + DAY, "call", deal, { direction: "outbound", duration: minutes(30, 45) });
    const se = seOf(rep, OUTLIER_LEAD_MONTH);
    const stageAt = [created + 20 * DAY, created + 55 * DAY, created + 100 * DAY];
    emit(crm, "deal.upserted", stageAt[0]!, { deal_id: dealId, stage: "demo", status: "open" });
    activity(rep, stageAt[0]! + DAY, "demo", deal, { direction: "outbound", duration: 90 * 60, outcome: "held", participants: se ? [rep.id, se.id] : undefined });
    emit(crm, "deal.upserted", stageAt[1]!, { deal_id: dealId, stage: "proposal", status: "open" });
    activity(rep, stageAt[1]! + HOUR, "email", deal, { direction: "outbound" });
    activity(rep, stageAt[1]! + 3 * DAY, "email", deal, { direction: "inbound", outcome: "positive" });
    emit(crm, "deal.upserted", stageAt[2]!, { deal_id: dealId, stage: "negotiation", status: "open" });
    activity(rep, stageAt[2]! + 2 * DAY, "meeting", deal, { direction: "outbound", duration: 60 * 60, outcome: "held" });
    const at = businessTime(M - 1, 9, 15);
    outlier = { rep_id: rep.id, month: months[M - 1]!, deal_id: dealId, account: name };
    // Signed in the last month, once its quota is known: 3.2 × the rep's quota.
    return () => {
      const signed = linesFor(3.2 * quotaOf(rep, M - 1));
      emit(crm, "deal.upserted", at - 6 * DAY, { deal_id: dealId, amount: amountOf(signed), products: signed.map((l) => ({ ...l })) });
      const closedStage = CLOSED_STAGES[crm];
      emit(crm, "deal.upserted", at, {
        deal_id: dealId, ...(closedStage ? { stage: closedStage.won } : {}), status: "won", closed_at: iso(closedAtOf(crm, at)),
      });
      emit(crm, "lead.upserted", at + MINUTE, { lead_id: leadId, stage: "customer" });
      const customer: Customer = {
        accountId, name, rep, leadId, region: rep.region, segment: "Enterprise", currency, seats: 0, copilotSeats: 0, coreSub: null,
        copilotSub: null, active: false, everBilled: false, billedSince: 0, churnedAt: null, stripeCustomer: false, renewalDue: null,
        openExpansion: false,
      };
      wins.push({ at, customer, kind: "new", lines: signed });
      booked.set(bookedKey(rep, M - 1), inUsd(amountOf(signed), currency, M - 1));
    };
  };
  let signOutlier: (() => void) | null = null;

  // ---- the months
  for (let m = 0; m < M; m++) {
    const calendarMonth = Number(months[m]!.slice(5, 7));
    const seasonal = SEASONALITY[calendarMonth - 1]!;
    const growth = 1 + 0.022 * m;
    const monthEnd = monthStartUtc(m + 1);

    if (m === OUTLIER_LEAD_MONTH && M >= 8) signOutlier = scriptOutlier();
    for (const profile of TEAM_PROFILES) {
      const slipping = profile.team.key === SLIPPING_TEAM && m >= lastQuarter;
      const expected = profile.leads * scale * seasonal * growth * (slipping ? 0.75 : 1);
      for (let i = rng.count(expected); i > 0; i--) scriptLead(profile, m);
    }

    const slippingNow = m >= lastQuarter;
    for (const c of [...customers]) {
      const profile = c.rep.profile;
      const isSlipping = profile.team.key === SLIPPING_TEAM && slippingNow;
      const repNow = c.rep.left !== null && c.rep.left <= m ? (activeReps(profile, m)[0] ?? c.rep) : c.rep;
      if (!c.active) {
        // Churned customers sometimes come back.
        if (c.churnedAt !== null && c.churnedAt < monthStartUtc(m) && rng.chance(0.07)) {
          const at = businessTime(m);
          c.seats = Math.max(5, Math.round(seatsFor(c.segment) * 0.6));
          c.copilotSeats = 0;
          c.coreSub = openSubscription(c, "core", c.seats, at);
          c.active = true;
          c.churnedAt = null;
          c.renewalDue = at + 365 * DAY;
        }
        continue;
      }
      if (c.billedSince >= monthStartUtc(m)) continue;
      const churnRate = profile.churn * (isSlipping ? 3 : 1);
      if (rng.chance(churnRate)) {
        churn(c, businessTime(m));
        continue;
      }
      if (rng.chance(0.02) && c.seats > 10 && c.coreSub) {
        c.seats = Math.max(5, Math.round(c.seats * rng.between(0.7, 0.9)));
        subscriptionEvent(c, c.coreSub, c.seats, businessTime(m));
      }
      // Quarterly business reviews, NPS and CSAT.
      const links: Links = { account_id: c.accountId, ...(c.leadId && c.rep.crm === "close" ? { lead_id: c.leadId } : {}) };
      if (details.chance(CHECK_IN[profile.team.key]!)) checkIn(repNow, c, m);
      if (rng.chance(1 / 3)) {
        const at = businessTime(m);
        activity(repNow, at, "business_review", links, { direction: "outbound", duration: minutes(45, 75), outcome: "held" });
        if (rng.chance(0.5)) {
          const score = Math.max(1, Math.min(5, Math.round(rng.between(-0.8, 0.8) + profile.csat)));
          emit("native", "survey.responded", after(at, 0.2, 2), {
            response_id: surveyId(), survey: "csat", score, account_id: c.accountId, rep_id: repNow.id,
          });
        }
      }
      if (rng.chance(0.22)) {
        const mean = profile.nps - (isSlipping ? 2.4 : 0) + (m >= launchIndex && c.copilotSeats > 0 ? 0.5 : 0);
        const score = Math.max(0, Math.min(10, Math.round(mean + rng.gauss() * 1.6)));
        emit("native", "survey.responded", businessTime(m), {
          response_id: surveyId(), survey: "nps", score, account_id: c.accountId, rep_id: repNow.id,
          ...(score <= 6 && rng.chance(0.5) ? { comment: rng.pick(["Too expensive for what we use", "Support is slow", "Missing integrations", "Onboarding was hard"]) } : {}),
          ...(score >= 9 && rng.chance(0.4) ? { comment: rng.pick(["Great forecasting", "The copilot saves us hours", "Love the reports", "Responsive team"]) } : {}),
        });
      }
      // Expansions: more seats, or the new product once it is out.
      if (!c.openExpansion && !isSlipping) {
        const copilotChance = m >= launchIndex && c.copilotSeats === 0 ? Math.min(0.12, 0.03 + 0.015 * (m - launchIndex)) : 0;
        const seatChance = 0.035;
        const wantCopilot = rng.chance(copilotChance);
        if (wantCopilot || rng.chance(seatChance)) {
          const lines: Line[] = wantCopilot
            ? [{ product_id: "copilot", name: productName("copilot"), quantity: Math.max(5, Math.round(c.seats * rng.between(0.3, 0.8))), unit_price: priceOf(c.currency, "copilot") }]
            : [{ product_id: "core", name: productName("core"), quantity: Math.max(3, Math.round(c.seats * rng.between(0.1, 0.4))), unit_price: priceOf(c.currency, "core") }];
          c.openExpansion = true;
          scriptDeal({
            rep: repNow, customer: c, leadId: null, created: businessTime(m), kind: "expansion", lines, source: null,
            name: `${c.name} — ${wantCopilot ? productName("copilot") : "more seats"}`, ease: 1.15,
            onClose: () => { c.openExpansion = false; },
          });
        }
      }
      // Renewals: a deal 30–45 days before the anniversary.
      if (c.renewalDue !== null && c.renewalDue - 45 * DAY < monthEnd) {
        const due = c.renewalDue;
        c.renewalDue = null;
        const lines: Line[] = [{ product_id: "core", name: productName("core"), quantity: c.seats, unit_price: priceOf(c.currency, "core") }];
        const dueMonth = months.indexOf(reportMonthOf(repNow.crm, due));
        if (dueMonth >= m) {
          const key = bookedKey(repNow, dueMonth);
          renewalPlan.set(key, (renewalPlan.get(key) ?? 0) + inUsd(amountOf(lines), c.currency, dueMonth));
        }
        scriptDeal({
          rep: repNow, customer: c, leadId: null, created: minute(due - rng.between(30, 45) * DAY), kind: "renewal", lines, source: null,
          name: `${c.name} — renewal`, ease: 1.35,
          onClose: (won, at) => { if (!won && c.active) churn(c, minute(Math.max(at, due))); },
        });
      }
    }

    // Admin time each rep logs in the month (pipeline reviews, CRM updates, proposals): what
    // contact time is a share of. The weak team spends more of its month on it.
    for (const profile of TEAM_PROFILES) {
      for (const rep of activeReps(profile, m)) {
        const [low, high] = profile.team.key === "cobalt" ? [14, 20] : [8, 14];
        const crm = rep.crm;
        emit(crm, "activity.logged", minute(monthStartUtc(m) + details.int(12, 18) * DAY + 20 * HOUR), {
          activity_id: crm === "close" ? `acti_${details.text(MIXED_ALNUM, 22)}` : ids.of(crm, "activity"),
          type: "task", rep_id: rep.id, duration_seconds: details.int(low * 4, high * 4) * 15 * 60,
        });
      }
    }

    // Employee pulse survey.
    for (const profile of TEAM_PROFILES) {
      for (const rep of activeReps(profile, m)) {
        if (!rng.chance(0.7)) continue;
        const morale = profile.morale - (profile.team.key === SLIPPING_TEAM && m >= lastQuarter ? 1.5 : 0);
        const score = Math.max(1, Math.min(10, Math.round(morale + rng.gauss() * 1.2)));
        emit("native", "survey.responded", businessTime(m, 24, 28), { response_id: surveyId(), survey: "employee", score, rep_id: rep.id });
      }
    }
    if (m === M - 1) signOutlier?.();
    scheduleMonth(m);
    processWins(monthEnd);
  }

  // ---- accounts sliding into risk: from the last quarter on nobody contacts them, their
  // NPS drops, and in its second month their MRR halves. Chosen among the customers billed
  // before the quarter whose core subscription has no later change, one team after another.
  const sliding: Company["sliding"] = [];
  if (M >= 6) {
    const contractionMonth = M - 2;
    const changedLater = new Set(pending.filter((p) => p.type === "subscription.updated" && p.at >= monthStartUtc(contractionMonth)).map((p) => String(p.data.subscription_id)));
    const eligible = customers.filter((c) => c.active && c.coreSub !== null && c.seats >= 4 && c.billedSince < lastQuarterStart && !changedLater.has(c.coreSub));
    const wanted = Math.max(1, Math.round(SLIDING_ACCOUNTS * scale));
    const byTeam = TEAM_PROFILES.map((p) => eligible.filter((c) => c.rep.profile === p));
    for (let round = 0; sliding.length < wanted && byTeam.some((list) => list.length > 0); round++) {
      const list = byTeam[round % byTeam.length]!;
      if (list.length === 0) continue;
      const c = list.splice(details.int(0, list.length - 1), 1)[0]!;
      sliding.push({ account_id: c.accountId, name: c.name, rep_id: c.rep.id, team: c.rep.team });
      const seats = Math.max(1, Math.floor(c.seats / 2));
      c.seats = seats;
      subscriptionEvent(c, c.coreSub!, seats, monthStartUtc(contractionMonth) + details.int(3, 20) * DAY + 15 * HOUR);
      emit("native", "survey.responded", monthStartUtc(M - 1) + details.int(2, 20) * DAY + 16 * HOUR, {
        response_id: surveyId(), survey: "nps", score: details.int(1, 4), account_id: c.accountId, rep_id: c.rep.id,
        comment: "We barely hear from you any more",
      });
    }
    const slid = new Set(sliding.map((a) => a.account_id));
    for (let i = pending.length - 1; i >= 0; i--) {
      const p = pending[i]!;
      if (p.at < lastQuarterStart || !slid.has(String(p.data.account_id))) continue;
      if (p.type === "activity.logged") pending.splice(i, 1);
      else if (p.type === "survey.responded" && p.data.survey === "nps") p.data.score = Math.min(Number(p.data.score), details.int(2, 5));
    }
  }

  // ---- order and ids
  pending.sort((a, b) => a.at - b.at || a.seq - b.seq);
  const width = String(pending.length).length;
  const events: NativeEvent[] = [];
  const systems: System[] = [];
  for (const [i, p] of pending.entries()) {
    events.push({ id: `demo-${String(i + 1).padStart(Math.max(6, width), "0")}`, type: p.type, occurred_at: iso(p.at), data: p.data });
    systems.push(p.system);
  }

  // ---- settings
  const quotas: Settings["quotas"] = [];
  for (const rep of reps) {
    for (let m = 0; m < M; m++) {
      const amount = quotaOf(rep, m);
      if (amount > 0) quotas.push({ rep_id: rep.id, month: months[m]!, amount });
    }
  }
  const spend: Settings["spend"] = [];
  for (const [m, month] of months.entries()) {
    const seasonal = SEASONALITY[Number(month.slice(5, 7)) - 1]!;
    for (const [source, base] of Object.entries(SPEND_BASE)) {
      let amount = base * scale * seasonal * (1 + 0.02 * m);
      if (source === "events" && [3, 6, 10].includes(Number(month.slice(5, 7)))) amount *= 1.8;
      if (source === "paid_social" && m >= launchIndex) amount *= 1.5;
      spend.push({ source, month, amount: Math.round(amount * fxRng.between(0.92, 1.08)) });
    }
  }

  const orgId = salesforce18(`00D8d00000${base62(seed % 916_132_832, 5)}`);
  return {
    name: "Quotient Demo Co.",
    seed,
    scale,
    timezone,
    currency: "USD",
    start,
    end,
    months,
    launchMonth: months[launchIndex]!,
    teams: TEAM_PROFILES.map((p) => p.team),
    reps: reps.map(({ profile: _profile, ...rep }) => rep),
    products: PRODUCTS.map((p) => ({ ...p })),
    salesforceOrgId: orgId,
    outlier,
    events,
    systems,
    plans,
    settings: { pipeline_stages: [...PIPELINE_STAGES], quotas, fx_rates, spend },
    competitor: {
      name: NEW_COMPETITOR,
      region: TEAM_PROFILES.find((p) => p.team.key === SLIPPING_TEAM)!.team.regions[0]!,
      team: TEAM_PROFILES.find((p) => p.team.key === SLIPPING_TEAM)!.team.name,
      from: months[Math.max(0, lastQuarter)]!,
    },
    sliding,
  };
}

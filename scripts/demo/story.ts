// The story numbers, computed straight from the generated events (for tests and a summary
// the loader prints): win rate per team, revenue per region / product per month, quota
// attainment per rep and team and month, the one rep far past quota, the competitor in the
// slipping region's lost deals, and each customer account's health score.
import { addMonths, monthOf, startOfMonth } from "../../shared/months";
import type { Company } from "./company";

export interface Story {
  winRate: Record<string, number>;
  revenueByRegion: Record<string, Record<string, number>>;
  revenueByProduct: Record<string, Record<string, number>>;
}

export function story(company: Company): Story {
  const deals = new Map<string, Record<string, unknown>>();
  const accounts = new Map<string, Record<string, unknown>>();
  for (const e of company.events) {
    if (e.type === "deal.upserted") deals.set(String(e.data.deal_id), { ...deals.get(String(e.data.deal_id)), ...e.data });
    if (e.type === "account.upserted") accounts.set(String(e.data.account_id), { ...accounts.get(String(e.data.account_id)), ...e.data });
  }
  const reps = new Map(company.reps.map((r) => [r.id, r]));
  const rate = new Map(company.settings.fx_rates.map((r) => [`${r.currency}:${r.month}`, r.rate]));
  const closed: Record<string, { won: number; lost: number }> = {};
  const revenueByRegion: Story["revenueByRegion"] = {};
  const revenueByProduct: Story["revenueByProduct"] = {};
  for (const deal of deals.values()) {
    const rep = reps.get(String(deal.owner_rep_id));
    if (!rep || (deal.status !== "won" && deal.status !== "lost")) continue;
    const team = (closed[rep.team] ??= { won: 0, lost: 0 });
    if (deal.status === "lost") {
      team.lost++;
      continue;
    }
    team.won++;
    const month = String(deal.closed_at).slice(0, 7);
    const fx = deal.currency === "EUR" ? (rate.get(`EUR:${month}`) ?? 1.1) : 1;
    const region = String(accounts.get(String(deal.account_id))?.region ?? rep.region);
    const byRegion = (revenueByRegion[region] ??= {});
    byRegion[month] = (byRegion[month] ?? 0) + Number(deal.amount) * fx;
    for (const line of (deal.products as { product_id: string; quantity: number; unit_price: number }[]) ?? []) {
      const byProduct = (revenueByProduct[line.product_id] ??= {});
      byProduct[month] = (byProduct[month] ?? 0) + line.quantity * line.unit_price * fx;
    }
  }
  const winRate = Object.fromEntries(Object.entries(closed).map(([team, c]) => [team, c.won / (c.won + c.lost)]));
  return { winRate, revenueByRegion, revenueByProduct };
}

/** Σ of a month series over some months. */
export function total(series: Record<string, number> | undefined, months: string[]): number {
  return months.reduce((sum, m) => sum + (series?.[m] ?? 0), 0);
}

export interface Attained {
  revenue: number;
  quota: number;
  /** revenue ÷ quota */
  attainment: number;
}

export interface Attainment {
  /** month → rep id → attainment, for the reps with a quota that month. */
  reps: Record<string, Record<string, Attained>>;
  /** month → team → Σ revenue ÷ Σ quota over its reps with a quota. */
  teams: Record<string, Record<string, Attained>>;
}

/**
 * Quota attainment per rep and team and month, read from the generated events and quotas
 * the way the quota_attainment KPI reads the projections: revenue is Σ amount × the month's
 * EUR rate of the deals whose last status is won, by their last owner, in the month their
 * closed_at falls in (the company's time zone); a team is its reps with a quota.
 */
export function attainment(company: Company): Attainment {
  const deals = new Map<string, Record<string, unknown>>();
  for (const e of company.events) {
    if (e.type === "deal.upserted") deals.set(String(e.data.deal_id), { ...deals.get(String(e.data.deal_id)), ...e.data });
  }
  const rate = new Map(company.settings.fx_rates.map((r) => [`${r.currency}:${r.month}`, r.rate]));
  const revenue = new Map<string, number>();
  for (const deal of deals.values()) {
    if (deal.status !== "won" || typeof deal.closed_at !== "string") continue;
    const month = monthOf(Date.parse(deal.closed_at), company.timezone);
    const fx = deal.currency === "EUR" ? (rate.get(`EUR:${month}`) ?? 1) : 1;
    const key = `${month}|${String(deal.owner_rep_id)}`;
    revenue.set(key, (revenue.get(key) ?? 0) + Number(deal.amount) * fx);
  }
  const teamOf = new Map(company.reps.map((r) => [r.id, r.team]));
  const result: Attainment = { reps: {}, teams: {} };
  for (const q of company.settings.quotas) {
    const won = revenue.get(`${q.month}|${q.rep_id}`) ?? 0;
    (result.reps[q.month] ??= {})[q.rep_id] = { revenue: won, quota: q.amount, attainment: won / q.amount };
    const team = ((result.teams[q.month] ??= {})[teamOf.get(q.rep_id) ?? "unknown"] ??= { revenue: 0, quota: 0, attainment: 0 });
    team.revenue += won;
    team.quota += q.amount;
    team.attainment = team.revenue / team.quota;
  }
  return result;
}

/** The story's outlier told in a sentence's parts: who signed what, and how far past quota. */
export function outlierStory(company: Company, attained = attainment(company)) {
  if (!company.outlier) return null;
  const { rep_id, month, account } = company.outlier;
  const rep = company.reps.find((r) => r.id === rep_id)!;
  const record = attained.reps[month]?.[rep_id];
  return { rep: rep.name, team: rep.team, month, account, revenue: record?.revenue ?? 0, attainment: record?.attainment ?? 0 };
}

/** Lost deals naming a competitor: competitor → region → month (of closed_at, UTC) → count. */
export function competitiveLosses(company: Company): Record<string, Record<string, Record<string, number>>> {
  const deals = new Map<string, Record<string, unknown>>();
  const accounts = new Map<string, Record<string, unknown>>();
  for (const e of company.events) {
    if (e.type === "deal.upserted") deals.set(String(e.data.deal_id), { ...deals.get(String(e.data.deal_id)), ...e.data });
    if (e.type === "account.upserted") accounts.set(String(e.data.account_id), { ...accounts.get(String(e.data.account_id)), ...e.data });
  }
  const reps = new Map(company.reps.map((r) => [r.id, r]));
  const result: Record<string, Record<string, Record<string, number>>> = {};
  for (const deal of deals.values()) {
    if (deal.status !== "lost" || typeof deal.competitor !== "string") continue;
    const region = String(accounts.get(String(deal.account_id))?.region ?? reps.get(String(deal.owner_rep_id))?.region);
    const month = String(deal.closed_at).slice(0, 7);
    const byMonth = ((result[deal.competitor] ??= {})[region] ??= {});
    byMonth[month] = (byMonth[month] ?? 0) + 1;
  }
  return result;
}

export interface AccountHealth {
  account_id: string;
  revenue: number;
  loyalty: number;
  engagement: number;
  score: number;
}

const CONTACT_TYPES = new Set(["call", "email", "meeting", "demo", "business_review"]);

/**
 * Each customer account's health score at the end of `month`, read from the generated
 * events as docs/kpis.md's "Health score" defines it (an independent reading for the demo's
 * tests): revenue from the MRR at start(M−2) and at start(M+1), both at M's EUR rate;
 * loyalty from the latest NPS in [start(M−11), start(M+1)); engagement from the days since
 * the latest contact activity. Customers: a won deal closed before the end, or MRR above 0
 * at it.
 */
export function accountHealth(company: Company, month: string): Map<string, AccountHealth> {
  const t = startOfMonth(addMonths(month, 1), company.timezone);
  const m0At = startOfMonth(addMonths(month, -2), company.timezone);
  const npsFrom = startOfMonth(addMonths(month, -11), company.timezone);
  const rate = company.settings.fx_rates.find((r) => r.month === month)?.rate ?? 1;
  const subscriptions = new Map<string, { account: string; changes: [number, number, string][] }>();
  const deals = new Map<string, Record<string, unknown>>();
  const nps = new Map<string, [number, string, number]>();
  const lastContact = new Map<string, number>();
  for (const e of company.events) {
    const at = Date.parse(e.occurred_at);
    if (e.type === "subscription.updated") {
      const id = String(e.data.subscription_id);
      const sub = subscriptions.get(id) ?? { account: String(e.data.account_id), changes: [] };
      sub.changes.push([at, Number(e.data.mrr), String(e.data.currency ?? company.currency)]);
      subscriptions.set(id, sub);
    } else if (e.type === "deal.upserted") {
      deals.set(String(e.data.deal_id), { ...deals.get(String(e.data.deal_id)), ...e.data });
    } else if (e.type === "survey.responded" && e.data.survey === "nps" && e.data.account_id !== undefined && at >= npsFrom && at < t) {
      const account = String(e.data.account_id);
      const latest = nps.get(account);
      const id = String(e.data.response_id);
      if (!latest || at > latest[0] || (at === latest[0] && id > latest[1])) nps.set(account, [at, id, Number(e.data.score)]);
    } else if (e.type === "activity.logged" && CONTACT_TYPES.has(String(e.data.type)) && e.data.account_id !== undefined && at < t) {
      const account = String(e.data.account_id);
      lastContact.set(account, Math.max(lastContact.get(account) ?? -Infinity, at));
    }
  }
  const mrr = new Map<string, { m0: number; m1: number; had: boolean }>();
  for (const { account, changes } of subscriptions.values()) {
    const at = (instant: number) => {
      let value = 0;
      for (const [when, amount, currency] of changes) if (when <= instant) value = amount * (currency === "EUR" ? rate : 1);
      return value;
    };
    const entry = mrr.get(account) ?? { m0: 0, m1: 0, had: false };
    entry.m0 += at(m0At);
    entry.m1 += at(t);
    entry.had ||= changes.some(([when, amount]) => when < t && amount > 0);
    mrr.set(account, entry);
  }
  const customers = new Set<string>();
  for (const deal of deals.values()) if (deal.status === "won" && Date.parse(String(deal.closed_at)) < t && deal.account_id) customers.add(String(deal.account_id));
  for (const [account, m] of mrr) if (m.m1 > 0) customers.add(account);
  const result = new Map<string, AccountHealth>();
  for (const account of customers) {
    const m = mrr.get(account) ?? { m0: 0, m1: 0, had: false };
    const revenue = !m.had ? 0.5 : m.m0 === 0 && m.m1 > 0 ? 1 : m.m0 > 0 ? Math.min(1, Math.max(0, 0.5 + (m.m1 - m.m0) / (2 * m.m0))) : 0;
    const latest = nps.get(account);
    const loyalty = latest ? latest[2] / 10 : 0.5;
    const contact = lastContact.get(account);
    const days = contact === undefined ? Infinity : (t - contact) / 86_400_000;
    const engagement = days <= 30 ? 1 : days >= 90 ? 0 : (90 - days) / 60;
    const score = Math.floor(100 * (0.4 * revenue + 0.3 * loyalty + 0.3 * engagement) + 0.5 + 1e-9);
    result.set(account, { account_id: account, revenue, loyalty, engagement, score });
  }
  return result;
}

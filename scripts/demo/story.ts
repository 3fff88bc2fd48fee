// The story numbers, computed straight from the generated events (for tests and a summary
// the loader prints): win rate per team, revenue per region / product per month, quota
// attainment per rep and team and month, and the one rep far past quota.
import { monthOf } from "../../shared/months";
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

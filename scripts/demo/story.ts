// The story numbers, computed straight from the generated events (for tests and a summary
// the loader prints): win rate per team, revenue per region / product per month.
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

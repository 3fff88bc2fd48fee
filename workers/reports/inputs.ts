// What a report of month M reads besides the workspace: the month documents of M and the
// 23 months before it, and the display names of reps and products. Set-based reads of the
// KPI tables and projections, in raw D1 like the engine that writes them (db/README.md).
import type { D1Database } from "@cloudflare/workers-types";
import { addMonths, monthRange } from "../../shared/months";
import { monthDocument, type MonthDocument } from "../kpi/month-document";
import type { WorkspaceRow } from "../db/workspaces";

/** Months a report looks back over, M included: two years, for M−12 and its year to date. */
export const REPORT_MONTHS = 24;

/** The month documents a report of `month` reads, by month (months never computed left out). */
export async function documentsFor(db: D1Database, workspace: WorkspaceRow, month: string): Promise<Map<string, MonthDocument>> {
  const documents = new Map<string, MonthDocument>();
  for (const m of monthRange(addMonths(month, -(REPORT_MONTHS - 1)), month)) {
    const document = await monthDocument(db, workspace, m);
    if (document) documents.set(m, document);
  }
  return documents;
}

/** Rep and product names for the report's rows, and each rep's team. */
export async function namesFor(db: D1Database, workspaceId: string) {
  const [reps, products] = await db.batch([
    db.prepare("SELECT rep_id, name, team FROM reps WHERE workspace_id = ?1").bind(workspaceId),
    db.prepare("SELECT product_id, MAX(name) AS name FROM deal_products WHERE workspace_id = ?1 AND name IS NOT NULL GROUP BY product_id").bind(workspaceId),
  ]);
  const repRows = reps!.results as { rep_id: string; name: string | null; team: string | null }[];
  return {
    names: {
      rep: Object.fromEntries(repRows.filter((r) => r.name).map((r) => [r.rep_id, r.name!])),
      product: Object.fromEntries((products!.results as { product_id: string; name: string }[]).map((p) => [p.product_id, p.name])),
    },
    teams: Object.fromEntries(repRows.map((r) => [r.rep_id, r.team])),
  };
}

// The settings the KPIs read: quotas, FX rates and marketing spend, replaced a month (or a
// currency-month) at a time. Set-based raw D1: one JSON document per statement
// (json_each) keeps far below D1's 100 bound parameters for thousands of rows (README.md).
// The rows' fields are those of the API's bodies (QuotaRows, FxRateRows, SpendRows in
// api/schemas.ts), read from the document by name.
import type { D1Database } from "@cloudflare/workers-types";
import { markDirty } from "../model/dirty";

interface Statements {
  /** Deletes the stored rows of the months (or currency-months) in the document. */
  replace: string;
  insert: string;
}

const STATEMENTS = {
  quotas: {
    replace: `DELETE FROM quotas WHERE workspace_id = ?1 AND month IN (SELECT value ->> '$.month' FROM json_each(?2))`,
    insert: `INSERT INTO quotas (workspace_id, rep_id, month, amount)
      SELECT ?1, value ->> '$.rep_id', value ->> '$.month', value ->> '$.amount' FROM json_each(?2) WHERE true
      ON CONFLICT (workspace_id, month, rep_id) DO UPDATE SET amount = excluded.amount`,
  },
  fxRates: {
    replace: `DELETE FROM fx_rates WHERE workspace_id = ?1 AND (currency, month) IN
      (SELECT value ->> '$.currency', value ->> '$.month' FROM json_each(?2))`,
    insert: `INSERT INTO fx_rates (workspace_id, currency, month, rate)
      SELECT ?1, value ->> '$.currency', value ->> '$.month', value ->> '$.rate' FROM json_each(?2) WHERE true
      ON CONFLICT (workspace_id, currency, month) DO UPDATE SET rate = excluded.rate`,
  },
  marketingSpend: {
    replace: `DELETE FROM marketing_spend WHERE workspace_id = ?1 AND month IN (SELECT value ->> '$.month' FROM json_each(?2))`,
    insert: `INSERT INTO marketing_spend (workspace_id, source, month, amount)
      SELECT ?1, value ->> '$.source', value ->> '$.month', value ->> '$.amount' FROM json_each(?2) WHERE true
      ON CONFLICT (workspace_id, month, source) DO UPDATE SET amount = excluded.amount`,
  },
} satisfies Record<string, Statements>;

export type SettingTable = keyof typeof STATEMENTS;

/**
 * Replaces the stored rows of the months in `rows` with them (one atomic batch) and marks
 * those months dirty: their KPIs are recomputed from there on. Returns the months, sorted.
 */
export async function replaceSettings(
  db: D1Database,
  table: SettingTable,
  workspaceId: string,
  rows: readonly { month: string }[],
  now: number,
): Promise<string[]> {
  const document = JSON.stringify(rows);
  const { replace, insert } = STATEMENTS[table];
  await db.batch([db.prepare(replace).bind(workspaceId, document), db.prepare(insert).bind(workspaceId, document)]);
  const months = [...new Set(rows.map((row) => row.month))].sort();
  await markDirty(db, workspaceId, months, now);
  return months;
}

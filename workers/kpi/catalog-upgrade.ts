// A new catalog version (shared/catalog.ts) recomputes every stored month: new KPIs and
// dimensions appear in every month, and a changed definition never leaves old values
// beside new ones. A workspace whose months were computed with another version gets its
// first data month marked dirty — the dirty-month fan-out that runs next recomputes from
// there through its latest month — and is then stamped with the current version. A crash
// between the two marks it again on the next cron, which is harmless.
import type { D1Database } from "@cloudflare/workers-types";
import { CATALOG_VERSION } from "../../shared/catalog";
import { stampCatalogVersion, workspacesBehindCatalog } from "../db/workspaces";
import { markDirty } from "../model/dirty";
import { dataMonths } from "./schedule";

/** Marks every workspace computed with another catalog version for a full recompute; returns how many. */
export async function upgradeCatalog(db: D1Database, now: number, version: string = CATALOG_VERSION): Promise<number> {
  const behind = await workspacesBehindCatalog(db, version);
  let upgraded = 0;
  for (const workspace of behind) {
    // One workspace's failure is logged and it stays behind for the next run; the others go on.
    try {
      const months = await dataMonths(db, workspace.id, workspace.timezone);
      await markDirty(db, workspace.id, months.slice(0, 1), now);
      await stampCatalogVersion(db, workspace.id, version);
      upgraded += 1;
    } catch (error) {
      console.error(`cron: catalog upgrade of workspace ${workspace.id} failed, left for the next run`, error);
    }
  }
  return upgraded;
}

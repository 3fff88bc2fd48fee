// The read side of the pipeline movement (movement.ts): a month's waterfall by a
// breakdown, every class present (0 where no deal moved that way), keys in order.
import type { D1Database } from "@cloudflare/workers-types";
import { type Movement, MOVEMENT_IDS, type MovementDimension } from "../../shared/pipeline-movement";

export interface MovementAmount {
  deals: number;
  value: number;
}

export interface PipelineMovement {
  workspace: string;
  month: string;
  currency: string;
  dimension: MovementDimension;
  computed_at: string;
  groups: { key: string; movements: Record<Movement, MovementAmount> }[];
}

type Row = { key: string; movement: Movement; deals: number; value: number; computed_at: number };

const zeros = () => Object.fromEntries(MOVEMENT_IDS.map((m) => [m, { deals: 0, value: 0 }])) as Record<Movement, MovementAmount>;

/** The month's waterfall by `dimension`; null when the month has not been computed. */
export async function pipelineMovement(
  db: D1Database,
  workspace: { id: string; slug: string; currency: string },
  month: string,
  dimension: MovementDimension,
): Promise<PipelineMovement | null> {
  const [computed, rows] = await db.batch([
    // The month's KPI run stores its movement with its values and stamps every row with one
    // computed_at (engine.ts): any row of the month tells, one primary-key probe.
    db.prepare("SELECT computed_at FROM kpi_values WHERE workspace_id = ?1 AND month = ?2 LIMIT 1").bind(workspace.id, month),
    db
      .prepare(
        `SELECT key, movement, deals, value, computed_at FROM pipeline_movements
         WHERE workspace_id = ?1 AND month = ?2 AND dimension = ?3 ORDER BY key`,
      )
      .bind(workspace.id, month, dimension),
  ]);
  const computedAt = (computed!.results[0] as { computed_at: number | null } | undefined)?.computed_at ?? null;
  if (computedAt === null) return null;
  const groups = new Map<string, Record<Movement, MovementAmount>>();
  // The overall waterfall is always there, if only zeros.
  if (dimension === "all") groups.set("all", zeros());
  for (const row of rows!.results as Row[]) {
    let group = groups.get(row.key);
    if (!group) groups.set(row.key, (group = zeros()));
    group[row.movement] = { deals: row.deals, value: row.value };
  }
  return {
    workspace: workspace.slug,
    month,
    currency: workspace.currency,
    dimension,
    computed_at: new Date(computedAt).toISOString(),
    groups: [...groups].map(([key, movements]) => ({ key, movements })),
  };
}

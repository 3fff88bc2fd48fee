// Family B, stage conversion: of deals created in M, how many reached each configured stage.
// A deal reached stage s when its stage history holds s or a later stage, or it is won.
import type { MeasuredFacts } from "./measures";
import { inMonth } from "./facts";
import { kpiLiteral, P } from "./sql";

const STAGES = `WITH stages AS (SELECT CAST(key AS INTEGER) AS position, value AS stage FROM json_each(${P.stages})),
created AS (
  SELECT deal_id, status FROM deals
  WHERE workspace_id = ${P.workspace} AND deleted_at IS NULL AND ${inMonth("created_at")}),
furthest AS MATERIALIZED (
  SELECT c.deal_id,
    CASE WHEN c.status = 'won' THEN (SELECT MAX(position) FROM stages)
      ELSE (SELECT MAX(s.position) FROM deal_stage_history h JOIN stages s ON s.stage = h.stage
            WHERE h.workspace_id = ${P.workspace} AND h.deal_id = c.deal_id) END AS position
  FROM created c),
reached AS MATERIALIZED (
  SELECT s.position, s.stage, (SELECT COUNT(*) FROM furthest f WHERE f.position >= s.position) AS deals FROM stages s)
SELECT ${kpiLiteral("stage_reached", "total")} AS kpi, 'stage' AS dimension, stage AS key, deals AS value, NULL AS numerator, NULL AS denominator
FROM reached
UNION ALL
SELECT ${kpiLiteral("stage_conversion", "ratio")}, 'stage', a.stage || '>' || b.stage,
  CASE WHEN a.deals = 0 THEN NULL ELSE b.deals * 1.0 / a.deals END, b.deals, a.deals
FROM reached a JOIN reached b ON b.position = a.position + 1`;

export const FUNNEL_QUERIES = { stages: STAGES };

/** The measured facts of this family: their values' members (members.ts). */
export const FUNNEL_FACTS: MeasuredFacts[] = [];

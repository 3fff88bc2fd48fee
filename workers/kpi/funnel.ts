// Family B, stage conversion: of deals created in M, how many reached each configured stage.
// A deal reached stage s when its stage history holds s or a later stage, or it is won.
import { inMonth } from "./facts";
import { count, MeasuredFacts } from "./measures";
import { P, unionAll } from "./sql";

/**
 * The deals created in M at each stage they reached (docs/kpis.md, Definitions: a won deal
 * passed every stage; stages outside the pipeline are ignored, rule 25), one row per
 * (stage, deal): `kind` 'stage' keyed by the stage, and 'pair' keyed by a consecutive pair
 * s>t for the deals that reached s, with whether they reached t. A stage or a pair no deal
 * reached has one row without a deal, so that it is listed with 0. Both kinds are under
 * the one dimension `stage`; their keys differ (`s` against `s>t`).
 */
const STAGES_REACHED = new MeasuredFacts({
  with: `WITH stages AS (SELECT CAST(key AS INTEGER) AS position, value AS stage FROM json_each(${P.stages})),
created AS (
  SELECT deal_id, status, created_at FROM deals
  WHERE workspace_id = ${P.workspace} AND deleted_at IS NULL AND ${inMonth("created_at")}),
furthest AS MATERIALIZED (
  SELECT c.deal_id, c.created_at,
    CASE WHEN c.status = 'won' THEN (SELECT MAX(position) FROM stages)
      ELSE (SELECT MAX(s.position) FROM deal_stage_history h JOIN stages s ON s.stage = h.stage
            WHERE h.workspace_id = ${P.workspace} AND h.deal_id = c.deal_id) END AS position
  FROM created c),
facts AS (
  SELECT 'stage' AS kind, s.stage AS stage_key, f.deal_id, f.created_at, NULL AS reached_next
  FROM stages s LEFT JOIN furthest f ON f.position >= s.position
  UNION ALL
  SELECT 'pair', a.stage || '>' || b.stage, f.deal_id, f.created_at, f.position >= b.position
  FROM stages a JOIN stages b ON b.position = a.position + 1 LEFT JOIN furthest f ON f.position >= a.position)`,
  from: "facts",
  keyed: { join: "CROSS JOIN (SELECT 'stage' AS dimension) dim", key: "f.stage_key", names: ["stage"] },
  member: { type: "'deal'", id: "f.deal_id", placedAt: "f.created_at" },
  measures: {
    stage_rows: count("kind = 'stage'"),
    reached: count("kind = 'stage' AND deal_id IS NOT NULL"),
    pair_rows: count("kind = 'pair'"),
    reached_from: count("kind = 'pair' AND deal_id IS NOT NULL"),
    reached_to: count("kind = 'pair' AND reached_next"),
  },
});

const STAGES = `${STAGES_REACHED.agg}
${unionAll(
  STAGES_REACHED.total("stage_reached", "reached", "stage_rows > 0"),
  STAGES_REACHED.ratio("stage_conversion", "reached_to", "reached_from", "pair_rows > 0"),
)}`;

export const FUNNEL_QUERIES = { stages: STAGES };

/** The measured facts of this family: their values' members (members.ts). */
export const FUNNEL_FACTS: MeasuredFacts[] = [STAGES_REACHED];

// How the open pipeline moved during M (docs/kpis.md, "Pipeline movement"): every deal
// open at start(M) or at start(M+1) is placed in one movement class, its amount change
// is summed apart, and the waterfall adds up exactly, overall and per rep and team:
//   open at start + created + reopened + transferred in + increases
//     − decreases − won − lost − deleted − transferred out = open at end.
// One statement over the deals that can be open at either edge (the same index ranges as
// the open pipeline, facts.ts DEALS_AT_MONTH_EDGES), with every attribute read at each edge.
import { MOVEMENT_DIMENSIONS } from "../../shared/pipeline-movement";
import { DEALS_AT_MONTH_EDGES, openAt } from "./facts";
import { P, rateAt, stateAt, teamAt } from "./sql";

const at = (field: string, instant: string, column?: "value_num") => stateAt("d", "deal", "d.deal_id", field, instant, column);

/**
 * In the pipeline at an instant: open then, and not yet deleted (a deal deleted in M leaves
 * the pipeline as "deleted"; docs/kpis.md, "Pipeline movement").
 */
const inPipelineAt = (status: string, instant: string) =>
  `(${openAt("e", status, instant)} AND (e.deleted_at IS NULL OR e.deleted_at >= ${instant}))`;

/** A key at one edge: `all`, the owner rep then, or that rep's team then. */
const keyAt = (edge: "0" | "1") =>
  `CASE dim.value WHEN 'all' THEN 'all' WHEN 'rep' THEN f.rep${edge} ELSE f.team${edge} END`;

/** The terms a deal adds to the waterfall (see the header): which, at which edge's key, with which value. */
const TERMS = ["open_start", "open_end", "entry", "exit", "change", "transfer_out", "transfer_in"];

export const PIPELINE_MOVEMENT = `WITH candidate AS (${DEALS_AT_MONTH_EDGES}),
edges AS MATERIALIZED (
  SELECT d.deal_id, d.created_at, d.closed_at, d.deleted_at,
    ${at("status", P.start)} AS status0, ${at("status", P.end)} AS status1,
    ${at("owner_rep_id", P.start)} AS owner0, ${at("owner_rep_id", P.end)} AS owner1,
    ${at("amount", P.start, "value_num")} AS amount0, ${at("amount", P.end, "value_num")} AS amount1,
    COALESCE(${at("currency", P.start)}, ${P.base}) AS currency0, COALESCE(${at("currency", P.end)}, ${P.base}) AS currency1
  FROM candidate c CROSS JOIN deals d ON d.workspace_id = ${P.workspace} AND d.deal_id = c.deal_id
  WHERE d.created_at < ${P.end}),
states AS (
  SELECT e.*, ${inPipelineAt("e.status0", P.start)} AS open0, ${inPipelineAt("e.status1", P.end)} AS open1
  FROM edges e),
facts AS MATERIALIZED (
  SELECT s.open0, s.open1,
    CASE
      WHEN s.open0 AND s.open1 THEN 'stayed'
      WHEN s.open1 THEN CASE WHEN s.created_at >= ${P.start} THEN 'created' ELSE 'reopened' END
      WHEN s.deleted_at < ${P.end} THEN 'deleted'
      WHEN s.status1 = 'won' THEN 'won'
      ELSE 'lost' END AS class,
    -- Both edges at M's rate, so an exchange-rate move is never an amount change (rule 16's choice).
    COALESCE(s.amount0 * ${rateAt("s.currency0", P.month)}, 0) AS v0,
    COALESCE(s.amount1 * ${rateAt("s.currency1", P.month)}, 0) AS v1,
    COALESCE(s.owner0, 'unknown') AS rep0, COALESCE(s.owner1, 'unknown') AS rep1,
    ${teamAt("s.owner0", P.start)} AS team0, ${teamAt("s.owner1", P.end)} AS team1
  FROM states s WHERE s.open0 OR s.open1),
keyed AS (
  SELECT f.*, dim.value AS dimension, ${keyAt("0")} AS key0, ${keyAt("1")} AS key1
  FROM facts f CROSS JOIN json_each('${JSON.stringify(MOVEMENT_DIMENSIONS)}') dim),
terms AS (
  SELECT k.dimension,
    CASE t.value WHEN 'open_start' THEN k.key0 WHEN 'exit' THEN k.key0 WHEN 'transfer_out' THEN k.key0
      WHEN 'change' THEN CASE WHEN k.open1 THEN k.key1 ELSE k.key0 END ELSE k.key1 END AS key,
    CASE t.value WHEN 'entry' THEN k.class WHEN 'exit' THEN k.class
      WHEN 'change' THEN CASE WHEN k.v1 > k.v0 THEN 'increased' ELSE 'decreased' END
      WHEN 'transfer_out' THEN 'transferred_out' WHEN 'transfer_in' THEN 'transferred_in' ELSE t.value END AS movement,
    CASE t.value WHEN 'open_start' THEN k.v0 WHEN 'transfer_out' THEN k.v0 WHEN 'transfer_in' THEN k.v0
      WHEN 'change' THEN ABS(k.v1 - k.v0) ELSE k.v1 END AS value
  FROM keyed k CROSS JOIN json_each('${JSON.stringify(TERMS)}') t
  WHERE CASE t.value
    WHEN 'open_start' THEN k.open0
    WHEN 'open_end' THEN k.open1
    WHEN 'entry' THEN k.class IN ('created', 'reopened')
    WHEN 'exit' THEN k.class IN ('won', 'lost', 'deleted')
    WHEN 'change' THEN k.open0 AND k.v1 <> k.v0
    ELSE k.class = 'stayed' AND k.key0 <> k.key1 END)
SELECT dimension, key, movement, COUNT(*) AS deals, TOTAL(value) AS value FROM terms GROUP BY dimension, key, movement`;

// The classes of a month's pipeline movement (docs/kpis.md, "Pipeline movement"), in the
// waterfall's order, with the sign each takes in its equation:
//   open at start + created + reopened + transferred in + increases
//     − decreases − won − lost − deleted − transferred out = open at end
// by value; by count the same without increases and decreases (they move no deal in or
// out). The engine (workers/kpi/movement.ts), the API and the report read this list.

export const MOVEMENTS = [
  { id: "open_start", label: "Open at start", sign: 0 },
  { id: "created", label: "Created", sign: 1 },
  { id: "reopened", label: "Reopened", sign: 1 },
  { id: "transferred_in", label: "Transferred in", sign: 1 },
  { id: "increased", label: "Amount increases", sign: 1 },
  { id: "decreased", label: "Amount decreases", sign: -1 },
  { id: "won", label: "Won", sign: -1 },
  { id: "lost", label: "Lost", sign: -1 },
  { id: "deleted", label: "Deleted", sign: -1 },
  { id: "transferred_out", label: "Transferred out", sign: -1 },
  { id: "open_end", label: "Open at end", sign: 0 },
] as const;

export type Movement = (typeof MOVEMENTS)[number]["id"];
export const MOVEMENT_IDS: readonly Movement[] = MOVEMENTS.map((m) => m.id);

/** Breakdowns of the waterfall: a deal's owner rep and that rep's team, at each edge. */
export const MOVEMENT_DIMENSIONS = ["all", "rep", "team"] as const;
export type MovementDimension = (typeof MOVEMENT_DIMENSIONS)[number];

/** Amount changes move value, never a deal in or out of the pipeline. */
export const MOVES_DEALS = (movement: Movement) => movement !== "increased" && movement !== "decreased";

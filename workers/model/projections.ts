// SQL that rebuilds the current-state rows of reps, accounts, leads, deals, activities,
// survey responses and subscriptions from field_history for the entities one inbox row touched. Each column is
// the latest value of its field by (occurred_at, event_id), so arrival order never matters.

type Column = { column: string; field: string; kind: "text" | "num" };

interface Projection {
  entityType: string;
  table: string;
  idColumn: string;
  columns: Column[];
}

const text = (column: string): Column => ({ column, field: column, kind: "text" });
const num = (column: string): Column => ({ column, field: column, kind: "num" });

const PROJECTIONS: Projection[] = [
  {
    entityType: "rep",
    table: "reps",
    idColumn: "rep_id",
    columns: [text("name"), text("email"), text("team"), text("region"), num("active")],
  },
  {
    entityType: "account",
    table: "accounts",
    idColumn: "account_id",
    columns: [text("name"), text("region"), text("segment"), text("industry"), text("owner_rep_id")],
  },
  {
    entityType: "lead",
    table: "leads",
    idColumn: "lead_id",
    columns: [text("account_id"), text("owner_rep_id"), text("source"), text("stage"), num("created_at")],
  },
  {
    entityType: "deal",
    table: "deals",
    idColumn: "deal_id",
    columns: [
      text("name"), text("account_id"), text("lead_id"), text("owner_rep_id"), text("pipeline"),
      text("stage"), text("status"), num("amount"), text("currency"), text("kind"), text("source"),
      text("lost_reason"), text("products"), num("created_at"), num("closed_at"),
    ],
  },
  {
    entityType: "activity",
    table: "activities",
    idColumn: "activity_id",
    columns: [
      text("type"), text("direction"), text("rep_id"), text("participant_rep_ids"), text("lead_id"),
      text("account_id"), text("deal_id"), num("duration_seconds"), text("outcome"),
    ],
  },
  {
    entityType: "survey",
    table: "survey_responses",
    idColumn: "response_id",
    columns: [text("survey"), num("score"), text("account_id"), text("lead_id"), text("rep_id"), text("comment")],
  },
  {
    entityType: "subscription",
    table: "subscriptions",
    idColumn: "subscription_id",
    columns: [text("account_id"), num("mrr"), text("currency")],
  },
];

const sameEntity = (alias: string) =>
  `${alias}.workspace_id = t.workspace_id AND ${alias}.entity_type = t.entity_type AND ${alias}.entity_id = t.entity_id`;

const latestValue = ({ field, kind }: Column) =>
  `(SELECT h.${kind === "text" ? "value_text" : "value_num"} FROM field_history h ` +
  `WHERE ${sameEntity("h")} AND h.field = '${field}' ORDER BY h.occurred_at DESC, h.event_id DESC LIMIT 1)`;

/**
 * closed_at of a won / lost deal without an explicit one: the first event of the final
 * unbroken run of its current status, i.e. the earliest status entry equal to the current
 * status that no differing status entry follows (Precise rule 5).
 */
const CLOSED_AT_DEFAULT = `(SELECT MIN(s.occurred_at) FROM field_history s
  WHERE s.workspace_id = p.workspace_id AND s.entity_type = 'deal' AND s.entity_id = p.entity_id
    AND s.field = 'status' AND s.value_text = p.status
    AND NOT EXISTS (SELECT 1 FROM field_history x
      WHERE x.workspace_id = s.workspace_id AND x.entity_type = 'deal' AND x.entity_id = s.entity_id
        AND x.field = 'status' AND x.value_text IS NOT s.value_text
        AND (x.occurred_at, x.event_id) > (s.occurred_at, s.event_id)))`;

/** Columns whose stored value is derived from the latest value and the history. */
const DERIVED: Record<string, Record<string, string>> = {
  leads: { created_at: "COALESCE(p.created_at, p.first_seen_at)" },
  deals: {
    created_at: "COALESCE(p.created_at, p.first_seen_at)",
    closed_at: `CASE WHEN p.status IN ('won', 'lost') THEN COALESCE(p.closed_at, ${CLOSED_AT_DEFAULT}) ELSE p.closed_at END`,
  },
};

/** Activities and responses happen at their latest event (Precise rule 7). */
const HAPPENED_AT = new Set(["activities", "survey_responses"]);

function projectionSql({ entityType, table, idColumn, columns }: Projection): string {
  const derived = DERIVED[table] ?? {};
  const happened = HAPPENED_AT.has(table);
  const latest = columns.map((c) => `${latestValue(c)} AS ${c.column}`).join(",\n    ");
  const outputs = columns.map((c) => derived[c.column] ?? `p.${c.column}`).join(", ");
  const names = columns.map((c) => c.column);
  const times = ["first_seen_at", "updated_at", "deleted_at", ...(happened ? ["occurred_at"] : [])];
  const updates = [...names, ...times].map((n) => `${n} = excluded.${n}`).join(", ");
  return `INSERT INTO ${table} (workspace_id, ${idColumn}, ${names.join(", ")}, ${times.join(", ")})
SELECT p.workspace_id, p.entity_id, ${outputs}, p.first_seen_at, p.updated_at, p.deleted_at${happened ? ", p.updated_at" : ""}
FROM (
  SELECT t.workspace_id, t.entity_id,
    ${latest},
    (SELECT COALESCE(MIN(CASE WHEN h.field <> '_deleted' THEN h.occurred_at END), MIN(h.occurred_at))
       FROM field_history h WHERE ${sameEntity("h")}) AS first_seen_at,
    (SELECT MAX(h.occurred_at) FROM field_history h WHERE ${sameEntity("h")}) AS updated_at,
    (SELECT MIN(h.occurred_at) FROM field_history h WHERE ${sameEntity("h")} AND h.field = '_deleted') AS deleted_at
  FROM (SELECT DISTINCT workspace_id, entity_type, entity_id FROM canonical_events
        WHERE inbox_id IN (SELECT value FROM json_each(?1)) AND entity_type = '${entityType}') t
) p
WHERE true
ON CONFLICT (workspace_id, ${idColumn}) DO UPDATE SET ${updates}`;
}

/** One statement per entity type; each binds ?1 = the JSON array of the inbox row ids. */
export const PROJECTION_STATEMENTS: readonly string[] = PROJECTIONS.map(projectionSql);

/** Entity types whose fields are recorded in field_history. */
export const HISTORY_ENTITY_TYPES = PROJECTIONS.map((p) => p.entityType);

// SQL that rebuilds the current-state rows of every entity (./entities.ts) from field_history
// for the entities one inbox row touched. Each column is the latest value of its field by
// (occurred_at, event_id), so arrival order never matters; a derived field's column is its
// `derived` SQL over those latest values.
import { ENTITIES, type Entity, type EntityField, HISTORY_SLOT, storedFields } from "./entities";

const sameEntity = (alias: string) =>
  `${alias}.workspace_id = t.workspace_id AND ${alias}.entity_type = t.entity_type AND ${alias}.entity_id = t.entity_id`;

const latestValue = (name: string, { column }: EntityField) =>
  `(SELECT h.${HISTORY_SLOT[column]} FROM field_history h ` +
  `WHERE ${sameEntity("h")} AND h.field = '${name}' ORDER BY h.occurred_at DESC, h.event_id DESC LIMIT 1)`;

/**
 * The upsert of one entity type. Activities and responses also take occurred_at from their
 * latest event (docs/kpis.md, rule 7).
 */
function projectionSql(entityType: string, entity: Entity): string {
  const { table, id: idColumn, happensAtLatestEvent: happened = false } = entity;
  const fields = storedFields(entity);
  const latest = fields.map(([name, f]) => `${latestValue(name, f)} AS ${name}`).join(",\n    ");
  const outputs = fields.map(([name, f]) => f.derived ?? `p.${name}`).join(", ");
  const names = fields.map(([name]) => name);
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
export const PROJECTION_STATEMENTS: readonly string[] = Object.entries(ENTITIES).map(([type, entity]) =>
  projectionSql(type, entity),
);

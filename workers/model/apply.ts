// Applies one normalized delivery to D1 in a single atomic batch: canonical events (first
// copy of an id stands), field history, entity projections with their product lines and
// activity participants, dead letters, dirty months, and the inbox row marked processed.
// Re-running it for the same inbox row changes nothing: queue retries never apply an event twice.
import type { D1Database, D1PreparedStatement } from "@cloudflare/workers-types";
import { monthOf } from "../../shared/months";
import { type CanonicalEvent, instantsOf } from "./events";
import { HISTORY_ENTITY_TYPES, PROJECTION_STATEMENTS } from "./projections";

export interface Rejected {
  /** Position of the item in its delivery. */
  position: number;
  eventId: string | null;
  reason: string;
  payload: unknown;
  /** The instant the item claims, if readable: dead letters count in that month's warnings. */
  occurredAt?: number | null;
}

export interface Delivery {
  inboxId: number;
  workspaceId: string;
  connectionId: string;
  timezone: string;
  events: CanonicalEvent[];
  rejected: Rejected[];
  now: number;
}

// One bound JSON document per statement keeps far below D1's 100 bound parameters and
// lets SQLite expand it with json_each; chunks stay below the 2 MB string limit.
const MAX_JSON_PARAM_BYTES = 512 * 1024;

function jsonChunks<T>(items: T[]): string[] {
  const chunks: string[] = [];
  let current: string[] = [];
  let size = 2;
  for (const item of items) {
    const json = JSON.stringify(item);
    if (current.length > 0 && size + json.length + 1 > MAX_JSON_PARAM_BYTES) {
      chunks.push(`[${current.join(",")}]`);
      current = [];
      size = 2;
    }
    current.push(json);
    size += json.length + 1;
  }
  if (current.length > 0) chunks.push(`[${current.join(",")}]`);
  return chunks;
}

const INSERT_EVENTS = `INSERT INTO canonical_events
  (connection_id, event_id, workspace_id, inbox_id, type, entity_type, entity_id, occurred_at, data)
SELECT ?1, e.value ->> '$.id', ?2, ?3, e.value ->> '$.type', e.value ->> '$.entityType',
       e.value ->> '$.entityId', e.value ->> '$.occurredAt', e.value -> '$.data'
FROM json_each(?4) e
WHERE true
ON CONFLICT (connection_id, event_id) DO NOTHING`;

const HISTORY_TYPES_SQL = HISTORY_ENTITY_TYPES.map((t) => `'${t}'`).join(", ");

/** Every field an upsert carries, null included; absent fields are simply not there. */
const INSERT_FIELD_HISTORY = `INSERT INTO field_history
  (workspace_id, entity_type, entity_id, field, occurred_at, event_id, value_text, value_num)
SELECT e.workspace_id, e.entity_type, e.entity_id, f.key, e.occurred_at, e.event_id,
       CASE WHEN f.type IN ('text', 'array', 'object') THEN f.value END,
       CASE f.type WHEN 'integer' THEN f.value WHEN 'real' THEN f.value WHEN 'true' THEN 1 WHEN 'false' THEN 0 END
FROM canonical_events e, json_each(e.data) f
WHERE e.inbox_id = ?1 AND e.entity_type IN (${HISTORY_TYPES_SQL}) AND e.type NOT LIKE '%.deleted'
ON CONFLICT DO NOTHING`;

const INSERT_DELETIONS = `INSERT INTO field_history
  (workspace_id, entity_type, entity_id, field, occurred_at, event_id, value_text, value_num)
SELECT workspace_id, entity_type, entity_id, '_deleted', occurred_at, event_id, NULL, 1
FROM canonical_events WHERE inbox_id = ?1 AND type LIKE '%.deleted'
ON CONFLICT DO NOTHING`;

const REBUILD_DEAL_PRODUCTS = [
  `DELETE FROM deal_products WHERE workspace_id = ?2 AND deal_id IN
     (SELECT entity_id FROM canonical_events WHERE inbox_id = ?1 AND entity_type = 'deal')`,
  `INSERT INTO deal_products (workspace_id, deal_id, line_no, product_id, name, quantity, unit_price)
   SELECT d.workspace_id, d.deal_id, line.key, line.value ->> '$.product_id', line.value ->> '$.name',
          line.value ->> '$.quantity', line.value ->> '$.unit_price'
   FROM deals d, json_each(d.products) line
   WHERE d.workspace_id = ?2 AND d.deal_id IN
     (SELECT entity_id FROM canonical_events WHERE inbox_id = ?1 AND entity_type = 'deal')`,
];

const REBUILD_PARTICIPANTS = [
  `DELETE FROM activity_participants WHERE workspace_id = ?2 AND activity_id IN
     (SELECT entity_id FROM canonical_events WHERE inbox_id = ?1 AND type = 'activity.logged')`,
  `INSERT OR IGNORE INTO activity_participants (workspace_id, activity_id, rep_id)
   SELECT a.workspace_id, a.activity_id, p.value
   FROM activities a, json_each(a.participant_rep_ids) p
   WHERE a.workspace_id = ?2 AND a.activity_id IN
     (SELECT entity_id FROM canonical_events WHERE inbox_id = ?1 AND type = 'activity.logged')`,
];

const INSERT_DEAD_LETTERS = `INSERT INTO dead_letters
  (workspace_id, connection_id, inbox_id, position, event_id, reason, payload, occurred_at, created_at)
SELECT ?1, ?2, ?3, r.value ->> '$.position', r.value ->> '$.eventId', r.value ->> '$.reason',
       r.value ->> '$.payload', r.value ->> '$.occurredAt', ?4
FROM json_each(?5) r
WHERE true
ON CONFLICT (inbox_id, position) DO NOTHING`;

const MARK_DIRTY = `INSERT INTO dirty_months (workspace_id, month, marked_at)
SELECT ?1, m.value, ?2 FROM json_each(?3) m
WHERE true
ON CONFLICT (workspace_id, month) DO UPDATE SET marked_at = excluded.marked_at`;

const MARK_PROCESSED = `UPDATE inbox SET status = 'processed', processed_at = ?2, attempts = attempts + 1, error = NULL
WHERE id = ?1`;

/** Months (in the workspace's zone) whose KPIs the delivery may change. */
export function touchedMonths(events: CanonicalEvent[], timezone: string): string[] {
  const months = new Set<string>();
  for (const event of events) for (const instant of instantsOf(event)) months.add(monthOf(instant, timezone));
  return [...months].sort();
}

export function applyStatements(db: D1Database, delivery: Delivery): D1PreparedStatement[] {
  const { inboxId, workspaceId, connectionId, events, rejected, now } = delivery;
  const statements: D1PreparedStatement[] = [];
  for (const chunk of jsonChunks(events)) {
    statements.push(db.prepare(INSERT_EVENTS).bind(connectionId, workspaceId, inboxId, chunk));
  }
  statements.push(db.prepare(INSERT_FIELD_HISTORY).bind(inboxId));
  statements.push(db.prepare(INSERT_DELETIONS).bind(inboxId));
  for (const sql of PROJECTION_STATEMENTS) statements.push(db.prepare(sql).bind(inboxId));
  for (const sql of REBUILD_DEAL_PRODUCTS) statements.push(db.prepare(sql).bind(inboxId, workspaceId));
  for (const sql of REBUILD_PARTICIPANTS) statements.push(db.prepare(sql).bind(inboxId, workspaceId));
  const deadLetters = rejected.map((r) => ({
    position: r.position,
    eventId: r.eventId,
    reason: r.reason,
    payload: JSON.stringify(r.payload) ?? "null",
    occurredAt: r.occurredAt ?? null,
  }));
  for (const chunk of jsonChunks(deadLetters)) {
    statements.push(db.prepare(INSERT_DEAD_LETTERS).bind(workspaceId, connectionId, inboxId, now, chunk));
  }
  const months = touchedMonths(events, delivery.timezone);
  if (months.length > 0) statements.push(db.prepare(MARK_DIRTY).bind(workspaceId, now, JSON.stringify(months)));
  statements.push(db.prepare(MARK_PROCESSED).bind(inboxId, now));
  return statements;
}

/** Applies the delivery atomically (one D1 batch). */
export async function applyDelivery(db: D1Database, delivery: Delivery): Promise<void> {
  await db.batch(applyStatements(db, delivery));
}

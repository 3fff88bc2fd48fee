// Applies normalized deliveries to D1 in a single atomic batch: canonical events (first
// copy of an id stands), field history, entity projections with their product lines and
// activity participants, dead letters, dirty months, and the inbox rows marked processed.
// Set-based over all the deliveries of a queue batch; re-running it for the same inbox rows
// changes nothing, so queue retries never apply an event twice.
import type { D1Database, D1PreparedStatement } from "@cloudflare/workers-types";
import { monthOf } from "../../shared/months";
import { ENTITY_TYPES, PRODUCT_LINE_FIELDS } from "./entities";
import { type CanonicalEvent, instantsOf } from "./events";
import { PROJECTION_STATEMENTS } from "./projections";

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
}

// Whole JSON documents bound as single parameters keep far below D1's 100 bound
// parameters and let SQLite expand them with json_each; chunks stay below the 2 MB limit.
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

/** A dead letter keeps at most this much of its item (the raw body stays in the inbox). */
export const MAX_DEAD_LETTER_PAYLOAD_CHARS = 64 * 1024;

/** A rejected item as stored JSON text: truncated when large, described when unserializable. */
export function storedPayload(payload: unknown): string {
  let json: string;
  try {
    json = typeof payload === "string" ? JSON.stringify(payload) : (JSON.stringify(payload) ?? "null");
  } catch (error) {
    // Absurd nesting overflows the stack; cycles cannot come from JSON.
    return JSON.stringify(`(not serializable: ${String(error).slice(0, 200)})`);
  }
  return json.length <= MAX_DEAD_LETTER_PAYLOAD_CHARS
    ? json
    : JSON.stringify(`(truncated to ${MAX_DEAD_LETTER_PAYLOAD_CHARS} characters) ${json.slice(0, MAX_DEAD_LETTER_PAYLOAD_CHARS)}`);
}

/** ?1 is always the JSON array of the inbox row ids being applied. */
const DELIVERED = `(SELECT value FROM json_each(?1))`;
const touched = (entityType: string) =>
  `(SELECT workspace_id, entity_id FROM canonical_events WHERE inbox_id IN ${DELIVERED} AND entity_type = '${entityType}')`;

const INSERT_EVENTS = `INSERT INTO canonical_events
  (connection_id, event_id, workspace_id, inbox_id, type, entity_type, entity_id, occurred_at, data)
SELECT e.value ->> '$.connectionId', e.value ->> '$.id', e.value ->> '$.workspaceId', e.value ->> '$.inboxId',
       e.value ->> '$.type', e.value ->> '$.entityType', e.value ->> '$.entityId', e.value ->> '$.occurredAt',
       e.value -> '$.data'
FROM json_each(?1) e
WHERE true
ON CONFLICT (connection_id, event_id) DO NOTHING`;

/** Every entity type records its fields in field_history. */
const HISTORY_TYPES_SQL = ENTITY_TYPES.map((t) => `'${t}'`).join(", ");

/** Every field an upsert carries, null included; absent fields are simply not there. */
const INSERT_FIELD_HISTORY = `INSERT INTO field_history
  (workspace_id, entity_type, entity_id, field, occurred_at, event_id, value_text, value_num)
SELECT e.workspace_id, e.entity_type, e.entity_id, f.key, e.occurred_at, e.event_id,
       CASE WHEN f.type IN ('text', 'array', 'object') THEN f.value END,
       CASE f.type WHEN 'integer' THEN f.value WHEN 'real' THEN f.value WHEN 'true' THEN 1 WHEN 'false' THEN 0 END
FROM canonical_events e, json_each(e.data) f
WHERE e.inbox_id IN ${DELIVERED} AND e.entity_type IN (${HISTORY_TYPES_SQL}) AND e.type NOT LIKE '%.deleted'
ON CONFLICT DO NOTHING`;

const INSERT_DELETIONS = `INSERT INTO field_history
  (workspace_id, entity_type, entity_id, field, occurred_at, event_id, value_text, value_num)
SELECT workspace_id, entity_type, entity_id, '_deleted', occurred_at, event_id, NULL, 1
FROM canonical_events WHERE inbox_id IN ${DELIVERED} AND type LIKE '%.deleted'
ON CONFLICT DO NOTHING`;

const LINE_FIELDS = Object.keys(PRODUCT_LINE_FIELDS);

const REBUILD_DEAL_PRODUCTS = [
  `DELETE FROM deal_products WHERE (workspace_id, deal_id) IN ${touched("deal")}`,
  `INSERT INTO deal_products (workspace_id, deal_id, line_no, ${LINE_FIELDS.join(", ")})
   SELECT d.workspace_id, d.deal_id, line.key, ${LINE_FIELDS.map((name) => `line.value ->> '$.${name}'`).join(", ")}
   FROM deals d, json_each(d.products) line
   WHERE (d.workspace_id, d.deal_id) IN ${touched("deal")}`,
];

const REBUILD_PARTICIPANTS = [
  `DELETE FROM activity_participants WHERE (workspace_id, activity_id) IN ${touched("activity")}`,
  `INSERT OR IGNORE INTO activity_participants (workspace_id, activity_id, rep_id)
   SELECT a.workspace_id, a.activity_id, p.value
   FROM activities a, json_each(a.participant_rep_ids) p
   WHERE (a.workspace_id, a.activity_id) IN ${touched("activity")}`,
];

const INSERT_DEAD_LETTERS = `INSERT INTO dead_letters
  (workspace_id, connection_id, inbox_id, position, event_id, reason, payload, occurred_at, created_at)
SELECT r.value ->> '$.workspaceId', r.value ->> '$.connectionId', r.value ->> '$.inboxId', r.value ->> '$.position',
       r.value ->> '$.eventId', r.value ->> '$.reason', r.value ->> '$.payload', r.value ->> '$.occurredAt', ?2
FROM json_each(?1) r
WHERE true
ON CONFLICT (inbox_id, position) DO NOTHING`;

const MARK_DIRTY = `INSERT INTO dirty_months (workspace_id, month, marked_at)
SELECT m.value ->> '$.workspaceId', m.value ->> '$.month', ?2 FROM json_each(?1) m
WHERE true
ON CONFLICT (workspace_id, month) DO UPDATE SET marked_at = excluded.marked_at`;

const MARK_PROCESSED = `UPDATE inbox SET status = 'processed', processed_at = ?2, attempts = attempts + 1, error = NULL
WHERE id IN ${DELIVERED}`;

/** (workspace, month) pairs, in each workspace's zone, whose KPIs the deliveries may change. */
export function touchedMonths(deliveries: Delivery[]): { workspaceId: string; month: string }[] {
  const pairs = new Map<string, { workspaceId: string; month: string }>();
  for (const { workspaceId, timezone, events } of deliveries) {
    for (const event of events) {
      for (const instant of instantsOf(event)) {
        const month = monthOf(instant, timezone);
        pairs.set(`${workspaceId}/${month}`, { workspaceId, month });
      }
    }
  }
  return [...pairs.values()];
}

export function applyStatements(db: D1Database, deliveries: Delivery[], now: number): D1PreparedStatement[] {
  const ids = JSON.stringify(deliveries.map((d) => d.inboxId));
  const statements: D1PreparedStatement[] = [];
  const events = deliveries.flatMap(({ inboxId, workspaceId, connectionId, events }) =>
    events.map((event) => ({ ...event, inboxId, workspaceId, connectionId })),
  );
  for (const chunk of jsonChunks(events)) statements.push(db.prepare(INSERT_EVENTS).bind(chunk));
  for (const sql of [INSERT_FIELD_HISTORY, INSERT_DELETIONS, ...PROJECTION_STATEMENTS, ...REBUILD_DEAL_PRODUCTS, ...REBUILD_PARTICIPANTS]) {
    statements.push(db.prepare(sql).bind(ids));
  }
  const deadLetters = deliveries.flatMap(({ inboxId, workspaceId, connectionId, rejected }) =>
    rejected.map((r) => ({
      inboxId,
      workspaceId,
      connectionId,
      position: r.position,
      eventId: r.eventId,
      reason: r.reason,
      payload: storedPayload(r.payload),
      occurredAt: r.occurredAt ?? null,
    })),
  );
  for (const chunk of jsonChunks(deadLetters)) statements.push(db.prepare(INSERT_DEAD_LETTERS).bind(chunk, now));
  const months = touchedMonths(deliveries);
  if (months.length > 0) statements.push(db.prepare(MARK_DIRTY).bind(JSON.stringify(months), now));
  statements.push(db.prepare(MARK_PROCESSED).bind(ids, now));
  return statements;
}

/** Applies the deliveries atomically (one D1 batch). */
export async function applyDeliveries(db: D1Database, deliveries: Delivery[], now: number): Promise<void> {
  if (deliveries.length > 0) await db.batch(applyStatements(db, deliveries, now));
}

// The canonical event: the native webhook format, which every source adapter also emits.
// Validated here with zod and normalized (instants → ms, decimals → numbers) before storage.
// Each payload schema comes from its entity's fields (./entities.ts).
import { z } from "zod";
import { DAY_MS } from "../../shared/units";
import {
  CONTACT_ACTIVITY_TYPES,
  ENTITIES,
  type EntityType,
  INSTANT_FIELDS,
  type SchemaShape,
  schemaShape,
} from "./entities";
import { id, instant } from "./values";

export {
  ACTIVITY_DIRECTIONS,
  ACTIVITY_OUTCOMES,
  ACTIVITY_TYPES,
  CONTACT_ACTIVITY_TYPES,
  DEAL_KINDS,
  DEAL_STATUSES,
  type EntityType,
  LEAD_STAGES,
  SURVEY_KINDS,
} from "./entities";
export { parseInstant } from "./values";

/** Contact activity types as an SQL list, for the queries that filter on them. */
export const CONTACT_TYPES_SQL = `(${CONTACT_ACTIVITY_TYPES.map((t) => `'${t}'`).join(", ")})`;

type Entities = typeof ENTITIES;

type IdShape<T extends EntityType> = { [K in Entities[T]["id"]]: typeof id };

/** An upsert of `entity`: the payload is the entity's id, then its fields in their declared order. */
function upserted<T extends EntityType>(entity: T) {
  const { id: idField, fields } = ENTITIES[entity];
  const shape: z.ZodRawShape = { [idField]: id, ...schemaShape(fields) };
  return { entity, data: z.object(shape as IdShape<T> & SchemaShape<Entities[T]["fields"]>) };
}

/** A deletion of `entity`: the payload is its id alone. */
function deleted<T extends EntityType>(entity: T) {
  const shape = { [ENTITIES[entity].id]: id };
  return { entity, data: z.object(shape as IdShape<T>) };
}

const survey = upserted("survey");

/** Every event type, with the entity it is about and the schema of its data. */
const EVENTS = {
  "rep.upserted": upserted("rep"),
  "account.upserted": upserted("account"),
  "lead.upserted": upserted("lead"),
  "deal.upserted": upserted("deal"),
  "activity.logged": upserted("activity"),
  "survey.responded": {
    entity: survey.entity,
    data: survey.data.refine((r) => r.survey !== "nps" || (r.score >= 0 && r.score <= 10), {
      message: "an nps score is between 0 and 10",
      path: ["score"],
    }),
  },
  "subscription.updated": upserted("subscription"),
  "rep.deleted": deleted("rep"),
  "account.deleted": deleted("account"),
  "lead.deleted": deleted("lead"),
  "deal.deleted": deleted("deal"),
} as const;

export type EventType = keyof typeof EVENTS;
export const EVENT_TYPES = Object.keys(EVENTS) as EventType[];

/** A validated event, ready to store. */
export interface CanonicalEvent {
  id: string;
  type: EventType;
  occurredAt: number;
  entityType: EntityType;
  entityId: string;
  data: Record<string, unknown>;
}

const envelope = z.object({
  id: id,
  type: z.string(),
  occurred_at: instant,
  data: z.record(z.string(), z.unknown()),
});

export type Validation = { ok: true; event: CanonicalEvent } | { ok: false; eventId: string | null; reason: string };

function describe(error: z.ZodError, prefix: string): string {
  return error.issues
    .map((issue) => `${[prefix, ...issue.path.map(String)].filter(Boolean).join(".")}: ${issue.message}`)
    .join("; ");
}

/**
 * The instants an event may carry: from 2000-01-01 (UTC) up to one year after the
 * delivery was received. Outside it an instant is a typo or an attack (year 9999 would
 * make every later month "dirty", year 1 tens of thousands of months), never a sale.
 */
export const EARLIEST_INSTANT = Date.UTC(2000, 0, 1);
export const LATEST_INSTANT_AFTER_RECEIPT_MS = 366 * DAY_MS;

/** Whether an instant lies in the accepted window for a delivery received at `receivedAt`. */
export function inAcceptedWindow(instant: number, receivedAt: number): boolean {
  return instant >= EARLIEST_INSTANT && instant <= receivedAt + LATEST_INSTANT_AFTER_RECEIPT_MS;
}

function outsideWindow(event: CanonicalEvent, receivedAt: number): string | null {
  const named: [string, unknown][] = [
    ["occurred_at", event.occurredAt],
    ...INSTANT_FIELDS.map((name): [string, unknown] => [`data.${name}`, event.data[name]]),
  ];
  for (const [name, value] of named) {
    if (typeof value !== "number") continue;
    if (!inAcceptedWindow(value, receivedAt)) {
      const shown = Number.isFinite(value) && Math.abs(value) < 8.64e15 ? new Date(value).toISOString() : String(value);
      return `${name}: ${shown} is outside the accepted window (2000-01-01 up to one year after receipt)`;
    }
  }
  return null;
}

/**
 * Validates one raw event; an invalid event is rejected whole (docs/kpis.md, rule 3). Its
 * instants must lie in the window above, counted from `receivedAt` (the delivery's receipt).
 */
export function validateEvent(raw: unknown, receivedAt: number = Date.now()): Validation {
  const outer = envelope.safeParse(raw);
  const rawId = typeof raw === "object" && raw !== null ? (raw as { id?: unknown }).id : undefined;
  const eventId = typeof rawId === "string" || typeof rawId === "number" ? String(rawId) : null;
  if (!outer.success) return { ok: false, eventId, reason: describe(outer.error, "") };
  const { type, occurred_at, data } = outer.data;
  // An own property only: "constructor" or "__proto__" are not event types.
  if (!Object.hasOwn(EVENTS, type)) {
    return { ok: false, eventId, reason: `type: unknown event type ${JSON.stringify(type)}` };
  }
  const eventType = type as EventType;
  const { entity: entityType, data: schema } = EVENTS[eventType];
  const parsed = schema.safeParse(data);
  if (!parsed.success) return { ok: false, eventId, reason: describe(parsed.error, "data") };
  const normalized = parsed.data as Record<string, unknown>;
  const event: CanonicalEvent = {
    id: outer.data.id,
    type: eventType,
    occurredAt: occurred_at,
    entityType,
    entityId: normalized[ENTITIES[entityType].id] as string,
    data: normalized,
  };
  const outside = outsideWindow(event, receivedAt);
  return outside ? { ok: false, eventId, reason: outside } : { ok: true, event };
}

/** Instants an event touches: its own and the instant fields (created_at, closed_at) it sets. */
export function instantsOf(event: CanonicalEvent): number[] {
  const instants = [event.occurredAt];
  for (const field of INSTANT_FIELDS) {
    const value = event.data[field];
    if (typeof value === "number") instants.push(value);
  }
  return instants;
}

// The canonical event: the native webhook format, which every source adapter also emits.
// Validated here with zod and normalized (instants → ms, decimals → numbers) before storage.
import { z } from "zod";

/** Instants: ISO 8601; without an offset they are UTC (Precise rule 1). A date alone is UTC midnight. */
const ISO_INSTANT =
  /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/i;

export function parseInstant(text: string): number | null {
  const match = ISO_INSTANT.exec(text.trim());
  if (!match) return null;
  const [, date, time = "00:00:00", zone = "Z"] = match;
  const offset = zone.toUpperCase() === "Z" ? "Z" : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  // Date.parse keeps milliseconds only; deeper fractions are truncated.
  const fraction = /\.(\d+)$/.exec(time);
  const clock = fraction ? time.replace(/\.\d+$/, `.${fraction[1]!.slice(0, 3).padEnd(3, "0")}`) : time;
  const ms = Date.parse(`${date}T${clock}${offset}`);
  return Number.isNaN(ms) ? null : ms;
}

const instant = z.string().transform((text, ctx) => {
  const ms = parseInstant(text);
  if (ms === null) {
    ctx.addIssue({ code: "custom", message: `not an ISO 8601 instant: ${JSON.stringify(text)}` });
    return z.NEVER;
  }
  return ms;
});

/** Decimal in major units: a JSON number or a numeric string ("12500.00"). */
const decimal = z
  .union([z.number(), z.string().regex(/^\s*-?\d+(\.\d+)?\s*$/, "not a decimal number")])
  .transform((value) => Number(value))
  .refine(Number.isFinite, "not a finite number");

/** CRM ids arrive as strings or numbers; canonical ids are strings. */
const id = z
  .union([z.string().trim().min(1, "must not be empty"), z.number().int()])
  .transform(String);

const currency = z.string().regex(/^[A-Za-z]{3}$/, "not an ISO 4217 code").transform((c) => c.toUpperCase());

// Every optional field may be null: null sets the value to null, absence leaves it (rule 2).
const opt = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

export const LEAD_STAGES = ["subscriber", "lead", "mql", "sql", "opportunity", "customer"] as const;
export const DEAL_STATUSES = ["open", "won", "lost"] as const;
export const DEAL_KINDS = ["new", "expansion", "renewal"] as const;
export const ACTIVITY_TYPES = [
  "call", "email", "meeting", "demo", "business_review", "social", "note", "task", "other",
] as const;
/** Contact activities: the types that reach a person (kpis.md, family D). */
export const CONTACT_ACTIVITY_TYPES = ["call", "email", "meeting", "demo", "business_review"] as const;
/** The same as an SQL list, for the queries that filter on it. */
export const CONTACT_TYPES_SQL = `(${CONTACT_ACTIVITY_TYPES.map((t) => `'${t}'`).join(", ")})`;
export const ACTIVITY_DIRECTIONS = ["inbound", "outbound"] as const;
export const ACTIVITY_OUTCOMES = [
  "positive", "negative", "neutral", "scheduled", "held", "canceled", "no_show",
] as const;
export const SURVEY_KINDS = ["nps", "csat", "employee"] as const;

const productLine = z.object({
  product_id: id,
  name: opt(z.string()),
  quantity: decimal,
  unit_price: decimal,
});

const dataSchemas = {
  "rep.upserted": z.object({
    rep_id: id,
    name: opt(z.string()),
    email: opt(z.string()),
    team: opt(z.string()),
    region: opt(z.string()),
    active: opt(z.boolean()),
  }),
  "account.upserted": z.object({
    account_id: id,
    name: opt(z.string()),
    region: opt(z.string()),
    segment: opt(z.string()),
    industry: opt(z.string()),
    owner_rep_id: opt(id),
  }),
  "lead.upserted": z.object({
    lead_id: id,
    account_id: opt(id),
    owner_rep_id: opt(id),
    source: opt(z.string()),
    stage: opt(z.enum(LEAD_STAGES)),
    created_at: opt(instant),
  }),
  "deal.upserted": z.object({
    deal_id: id,
    name: opt(z.string()),
    account_id: opt(id),
    lead_id: opt(id),
    owner_rep_id: opt(id),
    pipeline: opt(z.string()),
    stage: opt(z.string()),
    status: opt(z.enum(DEAL_STATUSES)),
    amount: opt(decimal),
    currency: opt(currency),
    kind: opt(z.enum(DEAL_KINDS)),
    source: opt(z.string()),
    created_at: opt(instant),
    closed_at: opt(instant),
    lost_reason: opt(z.string()),
    products: opt(z.array(productLine)),
  }),
  "activity.logged": z.object({
    activity_id: id,
    type: z.enum(ACTIVITY_TYPES),
    direction: opt(z.enum(ACTIVITY_DIRECTIONS)),
    rep_id: opt(id),
    participant_rep_ids: opt(z.array(id)),
    lead_id: opt(id),
    account_id: opt(id),
    deal_id: opt(id),
    duration_seconds: opt(decimal.refine((s) => s >= 0, "must not be negative")),
    outcome: opt(z.enum(ACTIVITY_OUTCOMES)),
  }),
  "survey.responded": z
    .object({
      response_id: id,
      survey: z.enum(SURVEY_KINDS),
      score: decimal,
      account_id: opt(id),
      lead_id: opt(id),
      rep_id: opt(id),
      comment: opt(z.string()),
    })
    .refine((r) => r.survey !== "nps" || (r.score >= 0 && r.score <= 10), {
      message: "an nps score is between 0 and 10",
      path: ["score"],
    }),
  "subscription.updated": z.object({
    subscription_id: id,
    account_id: id,
    mrr: decimal.refine((m) => m >= 0, "must not be negative"),
    currency: opt(currency),
  }),
  "rep.deleted": z.object({ rep_id: id }),
  "account.deleted": z.object({ account_id: id }),
  "lead.deleted": z.object({ lead_id: id }),
  "deal.deleted": z.object({ deal_id: id }),
} as const;

export type EventType = keyof typeof dataSchemas;
export const EVENT_TYPES = Object.keys(dataSchemas) as EventType[];

export type EntityType = "rep" | "account" | "lead" | "deal" | "activity" | "survey" | "subscription";

const ENTITY_ID_FIELD: Record<EntityType, string> = {
  rep: "rep_id",
  account: "account_id",
  lead: "lead_id",
  deal: "deal_id",
  activity: "activity_id",
  survey: "response_id",
  subscription: "subscription_id",
};

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
export const LATEST_INSTANT_AFTER_RECEIPT_MS = 366 * 24 * 60 * 60 * 1000;

/** Whether an instant lies in the accepted window for a delivery received at `receivedAt`. */
export function inAcceptedWindow(instant: number, receivedAt: number): boolean {
  return instant >= EARLIEST_INSTANT && instant <= receivedAt + LATEST_INSTANT_AFTER_RECEIPT_MS;
}

function outsideWindow(event: CanonicalEvent, receivedAt: number): string | null {
  const named: [string, unknown][] = [["occurred_at", event.occurredAt], ["data.created_at", event.data.created_at], ["data.closed_at", event.data.closed_at]];
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
 * Validates one raw event; an invalid event is rejected whole (Precise rule 3). Its
 * instants must lie in the window above, counted from `receivedAt` (the delivery's receipt).
 */
export function validateEvent(raw: unknown, receivedAt: number = Date.now()): Validation {
  const outer = envelope.safeParse(raw);
  const rawId = typeof raw === "object" && raw !== null ? (raw as { id?: unknown }).id : undefined;
  const eventId = typeof rawId === "string" || typeof rawId === "number" ? String(rawId) : null;
  if (!outer.success) return { ok: false, eventId, reason: describe(outer.error, "") };
  const { type, occurred_at, data } = outer.data;
  // An own property only: "constructor" or "__proto__" are not event types.
  if (!Object.hasOwn(dataSchemas, type)) {
    return { ok: false, eventId, reason: `type: unknown event type ${JSON.stringify(type)}` };
  }
  const eventType = type as EventType;
  const parsed = dataSchemas[eventType].safeParse(data);
  if (!parsed.success) return { ok: false, eventId, reason: describe(parsed.error, "data") };
  const entityType = (eventType === "survey.responded" ? "survey" : eventType.split(".")[0]) as EntityType;
  const normalized = parsed.data as Record<string, unknown>;
  const event: CanonicalEvent = {
    id: outer.data.id,
    type: eventType,
    occurredAt: occurred_at,
    entityType,
    entityId: normalized[ENTITY_ID_FIELD[entityType]] as string,
    data: normalized,
  };
  const outside = outsideWindow(event, receivedAt);
  return outside ? { ok: false, eventId, reason: outside } : { ok: true, event };
}

/** Instants an event touches: its own and the created / closed instants it sets. */
export function instantsOf(event: CanonicalEvent): number[] {
  const instants = [event.occurredAt];
  for (const field of ["created_at", "closed_at"]) {
    const value = event.data[field];
    if (typeof value === "number") instants.push(value);
  }
  return instants;
}

// What the source adapters share: one result type for "mapped or not", readers of JSON
// bodies, the rejected-item builders that keep one bad item from failing its delivery, the
// signed-timestamp window, and small helpers every mapping uses.
import type { z } from "zod";
import { localMidnight } from "../../shared/months";
import { SECOND_MS } from "../../shared/units";
import type { Rejected } from "../model/apply";
import { ENTITIES } from "../model/entities";
import { parseInstant } from "../model/values";
import type { Normalized, Refusal } from "./adapter";

// ---- Mapped or not ------------------------------------------------------------------

/** Why something could not be mapped (or read): the reason a rejected item or a refusal carries. */
export type Unmapped = { ok: false; reason: string };

/** What a mapper makes of its input: a value, or the reason it cannot. Mappers return it, never throw it. */
export type Mapping<T> = { ok: true; value: T } | Unmapped;

export const mapped = <T>(value: T): Mapping<T> => ({ ok: true, value });
export const unmapped = (reason: string): Unmapped => ({ ok: false, reason });

// ---- JSON ---------------------------------------------------------------------------

/** The value of a JSON text: the one place adapters call JSON.parse. */
export function parseJson(text: string): Mapping<unknown> {
  try {
    return mapped(JSON.parse(text) as unknown);
  } catch {
    return unmapped("body is not JSON");
  }
}

/** A request body's JSON, or the 400 refusal for one that is not JSON (nothing is stored). */
export function parseJsonBody(body: string): { ok: true; value: unknown } | Refusal {
  const parsed = parseJson(body);
  return parsed.ok ? parsed : { ok: false, status: 400, reason: parsed.reason };
}

/** Longest raw text kept as the payload of a rejected item that is not JSON. */
const MAX_RAW_PAYLOAD_CHARS = 64 * 1024;

/** The JSON of a stored body, or the single rejected entry (position 0) for a body that is not JSON. */
export function parseStoredJson(body: string): { ok: true; value: unknown } | { ok: false; normalized: Normalized } {
  const parsed = parseJson(body);
  if (parsed.ok) return parsed;
  return {
    ok: false,
    normalized: { events: [], rejected: [rejectedItem(0, String(body).slice(0, MAX_RAW_PAYLOAD_CHARS), "stored body is not JSON")] },
  };
}

/** A connection's config as `schema` reads it, or the reason it cannot be read (an item's dead letter). */
export function connectionConfigOf<T>(schema: z.ZodType<T>, config: unknown): Mapping<T> {
  const parsed = schema.safeParse(config);
  return parsed.success ? mapped(parsed.data) : unmapped(`the connection's config is invalid: ${describeIssues(parsed.error, { prefix: "config" })}`);
}

/** zod's issues as one readable reason: `where: message; …`, each path led by `prefix` (or `root` where it is empty). */
export function describeIssues(error: z.ZodError, { prefix, root = "" }: { prefix?: string; root?: string } = {}): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map(String);
      return `${(prefix === undefined ? path : [prefix, ...path]).join(".") || root}: ${issue.message}`;
    })
    .join("; ");
}

/** zod's issue messages alone, for a value whose name the reason already gives. */
export function issueMessages(error: z.ZodError): string {
  return error.issues.map((issue) => issue.message).join("; ");
}

// ---- Rejected items: no stored body makes `normalize` throw ---------------------------

/** A readable reason for an error a mapper threw. */
export function thrownReason(error: unknown): string {
  let message: string;
  try {
    message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    message = "an unprintable error";
  }
  return `the item could not be mapped (${message.slice(0, 500)})`;
}

/** A payload a dead letter can store: what JSON.stringify cannot write becomes its (truncated) text. */
export function storablePayload(payload: unknown): unknown {
  try {
    JSON.stringify(payload);
    return payload;
  } catch {
    try {
      return String(payload).slice(0, MAX_RAW_PAYLOAD_CHARS);
    } catch {
      return null;
    }
  }
}

/** One rejected item. */
export function rejectedItem(
  position: number,
  payload: unknown,
  reason: string,
  eventId: string | null = null,
  occurredAt: number | null = null,
): Rejected {
  return { position, eventId, reason, payload: storablePayload(payload), occurredAt };
}

/**
 * Maps one item of a stored delivery: whatever `map` throws becomes a rejected entry at
 * `position` with a readable reason, so the items beside it are still mapped.
 */
export function isolateItem(position: number, payload: unknown, map: () => Normalized): Normalized {
  try {
    return map();
  } catch (error) {
    return { events: [], rejected: [rejectedItem(position, payload, thrownReason(error))] };
  }
}

/** Merges the results of a delivery's items. */
export function mergeNormalized(results: Normalized[]): Normalized {
  return { events: results.flatMap((r) => r.events), rejected: results.flatMap((r) => r.rejected) };
}

/** What is known of an item that is rejected: its event id and instant, for the month's warnings. */
export interface ItemIdentity {
  eventId?: string | null;
  occurredAt?: number | null;
}

/**
 * A delivery that holds one item (position 0): the events it maps to, numbered in order, or
 * the item rejected with the reason and what is known of it.
 */
export function itemResult(payload: unknown, mapping: Mapping<readonly unknown[]>, identity: ItemIdentity = {}): Normalized {
  if (!mapping.ok) {
    return { events: [], rejected: [rejectedItem(0, payload, mapping.reason, identity.eventId ?? null, identity.occurredAt ?? null)] };
  }
  return { events: mapping.value.map((event, position) => ({ position, event })), rejected: [] };
}

/** `normalize` of a kind that stores one JSON item per delivery: text that is no JSON, or a throwing mapper, rejects the item. */
export function normalizeJsonItem(body: string, map: (payload: unknown) => Normalized): Normalized {
  const stored = parseStoredJson(body);
  if (!stored.ok) return stored.normalized;
  const payload = stored.value;
  return isolateItem(0, payload, () => map(payload));
}

// ---- Signed timestamps ----------------------------------------------------------------

/**
 * How far a signed timestamp may lie from the receiver's clock. Older is a replay; far
 * ahead is most often a unit mix-up (milliseconds sent where seconds are signed).
 */
export interface TimestampWindow {
  maxAgeMs: number;
  /** Infinity where the scheme bounds the age only. */
  maxAheadMs: number;
}

export type Freshness = "fresh" | "too old" | "in the future";

/** Where a signed instant falls in a scheme's window (both in ms since the epoch). */
export function timestampFreshness(signedAtMs: number, nowMs: number, window: TimestampWindow): Freshness {
  const age = nowMs - signedAtMs;
  if (age > window.maxAgeMs) return "too old";
  if (age < -window.maxAheadMs) return "in the future";
  return "fresh";
}

/** The same for a Unix-seconds header: the clock is counted in whole seconds too, as those schemes' SDKs floor it. */
export function unixSecondsFreshness(timestamp: string, nowMs: number, window: TimestampWindow): Freshness {
  return timestampFreshness(Number(timestamp) * SECOND_MS, Math.floor(nowMs / SECOND_MS) * SECOND_MS, window);
}

// ---- Small helpers --------------------------------------------------------------------

/** Keeps the fields a payload carried: undefined means "not sent" (the field stays unchanged), null means "cleared". */
export function present(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

/**
 * `table[key]` for the table's own entries only: a key sent by the CRM such as
 * "constructor", "toString" or "__proto__" must not find Object.prototype's members.
 */
export function lookup<T>(table: Readonly<Record<string, T>>, key: string | null | undefined): T | undefined {
  return typeof key === "string" && Object.hasOwn(table, key) ? table[key] : undefined;
}

/** The last instant a Date can hold (±8.64e15 ms): beyond it toISOString throws. */
export const MAX_DATE_MS = 8_640_000_000_000_000;

/** ISO text of an epoch-ms instant, or null when no Date can hold it. */
export function isoOrNull(ms: number): string | null {
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS ? new Date(ms).toISOString() : null;
}

/** UTF-8 bytes of a text (HMAC keys and HTTP Basic credentials). */
export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

// ---- A CRM field checked against its native field -----------------------------------

/** The optional native fields a CRM's own (often custom) field may feed (docs/kpis.md, section F). */
const CHECKED_FIELDS = {
  deal: { term_months: ENTITIES.deal.fields.term_months.schema },
  lead: { score: ENTITIES.lead.fields.score.schema },
} as const;

export type CheckedField = { [E in keyof typeof CHECKED_FIELDS]: [E, keyof (typeof CHECKED_FIELDS)[E]] }[keyof typeof CHECKED_FIELDS];

/**
 * A CRM value for a native field, checked by that field's own schema (the one place its rule
 * lives, workers/model/entities.ts). A value the schema refuses comes back as the issue
 * instead: the caller leaves the field out (the record's other fields still applied) or
 * refuses the item, with that reason. undefined (not sent) stays absent; null or "" clears.
 */
export function checkedValue(
  [entity, field]: CheckedField,
  value: unknown,
  crmField: string,
): { value?: unknown; issue?: string } {
  if (value === undefined || value === null) return { value };
  if (value === "") return { value: null };
  const schema: z.ZodType = (CHECKED_FIELDS[entity] as Record<string, z.ZodType>)[field]!;
  const parsed = schema.safeParse(value);
  if (parsed.success) return { value };
  return { issue: `${crmField} ${JSON.stringify(value)} ${issueMessages(parsed.error)}` };
}

/** A CRM value for a native text field (competitor, lost_reason): text, "" clearing like null; anything else is the issue. */
export function checkedText(value: unknown, crmField: string): { value?: string | null; issue?: string } {
  if (value === undefined || value === null) return { value };
  if (typeof value === "string") return { value: value === "" ? null : value };
  return { issue: `${crmField} ${JSON.stringify(value)} is not text` };
}

// ---- A CRM's expected close date (the deal's plan) ------------------------------------

/** The year, month (1–12) and day of a calendar date "YYYY-MM-DD" that exists; null for any other text. */
export function calendarDay(text: string): [year: number, month: number, day: number] | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  // Date.UTC rolls 2026-02-30 over into March: such a day does not exist.
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day ? [year, month, day] : null;
}

/** Midnight of a calendar day in `timeZone`, as ISO text; null when `text` is no calendar day. */
export function localMidnightText(text: string, timeZone: string): string | null {
  const day = calendarDay(text);
  return day === null ? null : isoOrNull(localMidnight(...day, timeZone));
}

/**
 * A CRM's expected close date as the deal's `expected_close_at` (docs/kpis.md, rule 38). A
 * calendar day becomes midnight of that day in the workspace's time zone, so the plan lies
 * in the month the CRM shows; an ISO instant is kept as sent. undefined (not sent) stays
 * absent; null or "" clears. Anything else is the issue: the caller leaves the field out
 * and keeps the record (docs/spec-readings.md, "CRM fields").
 */
export function checkedPlanDate(value: unknown, crmField: string, timeZone: string): { value?: string | null; issue?: string } {
  if (value === undefined || value === null) return { value };
  if (value === "") return { value: null };
  if (typeof value === "string") {
    const midnight = localMidnightText(value, timeZone);
    if (midnight !== null) return { value: midnight };
    // An instant's own day must exist too: Date.parse rolls 2026-02-30T10:00Z over into March.
    const ms = calendarDay(value.trim().slice(0, 10)) === null ? null : parseInstant(value);
    if (ms !== null && isoOrNull(ms) !== null) return { value };
  }
  return { issue: `${crmField} ${JSON.stringify(value)} is not a date` };
}

// The interface every source adapter implements: verify a raw delivery, split it into
// stored deliveries with their dedupe keys, and map a stored delivery to native-format
// events. The ingest route and the queue consumer are the same for every kind.
import type { ConnectionKind } from "../db/schema";
import type { Rejected } from "../model/apply";

/** The request exactly as received: the body is the raw text, never re-serialized. */
export interface RawRequest {
  method: string;
  /** The full URL the sender called (scheme, host, path and query). */
  url: string;
  headers: Headers;
  body: string;
}

export interface ConnectionSecrets {
  id: string;
  kind: ConnectionKind;
  /** Decrypted secret, or null where the kind has none. */
  secret: string | null;
  config: Record<string, unknown>;
  /** The workspace's time zone, for sources that send calendar dates (e.g. a CloseDate). */
  timezone?: string;
}

/** 401 for bad credentials or signatures (the default); 400 for a body that cannot be read. */
export type Verdict = { ok: true } | { ok: false; reason: string; status?: 400 | 401 };

/** One unit of idempotent storage: the inbox is unique on (connection, deliveryId). */
export interface SplitDelivery {
  deliveryId: string;
  body: string;
  /** Headers the adapter needs again when normalizing. */
  headers: Record<string, string>;
}

export type SplitResult =
  | { ok: true; deliveries: SplitDelivery[] }
  | { ok: false; status: 400 | 413; reason: string };

export interface StoredDelivery {
  body: string;
  headers: Record<string, string>;
}

/** A native-format event (still unvalidated) and where it came from in the delivery. */
export interface MappedEvent {
  position: number;
  event: unknown;
}

export interface Normalized {
  events: MappedEvent[];
  /** What the adapter could not map, with the reason: never dropped silently. */
  rejected: Rejected[];
}

export interface SourceAdapter {
  kind: ConnectionKind;
  /** Checks the signature or credentials against the raw request, before anything is trusted. */
  verify(request: RawRequest, connection: ConnectionSecrets, now: number): Promise<Verdict>;
  /** Splits a verified request into deliveries; 400 when the body is not JSON / XML. */
  split(request: RawRequest): SplitResult;
  /** Maps one stored delivery to native events (pure: no I/O). */
  normalize(delivery: StoredDelivery, connection: ConnectionSecrets): Normalized;
  /** Status the sender expects for an accepted delivery. */
  acceptedStatus: 200 | 202;
  /** The exact answer a sender requires, for accepted and duplicate deliveries alike. */
  acknowledge?(): Response;
  /** The CRM's default deal stage order, used when the workspace sets none. */
  defaultStages: readonly string[];
  /** Deliveries are refused (401) until the connection has a secret. */
  requiresSecret: boolean;
}

/** A JSON body, or the 400 answer for one that is not JSON (nothing is stored). */
export function parseJsonBody(body: string): { ok: true; value: unknown } | { ok: false; status: 400; reason: string } {
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch {
    return { ok: false, status: 400, reason: "body is not JSON" };
  }
}

// ---- Per-item isolation: no stored body makes `normalize` throw ---------------------

/** Longest raw text kept as the payload of a rejected item that is not JSON. */
const MAX_RAW_PAYLOAD_CHARS = 64 * 1024;

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

/** The JSON of a stored body, or the single rejected entry (position 0) for a body that is not JSON. */
export function parseStoredJson(body: string): { ok: true; value: unknown } | { ok: false; normalized: Normalized } {
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch {
    return {
      ok: false,
      normalized: { events: [], rejected: [rejectedItem(0, String(body).slice(0, MAX_RAW_PAYLOAD_CHARS), "stored body is not JSON")] },
    };
  }
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

/** Merges the results of a delivery's items. */
export function mergeNormalized(results: Normalized[]): Normalized {
  return { events: results.flatMap((r) => r.events), rejected: results.flatMap((r) => r.rejected) };
}

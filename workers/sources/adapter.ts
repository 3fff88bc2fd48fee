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

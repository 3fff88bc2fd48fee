// The contract of a source adapter: everything about one CRM. It plans the connection's
// secret, verifies a raw delivery, splits it into stored deliveries with their dedupe keys,
// maps a stored delivery to native-format events, and signs requests as the CRM would (for
// the tests and the demo). The API, the ingest route and the queue consumer are the same
// for every kind; the shared pieces adapters build on are in ./kit.ts.
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

/**
 * The secret a connection keeps, decided when it is created or its secret / config change:
 * generated, the one the caller gave (checked), or none yet. A refusal names the request
 * field at fault; the API answers it as a 400.
 */
export type SecretPlan =
  | { ok: true; secret: string | null; /** Pipedrive's HTTP Basic user, shown with the secret. */ username?: string }
  | { ok: false; field: string; message: string };

/** 401 for bad credentials or signatures (the default); 400 for a body that cannot be read. */
export type Verdict = { ok: true } | { ok: false; reason: string; status?: 400 | 401 };

/** One unit of idempotent storage: the inbox is unique on (connection, deliveryId). */
export interface SplitDelivery {
  deliveryId: string;
  body: string;
  /** Headers the adapter needs again when normalizing. */
  headers: Record<string, string>;
}

/** A request refused before anything is stored: 400 for a body that cannot be read, 413 for too many items. */
export type Refusal = { ok: false; status: 400 | 413; reason: string };

export type SplitResult = { ok: true; deliveries: SplitDelivery[] } | Refusal;

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

/** A request a sender is about to make, as `sign` needs it. */
export interface OutgoingRequest {
  method: string;
  /** The connection's webhook_url exactly as the sender calls it. */
  url: string;
  body: string;
  /** When the request leaves, in ms since the epoch: every timestamped scheme signs it. */
  now: number;
  /** The sender's id of the message, for schemes that sign one (Standard Webhooks' webhook-id); made up when absent. */
  messageId?: string;
}

/** What the sender of a connection holds: its secret as the API gave it, and Pipedrive's user. */
export interface SenderCredentials {
  secret: string | null;
  username?: string;
}

export interface SourceAdapter {
  /**
   * The secret a connection of this kind keeps, from the secret the caller gave (if any)
   * and the connection's config. The kind's credential rules live here and nowhere else.
   */
  planSecret(given: string | undefined, config: Record<string, unknown>): SecretPlan;
  /** Deliveries are refused (401) until the connection has a secret. */
  requiresSecret: boolean;
  /** Checks the signature or credentials against the raw request, before anything is trusted. */
  verify(request: RawRequest, connection: ConnectionSecrets, now: number): Promise<Verdict>;
  /**
   * The headers the CRM would add to `request` so that `verify` accepts it: the one signer
   * of the scheme, used by the tests, the fuzz tests and the demo. Throws for credentials
   * the scheme cannot sign with.
   */
  sign(request: OutgoingRequest, credentials: SenderCredentials): Promise<Record<string, string>>;
  /** Splits a verified request into deliveries; 400 when the body is not JSON / XML. */
  split(request: RawRequest): SplitResult;
  /** Maps one stored delivery to native events (pure: no I/O, never throws). */
  normalize(delivery: StoredDelivery, connection: ConnectionSecrets): Normalized;
  /** Status the sender expects for an accepted delivery. */
  acceptedStatus: 200 | 202;
  /** The exact answer a sender requires, for accepted and duplicate deliveries alike. */
  acknowledge?(): Response;
  /** The CRM's default deal stage order, used when the workspace sets none. */
  defaultStages: readonly string[];
  /** Config keys a new connection starts with, under what the caller gives (existing connections keep theirs). */
  newConnectionConfig?: Readonly<Record<string, unknown>>;
}

// Native source: Standard Webhooks signatures over our own JSON event format
// (one event or {"events": [...]}, at most 1000 events).
import { base64ToBytes, hmacSha256 } from "../lib/crypto";
import {
  isolateItem,
  mergeNormalized,
  parseJsonBody,
  parseStoredJson,
  rejectedItem,
  type ConnectionSecrets,
  type Normalized,
  type RawRequest,
  type SourceAdapter,
  type Verdict,
} from "./adapter";

export const MAX_EVENTS_PER_DELIVERY = 1000;
export const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

/** Key bytes of a `whsec_<base64>` secret. */
function signingKey(secret: string): Uint8Array | null {
  return base64ToBytes(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret);
}

export async function verifyStandardWebhook(
  headers: Headers,
  body: string,
  secret: string,
  nowMs: number,
): Promise<Verdict> {
  const id = headers.get("webhook-id");
  const timestamp = headers.get("webhook-timestamp");
  const signatures = headers.get("webhook-signature");
  if (!id || !timestamp || !signatures) {
    return { ok: false, reason: "missing webhook-id, webhook-timestamp or webhook-signature header" };
  }
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "webhook-timestamp is not Unix seconds" };
  const skew = Math.floor(nowMs / 1000) - Number(timestamp);
  if (skew > TIMESTAMP_TOLERANCE_SECONDS) return { ok: false, reason: "webhook-timestamp is too old" };
  if (skew < -TIMESTAMP_TOLERANCE_SECONDS) return { ok: false, reason: "webhook-timestamp is in the future" };
  const key = signingKey(secret);
  if (!key) return { ok: false, reason: "connection secret is not whsec_<base64>" };
  const expected = await hmacSha256(key, `${id}.${timestamp}.${body}`);
  // Several signatures may be sent during a key rotation: any valid v1 passes.
  let valid = false;
  for (const entry of signatures.split(" ")) {
    const [version, signature] = entry.split(",", 2);
    if (version !== "v1" || !signature) continue;
    const candidate = base64ToBytes(signature);
    if (candidate && candidate.byteLength === expected.byteLength) {
      valid = crypto.subtle.timingSafeEqual(candidate, expected) || valid;
    }
  }
  return valid ? { ok: true } : { ok: false, reason: "no webhook-signature matches" };
}

/** The events of a native body: a single event object or {"events": [...]}. */
function eventsOf(parsed: unknown): unknown[] | null {
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return null;
  const events = (parsed as { events?: unknown }).events;
  if (events === undefined) return [parsed];
  return Array.isArray(events) ? events : null;
}

export const native: SourceAdapter = {
  kind: "native",
  acceptedStatus: 202,
  defaultStages: [],
  requiresSecret: true,

  verify(request: RawRequest, connection: ConnectionSecrets, now: number) {
    return verifyStandardWebhook(request.headers, request.body, connection.secret ?? "", now);
  },

  split(request) {
    const body = parseJsonBody(request.body);
    if (!body.ok) return body;
    const parsed = body.value;
    const events = eventsOf(parsed);
    if (!events) return { ok: false, status: 400, reason: 'body must be one event or {"events": [...]}' };
    if (events.length > MAX_EVENTS_PER_DELIVERY) {
      return { ok: false, status: 413, reason: `at most ${MAX_EVENTS_PER_DELIVERY} events per delivery` };
    }
    return {
      ok: true,
      deliveries: [{ deliveryId: request.headers.get("webhook-id") ?? "", body: request.body, headers: {} }],
    };
  },

  // The events are already native: each is passed on at its position, and validated (or
  // dead-lettered) by the consumer. A stored body that is no native body is one rejected item.
  normalize(delivery): Normalized {
    const stored = parseStoredJson(delivery.body);
    if (!stored.ok) return stored.normalized;
    const events = eventsOf(stored.value);
    if (!events) return { events: [], rejected: [rejectedItem(0, stored.value, 'stored body is not one event or {"events": [...]}')] };
    return mergeNormalized(events.map((event, position) => isolateItem(position, event, () => ({ events: [{ position, event }], rejected: [] }))));
  },
};

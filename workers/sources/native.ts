// Native source: Standard Webhooks signatures over our own JSON event format
// (one event or {"events": [...]}, at most 1000 events).
import { MINUTE_MS, SECOND_MS } from "../../shared/units";
import { base64ToBytes, bytesToBase64, hmacSha256, randomBytes } from "../lib/crypto";
import type { ConnectionSecrets, Normalized, RawRequest, SourceAdapter, Verdict } from "./adapter";
import { isolateItem, mergeNormalized, parseJsonBody, parseStoredJson, rejectedItem, unixSecondsFreshness } from "./kit";

export const MAX_EVENTS_PER_DELIVERY = 1000;

/** Standard Webhooks' recommended tolerance, both ways. */
const TIMESTAMP_WINDOW = { maxAgeMs: 5 * MINUTE_MS, maxAheadMs: 5 * MINUTE_MS };

// ---- The signature scheme (verify and sign share it) ---------------------------------

/** Key bytes of a `whsec_<base64>` secret (the prefix may be left out); null when it is not base64. */
function signingKey(secret: string): Uint8Array | null {
  return base64ToBytes(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret);
}

/** Standard Webhooks v1: HMAC-SHA256 of "id.timestamp.body" with the decoded key. */
function digest(key: Uint8Array, id: string, timestamp: string, body: string): Promise<Uint8Array> {
  return hmacSha256(key, `${id}.${timestamp}.${body}`);
}

/** The `webhook-signature` value a sender with `secret` sends: `v1,<base64>`. */
export async function standardSignature(secret: string, id: string, timestamp: string, body: string): Promise<string> {
  const key = signingKey(secret);
  if (!key) throw new Error("cannot sign: the secret is not whsec_<base64>");
  return `v1,${bytesToBase64(await digest(key, id, timestamp, body))}`;
}

/** What the API accepts as a given secret: whsec_ + base64 of 24–64 random bytes. */
function isStandardWebhooksSecret(secret: string): boolean {
  const key = secret.startsWith("whsec_") ? signingKey(secret) : null;
  return key !== null && key.byteLength >= 24 && key.byteLength <= 64;
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
  const freshness = unixSecondsFreshness(timestamp, nowMs, TIMESTAMP_WINDOW);
  if (freshness !== "fresh") return { ok: false, reason: `webhook-timestamp is ${freshness}` };
  const key = signingKey(secret);
  if (!key) return { ok: false, reason: "connection secret is not whsec_<base64>" };
  const expected = await digest(key, id, timestamp, body);
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

// ---- Payload -------------------------------------------------------------------------

/** The events of a native body: a single event object or {"events": [...]}. */
function eventsOf(parsed: unknown): unknown[] | null {
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return null;
  const events = (parsed as { events?: unknown }).events;
  if (events === undefined) return [parsed];
  return Array.isArray(events) ? events : null;
}

export const native: SourceAdapter = {
  acceptedStatus: 202,
  defaultStages: [],
  requiresSecret: true,

  // Generated unless the sender brings its own (a Svix or other Standard Webhooks sender).
  planSecret(given) {
    if (given === undefined) return { ok: true, secret: `whsec_${bytesToBase64(randomBytes(32))}` };
    return isStandardWebhooksSecret(given)
      ? { ok: true, secret: given }
      : { ok: false, field: "secret", message: "must be whsec_ followed by base64 of 24 to 64 bytes" };
  },

  verify(request: RawRequest, connection: ConnectionSecrets, now: number) {
    return verifyStandardWebhook(request.headers, request.body, connection.secret ?? "", now);
  },

  async sign({ body, now, messageId }, { secret }) {
    const id = messageId ?? `msg_${crypto.randomUUID()}`;
    const timestamp = String(Math.floor(now / SECOND_MS));
    return { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": await standardSignature(secret ?? "", id, timestamp, body) };
  },

  split(request) {
    const body = parseJsonBody(request.body);
    if (!body.ok) return body;
    const events = eventsOf(body.value);
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

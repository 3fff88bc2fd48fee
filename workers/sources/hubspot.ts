// HubSpot source: v3 signatures (v1/v2 fallback) over batched webhook arrays, mapped from
// deal / contact / company events and generic call / email / meeting objects to native events.
import { z } from "zod";
import { bytesToBase64, hmacSha256, sha256Hex, timingSafeEqualText } from "../lib/crypto";
import {
  isoOrNull,
  isolateItem,
  lookup,
  MAX_DATE_MS,
  parseJsonBody,
  parseStoredJson,
  rejectedItem,
  type ConnectionSecrets,
  type MappedEvent,
  type Normalized,
  type SourceAdapter,
  type Verdict,
} from "./adapter";

/** HubSpot's SDKs reject a v3 timestamp older than this; a later one is accepted. */
export const MAX_TIMESTAMP_AGE_MS = 5 * 60 * 1000;

/**
 * Events accepted in one request (HubSpot batches far fewer); a larger array is answered
 * 413 and nothing of it is stored, like the native format's MAX_EVENTS_PER_DELIVERY.
 */
export const MAX_EVENTS_PER_REQUEST = 1000;

/** The default pipeline's open stages in order; closedwon / closedlost set the status. */
export const HUBSPOT_DEFAULT_STAGES = [
  "appointmentscheduled",
  "qualifiedtobuy",
  "presentationscheduled",
  "decisionmakerboughtin",
  "contractsent",
] as const;

// HubSpot's documented set of percent-encodings to decode in the URI before hashing (v3);
// decodeURIComponent would also decode %20, %2B and others, and break valid signatures.
const V3_URI_DECODINGS: Record<string, string> = {
  "%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$",
  "%27": "'", "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";",
};

export function decodeHubSpotUri(uri: string): string {
  return uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (code) => V3_URI_DECODINGS[code.toUpperCase()]!);
}

export async function verifyHubSpot(
  method: string,
  url: string,
  headers: Headers,
  body: string,
  clientSecret: string,
  now: number,
): Promise<Verdict> {
  const v3 = headers.get("x-hubspot-signature-v3");
  if (v3) {
    // The timestamp is kept as the header string for signing (sources.md §9.4).
    const timestamp = headers.get("x-hubspot-request-timestamp");
    if (!timestamp || !/^\d+$/.test(timestamp)) return { ok: false, reason: "missing X-HubSpot-Request-Timestamp" };
    if (now - Number(timestamp) > MAX_TIMESTAMP_AGE_MS) {
      return { ok: false, reason: "X-HubSpot-Request-Timestamp is older than 5 minutes (it is in milliseconds)" };
    }
    const signed = `${method}${decodeHubSpotUri(url)}${body}${timestamp}`;
    const expected = bytesToBase64(await hmacSha256(new TextEncoder().encode(clientSecret), signed));
    return timingSafeEqualText(v3, expected) ? { ok: true } : { ok: false, reason: "X-HubSpot-Signature-v3 does not match" };
  }
  const legacy = headers.get("x-hubspot-signature");
  if (!legacy) return { ok: false, reason: "missing X-HubSpot-Signature-v3 (or a v1/v2 X-HubSpot-Signature)" };
  const version = (headers.get("x-hubspot-signature-version") ?? "v1").toLowerCase();
  if (version !== "v1" && version !== "v2") return { ok: false, reason: `unknown X-HubSpot-Signature-Version ${version}` };
  const expected = await sha256Hex(version === "v1" ? clientSecret + body : clientSecret + method + url + body);
  return timingSafeEqualText(legacy.toLowerCase(), expected) ? { ok: true } : { ok: false, reason: `X-HubSpot-Signature (${version}) does not match` };
}

const hubspotEvent = z.object({
  eventId: z.union([z.number(), z.string()]),
  subscriptionId: z.union([z.number(), z.string()]).optional(),
  portalId: z.union([z.number(), z.string()]).optional(),
  occurredAt: z.number().int().positive().max(MAX_DATE_MS, "is beyond the last instant a date can hold"),
  subscriptionType: z.string(),
  objectId: z.union([z.number(), z.string()]).optional(),
  objectTypeId: z.string().optional(),
  propertyName: z.string().optional(),
  propertyValue: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
  fromObjectId: z.union([z.number(), z.string()]).optional(),
  toObjectId: z.union([z.number(), z.string()]).optional(),
  fromObjectTypeId: z.string().optional(),
  toObjectTypeId: z.string().optional(),
  associationType: z.string().optional(),
  associationRemoved: z.boolean().optional(),
});
type HubSpotEvent = z.infer<typeof hubspotEvent>;

/** eventId is not unique (HubSpot docs): the dedupe key combines it with what changed. */
export function dedupeKey(event: Record<string, unknown>): string {
  return [event.portalId, event.subscriptionId, event.eventId, event.objectId ?? event.fromObjectId, event.propertyName ?? event.toObjectId, event.occurredAt]
    .map(keyPart)
    .join(":");
}

/** A primitive as text; anything else as its JSON (String() of `{"toString": 1}` would throw). */
function keyPart(part: unknown): string {
  if (part === undefined || part === null) return "";
  if (typeof part === "string" || typeof part === "number" || typeof part === "boolean") return String(part);
  return JSON.stringify(part) ?? "";
}

/** FNV-1a (64 bits, as hex) of a text: a short, stable key for an item with no HubSpot identity. */
function contentHash(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0xcbf29ce4;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c ^ (h1 >>> 7), 0x01000193) >>> 0;
  }
  return h1.toString(16).padStart(8, "0") + h2.toString(16).padStart(8, "0");
}

/**
 * The inbox key of one item of a batch. An event with an eventId keeps HubSpot's composite
 * key; anything else (not an object, no eventId) is keyed by its content, so that two
 * different unmappable items are not taken for duplicates of each other.
 */
export function deliveryIdOf(item: unknown, json: string): string {
  const eventId = typeof item === "object" && item !== null && !Array.isArray(item) ? (item as { eventId?: unknown }).eventId : undefined;
  if (typeof eventId === "string" || typeof eventId === "number") return dedupeKey(item as Record<string, unknown>);
  return `invalid:${contentHash(json)}`;
}

/** Generic webhook object types (the only HubSpot push route for activities). */
const ACTIVITY_OBJECT_TYPES: Record<string, string> = { "0-48": "call", "0-49": "email", "0-47": "meeting", "0-27": "task", "0-46": "note" };
const OBJECT_TYPE_IDS: Record<string, "lead" | "account" | "deal"> = { "0-1": "lead", "0-2": "account", "0-3": "deal" };

const LIFECYCLE: Record<string, string> = {
  subscriber: "subscriber",
  lead: "lead",
  marketingqualifiedlead: "mql",
  salesqualifiedlead: "sql",
  opportunity: "opportunity",
  customer: "customer",
  evangelist: "customer",
};

const DEAL_TYPES: Record<string, string> = { newbusiness: "new", existingbusiness: "expansion", renewal: "renewal" };

const text = (value: HubSpotEvent["propertyValue"]): string | null => (value === null || value === undefined || value === "" ? null : String(value));

/** HubSpot dates arrive as epoch milliseconds (as a string) or ISO text. */
function instant(value: HubSpotEvent["propertyValue"]): string | null {
  const raw = text(value);
  if (raw === null) return null;
  // An epoch no date can hold stays text, so that event validation rejects it with its reason.
  return /^\d+$/.test(raw) ? (isoOrNull(Number(raw)) ?? raw) : raw;
}

type Mapping = { data: Record<string, unknown> } | { reason: string };

function stringList(config: Record<string, unknown>, key: string, fallback: string[]): string[] {
  const value = config[key];
  return Array.isArray(value) && value.every((v) => typeof v === "string") ? (value as string[]) : fallback;
}

function dealProperty(name: string, value: HubSpotEvent["propertyValue"], config: Record<string, unknown>): Mapping {
  switch (name) {
    case "dealstage": {
      const stage = text(value);
      // Custom pipelines use stage ids: a connection may list which ones close the deal.
      const won = stringList(config, "closed_won_stages", ["closedwon"]);
      const lost = stringList(config, "closed_lost_stages", ["closedlost"]);
      const status = stage !== null && won.includes(stage) ? "won" : stage !== null && lost.includes(stage) ? "lost" : "open";
      return { data: { stage, status } };
    }
    case "amount":
      return { data: { amount: text(value) } };
    case "deal_currency_code":
      return { data: { currency: text(value) } };
    case "hubspot_owner_id":
      return { data: { owner_rep_id: text(value) } };
    case "closedate":
      return { data: { closed_at: instant(value) } };
    case "createdate":
      return { data: { created_at: instant(value) } };
    case "pipeline":
      return { data: { pipeline: text(value) } };
    case "dealname":
      return { data: { name: text(value) } };
    case "hs_analytics_source":
      return { data: { source: text(value)?.toLowerCase() ?? null } };
    case "dealtype": {
      const kind = text(value);
      if (kind === null) return { data: { kind: null } };
      const mapped = lookup(DEAL_TYPES, kind.toLowerCase());
      return mapped ? { data: { kind: mapped } } : { reason: `dealtype ${JSON.stringify(kind)} has no canonical kind` };
    }
    default:
      return { reason: `deal property ${name} is not mapped` };
  }
}

function contactProperty(name: string, value: HubSpotEvent["propertyValue"]): Mapping {
  switch (name) {
    case "lifecyclestage": {
      const stage = text(value);
      if (stage === null) return { data: { stage: null } };
      const mapped = lookup(LIFECYCLE, stage.toLowerCase());
      return mapped ? { data: { stage: mapped } } : { reason: `lifecyclestage ${JSON.stringify(stage)} has no canonical stage` };
    }
    case "hubspot_owner_id":
      return { data: { owner_rep_id: text(value) } };
    case "hs_analytics_source":
      return { data: { source: text(value)?.toLowerCase() ?? null } };
    case "associatedcompanyid":
      return { data: { account_id: text(value) } };
    case "createdate":
      return { data: { created_at: instant(value) } };
    default:
      return { reason: `contact property ${name} is not mapped` };
  }
}

function companyProperty(name: string, value: HubSpotEvent["propertyValue"]): Mapping {
  const field = lookup({ name: "name", industry: "industry", hubspot_owner_id: "owner_rep_id", region: "region", segment: "segment" }, name);
  return field ? { data: { [field]: text(value) } } : { reason: `company property ${name} is not mapped` };
}

const ACTIVITY_OUTCOMES: Record<string, string> = {
  SCHEDULED: "scheduled", RESCHEDULED: "scheduled", COMPLETED: "held", CANCELED: "canceled", NO_SHOW: "no_show",
};

function activityProperty(name: string, value: HubSpotEvent["propertyValue"]): Mapping {
  const raw = text(value);
  switch (name) {
    case "hubspot_owner_id":
      return { data: { rep_id: raw } };
    case "hs_call_direction":
      return { data: { direction: raw === null ? null : raw.toUpperCase() === "INBOUND" ? "inbound" : "outbound" } };
    case "hs_email_direction":
      return { data: { direction: raw === null ? null : raw.toUpperCase() === "INCOMING_EMAIL" ? "inbound" : "outbound" } };
    case "hs_call_duration":
      // HubSpot stores call durations in milliseconds.
      return raw !== null && !/^\d+(\.\d+)?$/.test(raw) ? { reason: `hs_call_duration ${JSON.stringify(raw)} is not a number` } : { data: { duration_seconds: raw === null ? null : Number(raw) / 1000 } };
    case "hs_meeting_outcome": {
      if (raw === null) return { data: { outcome: null } };
      const outcome = lookup(ACTIVITY_OUTCOMES, raw.toUpperCase());
      return outcome ? { data: { outcome } } : { reason: `hs_meeting_outcome ${JSON.stringify(raw)} has no canonical outcome` };
    }
    default:
      return { reason: `activity property ${name} is not mapped` };
  }
}

/** Which canonical field an association sets on the object it starts from. */
const ASSOCIATION_FIELDS: Record<string, { from: "deal" | "lead"; field: string }> = {
  DEAL_TO_COMPANY: { from: "deal", field: "account_id" },
  DEAL_TO_CONTACT: { from: "deal", field: "lead_id" },
  CONTACT_TO_COMPANY: { from: "lead", field: "account_id" },
};

const ACTIVITY_LINKS: Record<string, string> = { lead: "lead_id", account: "account_id", deal: "deal_id" };

function mapEvent(event: HubSpotEvent, config: Record<string, unknown>): { type: string; data: Record<string, unknown> } | { reason: string } {
  const [objectName, action] = event.subscriptionType.split(".") as [string, string | undefined];
  const objectId = event.objectId === undefined ? null : String(event.objectId);
  const idField = lookup({ deal: "deal_id", contact: "lead_id", company: "account_id" }, objectName);
  const canonical = lookup({ deal: "deal", contact: "lead", company: "account" }, objectName);

  if (idField && canonical) {
    if (action === "associationChange") {
      const link = lookup(ASSOCIATION_FIELDS, event.associationType);
      if (!link || event.fromObjectId === undefined || (!event.associationRemoved && event.toObjectId === undefined)) return { reason: `association ${event.associationType ?? "(none)"} is not mapped` };
      const value = event.associationRemoved ? null : String(event.toObjectId);
      return { type: `${link.from}.upserted`, data: { [`${link.from}_id`]: String(event.fromObjectId), [link.field]: value } };
    }
    if (objectId === null) return { reason: "objectId is missing" };
    if (action === "creation") {
      return { type: `${canonical}.upserted`, data: { [idField]: objectId, ...(canonical === "account" ? {} : { created_at: new Date(event.occurredAt).toISOString() }) } };
    }
    if (action === "deletion" || action === "privacyDeletion") return { type: `${canonical}.deleted`, data: { [idField]: objectId } };
    if (action === "propertyChange") {
      if (!event.propertyName) return { reason: "propertyChange without propertyName" };
      const mapping =
        canonical === "deal" ? dealProperty(event.propertyName, event.propertyValue, config)
        : canonical === "lead" ? contactProperty(event.propertyName, event.propertyValue)
        : companyProperty(event.propertyName, event.propertyValue);
      return "reason" in mapping ? mapping : { type: `${canonical}.upserted`, data: { [idField]: objectId, ...mapping.data } };
    }
    return { reason: `${event.subscriptionType} is not mapped` };
  }

  if (objectName === "object") {
    if (action === "associationChange") {
      const activityType = lookup(ACTIVITY_OBJECT_TYPES, event.fromObjectTypeId);
      const target = lookup(OBJECT_TYPE_IDS, event.toObjectTypeId);
      if (!activityType || !target || event.fromObjectId === undefined || (!event.associationRemoved && event.toObjectId === undefined)) return { reason: "association between these object types is not mapped" };
      return {
        type: "activity.logged",
        data: { activity_id: String(event.fromObjectId), type: activityType, [ACTIVITY_LINKS[target]!]: event.associationRemoved ? null : String(event.toObjectId) },
      };
    }
    const activityType = lookup(ACTIVITY_OBJECT_TYPES, event.objectTypeId);
    if (!activityType) return { reason: `object type ${event.objectTypeId ?? "(none)"} is not mapped` };
    if (objectId === null) return { reason: "objectId is missing" };
    if (action === "creation") return { type: "activity.logged", data: { activity_id: objectId, type: activityType } };
    if (action === "propertyChange") {
      if (!event.propertyName) return { reason: "propertyChange without propertyName" };
      const mapping = activityProperty(event.propertyName, event.propertyValue);
      return "reason" in mapping ? mapping : { type: "activity.logged", data: { activity_id: objectId, type: activityType, ...mapping.data } };
    }
    return { reason: `${event.subscriptionType} of activities is not mapped (the native model has no activity deletion)` };
  }
  return { reason: `subscription type ${event.subscriptionType} is not mapped` };
}

export const hubspot: SourceAdapter = {
  kind: "hubspot",
  acceptedStatus: 200,
  defaultStages: HUBSPOT_DEFAULT_STAGES,
  requiresSecret: true,

  verify(request, connection: ConnectionSecrets, now) {
    return verifyHubSpot(request.method, request.url, request.headers, request.body, connection.secret ?? "", now);
  },

  // One inbox row per event of the batch, so a retried batch regrouped differently still dedupes.
  split(request) {
    const body = parseJsonBody(request.body);
    if (!body.ok) return body;
    const parsed = body.value;
    if (!Array.isArray(parsed)) return { ok: false, status: 400, reason: "a HubSpot delivery is a JSON array of events" };
    // Nothing to store: an inbox write of no rows would fail (a 503, retried for a day).
    if (parsed.length === 0) return { ok: false, status: 400, reason: "a HubSpot delivery carries at least one event" };
    if (parsed.length > MAX_EVENTS_PER_REQUEST) {
      return { ok: false, status: 413, reason: `at most ${MAX_EVENTS_PER_REQUEST} events per request` };
    }
    const deliveries = [];
    for (const event of parsed as unknown[]) {
      let json: string;
      try {
        json = JSON.stringify(event) ?? "null";
      } catch {
        // Nested deeper than the stack allows: no event looks like that.
        return { ok: false, status: 400, reason: "an event of the batch is nested too deeply" };
      }
      deliveries.push({ deliveryId: deliveryIdOf(event, json), body: json, headers: {} });
    }
    return { ok: true, deliveries };
  },

  // Each stored delivery is one event, at position 0: whatever it holds, it is mapped or rejected.
  normalize(delivery, connection): Normalized {
    const stored = parseStoredJson(delivery.body);
    if (!stored.ok) return stored.normalized;
    const raw = stored.value;
    return isolateItem(0, raw, () => normalizeEvent(raw, connection.config));
  },
};

function normalizeEvent(raw: unknown, config: Record<string, unknown>): Normalized {
  const parsed = hubspotEvent.safeParse(raw);
  const rejected: Normalized["rejected"] = [];
  const events: MappedEvent[] = [];
  if (!parsed.success) {
    const reason = parsed.error.issues.map((i) => `${i.path.join(".") || "event"}: ${i.message}`).join("; ");
    rejected.push(rejectedItem(0, raw, reason));
    return { events, rejected };
  }
  const event = parsed.data;
  const id = `hs:${dedupeKey(event)}`;
  const mapped = mapEvent(event, config);
  if ("reason" in mapped) {
    rejected.push(rejectedItem(0, raw, mapped.reason, id, event.occurredAt));
  } else {
    events.push({ position: 0, event: { id, type: mapped.type, occurred_at: new Date(event.occurredAt).toISOString(), data: mapped.data } });
  }
  return { events, rejected };
}

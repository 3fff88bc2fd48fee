// HubSpot source: v3 signatures (v1/v2 fallback) over batched webhook arrays, mapped from
// deal / contact / company events and generic call / email / meeting objects to native events.
import { z } from "zod";
import { MINUTE_MS, SECOND_MS } from "../../shared/units";
import { bytesToBase64, hmacSha256, sha256Hex, timingSafeEqualText } from "../lib/crypto";
import { parseInstant } from "../model/events";
import type { ConnectionSecrets, Normalized, SourceAdapter, SplitDelivery, Verdict } from "./adapter";
import {
  checkedValue,
  describeIssues,
  isoOrNull,
  itemResult,
  lookup,
  MAX_DATE_MS,
  type Mapping,
  mapped,
  normalizeJsonItem,
  parseJsonBody,
  timestampFreshness,
  unmapped,
  utf8,
} from "./kit";

/**
 * HubSpot's SDKs reject a v3 timestamp older than 5 minutes; one more than 5 minutes ahead
 * (a clock skew no sender has, or a request signed for replay later) is refused too.
 */
const TIMESTAMP_WINDOW = { maxAgeMs: 5 * MINUTE_MS, maxAheadMs: 5 * MINUTE_MS };

/**
 * The config a new HubSpot connection starts with (under what the caller gives):
 * `require_v3` refuses v1 / v2 signatures, which carry no timestamp and so can be replayed.
 * A connection created before the key existed has none and keeps the fallback.
 */
export const HUBSPOT_NEW_CONNECTION_CONFIG: Readonly<Record<string, unknown>> = { require_v3: true };

export interface HubSpotVerifyOptions {
  /** Refuse a request without the v3 headers (the connection's `require_v3`). */
  requireV3?: boolean;
}

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

// ---- The signature scheme (verify and sign share it) ---------------------------------

// HubSpot's documented set of percent-encodings to decode in the URI before hashing (v3);
// decodeURIComponent would also decode %20, %2B and others, and break valid signatures.
const V3_URI_DECODINGS: Record<string, string> = {
  "%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$",
  "%27": "'", "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";",
};

export function decodeHubSpotUri(uri: string): string {
  return uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (code) => V3_URI_DECODINGS[code.toUpperCase()]!);
}

/**
 * v3: base64 HMAC-SHA256, keyed with the client secret, of method + URI + body + timestamp.
 * `uri` is taken as signed: callers pass it through decodeHubSpotUri. The timestamp is the
 * header string as sent (docs/crms/hubspot.md): re-formatting the number breaks signatures.
 */
export async function hubspotV3Signature(clientSecret: string, method: string, uri: string, body: string, timestamp: string): Promise<string> {
  return bytesToBase64(await hmacSha256(utf8(clientSecret), `${method}${uri}${body}${timestamp}`));
}

/** v1 / v2 (legacy): hex SHA-256 of the secret + body (v1), or secret + method + URL + body (v2). */
function legacySignature(version: "v1" | "v2", clientSecret: string, method: string, url: string, body: string): Promise<string> {
  return sha256Hex(version === "v1" ? clientSecret + body : clientSecret + method + url + body);
}

export async function verifyHubSpot(
  method: string,
  url: string,
  headers: Headers,
  body: string,
  clientSecret: string,
  now: number,
  { requireV3 = false }: HubSpotVerifyOptions = {},
): Promise<Verdict> {
  const v3 = headers.get("x-hubspot-signature-v3");
  if (v3) {
    const timestamp = headers.get("x-hubspot-request-timestamp");
    if (!timestamp || !/^\d+$/.test(timestamp)) return { ok: false, reason: "missing X-HubSpot-Request-Timestamp" };
    const freshness = timestampFreshness(Number(timestamp), now, TIMESTAMP_WINDOW);
    if (freshness !== "fresh") {
      const why = freshness === "too old" ? "is older than 5 minutes (it is in milliseconds)" : "is more than 5 minutes in the future";
      return { ok: false, reason: `X-HubSpot-Request-Timestamp ${why}` };
    }
    const expected = await hubspotV3Signature(clientSecret, method, decodeHubSpotUri(url), body, timestamp);
    return timingSafeEqualText(v3, expected) ? { ok: true } : { ok: false, reason: "X-HubSpot-Signature-v3 does not match" };
  }
  if (requireV3) {
    return {
      ok: false,
      reason: "this connection requires X-HubSpot-Signature-v3 with X-HubSpot-Request-Timestamp (require_v3); v1 / v2 signatures are refused",
    };
  }
  const legacy = headers.get("x-hubspot-signature");
  if (!legacy) return { ok: false, reason: "missing X-HubSpot-Signature-v3 (or a v1/v2 X-HubSpot-Signature)" };
  const version = (headers.get("x-hubspot-signature-version") ?? "v1").toLowerCase();
  if (version !== "v1" && version !== "v2") return { ok: false, reason: `unknown X-HubSpot-Signature-Version ${version}` };
  const expected = await legacySignature(version, clientSecret, method, url, body);
  return timingSafeEqualText(legacy.toLowerCase(), expected) ? { ok: true } : { ok: false, reason: `X-HubSpot-Signature (${version}) does not match` };
}

// ---- Payload -------------------------------------------------------------------------

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

/** The fields one property change sets. */
type Fields = Mapping<Record<string, unknown>>;

function stringList(config: Record<string, unknown>, key: string, fallback: string[]): string[] {
  const value = config[key];
  return Array.isArray(value) && value.every((v) => typeof v === "string") ? (value as string[]) : fallback;
}

/**
 * The deal properties whose ratio is the contract term: HubSpot calculates both from the
 * deal's recurring line items, in one write, so their changes share the deal and the
 * instant. Each names its partner.
 */
const CONTRACT_VALUE_PARTNERS: Readonly<Record<string, string>> = { hs_tcv: "hs_acv", hs_acv: "hs_tcv" };

/**
 * The stored header (set by `split`, never taken from the request) holding the value of
 * the partner property found in the same batch, for the same deal at the same instant:
 * hs_acv for hs_tcv and back, the dealstage for a closedate.
 */
export const PAIRED_VALUE_HEADER = "x-quotient-paired-value";

/** A non-negative decimal of a contract value; anything else is none. */
function contractValue(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : null;
  return typeof value === "string" && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : null;
}

/** How far 12 × TCV / ACV may lie from a whole number of months: cents rounded in HubSpot's ACV. */
const TERM_TOLERANCE_MONTHS = 0.01;

/**
 * The contract term in months: 12 × total contract value / annual contract value, when
 * both are positive and the ratio is a whole number ≥ 1 (within cent rounding); otherwise
 * none, so that the deal event stays valid (docs/crms/hubspot.md, "Contract term").
 */
export function termFromContractValues(tcv: unknown, acv: unknown): number | null {
  const total = contractValue(tcv);
  const annual = contractValue(acv);
  if (total === null || annual === null || total <= 0 || annual <= 0) return null;
  const months = (12 * total) / annual;
  const whole = Math.round(months);
  return whole >= 1 && Number.isSafeInteger(whole) && Math.abs(months - whole) <= TERM_TOLERANCE_MONTHS ? whole : null;
}

/** The connection's custom deal property holding the competitor (`config.competitor_property`), if it names one. */
function competitorProperty(config: Record<string, unknown>): string | null {
  const name = config.competitor_property;
  return typeof name === "string" && name !== "" ? name : null;
}

/** The status a deal stage gives: custom pipelines use stage ids, and a connection may list which ones close the deal. */
function statusOfStage(stage: string | null, config: Record<string, unknown>): "open" | "won" | "lost" {
  const won = stringList(config, "closed_won_stages", ["closedwon"]);
  const lost = stringList(config, "closed_lost_stages", ["closedlost"]);
  return stage !== null && won.includes(stage) ? "won" : stage !== null && lost.includes(stage) ? "lost" : "open";
}

/**
 * What a `closedate` sets. HubSpot's close date is the expected one while the deal is open
 * and the close once it is won or lost (HubSpot sets it to the day of the closing stage
 * change, in that write). The event carries the property alone, so the `dealstage` of the
 * same write (same deal and `occurredAt`, in the batch; `paired`) tells which it is: a
 * closing stage makes it `closed_at`, an open one `expected_close_at`. Alone, it sets both:
 * each is read only where it applies — closed_at of a closed deal (docs/kpis.md, rule 5),
 * the plan of an open one (rule 38) — as docs/crms/hubspot.md explains.
 */
function closeDateFields(value: HubSpotEvent["propertyValue"], config: Record<string, unknown>, pairedStage?: string): Fields {
  const date = instant(value);
  if (date !== null && parseInstant(date) === null) return unmapped(`closedate ${JSON.stringify(value)} is not a date`);
  if (pairedStage === undefined) return mapped({ closed_at: date, expected_close_at: date });
  return mapped(statusOfStage(pairedStage, config) === "open" ? { expected_close_at: date } : { closed_at: date });
}

function dealProperty(name: string, value: HubSpotEvent["propertyValue"], config: Record<string, unknown>, paired?: string): Fields {
  if (name === competitorProperty(config)) return mapped({ competitor: text(value) });
  switch (name) {
    case "dealstage": {
      const stage = text(value);
      return mapped({ stage, status: statusOfStage(stage, config) });
    }
    case "amount":
      return mapped({ amount: text(value) });
    case "deal_currency_code":
      return mapped({ currency: text(value) });
    case "hubspot_owner_id":
      return mapped({ owner_rep_id: text(value) });
    case "closedate":
      return closeDateFields(value, config, paired);
    case "createdate":
      return mapped({ created_at: instant(value) });
    case "pipeline":
      return mapped({ pipeline: text(value) });
    case "dealname":
      return mapped({ name: text(value) });
    case "hs_analytics_source":
      return mapped({ source: text(value)?.toLowerCase() ?? null });
    case "closed_lost_reason":
      return mapped({ lost_reason: text(value) });
    case "hs_tcv":
    case "hs_acv": {
      // Without its partner from the same write, or with a ratio that is no whole number of
      // months, the term is left out: the deal event stays, carrying nothing else.
      const term = termFromContractValues(name === "hs_tcv" ? value : paired, name === "hs_acv" ? value : paired);
      return mapped(term === null ? {} : { term_months: term });
    }
    case "dealtype": {
      const kind = text(value);
      if (kind === null) return mapped({ kind: null });
      const dealKind = lookup(DEAL_TYPES, kind.toLowerCase());
      return dealKind ? mapped({ kind: dealKind }) : unmapped(`dealtype ${JSON.stringify(kind)} has no canonical kind`);
    }
    default:
      return unmapped(`deal property ${name} is not mapped`);
  }
}

function contactProperty(name: string, value: HubSpotEvent["propertyValue"]): Fields {
  switch (name) {
    case "lifecyclestage": {
      const stage = text(value);
      if (stage === null) return mapped({ stage: null });
      const lifecycle = lookup(LIFECYCLE, stage.toLowerCase());
      return lifecycle ? mapped({ stage: lifecycle }) : unmapped(`lifecyclestage ${JSON.stringify(stage)} has no canonical stage`);
    }
    case "hubspot_owner_id":
      return mapped({ owner_rep_id: text(value) });
    case "hs_analytics_source":
      return mapped({ source: text(value)?.toLowerCase() ?? null });
    case "associatedcompanyid":
      return mapped({ account_id: text(value) });
    case "hubspotscore": {
      // HubSpot scores are points and may leave 0–100: such a score is refused with the
      // native field's reason rather than clamped (the event carries nothing else).
      const raw = text(value);
      const { issue } = checkedValue(["lead", "score"], raw, "hubspotscore");
      return issue === undefined ? mapped({ score: raw === null ? null : Number(raw) }) : unmapped(issue);
    }
    case "createdate":
      return mapped({ created_at: instant(value) });
    default:
      return unmapped(`contact property ${name} is not mapped`);
  }
}

function companyProperty(name: string, value: HubSpotEvent["propertyValue"]): Fields {
  const field = lookup({ name: "name", industry: "industry", hubspot_owner_id: "owner_rep_id", region: "region", segment: "segment" }, name);
  return field ? mapped({ [field]: text(value) }) : unmapped(`company property ${name} is not mapped`);
}

const ACTIVITY_OUTCOMES: Record<string, string> = {
  SCHEDULED: "scheduled", RESCHEDULED: "scheduled", COMPLETED: "held", CANCELED: "canceled", NO_SHOW: "no_show",
};

function activityProperty(name: string, value: HubSpotEvent["propertyValue"]): Fields {
  const raw = text(value);
  switch (name) {
    case "hubspot_owner_id":
      return mapped({ rep_id: raw });
    case "hs_call_direction":
      return mapped({ direction: raw === null ? null : raw.toUpperCase() === "INBOUND" ? "inbound" : "outbound" });
    case "hs_email_direction":
      return mapped({ direction: raw === null ? null : raw.toUpperCase() === "INCOMING_EMAIL" ? "inbound" : "outbound" });
    case "hs_call_duration":
      // HubSpot stores call durations in milliseconds.
      return raw !== null && !/^\d+(\.\d+)?$/.test(raw) ? unmapped(`hs_call_duration ${JSON.stringify(raw)} is not a number`) : mapped({ duration_seconds: raw === null ? null : Number(raw) / SECOND_MS });
    case "hs_meeting_outcome": {
      if (raw === null) return mapped({ outcome: null });
      const outcome = lookup(ACTIVITY_OUTCOMES, raw.toUpperCase());
      return outcome ? mapped({ outcome }) : unmapped(`hs_meeting_outcome ${JSON.stringify(raw)} has no canonical outcome`);
    }
    default:
      return unmapped(`activity property ${name} is not mapped`);
  }
}

/** Which canonical field an association sets on the object it starts from. */
const ASSOCIATION_FIELDS: Record<string, { from: "deal" | "lead"; field: string }> = {
  DEAL_TO_COMPANY: { from: "deal", field: "account_id" },
  DEAL_TO_CONTACT: { from: "deal", field: "lead_id" },
  CONTACT_TO_COMPANY: { from: "lead", field: "account_id" },
};

const ACTIVITY_LINKS: Record<string, string> = { lead: "lead_id", account: "account_id", deal: "deal_id" };

/** The one native event a HubSpot event becomes (without its id and instant, which are the same for all). */
type Draft = { type: string; data: Record<string, unknown> };

function mapEvent(event: HubSpotEvent, config: Record<string, unknown>, paired?: string): Mapping<Draft> {
  const [objectName, action] = event.subscriptionType.split(".") as [string, string | undefined];
  const objectId = event.objectId === undefined ? null : String(event.objectId);
  const idField = lookup({ deal: "deal_id", contact: "lead_id", company: "account_id" }, objectName);
  const canonical = lookup({ deal: "deal", contact: "lead", company: "account" }, objectName);

  if (idField && canonical) {
    if (action === "associationChange") {
      const link = lookup(ASSOCIATION_FIELDS, event.associationType);
      if (!link || event.fromObjectId === undefined || (!event.associationRemoved && event.toObjectId === undefined)) return unmapped(`association ${event.associationType ?? "(none)"} is not mapped`);
      const value = event.associationRemoved ? null : String(event.toObjectId);
      return mapped({ type: `${link.from}.upserted`, data: { [`${link.from}_id`]: String(event.fromObjectId), [link.field]: value } });
    }
    if (objectId === null) return unmapped("objectId is missing");
    if (action === "creation") {
      return mapped({ type: `${canonical}.upserted`, data: { [idField]: objectId, ...(canonical === "account" ? {} : { created_at: new Date(event.occurredAt).toISOString() }) } });
    }
    if (action === "deletion" || action === "privacyDeletion") return mapped({ type: `${canonical}.deleted`, data: { [idField]: objectId } });
    if (action === "propertyChange") {
      if (!event.propertyName) return unmapped("propertyChange without propertyName");
      const mapping =
        canonical === "deal" ? dealProperty(event.propertyName, event.propertyValue, config, paired)
        : canonical === "lead" ? contactProperty(event.propertyName, event.propertyValue)
        : companyProperty(event.propertyName, event.propertyValue);
      return mapping.ok ? mapped({ type: `${canonical}.upserted`, data: { [idField]: objectId, ...mapping.value } }) : mapping;
    }
    return unmapped(`${event.subscriptionType} is not mapped`);
  }

  if (objectName === "object") {
    if (action === "associationChange") {
      const activityType = lookup(ACTIVITY_OBJECT_TYPES, event.fromObjectTypeId);
      const target = lookup(OBJECT_TYPE_IDS, event.toObjectTypeId);
      if (!activityType || !target || event.fromObjectId === undefined || (!event.associationRemoved && event.toObjectId === undefined)) return unmapped("association between these object types is not mapped");
      return mapped({
        type: "activity.logged",
        data: { activity_id: String(event.fromObjectId), type: activityType, [ACTIVITY_LINKS[target]!]: event.associationRemoved ? null : String(event.toObjectId) },
      });
    }
    const activityType = lookup(ACTIVITY_OBJECT_TYPES, event.objectTypeId);
    if (!activityType) return unmapped(`object type ${event.objectTypeId ?? "(none)"} is not mapped`);
    if (objectId === null) return unmapped("objectId is missing");
    if (action === "creation") return mapped({ type: "activity.logged", data: { activity_id: objectId, type: activityType } });
    if (action === "propertyChange") {
      if (!event.propertyName) return unmapped("propertyChange without propertyName");
      const mapping = activityProperty(event.propertyName, event.propertyValue);
      return mapping.ok ? mapped({ type: "activity.logged", data: { activity_id: objectId, type: activityType, ...mapping.value } }) : mapping;
    }
    return unmapped(`${event.subscriptionType} of activities is not mapped (the native model has no activity deletion)`);
  }
  return unmapped(`subscription type ${event.subscriptionType} is not mapped`);
}

export const hubspot: SourceAdapter = {
  acceptedStatus: 200,
  defaultStages: HUBSPOT_DEFAULT_STAGES,
  newConnectionConfig: HUBSPOT_NEW_CONNECTION_CONFIG,
  requiresSecret: true,

  // HubSpot shows the app's client secret once the app exists: the connection may be created
  // without it (deliveries answer 401 until it is set with PATCH).
  planSecret: (given, config) => {
    if (config.require_v3 !== undefined && typeof config.require_v3 !== "boolean") {
      return { ok: false, field: "config.require_v3", message: "true (refuse v1 / v2 signatures) or false" };
    }
    if (config.competitor_property !== undefined && (typeof config.competitor_property !== "string" || config.competitor_property === "")) {
      return { ok: false, field: "config.competitor_property", message: "the internal name of the deal property that holds the competitor" };
    }
    return { ok: true, secret: given ?? null };
  },

  verify(request, connection: ConnectionSecrets, now) {
    return verifyHubSpot(request.method, request.url, request.headers, request.body, connection.secret ?? "", now, {
      requireV3: connection.config.require_v3 === true,
    });
  },

  async sign({ method, url, body, now }, { secret }) {
    const timestamp = String(now);
    return {
      "x-hubspot-request-timestamp": timestamp,
      "x-hubspot-signature-v3": await hubspotV3Signature(secret ?? "", method, decodeHubSpotUri(url), body, timestamp),
      "x-hubspot-signature-version": "v3",
    };
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
    const contractValues = contractValuesOf(parsed as unknown[]);
    const stages = dealStagesOf(parsed as unknown[]);
    const deliveries: SplitDelivery[] = [];
    for (const event of parsed as unknown[]) {
      let json: string;
      try {
        json = JSON.stringify(event) ?? "null";
      } catch {
        // Nested deeper than the stack allows: no event looks like that.
        return { ok: false, status: 400, reason: "an event of the batch is nested too deeply" };
      }
      const partner = contractValues.get(contractValueKey(event, true) ?? "") ?? stages.get(closeDateKey(event) ?? "");
      deliveries.push({ deliveryId: deliveryIdOf(event, json), body: json, headers: partner === undefined ? {} : { [PAIRED_VALUE_HEADER]: partner } });
    }
    return { ok: true, deliveries };
  },

  // Each stored delivery is one event, at position 0: whatever it holds, it is mapped or rejected.
  normalize(delivery, connection): Normalized {
    const paired = delivery.headers[PAIRED_VALUE_HEADER];
    return normalizeJsonItem(delivery.body, (raw) => normalizeEvent(raw, connection.config, typeof paired === "string" ? paired : undefined));
  },
};

/**
 * The key of a contract-value change (hs_tcv / hs_acv of a deal at an instant): of its own
 * property, or of its partner's (`partner`). null for any other event.
 */
function contractValueKey(event: unknown, partner: boolean): string | null {
  if (typeof event !== "object" || event === null || Array.isArray(event)) return null;
  const { subscriptionType, propertyName, objectId, occurredAt } = event as Record<string, unknown>;
  if (subscriptionType !== "deal.propertyChange" || typeof propertyName !== "string") return null;
  const partnerName = lookup(CONTRACT_VALUE_PARTNERS, propertyName);
  if (partnerName === undefined) return null;
  return [keyPart(objectId), keyPart(occurredAt), partner ? partnerName : propertyName].join(":");
}

/** The contract values a batch sets, as text, by contractValueKey: what a partner looks up. */
function contractValuesOf(events: unknown[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const event of events) {
    const key = contractValueKey(event, false);
    const value = key === null ? undefined : (event as { propertyValue?: unknown }).propertyValue;
    if (key !== null && (typeof value === "string" || typeof value === "number")) values.set(key, String(value));
  }
  return values;
}

/** The key of a deal's write (deal and instant) for a `closedate` change; null for any other event. */
function closeDateKey(event: unknown): string | null {
  if (typeof event !== "object" || event === null || Array.isArray(event)) return null;
  const { subscriptionType, propertyName, objectId, occurredAt } = event as Record<string, unknown>;
  return subscriptionType === "deal.propertyChange" && propertyName === "closedate" ? [keyPart(objectId), keyPart(occurredAt)].join(":") : null;
}

/** The stage each deal's write of a batch sets, by closeDateKey: what a `closedate` of that write looks up. */
function dealStagesOf(events: unknown[]): Map<string, string> {
  const stages = new Map<string, string>();
  for (const event of events) {
    if (typeof event !== "object" || event === null || Array.isArray(event)) continue;
    const { subscriptionType, propertyName, propertyValue, objectId, occurredAt } = event as Record<string, unknown>;
    if (subscriptionType === "deal.propertyChange" && propertyName === "dealstage" && typeof propertyValue === "string" && propertyValue !== "") {
      stages.set([keyPart(objectId), keyPart(occurredAt)].join(":"), propertyValue);
    }
  }
  return stages;
}

function normalizeEvent(raw: unknown, config: Record<string, unknown>, paired?: string): Normalized {
  const parsed = hubspotEvent.safeParse(raw);
  if (!parsed.success) return itemResult(raw, unmapped(describeIssues(parsed.error, { root: "event" })));
  const event = parsed.data;
  const id = `hs:${dedupeKey(event)}`;
  const draft = mapEvent(event, config, paired);
  const events = draft.ok ? mapped([{ id, type: draft.value.type, occurred_at: new Date(event.occurredAt).toISOString(), data: draft.value.data }]) : draft;
  return itemResult(raw, events, { eventId: id, occurredAt: event.occurredAt });
}

// Close CRM source: verifies close-sig-hash (HMAC-SHA256 over timestamp + body with the
// hex-decoded signature_key) and maps Close events to native events.
import { z } from "zod";
import { MINUTE_MS, SECOND_MS } from "../../shared/units";
import { bytesToHex, hmacSha256, timingSafeEqualText } from "../lib/crypto";
import { LEAD_STAGES, parseInstant } from "../model/events";
import type { ConnectionSecrets, Normalized, RawRequest, SourceAdapter, Verdict } from "./adapter";
import {
  checkedPlanDate,
  checkedText,
  checkedValue,
  connectionConfigOf,
  describeIssues,
  issueMessages,
  itemResult,
  lookup,
  mapped,
  type Mapping,
  normalizeJsonItem,
  parseJsonBody,
  present,
  rejectedItem,
  unixSecondsFreshness,
  unmapped,
} from "./kit";

/** Close enforces no window, so Quotient does (docs/crms/close.md): ±5 minutes. */
const TIMESTAMP_WINDOW = { maxAgeMs: 5 * MINUTE_MS, maxAheadMs: 5 * MINUTE_MS };

type LeadStage = (typeof LEAD_STAGES)[number];

// ---- The signature scheme (verify, sign and planSecret share it) ----------------------

/** Bytes of an even-length hex string; null when it is not hex (the signature_key is hex). */
export function hexToBytes(text: string): Uint8Array | null {
  if (!/^(?:[0-9a-f]{2})+$/i.test(text)) return null;
  return Uint8Array.from(text.match(/../g)!, (pair) => parseInt(pair, 16));
}

/**
 * close-sig-hash: lowercase hex HMAC-SHA256 of the timestamp header followed directly by the
 * body, keyed with the hex-decoded signature_key. The header string is signed as received:
 * re-formatting the number would change the message.
 */
export async function closeSignature(key: Uint8Array, timestamp: string, body: string): Promise<string> {
  return bytesToHex(await hmacSha256(key, timestamp + body));
}

export async function verifyCloseSignature(
  headers: Headers,
  body: string,
  signatureKeyHex: string,
  nowMs: number,
): Promise<Verdict> {
  const signature = headers.get("close-sig-hash");
  const timestamp = headers.get("close-sig-timestamp");
  if (!signature || !timestamp) return { ok: false, reason: "missing close-sig-hash or close-sig-timestamp header" };
  // Up to 16 digits so that a millisecond timestamp fails on the window, which names the real problem.
  if (!/^\d{1,16}$/.test(timestamp)) return { ok: false, reason: "close-sig-timestamp is not Unix seconds" };
  const freshness = unixSecondsFreshness(timestamp, nowMs, TIMESTAMP_WINDOW);
  if (freshness !== "fresh") return { ok: false, reason: `close-sig-timestamp is ${freshness}` };
  const key = hexToBytes(signatureKeyHex);
  if (!key) return { ok: false, reason: "connection secret is not a hex signature_key" };
  const expected = await closeSignature(key, timestamp, body);
  return timingSafeEqualText(signature, expected) ? { ok: true } : { ok: false, reason: "close-sig-hash does not match" };
}

// ---- Payload schemas (developer.close.com: webhooks, event log, object resources) ----

const closeId = z.string().min(1);
/** Close omits or nulls fields freely: absent stays absent (unchanged), null clears. */
const maybe = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

const dedupeFields = z.object({
  event: z.object({ id: closeId, date_updated: maybe(z.string()) }),
});

const envelopeSchema = z.object({
  subscription_id: maybe(z.string()),
  event: z.object({
    id: closeId,
    object_type: z.string(),
    action: z.string(),
    object_id: maybe(closeId),
    lead_id: maybe(closeId),
    /** The actor of the change, not the owner of the object. */
    user_id: maybe(closeId),
    date_created: maybe(z.string()),
    date_updated: maybe(z.string()),
    data: maybe(z.record(z.string(), z.unknown())),
  }),
});
type CloseEvent = z.infer<typeof envelopeSchema>["event"];

const opportunitySchema = z.object({
  lead_id: maybe(closeId),
  /** The owner; event.user_id is only whoever made the change. */
  user_id: maybe(closeId),
  status_label: maybe(z.string()),
  status_type: maybe(z.enum(["active", "won", "lost"])),
  pipeline_name: maybe(z.string()),
  /** Integer cents. */
  value: maybe(z.number()),
  value_currency: maybe(z.string()),
  date_created: maybe(z.string()),
  date_won: maybe(z.string()),
  date_lost: maybe(z.string()),
});

const leadSchema = z.object({
  display_name: maybe(z.string()),
  name: maybe(z.string()),
  status_label: maybe(z.string()),
  date_created: maybe(z.string()),
});

const activityBase = z.object({ lead_id: maybe(closeId), user_id: maybe(closeId) });
const callSchema = activityBase.extend({
  direction: maybe(z.enum(["outbound", "inbound"])),
  duration: maybe(z.number().nonnegative()),
});
const emailSchema = activityBase.extend({
  direction: maybe(z.enum(["outgoing", "incoming"])),
  status: maybe(z.string()),
});
const meetingSchema = activityBase.extend({
  duration: maybe(z.number().nonnegative()),
  status: maybe(z.string()),
});

const leadStageOverrides = z.record(z.string(), z.enum(LEAD_STAGES));

/**
 * Close's default lead statuses, plus statuses named after a lifecycle stage. "Bad Fit" and
 * any other status is no lifecycle stage: the lead's stage is cleared rather than left stale.
 */
const DEFAULT_LEAD_STAGES: Record<string, LeadStage> = {
  potential: "lead",
  qualified: "sql",
  customer: "customer",
  ...Object.fromEntries(LEAD_STAGES.map((stage) => [stage, stage])),
};

/** An email in these states has not been sent, so it is not yet a logged activity. */
const UNSENT_EMAIL_STATUSES = new Set(["draft", "scheduled", "outbox", "error"]);

const MEETING_OUTCOMES: Record<string, string> = {
  upcoming: "scheduled",
  "in-progress": "held",
  completed: "held",
  canceled: "canceled",
  "declined-by-lead": "canceled",
  "declined-by-org": "canceled",
};

const ACTIVITY_TYPES: Record<string, "call" | "email" | "meeting" | "note"> = {
  "activity.call": "call",
  "activity.email": "email",
  "activity.meeting": "meeting",
  "activity.note": "note",
};

// ---- Mapping ----

/** Cents as an exact decimal string, so 1999 cents never becomes 19.990000000000002. */
export function centsToDecimal(cents: number): string | number {
  // Past 2^53 the digits are no exact cents (and String() turns to exponent notation).
  if (!Number.isSafeInteger(cents)) return cents / 100;
  const sign = cents < 0 ? "-" : "";
  const digits = String(Math.abs(cents)).padStart(3, "0");
  return `${sign}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

/** One native event of a Close event, before it gets its id (the delivery's key + `suffix`) and instant. */
interface Draft {
  suffix: string;
  type: string;
  data: Record<string, unknown>;
  /** What the event lacks (a custom field value the native field refuses): a dead letter beside it. */
  note?: string;
}
type Drafts = Mapping<Draft[]>;

const draft = (suffix: string, type: string, data: Record<string, unknown>, note?: string): Draft => ({ suffix, type, data, ...(note === undefined ? {} : { note }) });

function parseData<T extends z.ZodType>(schema: T, event: CloseEvent): Mapping<z.infer<T>> {
  const parsed = schema.safeParse(event.data ?? {});
  return parsed.success ? mapped(parsed.data) : unmapped(describeIssues(parsed.error, { prefix: "data" }));
}

function objectIdOf(event: CloseEvent): Mapping<string> {
  const fromData = event.data?.id;
  const id = event.object_id ?? (typeof fromData === "string" ? fromData : null);
  return id ? mapped(id) : unmapped("event.object_id: missing");
}

// ---- Custom fields the connection names ---------------------------------------------

/** A Close custom field id, as its settings show it: the object carries the value under `custom.<id>`. */
const CUSTOM_FIELD_ID = z.string().regex(/^cf_[A-Za-z0-9]+$/, "a Close custom field id, such as cf_v6S011I6MqcbVvB2FA5Nk8dr5MkL8sWuCiG8cUleO9c");

/**
 * Close has no term, competitor, lost reason or lead score of its own: a connection may name
 * the custom fields that hold them (docs/crms/close.md, "Custom fields").
 */
const customFieldsConfig = z.object({
  term_months_field: CUSTOM_FIELD_ID.optional(),
  competitor_field: CUSTOM_FIELD_ID.optional(),
  lost_reason_field: CUSTOM_FIELD_ID.optional(),
  lead_score_field: CUSTOM_FIELD_ID.optional(),
});
type CustomFieldsConfig = z.infer<typeof customFieldsConfig>;

const customFieldsOf = (connection: ConnectionSecrets): Mapping<CustomFieldsConfig> =>
  connectionConfigOf(customFieldsConfig, connection.config);

/**
 * The native fields the named custom fields of an object give. A value the native field
 * refuses is left out, with a note: the object's other fields are still applied.
 */
function customFields(
  data: Record<string, unknown> | null | undefined,
  entity: "deal" | "lead",
  named: [native: string, id: string | undefined][],
): { data: Record<string, unknown>; note?: string } {
  const fields: Record<string, unknown> = {};
  const notes: string[] = [];
  for (const [native, id] of named) {
    if (id === undefined) continue;
    const raw = data && Object.hasOwn(data, `custom.${id}`) ? data[`custom.${id}`] : undefined;
    const checked =
      native === "term_months" ? checkedValue(["deal", "term_months"], raw, id)
      : native === "score" ? checkedValue(["lead", "score"], raw, id)
      : checkedText(raw, id);
    if (checked.issue === undefined) fields[native] = checked.value;
    else notes.push(`${checked.issue}: the ${entity} was applied without its ${native}`);
  }
  return { data: present(fields), ...(notes.length > 0 ? { note: notes.join("; ") } : {}) };
}

function mapOpportunity(event: CloseEvent, connection: ConnectionSecrets): Drafts {
  const dealId = objectIdOf(event);
  if (!dealId.ok) return dealId;
  if (event.action === "deleted") return mapped([draft("deal", "deal.deleted", { deal_id: dealId.value })]);
  const parsed = parseData(opportunitySchema, event);
  if (!parsed.ok) return parsed;
  const data = parsed.value;
  const config = customFieldsOf(connection);
  if (!config.ok) return config;
  const custom = customFields(event.data, "deal", [
    ["term_months", config.value.term_months_field],
    ["competitor", config.value.competitor_field],
    ["lost_reason", config.value.lost_reason_field],
  ]);
  const status = data.status_type === undefined || data.status_type === null
    ? data.status_type
    : ({ active: "open", won: "won", lost: "lost" } as const)[data.status_type];
  // date_won on an active opportunity is only the expected close date: it is not a close
  // but the deal's plan (docs/kpis.md, rule 38), a calendar day read as midnight in the
  // workspace's time zone. On a won opportunity it is the close, and the plan stays.
  let closedAt: string | null | undefined;
  const plan = data.status_type === "active" ? checkedPlanDate(data.date_won, "date_won", connection.timezone || "UTC") : {};
  const planNote = plan.issue === undefined ? undefined : `${plan.issue}: the deal was applied without its expected_close_at`;
  if (data.status_type === "active") closedAt = null;
  else if (data.status_type === "won") closedAt = data.date_won ?? undefined;
  else if (data.status_type === "lost") closedAt = data.date_lost ?? undefined;
  // A Close lead is the company and the prospect at once: it is both the account and the lead.
  const leadId = data.lead_id !== undefined ? data.lead_id : event.lead_id;
  return mapped([draft("deal", "deal.upserted", present({
    deal_id: dealId.value,
    account_id: leadId,
    lead_id: leadId,
    owner_rep_id: data.user_id,
    pipeline: data.pipeline_name,
    stage: data.status_label,
    status,
    amount: data.value === undefined || data.value === null ? data.value : centsToDecimal(data.value),
    currency: data.value_currency,
    created_at: data.date_created,
    closed_at: closedAt,
    expected_close_at: plan.value,
    ...custom.data,
  }), [planNote, custom.note].filter((n) => n !== undefined).join("; ") || undefined)]);
}

function leadStageOf(label: string, connection: ConnectionSecrets): Mapping<LeadStage | null> {
  const overrides = leadStageOverrides.safeParse(connection.config.lead_status_stages ?? {});
  if (!overrides.success) return unmapped(`config.lead_status_stages: ${issueMessages(overrides.error)}`);
  const wanted = label.trim().toLowerCase();
  for (const [status, stage] of Object.entries(overrides.data)) {
    if (status.trim().toLowerCase() === wanted) return mapped(stage);
  }
  return mapped(lookup(DEFAULT_LEAD_STAGES, wanted) ?? null);
}

function mapLead(event: CloseEvent, connection: ConnectionSecrets): Drafts {
  const leadId = objectIdOf(event);
  if (!leadId.ok) return leadId;
  const id = leadId.value;
  if (event.action === "deleted") {
    return mapped([draft("lead", "lead.deleted", { lead_id: id }), draft("account", "account.deleted", { account_id: id })]);
  }
  const parsed = parseData(leadSchema, event);
  if (!parsed.ok) return parsed;
  const data = parsed.value;
  const stage = typeof data.status_label === "string" ? leadStageOf(data.status_label, connection) : mapped(undefined);
  if (!stage.ok) return stage;
  const config = customFieldsOf(connection);
  if (!config.ok) return config;
  const custom = customFields(event.data, "lead", [["score", config.value.lead_score_field]]);
  return mapped([
    draft("account", "account.upserted", present({ account_id: id, name: data.display_name ?? data.name })),
    draft("lead", "lead.upserted", present({ lead_id: id, account_id: id, stage: stage.value, created_at: data.date_created, ...custom.data }), custom.note),
  ]);
}

function mapActivity(event: CloseEvent, type: "call" | "email" | "meeting" | "note"): Drafts {
  const objectId = objectIdOf(event);
  if (!objectId.ok) return objectId;
  if (event.action === "deleted") return unmapped(`${event.object_type} deleted: the native format has no activity deletion`);
  const common = (data: z.infer<typeof activityBase>) => {
    const leadId = data.lead_id !== undefined ? data.lead_id : event.lead_id;
    return { activity_id: objectId.value, type, rep_id: data.user_id, lead_id: leadId, account_id: leadId };
  };
  const activity = (fields: Record<string, unknown>): Drafts => mapped([draft("activity", "activity.logged", present(fields))]);
  if (type === "call") {
    const parsed = parseData(callSchema, event);
    if (!parsed.ok) return parsed;
    return activity({ ...common(parsed.value), direction: parsed.value.direction, duration_seconds: parsed.value.duration });
  }
  if (type === "email") {
    const parsed = parseData(emailSchema, event);
    if (!parsed.ok) return parsed;
    const { status, direction } = parsed.value;
    if (status && UNSENT_EMAIL_STATUSES.has(status)) {
      return unmapped(`activity.email with status ${JSON.stringify(status)} is not sent yet; it counts once sent`);
    }
    return activity({
      ...common(parsed.value),
      direction: direction === "outgoing" ? "outbound" : direction === "incoming" ? "inbound" : direction,
    });
  }
  if (type === "meeting") {
    const parsed = parseData(meetingSchema, event);
    if (!parsed.ok) return parsed;
    const { duration, status } = parsed.value;
    return activity({ ...common(parsed.value), duration_seconds: duration, outcome: status ? lookup(MEETING_OUTCOMES, status) : undefined });
  }
  const parsed = parseData(activityBase, event);
  return parsed.ok ? activity(common(parsed.value)) : parsed;
}

const MAPPED_ACTIONS = new Set(["created", "updated", "deleted"]);

function draftsOf(event: CloseEvent, connection: ConnectionSecrets): Drafts {
  if (!MAPPED_ACTIONS.has(event.action)) return unmapped(`${event.object_type} action ${JSON.stringify(event.action)} is not mapped`);
  const activityType = lookup(ACTIVITY_TYPES, event.object_type);
  if (event.object_type === "opportunity") return mapOpportunity(event, connection);
  if (event.object_type === "lead") return mapLead(event, connection);
  if (activityType) return mapActivity(event, activityType);
  if (event.object_type === "contact") {
    return unmapped("contact is not mapped: the Close lead (the company) is the lead; subscribe to lead events");
  }
  return unmapped(`object_type ${JSON.stringify(event.object_type)} is not mapped`);
}

/** The native events of one Close event; every id derives from the delivery's dedupe key. */
function eventsOf(event: CloseEvent, key: string, connection: ConnectionSecrets): Mapping<{ events: unknown[]; notes: string[] }> {
  // date_updated orders the versions of a mutated event, so the latest one wins.
  const occurredAt = event.date_updated ?? event.date_created;
  if (!occurredAt) return unmapped("event.date_updated: missing");
  const drafts = draftsOf(event, connection);
  if (!drafts.ok) return drafts;
  return mapped({
    events: drafts.value.map(({ suffix, type, data }) => ({ id: `${key}:${suffix}`, type, occurred_at: occurredAt, data })),
    notes: drafts.value.flatMap(({ note }) => (note === undefined ? [] : [note])),
  });
}

function dedupeKeyOf(parsed: unknown): string | null {
  const result = dedupeFields.safeParse(parsed);
  if (!result.success) return null;
  return `${result.data.event.id}:${result.data.event.date_updated ?? ""}`;
}

export const close: SourceAdapter = {
  acceptedStatus: 200,
  // Close's default opportunity statuses are Active, Won and Lost; stages are status labels as
  // Close shows them. Lost is no step forward, so the funnel is Active → Won.
  defaultStages: ["Active", "Won"],
  requiresSecret: true,

  // Close issues the signature_key once the subscription (which needs the URL) exists: the
  // connection may be created without it (deliveries answer 401 until it is set with PATCH).
  planSecret(given, config) {
    if (given !== undefined && hexToBytes(given) === null) return { ok: false, field: "secret", message: "must be the Close signature_key (hex)" };
    const custom = customFieldsConfig.safeParse(config);
    if (!custom.success) {
      const issue = custom.error.issues[0]!;
      return { ok: false, field: ["config", ...issue.path.map(String)].join("."), message: issue.message };
    }
    return { ok: true, secret: given ?? null };
  },

  verify(request: RawRequest, connection: ConnectionSecrets, now: number) {
    return verifyCloseSignature(request.headers, request.body, connection.secret ?? "", now);
  },

  async sign({ body, now }, { secret }) {
    const key = hexToBytes(secret ?? "");
    if (!key) throw new Error("cannot sign: the secret is not a hex signature_key");
    const timestamp = String(Math.floor(now / SECOND_MS));
    return { "close-sig-timestamp": timestamp, "close-sig-hash": await closeSignature(key, timestamp, body) };
  },

  split(request) {
    const body = parseJsonBody(request.body);
    if (!body.ok) return body;
    const key = dedupeKeyOf(body.value);
    if (!key) return { ok: false, status: 400, reason: "body is not a Close webhook event (event.id is missing)" };
    return { ok: true, deliveries: [{ deliveryId: key, body: request.body, headers: {} }] };
  },

  // One stored delivery is one Close event, the item at position 0.
  normalize(delivery, connection): Normalized {
    return normalizeJsonItem(delivery.body, (parsed) => normalizeDelivery(parsed, connection));
  },
};

function normalizeDelivery(parsed: unknown, connection: ConnectionSecrets): Normalized {
  const key = dedupeKeyOf(parsed) ?? "";
  const inner = typeof parsed === "object" && parsed !== null ? (parsed as { event?: unknown }).event : undefined;
  const payload = inner ?? parsed;
  const envelope = envelopeSchema.safeParse(parsed);
  if (!envelope.success) return itemResult(payload, unmapped(describeIssues(envelope.error)), { eventId: key || null });
  const { event } = envelope.data;
  const occurredAt = event.date_updated ?? event.date_created;
  const occurredAtMs = occurredAt ? parseInstant(occurredAt) : null;
  const mapping = eventsOf(event, key, connection);
  const result = itemResult(payload, mapping.ok ? mapped(mapping.value.events) : mapping, { eventId: key || null, occurredAt: occurredAtMs });
  if (!mapping.ok || mapping.value.notes.length === 0) return result;
  // The notes follow the events: the object stands, and the dead letter says what it lacks.
  const notes = mapping.value.notes.map((note, i) => rejectedItem(result.events.length + i, payload, note, null, occurredAtMs));
  return { ...result, rejected: notes };
}

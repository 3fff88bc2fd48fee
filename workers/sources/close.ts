// Close CRM source: verifies close-sig-hash (HMAC-SHA256 over timestamp + body with the
// hex-decoded signature_key) and maps Close events to native events.
import { z } from "zod";
import { bytesToHex, hmacSha256, timingSafeEqualText } from "../lib/crypto";
import { LEAD_STAGES, parseInstant } from "../model/events";
import {
  isolateItem,
  lookup,
  parseJsonBody,
  parseStoredJson,
  rejectedItem,
  type ConnectionSecrets,
  type MappedEvent,
  type Normalized,
  type RawRequest,
  type SourceAdapter,
  type Verdict,
} from "./adapter";

export const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

type LeadStage = (typeof LEAD_STAGES)[number];

/** Bytes of an even-length hex string; null when it is not hex. */
export function hexToBytes(text: string): Uint8Array | null {
  if (!/^(?:[0-9a-f]{2})+$/i.test(text)) return null;
  return Uint8Array.from(text.match(/../g)!, (pair) => parseInt(pair, 16));
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
  const skew = Math.floor(nowMs / 1000) - Number(timestamp);
  if (skew > TIMESTAMP_TOLERANCE_SECONDS) return { ok: false, reason: "close-sig-timestamp is too old" };
  if (skew < -TIMESTAMP_TOLERANCE_SECONDS) return { ok: false, reason: "close-sig-timestamp is in the future" };
  const key = hexToBytes(signatureKeyHex);
  if (!key) return { ok: false, reason: "connection secret is not a hex signature_key" };
  // The header string is signed as received: re-formatting the number would change the message.
  const expected = bytesToHex(await hmacSha256(key, timestamp + body));
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

/** Keeps only the fields the payload carried: undefined means "not sent", null means "cleared". */
function present(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

/** Cents as an exact decimal string, so 1999 cents never becomes 19.990000000000002. */
export function centsToDecimal(cents: number): string | number {
  // Past 2^53 the digits are no exact cents (and String() turns to exponent notation).
  if (!Number.isSafeInteger(cents)) return cents / 100;
  const sign = cents < 0 ? "-" : "";
  const digits = String(Math.abs(cents)).padStart(3, "0");
  return `${sign}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${["data", ...issue.path.map(String)].join(".")}: ${issue.message}`).join("; ");
}

/** A Close event this adapter cannot map: it becomes a rejected item, never a thrown delivery. */
class Unmappable extends Error {}

interface Mapper {
  /** The delivery's own dedupe key: every canonical id derives from it. */
  key: string;
  occurredAt: string;
  events: MappedEvent[];
}

function emit(mapper: Mapper, suffix: string, type: string, data: Record<string, unknown>) {
  mapper.events.push({
    position: mapper.events.length,
    event: { id: `${mapper.key}:${suffix}`, type, occurred_at: mapper.occurredAt, data },
  });
}

function parseData<T extends z.ZodType>(schema: T, event: CloseEvent): z.infer<T> {
  const parsed = schema.safeParse(event.data ?? {});
  if (!parsed.success) throw new Unmappable(describeIssues(parsed.error));
  return parsed.data;
}

function objectIdOf(event: CloseEvent): string {
  const fromData = event.data?.id;
  const id = event.object_id ?? (typeof fromData === "string" ? fromData : null);
  if (!id) throw new Unmappable("event.object_id: missing");
  return id;
}

function mapOpportunity(mapper: Mapper, event: CloseEvent) {
  const dealId = objectIdOf(event);
  if (event.action === "deleted") return emit(mapper, "deal", "deal.deleted", { deal_id: dealId });
  const data = parseData(opportunitySchema, event);
  const status = data.status_type === undefined || data.status_type === null
    ? data.status_type
    : ({ active: "open", won: "won", lost: "lost" } as const)[data.status_type];
  // date_won on an active opportunity is only the expected close date: it is not a close.
  let closedAt: string | null | undefined;
  if (data.status_type === "active") closedAt = null;
  else if (data.status_type === "won") closedAt = data.date_won ?? undefined;
  else if (data.status_type === "lost") closedAt = data.date_lost ?? undefined;
  // A Close lead is the company and the prospect at once: it is both the account and the lead.
  const leadId = data.lead_id !== undefined ? data.lead_id : event.lead_id;
  emit(mapper, "deal", "deal.upserted", present({
    deal_id: dealId,
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
  }));
}

function leadStageOf(label: string, connection: ConnectionSecrets): LeadStage | null {
  const overrides = leadStageOverrides.safeParse(connection.config.lead_status_stages ?? {});
  if (!overrides.success) {
    throw new Unmappable(`config.lead_status_stages: ${overrides.error.issues.map((i) => i.message).join("; ")}`);
  }
  const wanted = label.trim().toLowerCase();
  for (const [status, stage] of Object.entries(overrides.data)) {
    if (status.trim().toLowerCase() === wanted) return stage;
  }
  return lookup(DEFAULT_LEAD_STAGES, wanted) ?? null;
}

function mapLead(mapper: Mapper, event: CloseEvent, connection: ConnectionSecrets) {
  const leadId = objectIdOf(event);
  if (event.action === "deleted") {
    emit(mapper, "lead", "lead.deleted", { lead_id: leadId });
    return emit(mapper, "account", "account.deleted", { account_id: leadId });
  }
  const data = parseData(leadSchema, event);
  const name = data.display_name ?? data.name;
  emit(mapper, "account", "account.upserted", present({ account_id: leadId, name }));
  emit(mapper, "lead", "lead.upserted", present({
    lead_id: leadId,
    account_id: leadId,
    stage: typeof data.status_label === "string" ? leadStageOf(data.status_label, connection) : undefined,
    created_at: data.date_created,
  }));
}

function mapActivity(mapper: Mapper, event: CloseEvent, type: "call" | "email" | "meeting" | "note") {
  const activityId = objectIdOf(event);
  if (event.action === "deleted") {
    throw new Unmappable(`${event.object_type} deleted: the native format has no activity deletion`);
  }
  const common = (data: z.infer<typeof activityBase>) => {
    const leadId = data.lead_id !== undefined ? data.lead_id : event.lead_id;
    return { activity_id: activityId, type, rep_id: data.user_id, lead_id: leadId, account_id: leadId };
  };
  if (type === "call") {
    const data = parseData(callSchema, event);
    return emit(mapper, "activity", "activity.logged", present({
      ...common(data),
      direction: data.direction,
      duration_seconds: data.duration,
    }));
  }
  if (type === "email") {
    const data = parseData(emailSchema, event);
    if (data.status && UNSENT_EMAIL_STATUSES.has(data.status)) {
      throw new Unmappable(`activity.email with status ${JSON.stringify(data.status)} is not sent yet; it counts once sent`);
    }
    const direction = data.direction === "outgoing" ? "outbound" : data.direction === "incoming" ? "inbound" : data.direction;
    return emit(mapper, "activity", "activity.logged", present({ ...common(data), direction }));
  }
  if (type === "meeting") {
    const data = parseData(meetingSchema, event);
    return emit(mapper, "activity", "activity.logged", present({
      ...common(data),
      duration_seconds: data.duration,
      outcome: data.status ? lookup(MEETING_OUTCOMES, data.status) : undefined,
    }));
  }
  emit(mapper, "activity", "activity.logged", present(common(parseData(activityBase, event))));
}

const MAPPED_ACTIONS = new Set(["created", "updated", "deleted"]);

function normalizeEvent(event: CloseEvent, key: string, connection: ConnectionSecrets): MappedEvent[] {
  // date_updated orders the versions of a mutated event, so the latest one wins.
  const occurredAt = event.date_updated ?? event.date_created;
  if (!occurredAt) throw new Unmappable("event.date_updated: missing");
  if (!MAPPED_ACTIONS.has(event.action)) {
    throw new Unmappable(`${event.object_type} action ${JSON.stringify(event.action)} is not mapped`);
  }
  const mapper: Mapper = { key, occurredAt, events: [] };
  const activityType = lookup(ACTIVITY_TYPES, event.object_type);
  if (event.object_type === "opportunity") mapOpportunity(mapper, event);
  else if (event.object_type === "lead") mapLead(mapper, event, connection);
  else if (activityType) mapActivity(mapper, event, activityType);
  else if (event.object_type === "contact") {
    throw new Unmappable("contact is not mapped: the Close lead (the company) is the lead; subscribe to lead events");
  } else throw new Unmappable(`object_type ${JSON.stringify(event.object_type)} is not mapped`);
  return mapper.events;
}

function dedupeKeyOf(parsed: unknown): string | null {
  const result = dedupeFields.safeParse(parsed);
  if (!result.success) return null;
  return `${result.data.event.id}:${result.data.event.date_updated ?? ""}`;
}

export const close: SourceAdapter = {
  kind: "close",
  acceptedStatus: 200,
  // Close's default opportunity statuses are Active, Won and Lost; stages are status labels as
  // Close shows them. Lost is no step forward, so the funnel is Active → Won.
  defaultStages: ["Active", "Won"],
  requiresSecret: true,

  verify(request: RawRequest, connection: ConnectionSecrets, now: number) {
    return verifyCloseSignature(request.headers, request.body, connection.secret ?? "", now);
  },

  split(request) {
    const body = parseJsonBody(request.body);
    if (!body.ok) return body;
    const parsed = body.value;
    const key = dedupeKeyOf(parsed);
    if (!key) return { ok: false, status: 400, reason: "body is not a Close webhook event (event.id is missing)" };
    return { ok: true, deliveries: [{ deliveryId: key, body: request.body, headers: {} }] };
  },

  // One stored delivery is one Close event, the item at position 0.
  normalize(delivery, connection): Normalized {
    const stored = parseStoredJson(delivery.body);
    if (!stored.ok) return stored.normalized;
    const parsed = stored.value;
    return isolateItem(0, parsed, () => normalizeDelivery(parsed, connection));
  },
};

function normalizeDelivery(parsed: unknown, connection: ConnectionSecrets): Normalized {
  const key = dedupeKeyOf(parsed) ?? "";
  const envelope = envelopeSchema.safeParse(parsed);
  const inner = typeof parsed === "object" && parsed !== null ? (parsed as { event?: unknown }).event : undefined;
  const payload = inner ?? parsed;
  const reject = (reason: string, occurredAt: string | null | undefined): Normalized => ({
    events: [],
    rejected: [rejectedItem(0, payload, reason, key || null, occurredAt ? parseInstant(occurredAt) : null)],
  });
  if (!envelope.success) {
    const reason = envelope.error.issues.map((i) => `${i.path.map(String).join(".")}: ${i.message}`).join("; ");
    return reject(reason, null);
  }
  const { event } = envelope.data;
  try {
    return { events: normalizeEvent(event, key, connection), rejected: [] };
  } catch (error) {
    if (!(error instanceof Unmappable)) throw error;
    return reject(error.message, event.date_updated ?? event.date_created);
  }
}

// Pipedrive source: HTTP Basic credentials per connection (Pipedrive signs nothing), v2
// `{meta, data, previous}` and legacy v1 `{v:1, meta, current, previous}` webhook payloads.
import { z } from "zod";
import { SECOND_MS } from "../../shared/units";
import { base64ToBytes, bytesToBase64, randomBytes } from "../lib/crypto";
import { parseInstant } from "../model/events";
import type { ConnectionSecrets, Normalized, RawRequest, SourceAdapter, SplitResult, Verdict } from "./adapter";
import {
  checkedPlanDate,
  checkedText,
  checkedValue,
  connectionConfigOf,
  describeIssues,
  isoOrNull,
  itemResult,
  lookup,
  mapped,
  type Mapping,
  MAX_DATE_MS,
  normalizeJsonItem,
  parseJsonBody,
  present,
  rejectedItem,
  unmapped,
  utf8,
} from "./kit";

export const DEFAULT_USERNAME = "quotient";

/** Stage ids of the pipeline a new Pipedrive company starts with (5 stages, ids 1–5). */
export const PIPEDRIVE_DEFAULT_STAGES = ["1", "2", "3", "4", "5"] as const;

// ---- Credentials (verify, sign and planSecret share them) -----------------------------

/** The HTTP Basic user of a connection: `config.username`, else DEFAULT_USERNAME. */
function usernameOf(config: Record<string, unknown>): string {
  const configured = config.username;
  return typeof configured === "string" && configured !== "" ? configured : DEFAULT_USERNAME;
}

/** The `Authorization` header Pipedrive sends for the webhook's http_auth_user / http_auth_password. */
export function basicAuthorization(user: string, password: string): string {
  return `Basic ${bytesToBase64(utf8(`${user}:${password}`))}`;
}

/** Equal-length byte comparison in constant time; only the length may leak. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && crypto.subtle.timingSafeEqual(a, b);
}

export async function verifyPipedrive(headers: Headers, connection: ConnectionSecrets): Promise<Verdict> {
  if (!connection.secret) return { ok: false, reason: "the connection has no password" };
  const expectedUser = usernameOf(connection.config);
  const match = /^basic\s+(\S+)\s*$/i.exec(headers.get("authorization") ?? "");
  if (!match) return { ok: false, reason: "missing HTTP Basic credentials (set http_auth_user / http_auth_password on the webhook)" };
  const decoded = base64ToBytes(match[1]!);
  if (!decoded) return { ok: false, reason: "Authorization: Basic is not base64" };
  // RFC 7617: the user id cannot contain a colon, the password can.
  const colon = decoded.indexOf(0x3a);
  if (colon < 0) return { ok: false, reason: "Authorization: Basic is not user:password" };
  const userMatches = sameBytes(decoded.subarray(0, colon), utf8(expectedUser));
  const passwordMatches = sameBytes(decoded.subarray(colon + 1), utf8(connection.secret));
  // Both halves are always compared, so timing does not tell which one was wrong.
  return userMatches && passwordMatches ? { ok: true } : { ok: false, reason: "wrong HTTP Basic credentials" };
}

// ---- Payload envelopes -------------------------------------------------------------

const idLike = z.union([z.string().min(1), z.number()]);
const epochOrIso = z.union([z.number(), z.string().min(1)]);
const objectBody = z.record(z.string(), z.unknown()).nullable().optional();

const v2Envelope = z.object({
  meta: z.object({
    id: z.string().min(1),
    action: z.string(),
    entity: z.string(),
    entity_id: idLike.nullable().optional(),
    timestamp: epochOrIso,
  }),
  data: objectBody,
  previous: objectBody,
});

const v1Envelope = z.object({
  meta: z.object({
    action: z.string(),
    object: z.string(),
    id: idLike,
    timestamp: epochOrIso,
    timestamp_micro: z.number().nullable().optional(),
    webhook_id: idLike.nullable().optional(),
  }),
  current: objectBody,
  previous: objectBody,
});

type Action = "create" | "change" | "delete" | "merge";

/** One webhook, v1 or v2, in the terms the mapping needs. */
interface Envelope {
  dedupeKey: string;
  action: Action | null;
  rawAction: string;
  entity: string;
  entityId: string | null;
  timestamp: string | number;
  current: Record<string, unknown> | null;
  previous: Record<string, unknown> | null;
}

const V1_ACTIONS: Record<string, Action> = { added: "create", updated: "change", deleted: "delete", merged: "merge" };
const V2_ACTIONS: Record<string, Action> = { create: "create", change: "change", delete: "delete" };

function isV2(parsed: Record<string, unknown>): boolean {
  const meta = parsed.meta as Record<string, unknown> | undefined;
  if (typeof meta !== "object" || meta === null) return false;
  // Only a text or a number is a version: String() of an arbitrary object may throw (a "toString" key).
  const version = meta.version;
  return "entity" in meta || ((typeof version === "string" || typeof version === "number") && String(version).startsWith("2"));
}

function envelopeOf(parsed: unknown): Mapping<Envelope> {
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return unmapped("body is not a JSON object");
  const body = parsed as Record<string, unknown>;
  if (isV2(body)) {
    const v2 = v2Envelope.safeParse(body);
    if (!v2.success) return unmapped(`not a Pipedrive v2 webhook: ${describe(v2.error)}`);
    const { meta, data, previous } = v2.data;
    return mapped({
      // meta.id is the event UUID in v2: unique per event, repeated on retries.
      dedupeKey: meta.id,
      action: lookup(V2_ACTIONS, meta.action) ?? null,
      rawAction: meta.action,
      entity: meta.entity,
      entityId: meta.entity_id === undefined || meta.entity_id === null ? null : String(meta.entity_id),
      timestamp: meta.timestamp,
      current: data ?? null,
      previous: previous ?? null,
    });
  }
  const v1 = v1Envelope.safeParse(body);
  if (!v1.success) return unmapped(`not a Pipedrive v1 or v2 webhook: ${describe(v1.error)}`);
  const { meta, current, previous } = v1.data;
  // v1 meta.id is the object id, so the key combines it with what happened and when;
  // `retry` is left out so a retried delivery is a duplicate.
  const when = meta.timestamp_micro ?? meta.timestamp;
  return mapped({
    dedupeKey: [meta.webhook_id ?? "", meta.object, meta.id, meta.action, when].join(":"),
    action: lookup(V1_ACTIONS, meta.action) ?? null,
    rawAction: meta.action,
    entity: meta.object,
    entityId: String(meta.id),
    timestamp: meta.timestamp_micro ?? meta.timestamp,
    current: current ?? null,
    previous: previous ?? null,
  });
}

const describe = (error: z.ZodError) => describeIssues(error, { root: "(body)" });

/**
 * Pipedrive instants: ISO text, "YYYY-MM-DD HH:MM:SS" (UTC) or epoch numbers whose unit
 * is told by magnitude: seconds (v1, the v2 docs), milliseconds, or v1 timestamp_micro.
 */
export function pipedriveInstant(value: string | number): number | null {
  const text = String(value).trim();
  let ms: number | null;
  if (/^\d+(\.\d+)?$/.test(text)) {
    const n = Number(text);
    // Microseconds are a thousandth of a millisecond.
    ms = n < 1e11 ? Math.floor(n * SECOND_MS) : n < 1e14 ? Math.floor(n) : Math.floor(n / 1000);
  } else {
    ms = parseInstant(text);
  }
  // An instant no date can hold (e.g. a 20-digit epoch) is no time.
  return ms !== null && Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS ? ms : null;
}

// ---- Object fields -----------------------------------------------------------------

/** A reference to another object: an id, or v1's expanded `{id | value, name, …}` form. */
const anyId = z.union([z.string(), z.number()]);
const ref = z
  .union([anyId, z.object({ id: anyId.nullable().optional(), value: anyId.nullable().optional() })])
  .nullable()
  .optional()
  .transform((value) => {
    if (value === undefined) return undefined;
    const inner = typeof value === "object" && value !== null ? (value.id ?? value.value) : value;
    return inner === undefined || inner === null || inner === "" ? null : String(inner);
  });

/** A time field: kept as Pipedrive's text (validated later); "" means no time. */
const time = z
  .string()
  .nullable()
  .optional()
  .transform((value) => (value === "" ? null : value));

const maybeText = z.string().nullable().optional();
const amount = z.union([z.number(), z.string()]).nullable().optional();
const flag = z
  .union([z.boolean(), z.number()])
  .nullable()
  .optional()
  .transform((value) => (typeof value === "number" ? value !== 0 : value));

const deal = z.object({
  id: idLike.optional(),
  title: maybeText,
  stage_id: ref,
  pipeline_id: ref,
  status: maybeText,
  value: amount,
  currency: maybeText,
  owner_id: ref,
  user_id: ref,
  org_id: ref,
  person_id: ref,
  add_time: time,
  update_time: time,
  stage_change_time: time,
  won_time: time,
  lost_time: time,
  close_time: time,
  lost_reason: maybeText,
  is_deleted: flag,
});
type Deal = z.infer<typeof deal>;

const person = z.object({ id: idLike.optional(), owner_id: ref, user_id: ref, org_id: ref, add_time: time });

const pipedriveLead = z.object({
  id: idLike.optional(),
  owner_id: ref,
  user_id: ref,
  organization_id: ref,
  source_name: maybeText,
  origin: maybeText,
  add_time: time,
});

const organization = z.object({ id: idLike.optional(), name: maybeText, owner_id: ref, user_id: ref });

/** "HH:MM" (or "HH:MM:SS") → seconds; Pipedrive sends "" or null for no duration. */
const duration = z
  .string()
  .nullable()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined || value === null || value.trim() === "") return value === undefined ? undefined : null;
    const match = /^(\d+):([0-5]\d)(?::([0-5]\d))?$/.exec(value.trim());
    if (!match) {
      ctx.addIssue({ code: "custom", message: `not HH:MM: ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    return Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3] ?? 0);
  });

const activity = z.object({
  id: idLike.optional(),
  type: maybeText,
  done: flag,
  duration,
  owner_id: ref,
  user_id: ref,
  deal_id: ref,
  person_id: ref,
  lead_id: ref,
  org_id: ref,
});

const user = z.object({ id: idLike.optional(), name: maybeText, email: maybeText, active_flag: flag });

/** Pipedrive's built-in activity types; custom types keep their key and land in "other". */
const ACTIVITY_TYPES: Record<string, string> = {
  call: "call",
  meeting: "meeting",
  email: "email",
  task: "task",
  deadline: "task",
  lunch: "meeting",
  demo: "demo",
  note: "note",
};

// ---- Mapping -----------------------------------------------------------------------

/** The native events one webhook becomes. */
type Mapped = Mapping<{ id: string; type: string; occurred_at: string; data: Record<string, unknown> }[]>;

/** The owner: `owner_id` in v2, `user_id` (possibly expanded) in v1. */
const ownerOf = (object: { owner_id?: string | null; user_id?: string | null }) =>
  object.owner_id !== undefined ? object.owner_id : object.user_id;

/** An id as text; only strings and numbers are ids (String() of `{"toString": 1}` would throw). */
const idText = (value: unknown): string | null =>
  (typeof value === "string" && value !== "") || typeof value === "number" ? String(value) : null;

function dealData(current: Deal): Record<string, unknown> {
  const status = current.status ?? undefined;
  let closedAt: string | null | undefined;
  if (status === "won") closedAt = current.won_time ?? current.close_time ?? undefined;
  else if (status === "lost") closedAt = current.lost_time ?? current.close_time ?? undefined;
  else if (status === "open") closedAt = null;
  return present({
    name: current.title,
    account_id: current.org_id,
    lead_id: current.person_id,
    owner_rep_id: ownerOf(current),
    pipeline: current.pipeline_id,
    stage: current.stage_id,
    status: current.status,
    amount: current.value,
    currency: current.currency,
    created_at: current.add_time,
    closed_at: closedAt,
    lost_reason: current.lost_reason,
  });
}

/**
 * What `previous` says about the deal before this change: its prior stage and status, each
 * at an instant Pipedrive recorded for it, and only when strictly before this event.
 */
function priorDealStates(current: Deal, previous: Deal, eventMs: number): Map<number, Record<string, unknown>> {
  const states = new Map<number, Record<string, unknown>>();
  const record = (field: string, value: unknown, at: string | null | undefined) => {
    const ms = at ? parseInstant(at) : null;
    if (ms === null || ms >= eventMs) return;
    states.set(ms, { ...states.get(ms), [field]: value });
  };
  if (previous.stage_id !== undefined && previous.stage_id !== null && previous.stage_id !== current.stage_id) {
    // stage_change_time is when the deal entered that stage; null there means it never
    // moved before, i.e. it sat in that stage since it was added.
    const since =
      previous.stage_change_time ??
      (previous.stage_change_time === null ? (previous.add_time ?? current.add_time) : undefined) ??
      previous.update_time;
    record("stage", previous.stage_id, since);
  }
  const status = previous.status;
  if ((status === "open" || status === "won" || status === "lost") && status !== current.status) {
    const since = status === "won" ? previous.won_time : status === "lost" ? previous.lost_time : previous.update_time;
    record("status", status, since ?? previous.update_time);
  }
  return states;
}

// ---- Custom deal fields the connection names ----------------------------------------

/** A deal field's key: Pipedrive's custom fields have 40-character hash keys. */
const FIELD_KEY = z.string().regex(/^[A-Za-z0-9_]+$/, "a Pipedrive field key, such as the 40-character key of a custom field");

/**
 * Pipedrive has no term or competitor of its own: a connection may name the deal custom
 * fields that hold them (docs/crms/pipedrive.md, "Custom fields").
 */
const customFieldsConfig = z.object({
  term_months_field: FIELD_KEY.optional(),
  competitor_field: FIELD_KEY.optional(),
});
type CustomFieldsConfig = z.infer<typeof customFieldsConfig>;

/**
 * A custom field's value on a deal: under `custom_fields` in v2, a top-level key in v1. A
 * field with parts (`{value, currency}` in v2) gives its `value`. undefined: not sent.
 */
function customFieldValue(raw: Record<string, unknown> | null, key: string): unknown {
  if (!raw) return undefined;
  const v2 = raw.custom_fields;
  const holder = typeof v2 === "object" && v2 !== null && !Array.isArray(v2) && Object.hasOwn(v2, key) ? (v2 as Record<string, unknown>) : raw;
  const value = Object.hasOwn(holder, key) ? holder[key] : undefined;
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    return Object.hasOwn(value, "value") ? (value as { value: unknown }).value : value;
  }
  return value;
}

/**
 * The term and competitor a deal's named custom fields give. A value the native fields
 * refuse is left out, with a note for the dead letter beside the deal's event.
 */
function customDealFields(raw: Record<string, unknown> | null, config: CustomFieldsConfig): { data: Record<string, unknown>; note?: string } {
  const notes: string[] = [];
  const data: Record<string, unknown> = {};
  if (config.term_months_field !== undefined) {
    const { value, issue } = checkedValue(["deal", "term_months"], customFieldValue(raw, config.term_months_field), config.term_months_field);
    if (issue === undefined) data.term_months = value;
    else notes.push(`${issue}: the deal was applied without its term_months`);
  }
  if (config.competitor_field !== undefined) {
    const { value, issue } = checkedText(customFieldValue(raw, config.competitor_field), config.competitor_field);
    if (issue === undefined) data.competitor = value;
    else notes.push(`${issue}: the deal was applied without its competitor`);
  }
  return { data: present(data), ...(notes.length > 0 ? { note: notes.join("; ") } : {}) };
}

/**
 * The deal's plan: Pipedrive's `expected_close_date`, a calendar day (v1 and v2 alike), is
 * midnight of that day in the workspace's time zone (docs/kpis.md, rule 38). It is the plan
 * whatever the status: won_time / lost_time are the close. A date that is no day is left
 * out, with a note for the dead letter beside the deal's event.
 */
function expectedClose(raw: Record<string, unknown> | null, timeZone: string): { data: Record<string, unknown>; note?: string } {
  const value = raw && Object.hasOwn(raw, "expected_close_date") ? raw.expected_close_date : undefined;
  const { value: plan, issue } = checkedPlanDate(value, "expected_close_date", timeZone);
  if (issue !== undefined) return { data: {}, note: `${issue}: the deal was applied without its expected_close_at` };
  return { data: present({ expected_close_at: plan }) };
}

function mapDeal(envelope: Envelope, eventMs: number, occurredAt: string, custom: Record<string, unknown>): Mapped {
  const dealId = idText(envelope.current?.id ?? envelope.previous?.id ?? envelope.entityId);
  if (!dealId) return unmapped("deal without an id");
  if (envelope.action === "delete") {
    return mapped([{ id: envelope.dedupeKey, type: "deal.deleted", occurred_at: occurredAt, data: { deal_id: dealId } }]);
  }
  const current = deal.safeParse(envelope.current ?? {});
  if (!current.success) return unmapped(`deal ${dealId}: ${describe(current.error)}`);
  if (current.data.status === "deleted" || current.data.is_deleted === true) {
    return mapped([{ id: envelope.dedupeKey, type: "deal.deleted", occurred_at: occurredAt, data: { deal_id: dealId } }]);
  }
  const events = [
    { id: envelope.dedupeKey, type: "deal.upserted", occurred_at: occurredAt, data: { deal_id: dealId, ...dealData(current.data), ...custom } },
  ];
  // A merge's `previous` is the other deal, so it says nothing about this deal's past.
  if (envelope.action === "change" && envelope.previous) {
    const previous = deal.safeParse(envelope.previous);
    if (!previous.success) return unmapped(`deal ${dealId} previous: ${describe(previous.error)}`);
    for (const [ms, data] of [...priorDealStates(current.data, previous.data, eventMs)].sort(([a], [b]) => a - b)) {
      events.push({
        id: `${envelope.dedupeKey}:prior:${ms}`,
        type: "deal.upserted",
        occurred_at: isoOrNull(ms)!,
        data: { deal_id: dealId, ...data },
      });
    }
  }
  return mapped(events);
}

/** An upsert or a delete of an object whose fields map one to one. */
function simpleMapping<S extends z.ZodType>(
  envelope: Envelope,
  occurredAt: string,
  canonical: "lead" | "account" | "rep",
  schema: S,
  toData: (object: z.output<S>) => Record<string, unknown>,
): Mapped {
  const idField = `${canonical}_id`;
  const objectId = idText(envelope.current?.id ?? envelope.previous?.id ?? envelope.entityId);
  if (!objectId) return unmapped(`${envelope.entity} without an id`);
  if (envelope.action === "delete") {
    return mapped([{ id: envelope.dedupeKey, type: `${canonical}.deleted`, occurred_at: occurredAt, data: { [idField]: objectId } }]);
  }
  const parsed = schema.safeParse(envelope.current ?? {});
  if (!parsed.success) return unmapped(`${envelope.entity} ${objectId}: ${describe(parsed.error)}`);
  return mapped([
    { id: envelope.dedupeKey, type: `${canonical}.upserted`, occurred_at: occurredAt, data: { [idField]: objectId, ...toData(parsed.data) } },
  ]);
}

function mapActivity(envelope: Envelope, occurredAt: string): Mapped {
  const activityId = idText(envelope.current?.id ?? envelope.previous?.id ?? envelope.entityId);
  if (!activityId) return unmapped("activity without an id");
  if (envelope.action === "delete") return unmapped(`activity ${activityId} deleted: the native format has no activity deletion`);
  const parsed = activity.safeParse(envelope.current ?? {});
  if (!parsed.success) return unmapped(`activity ${activityId}: ${describe(parsed.error)}`);
  const a = parsed.data;
  if (!a.type) return unmapped(`activity ${activityId} has no type`);
  const data = present({
    activity_id: activityId,
    type: lookup(ACTIVITY_TYPES, a.type.toLowerCase()) ?? "other",
    rep_id: ownerOf(a),
    // An activity on a Pipedrive lead names that lead; otherwise its person is the lead.
    lead_id: a.lead_id ?? a.person_id,
    account_id: a.org_id,
    deal_id: a.deal_id,
    duration_seconds: a.duration,
    outcome: a.done === undefined || a.done === null ? undefined : a.done ? "held" : "scheduled",
  });
  return mapped([{ id: envelope.dedupeKey, type: "activity.logged", occurred_at: occurredAt, data }]);
}

function mapEnvelope(envelope: Envelope, eventMs: number, customDeal: Record<string, unknown>): Mapped {
  if (envelope.action === null) return unmapped(`unknown action ${JSON.stringify(envelope.rawAction)}`);
  const occurredAt = new Date(eventMs).toISOString();
  switch (envelope.entity) {
    case "deal":
      return mapDeal(envelope, eventMs, occurredAt, customDeal);
    case "person":
      return simpleMapping(envelope, occurredAt, "lead", person, (p) =>
        present({ owner_rep_id: ownerOf(p), account_id: p.org_id, created_at: p.add_time }),
      );
    case "lead":
      return simpleMapping(envelope, occurredAt, "lead", pipedriveLead, (l) =>
        present({
          owner_rep_id: ownerOf(l),
          account_id: l.organization_id,
          source: l.source_name ?? l.origin,
          created_at: l.add_time,
        }),
      );
    case "organization":
      return simpleMapping(envelope, occurredAt, "account", organization, (o) =>
        present({ name: o.name, owner_rep_id: ownerOf(o) }),
      );
    case "user":
      return simpleMapping(envelope, occurredAt, "rep", user, (u) =>
        present({ name: u.name, email: u.email, active: u.active_flag }),
      );
    case "activity":
      return mapActivity(envelope, occurredAt);
    default:
      return unmapped(`Pipedrive ${envelope.entity} webhooks have no canonical event`);
  }
}

export const pipedrive: SourceAdapter = {
  acceptedStatus: 200,
  defaultStages: PIPEDRIVE_DEFAULT_STAGES,
  requiresSecret: true,

  // The password is generated unless the caller picks one; the user is shown with it.
  planSecret: (given, config) => {
    const custom = customFieldsConfig.safeParse(config);
    if (!custom.success) {
      const issue = custom.error.issues[0]!;
      return { ok: false, field: ["config", ...issue.path.map(String)].join("."), message: issue.message };
    }
    return { ok: true, secret: given ?? bytesToBase64(randomBytes(24)), username: usernameOf(config) };
  },

  // No signature and no timestamp to check: Basic credentials are all Pipedrive sends.
  verify(request: RawRequest, connection: ConnectionSecrets) {
    return verifyPipedrive(request.headers, connection);
  },

  async sign(_request, { secret, username }) {
    return { authorization: basicAuthorization(username ?? DEFAULT_USERNAME, secret ?? "") };
  },

  split(request): SplitResult {
    const body = parseJsonBody(request.body);
    if (!body.ok) return body;
    // Without meta there is no dedupe key to store the delivery under.
    const envelope = envelopeOf(body.value);
    if (!envelope.ok) return { ok: false, status: 400, reason: envelope.reason };
    return { ok: true, deliveries: [{ deliveryId: envelope.value.dedupeKey, body: request.body, headers: {} }] };
  },

  // One stored delivery is one webhook, the item at position 0 (its events follow from it).
  normalize(delivery, connection): Normalized {
    return normalizeJsonItem(delivery.body, (payload) => normalizeWebhook(payload, connection.config, connection.timezone || "UTC"));
  },
};

function normalizeWebhook(payload: unknown, config: Record<string, unknown>, timeZone: string): Normalized {
  const envelope = envelopeOf(payload);
  if (!envelope.ok) return itemResult(payload, envelope);
  const { dedupeKey, timestamp } = envelope.value;
  const eventMs = pipedriveInstant(timestamp);
  if (eventMs === null) return itemResult(payload, unmapped(`meta.timestamp ${JSON.stringify(timestamp)} is not a time`), { eventId: dedupeKey });
  const identity = { eventId: dedupeKey, occurredAt: eventMs };
  const customConfig = connectionConfigOf(customFieldsConfig, config);
  if (!customConfig.ok) return itemResult(payload, customConfig, identity);
  const isDeal = envelope.value.entity === "deal";
  const custom = isDeal ? customDealFields(envelope.value.current, customConfig.value) : { data: {} };
  const plan = isDeal ? expectedClose(envelope.value.current, timeZone) : { data: {} };
  const mapping = mapEnvelope(envelope.value, eventMs, { ...plan.data, ...custom.data });
  const result = itemResult(payload, mapping, identity);
  // The note follows the events: the deal stands, and the dead letter says what it lacks.
  const upserted = mapping.ok && mapping.value.some((event) => event.type === "deal.upserted");
  const note = [plan.note, custom.note].filter((n) => n !== undefined).join("; ");
  if (note === "" || !upserted) return result;
  return { ...result, rejected: [rejectedItem(result.events.length, payload, note, null, eventMs)] };
}

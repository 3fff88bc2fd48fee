// Salesforce Outbound Messages: SOAP notifications trusted through the secret webhook URL
// and the connection's organization id, stored one per Notification, mapped per sObject type.
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { z } from "zod";
import { timingSafeEqualText } from "../lib/crypto";
import { LEAD_STAGES, parseInstant } from "../model/events";
import type { ConnectionSecrets, Normalized, RawRequest, SourceAdapter, SplitResult, Verdict } from "./adapter";
import { type CheckedField, checkedPlanDate, checkedValue, connectionConfigOf, isolateItem, itemResult, localMidnightText, lookup, type Mapping, mapped, parseJson, present, rejectedItem, unmapped } from "./kit";

/** The WSDL's `Notification maxOccurs="100"`. */
export const MAX_NOTIFICATIONS_PER_MESSAGE = 100;

/** The only answer Salesforce takes as delivered; anything else is retried for 24 h. */
export const ACK_ENVELOPE =
  '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>' +
  '<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse>' +
  "</soapenv:Body></soapenv:Envelope>";

// ---------------------------------------------------------------- organization ids

/** An organization id as a connection's config gives it: 00D + 12 characters, or the 18-character form. */
const ORGANIZATION_ID = /^00D[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$/;

/** The connection's `config.organization_id` when it has the shape of one (planSecret and verify read it). */
function configuredOrganizationId(config: Record<string, unknown>): string | null {
  const configured = config.organization_id;
  return typeof configured === "string" && ORGANIZATION_ID.test(configured) ? configured : null;
}

const SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/**
 * The case-sensitive 15-character form of a Salesforce id. The 18-character form is the
 * same id plus three characters that encode, five bits each, which of the 15 are upper
 * case, so that it survives case-insensitive systems: the case is restored from them.
 */
export function fifteenCharacterId(id: string): string | null {
  if (/^[A-Za-z0-9]{15}$/.test(id)) return id;
  if (!/^[A-Za-z0-9]{18}$/.test(id)) return null;
  let restored = "";
  for (let chunk = 0; chunk < 3; chunk++) {
    const upperCaseBits = SUFFIX_ALPHABET.indexOf(id[15 + chunk]!.toUpperCase());
    if (upperCaseBits < 0) return null;
    for (let i = 0; i < 5; i++) {
      const char = id[chunk * 5 + i]!;
      restored += upperCaseBits & (1 << i) ? char.toUpperCase() : char.toLowerCase();
    }
  }
  return restored;
}

// ---------------------------------------------------------------- SOAP parsing

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  // sf:, soapenv:, xsi: are prefixes the sender picks; the local names are what count.
  removeNSPrefix: true,
  // Ids such as 0067F… and amounts such as 1.2E7 stay text; each is converted where mapped.
  parseTagValue: false,
  parseAttributeValue: false,
  // Numeric character references (&#233;) besides the five XML entities.
  htmlEntities: true,
  ignoreDeclaration: true,
});

/** A leaf element: text, text with attributes, or `xsi:nil="true"`. */
const xmlLeaf = z.union([
  z.string(),
  z.object({ "#text": z.union([z.string(), z.number()]) }).transform((node) => String(node["#text"])),
  z.object({ "@_nil": z.literal("true") }).transform(() => null),
  // An empty element with attributes only, e.g. <sf:Name xsi:type="xsd:string"/>.
  z.record(z.string().startsWith("@_"), z.unknown()).transform(() => ""),
]);

const notificationXml = z.object({
  Id: z.string().min(1),
  sObject: z.record(z.string(), z.unknown()),
});

const outboundMessageXml = z.object({
  Envelope: z.object({
    Body: z.object({
      notifications: z.object({
        OrganizationId: z.string().min(1),
        ActionId: xmlLeaf.optional(),
        Notification: z
          .union([notificationXml, z.array(notificationXml).min(1)])
          .transform((notifications) => (Array.isArray(notifications) ? notifications : [notifications])),
      }),
    }),
  }),
});

/**
 * What is stored per Notification. The whole message would be stored once per notification
 * (up to 100 times); this document keeps all that normalize needs and the sender's values
 * as text, exactly as they arrived.
 */
const storedNotification = z.object({
  notification_id: z.string().min(1),
  organization_id: z.string(),
  action_id: z.string().nullable(),
  sobject_type: z.string().nullable(),
  /** Field values as sent; null for `xsi:nil`. Fields that were not selected are absent. */
  fields: z.record(z.string(), z.string().nullable()),
});
export type StoredNotification = z.infer<typeof storedNotification>;

/** What verify and split read of a message: the organization it claims and its notifications. */
type ParsedMessage = Mapping<{ organizationId: string; notifications: StoredNotification[] }>;

/** The sObject's type (`xsi:type="sf:Opportunity"`) and its scalar fields as text. */
function readSObject(sObject: Record<string, unknown>): Pick<StoredNotification, "sobject_type" | "fields"> {
  const declaredType = sObject["@_type"];
  const fields: Record<string, string | null> = {};
  for (const [name, node] of Object.entries(sObject)) {
    if (name.startsWith("@_")) continue;
    const leaf = xmlLeaf.safeParse(node);
    // Compound or repeated elements are not fields Outbound Messages send; they stay out.
    if (leaf.success) fields[name] = leaf.data;
  }
  return {
    sobject_type: typeof declaredType === "string" && declaredType ? declaredType.slice(declaredType.indexOf(":") + 1) : null,
    fields,
  };
}

export function parseOutboundMessage(body: string): ParsedMessage {
  // SOAP 1.1 forbids a DTD; refusing it also rules out entity expansion attacks.
  if (body.includes("<!DOCTYPE")) return unmapped("a SOAP message must not contain a DOCTYPE");
  const wellFormed = XMLValidator.validate(body);
  if (wellFormed !== true) return unmapped(`body is not XML: ${wellFormed.err.msg}`);
  let document: unknown;
  try {
    document = xmlParser.parse(body);
  } catch (error) {
    // The parser refuses what the validator lets through, e.g. elements nested too deep.
    return unmapped(`body is not a readable SOAP message: ${error instanceof Error ? error.message : String(error)}`);
  }
  const message = outboundMessageXml.safeParse(document);
  if (!message.success) {
    return unmapped("body is not a Salesforce Outbound Message (Envelope/Body/notifications with OrganizationId and Notification/Id)");
  }
  const { OrganizationId, ActionId, Notification } = message.data.Envelope.Body.notifications;
  return mapped({
    organizationId: OrganizationId,
    notifications: Notification.map((notification) => ({
      notification_id: notification.Id,
      organization_id: OrganizationId,
      action_id: ActionId || null,
      ...readSObject(notification.sObject),
    })),
  });
}

// verify() and split() see the same request object: the body is parsed once.
const parsedRequests = new WeakMap<RawRequest, ParsedMessage>();

function parsedMessageOf(request: RawRequest): ParsedMessage {
  let parsed = parsedRequests.get(request);
  if (!parsed) {
    parsed = parseOutboundMessage(request.body);
    parsedRequests.set(request, parsed);
  }
  return parsed;
}

// ---------------------------------------------------------------- field readers

type Fields = StoredNotification["fields"];
type LeadStage = (typeof LEAD_STAGES)[number];

/** Absent stays undefined (unchanged); nil or empty becomes null (cleared). */
function text(fields: Fields, name: string): string | null | undefined {
  const value = fields[name];
  if (value === undefined) return undefined;
  return value === null || value.trim() === "" ? null : value;
}

function flag(fields: Fields, name: string): boolean | undefined {
  const value = fields[name];
  return value === "true" ? true : value === "false" ? false : undefined;
}

/**
 * xsd:double as Salesforce writes it ("120000.0", "1.2E7") → a number. Anything else is
 * passed on as is, so that event validation rejects it with its reason.
 */
function decimal(fields: Fields, name: string): number | string | null | undefined {
  const value = text(fields, name);
  if (typeof value !== "string" || !/^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/.test(value)) return value;
  const number = Number(value);
  return Number.isFinite(number) ? number : value;
}

/** Owners can be queues (00G…), which are no rep: the record then has no owner rep. */
function ownerRep(fields: Fields, name: string): string | null | undefined {
  const owner = text(fields, name);
  return typeof owner === "string" && owner.startsWith("00G") ? null : owner;
}

/** The id in `name` when its key prefix (the object type) is `prefix`. */
function idOfType(fields: Fields, name: string, prefix: string): string | undefined {
  const value = text(fields, name);
  return typeof value === "string" && value.startsWith(prefix) ? value : undefined;
}

/**
 * A date field (CloseDate) is a calendar day, not an instant: it becomes midnight of that
 * day in the workspace's time zone, so the deal lands in the month Salesforce shows.
 * Anything but a day is passed on as is, so that event validation rejects it with its reason.
 */
function startOfDay(fields: Fields, name: string, timeZone: string): string | null | undefined {
  const value = text(fields, name);
  return typeof value === "string" ? (localMidnightText(value, timeZone) ?? value) : value;
}

function timeZoneOf(connection: ConnectionSecrets): string {
  return connection.timezone || "UTC";
}

// ---------------------------------------------------------------- mapping per sObject

/**
 * Salesforce's default Lead Status values (the classic set and the newer Lightning set) →
 * lifecycle stages. Converting a lead is what Salesforce reports as lead conversion, so it
 * reaches `customer`; being worked by a rep is the one qualification step the defaults
 * have (`mql`). null: a known status that moves no stage (disqualified leads keep theirs).
 */
export const DEFAULT_LEAD_STATUS_STAGES: Readonly<Record<string, LeadStage | null>> = {
  "Open - Not Contacted": "lead",
  "Working - Contacted": "mql",
  "Closed - Converted": "customer",
  "Closed - Not Converted": null,
  New: "lead",
  Nurturing: "lead",
  Working: "mql",
  Qualified: "sql",
  Unqualified: null,
};

/** A field's API name as Salesforce writes it in Outbound Messages (LeadScore__c, Amount). */
const FIELD_API_NAME = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, "a Salesforce field API name, such as LeadScore__c");

const connectionConfig = z.object({
  /** Custom Lead Status values → stage, merged over the defaults. */
  lead_status_stages: z.record(z.string(), z.enum(LEAD_STAGES).nullable()).optional(),
  // Fields Salesforce has no standard one for: each is read only when the connection names
  // the org's own (custom) field (docs/crms/salesforce.md, "Custom fields").
  /** Lead: the lead score, 0–100. */
  lead_score_field: FIELD_API_NAME.optional(),
  /** Opportunity: the contract term in whole months. */
  term_months_field: FIELD_API_NAME.optional(),
  /** Opportunity: the competitor the deal was lost to. */
  competitor_field: FIELD_API_NAME.optional(),
  /** Opportunity: the reason the deal was lost. */
  lost_reason_field: FIELD_API_NAME.optional(),
});
type ConnectionConfig = z.infer<typeof connectionConfig>;

/** The connection's config as the mapping reads it, or the reason it cannot be read. */
const configOf = (connection: ConnectionSecrets): Mapping<ConnectionConfig> => connectionConfigOf(connectionConfig, connection.config);

/**
 * A number field the connection names (if any), checked by its native field: a value that
 * field refuses is left out with a note, so one odd field does not cost the whole record.
 */
function namedNumber(fields: Fields, name: string | undefined, native: CheckedField): { value?: unknown; note?: string } {
  if (name === undefined) return {};
  const { value, issue } = checkedValue(native, decimal(fields, name), name);
  return issue === undefined ? { value } : { note: `${issue}: the ${native[0]} was applied without its ${native[1]}` };
}

/** The notes of a mapping, as the one dead letter beside the event. */
const joinNotes = (...notes: (string | undefined)[]): string | undefined => notes.filter(Boolean).join("; ") || undefined;

/** Opportunity Type (standard values) → deal kind; other values leave the kind unset. */
const OPPORTUNITY_KINDS: Readonly<Record<string, "new" | "expansion">> = {
  "New Customer": "new",
  "Existing Customer - Upgrade": "expansion",
};

/** Salesforce's own closed stage names, used only when IsClosed / IsWon were not sent. */
function statusOfOpportunity(fields: Fields): "open" | "won" | "lost" | undefined {
  const isClosed = flag(fields, "IsClosed");
  const isWon = flag(fields, "IsWon");
  if (isWon === true) return "won";
  if (isClosed === false) return "open";
  if (isClosed === true && isWon === false) return "lost";
  const stage = text(fields, "StageName");
  if (stage === "Closed Won") return "won";
  if (stage === "Closed Lost") return "lost";
  return undefined;
}

/** The event an sObject becomes, and a note to dead-letter beside it when part of it could not be mapped. */
type SObjectMapping = Mapping<{ type: string; data: Record<string, unknown>; note?: string }>;

function mapOpportunity(fields: Fields, id: string, connection: ConnectionSecrets): SObjectMapping {
  const config = configOf(connection);
  if (!config.ok) return config;
  const { term_months_field: termField, competitor_field: competitorField, lost_reason_field: lostReasonField } = config.value;
  const term = namedNumber(fields, termField, ["deal", "term_months"]);
  const status = statusOfOpportunity(fields);
  const kind = text(fields, "Type");
  const closedAt =
    status === "open" ? null : status === undefined ? undefined : startOfDay(fields, "CloseDate", timeZoneOf(connection));
  // An open opportunity's CloseDate is its plan (docs/kpis.md, rule 38); a closed one's is
  // the close, and the plan it had stays. Without IsClosed (or a closed stage name) the
  // status is unknown, and so is what the date is: it sets neither.
  const plan = status === "open" ? checkedPlanDate(text(fields, "CloseDate"), "CloseDate", timeZoneOf(connection)) : {};
  const planNote = plan.issue === undefined ? undefined : `${plan.issue}: the deal was applied without its expected_close_at`;
  return mapped({
    type: "deal.upserted",
    data: present({
      deal_id: id,
      name: text(fields, "Name"),
      account_id: text(fields, "AccountId"),
      owner_rep_id: ownerRep(fields, "OwnerId"),
      stage: text(fields, "StageName"),
      status,
      amount: decimal(fields, "Amount"),
      currency: text(fields, "CurrencyIsoCode"),
      kind: lookup(OPPORTUNITY_KINDS, kind),
      source: text(fields, "LeadSource"),
      created_at: text(fields, "CreatedDate"),
      closed_at: closedAt,
      expected_close_at: plan.value,
      term_months: term.value,
      competitor: competitorField === undefined ? undefined : text(fields, competitorField),
      lost_reason: lostReasonField === undefined ? undefined : text(fields, lostReasonField),
    }),
    note: joinNotes(term.note, planNote),
  });
}

function mapLead(fields: Fields, id: string, connection: ConnectionSecrets): SObjectMapping {
  const config = configOf(connection);
  if (!config.ok) return config;
  const stages = { ...DEFAULT_LEAD_STATUS_STAGES, ...config.value.lead_status_stages };
  const score = namedNumber(fields, config.value.lead_score_field, ["lead", "score"]);
  const status = text(fields, "Status");
  let stage: LeadStage | null | undefined;
  let note: string | undefined;
  if (flag(fields, "IsConverted") === true) stage = "customer";
  else if (typeof status === "string") {
    if (Object.hasOwn(stages, status)) stage = stages[status] ?? undefined;
    else note = `Lead status ${JSON.stringify(status)} has no lifecycle stage: the lead was applied without a stage; map it in the connection's config.lead_status_stages`;
  }
  return mapped({
    type: "lead.upserted",
    data: present({
      lead_id: id,
      account_id: text(fields, "ConvertedAccountId"),
      owner_rep_id: ownerRep(fields, "OwnerId"),
      source: text(fields, "LeadSource"),
      stage,
      created_at: text(fields, "CreatedDate"),
      score: score.value,
    }),
    note: joinNotes(note, score.note),
  });
}

function mapAccount(fields: Fields, id: string): SObjectMapping {
  return mapped({
    type: "account.upserted",
    data: present({
      account_id: id,
      name: text(fields, "Name"),
      industry: text(fields, "Industry"),
      owner_rep_id: ownerRep(fields, "OwnerId"),
      region: text(fields, "BillingCountry"),
      segment: text(fields, "Type"),
    }),
  });
}

const TASK_SUBTYPES: Readonly<Record<string, string>> = { Call: "call", Email: "email", ListEmail: "email", LinkedIn: "social" };
const TASK_TYPES: Readonly<Record<string, string>> = { Call: "call", Email: "email", Meeting: "meeting" };
const CALL_DIRECTIONS: Readonly<Record<string, string>> = { Inbound: "inbound", Outbound: "outbound" };

function mapActivity(fields: Fields, id: string, sObjectType: "Task" | "Event"): SObjectMapping {
  const subtype = text(fields, "TaskSubtype") ?? "";
  const taskType = text(fields, "Type") ?? "";
  const type = sObjectType === "Event" ? "meeting" : lookup(TASK_SUBTYPES, subtype) ?? lookup(TASK_TYPES, taskType) ?? "task";
  const callType = text(fields, "CallType");
  const minutes = decimal(fields, "DurationInMinutes");
  const duration =
    sObjectType === "Event" ? (typeof minutes === "number" ? minutes * 60 : minutes) : decimal(fields, "CallDurationInSeconds");
  return mapped({
    type: "activity.logged",
    data: present({
      activity_id: id,
      type,
      direction: lookup(CALL_DIRECTIONS, callType),
      rep_id: ownerRep(fields, "OwnerId"),
      // WhoId is a lead (00Q) or a contact (003); only leads are tracked.
      lead_id: idOfType(fields, "WhoId", "00Q"),
      account_id: idOfType(fields, "WhatId", "001") ?? text(fields, "AccountId"),
      deal_id: idOfType(fields, "WhatId", "006"),
      duration_seconds: duration,
    }),
  });
}

function mapUser(fields: Fields, id: string): SObjectMapping {
  const fullName = [text(fields, "FirstName"), text(fields, "LastName")].filter(Boolean).join(" ");
  return mapped({
    type: "rep.upserted",
    data: present({
      rep_id: id,
      name: text(fields, "Name") ?? (fullName || undefined),
      email: text(fields, "Email"),
      active: flag(fields, "IsActive"),
      team: text(fields, "Department"),
    }),
  });
}

function mapSObject(notification: StoredNotification, id: string, connection: ConnectionSecrets): SObjectMapping {
  const { fields, sobject_type: sObjectType } = notification;
  switch (sObjectType) {
    case "Opportunity":
      return mapOpportunity(fields, id, connection);
    case "Lead":
      return mapLead(fields, id, connection);
    case "Account":
      return mapAccount(fields, id);
    case "Task":
    case "Event":
      return mapActivity(fields, id, sObjectType);
    case "User":
      return mapUser(fields, id);
    default:
      return unmapped(`sObject type ${JSON.stringify(sObjectType)} is not mapped (Opportunity, Lead, Account, Task, Event and User are)`);
  }
}

/** Each stored delivery is one Notification → at most one event, at position 0. */
function normalizeNotification(notification: StoredNotification, connection: ConnectionSecrets): Normalized {
  const eventId = notification.notification_id;
  const { fields, sobject_type: sObjectType } = notification;
  const id = text(fields, "Id");
  if (!id) return itemResult(notification, unmapped(`the ${sObjectType ?? "sObject"} in notification ${eventId} has no Id`), { eventId });
  // Changes are retried out of order: the record's own modification time orders them.
  const occurredAt = text(fields, "LastModifiedDate") ?? text(fields, "SystemModstamp");
  if (!occurredAt) {
    const reason = `${sObjectType ?? "sObject"} ${id} has no LastModifiedDate (nor SystemModstamp): add LastModifiedDate to the outbound message's fields`;
    return itemResult(notification, unmapped(reason), { eventId });
  }
  const occurredAtMs = parseInstant(occurredAt);
  const mapping = mapSObject(notification, id, connection);
  if (!mapping.ok) return itemResult(notification, mapping, { eventId, occurredAt: occurredAtMs });
  const { type, data, note } = mapping.value;
  const result = itemResult(notification, mapped([{ id: eventId, type, occurred_at: occurredAt, data }]));
  // The note is the item's second entry: the event stands, and the dead letter says what it lacks.
  return note ? { ...result, rejected: [rejectedItem(1, notification, note, null, occurredAtMs)] } : result;
}

export const salesforce: SourceAdapter = {
  acceptedStatus: 200,
  // The secret webhook URL and the OrganizationId stand in for a signature.
  requiresSecret: false,
  defaultStages: [
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
  ],

  // No secret at all: the organization the messages must come from is what is required.
  planSecret(_given, config) {
    if (configuredOrganizationId(config) === null) {
      return { ok: false, field: "config.organization_id", message: "a 15- or 18-character Salesforce organization id (00D…) is required" };
    }
    const parsed = connectionConfig.safeParse(config);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return { ok: false, field: ["config", ...issue.path.map(String)].join("."), message: issue.message };
    }
    return { ok: true, secret: null };
  },

  /** No signature exists: the unguessable URL is the secret, and the message must come from the connected org. */
  async verify(request: RawRequest, connection: ConnectionSecrets): Promise<Verdict> {
    const message = parsedMessageOf(request);
    if (!message.ok) return { ok: false, status: 400, reason: message.reason };
    const configured = configuredOrganizationId(connection.config);
    const expected = configured === null ? null : fifteenCharacterId(configured);
    if (!expected) return { ok: false, reason: "the connection has no valid config.organization_id" };
    const claimed = fifteenCharacterId(message.value.organizationId.trim());
    if (!claimed || !timingSafeEqualText(claimed, expected)) {
      return { ok: false, reason: "OrganizationId does not match the connection's organization" };
    }
    return { ok: true };
  },

  // Nothing to sign: the message names its organization itself.
  async sign() {
    return {};
  },

  split(request): SplitResult {
    const message = parsedMessageOf(request);
    if (!message.ok) return { ok: false, status: 400, reason: message.reason };
    const { notifications } = message.value;
    if (notifications.length > MAX_NOTIFICATIONS_PER_MESSAGE) {
      return { ok: false, status: 413, reason: `at most ${MAX_NOTIFICATIONS_PER_MESSAGE} notifications per message` };
    }
    // Notification/Id is what Salesforce keeps across its retries: the dedupe key.
    return {
      ok: true,
      deliveries: notifications.map((notification) => ({
        deliveryId: notification.notification_id,
        body: JSON.stringify(notification),
        headers: {},
      })),
    };
  },

  normalize(delivery, connection): Normalized {
    const stored = parseJson(delivery.body);
    const notification = storedNotification.safeParse(stored.ok ? stored.value : undefined);
    if (!notification.success) {
      return { events: [], rejected: [rejectedItem(0, delivery.body, "stored delivery is not a Salesforce notification document")] };
    }
    return isolateItem(0, notification.data, () => normalizeNotification(notification.data, connection));
  },

  acknowledge() {
    return new Response(ACK_ENVELOPE, { status: 200, headers: { "content-type": "text/xml; charset=utf-8" } });
  },
};

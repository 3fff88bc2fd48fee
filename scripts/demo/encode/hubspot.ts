// HubSpot: batched webhook arrays (≤ 100 events) of creation / propertyChange /
// associationChange events, signed v3 with the app's client secret by the HubSpot adapter's
// signer (workers/sources/hubspot.ts).
import { SECOND_MS } from "../../../shared/units";
import type { NativeEvent } from "../company";
import { type Delivery, type Encoder, fieldsOf, idOf, ms, signedDelivery } from "./types";

export const PORTAL_ID = 24_681_357;
const BATCH = 100;
/** The annual contract value a demo deal's term is encoded against (a multiple of 12: TCV stays whole). */
const CONTRACT_ACV = 1200;

const ACTIVITY_OBJECT_TYPES: Record<string, string> = { call: "0-48", email: "0-49", meeting: "0-47", task: "0-27", note: "0-46" };
const LINK_OBJECT_TYPES: Record<string, string> = { lead_id: "0-1", account_id: "0-2", deal_id: "0-3" };
const LIFECYCLE: Record<string, string> = {
  subscriber: "subscriber", lead: "lead", mql: "marketingqualifiedlead", sql: "salesqualifiedlead",
  opportunity: "opportunity", customer: "customer",
};
const DEAL_TYPES: Record<string, string> = { new: "newbusiness", expansion: "existingbusiness", renewal: "renewal" };
const MEETING_OUTCOMES: Record<string, string> = { scheduled: "SCHEDULED", held: "COMPLETED", canceled: "CANCELED", no_show: "NO_SHOW" };
const CLOSED: Record<string, string> = { closedwon: "won", closedlost: "lost" };

const SUBSCRIPTION_IDS: Record<string, number> = {};
function subscriptionId(type: string): number {
  return (SUBSCRIPTION_IDS[type] ??= 1_900_000 + Object.keys(SUBSCRIPTION_IDS).length);
}

function carried(event: NativeEvent): string[] {
  const fields = fieldsOf(event);
  const data = event.data;
  switch (event.type) {
    case "account.upserted":
      return fields.filter((f) => ["name", "industry", "owner_rep_id", "region", "segment"].includes(f));
    case "lead.upserted":
      return fields.filter((f) => ["account_id", "owner_rep_id", "source", "stage", "created_at", "score"].includes(f));
    case "deal.upserted":
      return fields.filter((f) => {
        if (f === "status") return typeof data.stage === "string" && (CLOSED[data.stage] ?? "open") === data.status;
        if (f === "source") return typeof data.source === "string" && data.source === data.source.toLowerCase();
        // Both are HubSpot's closedate: the dealstage of the same write tells which one it is
        // (workers/sources/hubspot.ts, closeDateFields), a closing stage the close, an open one the plan.
        if (f === "closed_at") return typeof data.stage === "string" && CLOSED[data.stage] !== undefined;
        if (f === "expected_close_at") return typeof data.stage === "string" && CLOSED[data.stage] === undefined;
        // The competitor needs a connection's competitor_property: it goes natively.
        return ["name", "account_id", "lead_id", "owner_rep_id", "stage", "amount", "currency", "kind", "created_at", "closed_at", "lost_reason", "term_months"].includes(f);
      });
    case "activity.logged": {
      const type = String(data.type);
      if (!ACTIVITY_OBJECT_TYPES[type]) return [];
      return fields.filter((f) => {
        if (f === "type" || f === "rep_id" || f === "lead_id" || f === "account_id" || f === "deal_id") return true;
        if (f === "direction") return type === "call" || type === "email";
        if (f === "duration_seconds") return type === "call";
        if (f === "outcome") return type === "meeting";
        return false;
      });
    }
    default:
      return [];
  }
}

interface HubSpotEvent {
  eventId: number;
  subscriptionId: number;
  portalId: number;
  appId: number;
  occurredAt: number;
  subscriptionType: string;
  attemptNumber: number;
  objectId?: number;
  objectTypeId?: string;
  propertyName?: string;
  propertyValue?: string;
  changeSource: string;
  fromObjectId?: number;
  toObjectId?: number;
  fromObjectTypeId?: string;
  toObjectTypeId?: string;
  associationType?: string;
  associationRemoved?: boolean;
}

function encode(parts: NativeEvent[]): Delivery[] {
  // One write per part: the events of one write stay in one batch, where the adapter pairs
  // hs_tcv with hs_acv and a closedate with its dealstage.
  const writes: HubSpotEvent[][] = [];
  let out: HubSpotEvent[] = [];
  const created = new Set<string>();
  let eventId = 3_000_000_000;
  const push = (occurredAt: number, subscriptionType: string, fields: Partial<HubSpotEvent>) =>
    out.push({
      eventId: ++eventId,
      subscriptionId: subscriptionId(subscriptionType),
      portalId: PORTAL_ID,
      appId: 3_141_592,
      occurredAt,
      subscriptionType,
      attemptNumber: 0,
      changeSource: "CRM_UI",
      ...fields,
    });

  for (const part of parts) {
    writes.push((out = []));
    const at = ms(part.occurred_at);
    const id = idOf(part);
    const objectId = Number(id);
    const data = part.data;
    const key = `${part.type}:${id}`;
    if (part.type === "activity.logged") {
      const typeId = ACTIVITY_OBJECT_TYPES[String(data.type)]!;
      if (!created.has(key)) {
        created.add(key);
        push(at, "object.creation", { objectId, objectTypeId: typeId });
      }
      const property = (propertyName: string, propertyValue: string) =>
        push(at, "object.propertyChange", { objectId, objectTypeId: typeId, propertyName, propertyValue });
      if (data.rep_id !== undefined) property("hubspot_owner_id", String(data.rep_id));
      if (data.direction !== undefined) {
        if (data.type === "call") property("hs_call_direction", data.direction === "inbound" ? "INBOUND" : "OUTBOUND");
        else property("hs_email_direction", data.direction === "inbound" ? "INCOMING_EMAIL" : "EMAIL");
      }
      if (data.duration_seconds !== undefined) property("hs_call_duration", String(Number(data.duration_seconds) * SECOND_MS));
      if (data.outcome !== undefined) property("hs_meeting_outcome", MEETING_OUTCOMES[String(data.outcome)]!);
      for (const [field, toType] of Object.entries(LINK_OBJECT_TYPES)) {
        if (data[field] === undefined) continue;
        push(at, "object.associationChange", {
          fromObjectId: objectId, toObjectId: Number(data[field]), fromObjectTypeId: typeId, toObjectTypeId: toType,
          associationType: `${String(data.type).toUpperCase()}_TO_${{ lead_id: "CONTACT", account_id: "COMPANY", deal_id: "DEAL" }[field]}`,
          associationRemoved: false,
        });
      }
      continue;
    }

    const object = { "account.upserted": "company", "lead.upserted": "contact", "deal.upserted": "deal" }[part.type as string]!;
    let createdAtSent = false;
    if (!created.has(key)) {
      created.add(key);
      push(at, `${object}.creation`, { objectId });
      // The creation event carries its own instant as created_at (deals and contacts).
      createdAtSent = object !== "company" && data.created_at !== undefined && ms(String(data.created_at)) === at;
    }
    const property = (propertyName: string, propertyValue: string) =>
      push(at, `${object}.propertyChange`, { objectId, propertyName, propertyValue });
    const association = (associationType: string, toObjectId: unknown) =>
      push(at, `${object}.associationChange`, {
        fromObjectId: objectId, toObjectId: Number(toObjectId), associationType, associationRemoved: false,
      });
    for (const [field, value] of Object.entries(data)) {
      if (field === "account_id" && part.type === "account.upserted") continue;
      if (field === "lead_id" && part.type === "lead.upserted") continue;
      if (field === "deal_id") continue;
      const text = String(value);
      switch (`${object}.${field}`) {
        case "company.name": property("name", text); break;
        case "company.industry": property("industry", text); break;
        case "company.owner_rep_id": property("hubspot_owner_id", text); break;
        case "company.region": property("region", text); break;
        case "company.segment": property("segment", text); break;
        case "contact.account_id": property("associatedcompanyid", text); break;
        case "contact.owner_rep_id": property("hubspot_owner_id", text); break;
        case "contact.source": property("hs_analytics_source", text.toUpperCase()); break;
        case "contact.stage": property("lifecyclestage", LIFECYCLE[text]!); break;
        case "contact.created_at": if (!createdAtSent) property("createdate", String(ms(text))); break;
        case "contact.score": property("hubspotscore", text); break;
        case "deal.name": property("dealname", text); break;
        case "deal.account_id": association("DEAL_TO_COMPANY", value); break;
        case "deal.lead_id": association("DEAL_TO_CONTACT", value); break;
        case "deal.owner_rep_id": property("hubspot_owner_id", text); break;
        case "deal.stage": property("dealstage", text); break;
        case "deal.status": break; // told by dealstage
        case "deal.amount": property("amount", text); break;
        case "deal.currency": property("deal_currency_code", text); break;
        case "deal.kind": property("dealtype", DEAL_TYPES[text]!); break;
        case "deal.source": property("hs_analytics_source", text.toUpperCase()); break;
        case "deal.created_at": if (!createdAtSent) property("createdate", String(ms(text))); break;
        case "deal.closed_at": property("closedate", String(ms(text))); break;
        case "deal.expected_close_at": property("closedate", value === null ? "" : String(ms(text))); break;
        case "deal.lost_reason": property("closed_lost_reason", text); break;
        case "deal.term_months":
          // HubSpot's two contract values of one write, whose ratio is the term: 12 × TCV / ACV.
          property("hs_acv", String(CONTRACT_ACV));
          property("hs_tcv", String((CONTRACT_ACV * Number(value)) / 12));
          break;
        default: throw new Error(`hubspot: ${part.type} field ${field} is not carried`);
      }
    }
  }

  const batches: HubSpotEvent[][] = [[]];
  for (const write of writes) {
    if (batches.at(-1)!.length > 0 && batches.at(-1)!.length + write.length > BATCH) batches.push([]);
    batches.at(-1)!.push(...write);
  }
  const deliveries: Delivery[] = [];
  for (const batch of batches.filter((b) => b.length > 0)) {
    const body = JSON.stringify(batch);
    deliveries.push(
      signedDelivery("hubspot", body, batch.length, {
        "content-type": "application/json",
        "user-agent": "HubSpot Connect 2.0 (http://dev.hubspot.com/)",
      }),
    );
  }
  return deliveries;
}

export const hubspotEncoder: Encoder = { kind: "hubspot", carried, encode };

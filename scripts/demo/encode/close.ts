// Close: one webhook per event ({subscription_id, event}), signed with close-sig-hash by the
// Close adapter's signer (workers/sources/close.ts). A Close lead is the company and the
// prospect at once.
import { DAY_MS } from "../../../shared/units";
import type { NativeEvent } from "../company";
import { type Delivery, type EncodeContext, type Encoder, fieldsOf, idOf, isLocalMidnight, ms, planDay, randomText, signedDelivery } from "./types";

/** Lead statuses of the demo's Close org → lifecycle stages (the connection's config). */
export const CLOSE_LEAD_STATUSES: Record<string, string> = {
  Subscriber: "subscriber",
  Potential: "lead",
  "Marketing Qualified": "mql",
  Qualified: "sql",
  Opportunity: "opportunity",
  Customer: "customer",
};
const STATUS_OF_STAGE = Object.fromEntries(Object.entries(CLOSE_LEAD_STATUSES).map(([status, stage]) => [stage, status]));
const MEETING_STATUSES: Record<string, string> = { scheduled: "upcoming", held: "completed", canceled: "canceled" };
const ACTIVITY_TYPES = new Set(["call", "email", "meeting", "note"]);
const ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A Close date (date_won / date_lost) is a calendar day: UTC midnight. */
const isUtcMidnight = (iso: unknown) => typeof iso === "string" && ms(iso) % DAY_MS === 0;

function carriedIn(event: NativeEvent, timeZone: string): string[] {
  const fields = fieldsOf(event);
  const data = event.data;
  switch (event.type) {
    case "account.upserted":
      return fields.filter((f) => f === "name");
    case "lead.upserted":
      return fields.filter((f) => (f === "account_id" ? data.account_id === data.lead_id : f === "stage" || f === "created_at"));
    case "deal.upserted":
      return fields.filter((f) => {
        if (f === "account_id" || f === "lead_id") return data.account_id === data.lead_id;
        if (f === "closed_at") return (data.status === "won" || data.status === "lost") && isUtcMidnight(data.closed_at);
        // An active opportunity's date_won is its plan, a day in the workspace's zone.
        if (f === "expected_close_at") return data.status === "open" && (data.expected_close_at === null || isLocalMidnight(data.expected_close_at, timeZone));
        if (f === "stage") return data.status === "open" || (data.stage === "Won" && data.status === "won") || (data.stage === "Lost" && data.status === "lost");
        return ["owner_rep_id", "status", "amount", "currency", "created_at"].includes(f);
      });
    case "activity.logged": {
      const type = String(data.type);
      if (!ACTIVITY_TYPES.has(type) || data.lead_id === undefined || data.lead_id !== data.account_id) return [];
      return fields.filter((f) => {
        if (["type", "rep_id", "lead_id", "account_id"].includes(f)) return true;
        if (f === "direction") return type === "call" || type === "email";
        if (f === "duration_seconds") return type === "call" || type === "meeting";
        if (f === "outcome") return type === "meeting" && MEETING_STATUSES[String(data.outcome)] !== undefined;
        return false;
      });
    }
    default:
      return [];
  }
}

/** An opportunity's native field as Close names it in changed_fields (other objects keep the native name). */
const OPPORTUNITY_FIELDS: Record<string, string> = {
  owner_rep_id: "user_id", stage: "status_label", status: "status_type", amount: "value", currency: "value_currency",
  created_at: "date_created", expected_close_at: "date_won",
};
function closeFieldName(objectType: string, field: string, current: Record<string, unknown>): string {
  if (objectType !== "opportunity") return field;
  if (field === "closed_at") return current.status === "lost" ? "date_lost" : "date_won";
  return OPPORTUNITY_FIELDS[field] ?? field;
}

function encode(parts: NativeEvent[], context: EncodeContext): Delivery[] {
  const state = new Map<string, Record<string, unknown>>();
  const deliveries: Delivery[] = [];
  const closeId = (prefix: string) => `${prefix}_${randomText(context.random, ALNUM, 22)}`;
  const organization = "orga_DemoQuotientCloseOrg00";

  for (const part of parts) {
    const id = idOf(part);
    // Accounts and leads are one Close object: their state is shared.
    const objectType = part.type === "account.upserted" || part.type === "lead.upserted" ? "lead"
      : part.type === "deal.upserted" ? "opportunity" : `activity.${String(part.data.type)}`;
    const key = `${objectType}:${id}`;
    const action = state.has(key) ? "updated" : "created";
    const current = { ...state.get(key), ...part.data };
    if (part.type === "account.upserted") delete current.account_id;
    state.set(key, current);
    const at = part.occurred_at;
    let data: Record<string, unknown>;
    let leadId: string | undefined;
    switch (objectType) {
      case "lead":
        leadId = id;
        data = {
          id,
          organization_id: organization,
          ...(current.name !== undefined ? { display_name: current.name, name: current.name } : {}),
          ...(current.stage !== undefined ? { status_label: STATUS_OF_STAGE[String(current.stage)] } : {}),
          ...(current.created_at !== undefined ? { date_created: current.created_at } : {}),
          date_updated: at,
        };
        break;
      case "opportunity": {
        leadId = current.lead_id as string | undefined;
        const status = String(current.status);
        data = {
          id,
          organization_id: organization,
          lead_id: leadId,
          user_id: current.owner_rep_id,
          status_label: current.stage,
          status_type: status === "open" ? "active" : status,
          value: current.amount === undefined ? undefined : Math.round(Number(current.amount) * 100),
          value_currency: current.currency,
          value_period: "one_time",
          date_created: current.created_at,
          date_updated: at,
          ...(status === "won" && current.closed_at !== undefined ? { date_won: String(current.closed_at).slice(0, 10) } : {}),
          ...(status === "open" && current.expected_close_at !== undefined ? { date_won: planDay(current.expected_close_at, context.timezone) } : {}),
          ...(status === "lost" && current.closed_at !== undefined ? { date_lost: String(current.closed_at).slice(0, 10) } : {}),
        };
        break;
      }
      default: {
        leadId = current.lead_id as string | undefined;
        const type = String(current.type);
        data = { id, organization_id: organization, lead_id: leadId, user_id: current.rep_id, date_created: at };
        if (type === "call") {
          if (current.direction !== undefined) data.direction = current.direction;
          if (current.duration_seconds !== undefined) data.duration = Number(current.duration_seconds);
          data.disposition = "answered";
        } else if (type === "email") {
          if (current.direction !== undefined) data.direction = current.direction === "inbound" ? "incoming" : "outgoing";
          data.status = current.direction === "inbound" ? "inbox" : "sent";
        } else if (type === "meeting") {
          if (current.duration_seconds !== undefined) data.duration = Number(current.duration_seconds);
          if (current.outcome !== undefined) data.status = MEETING_STATUSES[String(current.outcome)];
        }
      }
    }
    for (const [field, value] of Object.entries(data)) if (value === undefined) delete data[field];
    const body = JSON.stringify({
      subscription_id: "whsub_DemoQuotient0000000000",
      event: {
        id: closeId("ev"),
        date_created: at,
        date_updated: at,
        organization_id: organization,
        user_id: (current.owner_rep_id ?? current.rep_id) as string | undefined,
        request_id: closeId("req"),
        api_key_id: null,
        oauth_client_id: null,
        oauth_scope: null,
        object_type: objectType,
        object_id: id,
        lead_id: leadId ?? null,
        action,
        changed_fields: action === "updated" ? Object.keys(part.data).filter((f) => f !== "lead_id").map((f) => closeFieldName(objectType, f, current)) : [],
        meta: {},
        data,
        previous_data: {},
      },
    });
    deliveries.push(signedDelivery("close", body, 1, { "content-type": "application/json" }));
  }
  return deliveries;
}

export function closeEncoderFor(timeZone: string): Encoder {
  return { kind: "close", carried: (event) => carriedIn(event, timeZone), encode };
}

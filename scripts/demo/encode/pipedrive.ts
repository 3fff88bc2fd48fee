// Pipedrive: one v2 webhook per change ({meta, data, previous}) with the object's current
// fields, behind the connection's HTTP Basic credentials (Pipedrive signs nothing), which the
// Pipedrive adapter's signer sets (workers/sources/pipedrive.ts).
import type { NativeEvent } from "../company";
import { type Delivery, type EncodeContext, type Encoder, fieldsOf, idOf, isLocalMidnight, ms, planDay, signedDelivery, uuid } from "./types";

const ACTIVITY_TYPES = new Set(["call", "meeting", "email", "task", "demo", "note"]);

function carriedIn(event: NativeEvent, timeZone: string): string[] {
  const fields = fieldsOf(event);
  const data = event.data;
  switch (event.type) {
    case "account.upserted":
      return fields.filter((f) => f === "name" || f === "owner_rep_id");
    case "lead.upserted":
      return fields.filter((f) => f === "owner_rep_id" || f === "account_id" || f === "created_at");
    case "deal.upserted":
      return fields.filter((f) => {
        if (f === "closed_at") return data.status === "won" || data.status === "lost";
        // expected_close_date is a calendar day, whatever the status.
        if (f === "expected_close_at") return data.expected_close_at === null || isLocalMidnight(data.expected_close_at, timeZone);
        return ["name", "account_id", "lead_id", "owner_rep_id", "stage", "status", "amount", "currency", "created_at", "lost_reason"].includes(f);
      });
    case "activity.logged":
      if (!ACTIVITY_TYPES.has(String(data.type))) return [];
      return fields.filter((f) => {
        if (["type", "rep_id", "lead_id", "account_id", "deal_id"].includes(f)) return true;
        if (f === "duration_seconds") return Number(data.duration_seconds) % 60 === 0;
        if (f === "outcome") return data.outcome === "held" || data.outcome === "scheduled";
        return false;
      });
    default:
      return [];
  }
}

/** Pipedrive's "YYYY-MM-DD HH:MM:SS" (UTC). */
function pipedriveTime(iso: string): string {
  return new Date(ms(iso)).toISOString().slice(0, 19).replace("T", " ");
}

function duration(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

const num = (value: unknown) => (value === undefined || value === null ? value : Number(value));

function encode(parts: NativeEvent[], context: EncodeContext): Delivery[] {
  const state = new Map<string, Record<string, unknown>>();
  const deliveries: Delivery[] = [];
  for (const part of parts) {
    const id = idOf(part);
    const key = `${part.type}:${id}`;
    const action = state.has(key) ? "change" : "create";
    const current = { ...state.get(key), ...part.data };
    state.set(key, current);
    const occurred = ms(part.occurred_at);
    let entity: string;
    let object: Record<string, unknown>;
    switch (part.type) {
      case "account.upserted":
        entity = "organization";
        object = { id: Number(id), name: current.name, owner_id: num(current.owner_rep_id), add_time: pipedriveTime(part.occurred_at) };
        break;
      case "lead.upserted":
        entity = "person";
        object = {
          id: Number(id),
          owner_id: num(current.owner_rep_id),
          org_id: num(current.account_id),
          ...(current.created_at !== undefined ? { add_time: pipedriveTime(String(current.created_at)) } : {}),
        };
        break;
      case "deal.upserted": {
        entity = "deal";
        const status = current.status as string | undefined;
        object = {
          id: Number(id),
          title: current.name,
          stage_id: current.stage,
          status,
          value: current.amount,
          currency: current.currency,
          owner_id: num(current.owner_rep_id),
          org_id: num(current.account_id),
          person_id: num(current.lead_id),
          add_time: current.created_at === undefined ? undefined : pipedriveTime(String(current.created_at)),
          update_time: pipedriveTime(part.occurred_at),
          expected_close_date: planDay(current.expected_close_at, context.timezone),
          ...(status === "won" && current.closed_at !== undefined ? { won_time: pipedriveTime(String(current.closed_at)) } : {}),
          ...(status === "lost" && current.closed_at !== undefined ? { lost_time: pipedriveTime(String(current.closed_at)) } : {}),
          ...(status === "lost" && current.lost_reason !== undefined ? { lost_reason: current.lost_reason } : {}),
        };
        if (status !== "won" && status !== "lost") delete current.closed_at;
        break;
      }
      case "activity.logged":
        entity = "activity";
        object = {
          id: Number(id),
          type: current.type,
          owner_id: num(current.rep_id),
          person_id: num(current.lead_id),
          org_id: num(current.account_id),
          deal_id: num(current.deal_id),
          ...(current.duration_seconds !== undefined ? { duration: duration(Number(current.duration_seconds)) } : {}),
          ...(current.outcome !== undefined ? { done: current.outcome === "held" } : {}),
          due_date: part.occurred_at.slice(0, 10),
          due_time: part.occurred_at.slice(11, 16),
        };
        break;
      default:
        throw new Error(`pipedrive: ${part.type} is not carried`);
    }
    for (const [field, value] of Object.entries(object)) if (value === undefined) delete object[field];
    const body = JSON.stringify({
      meta: {
        id: uuid(context.random),
        version: "2.0",
        action,
        entity,
        entity_id: String(id),
        company_id: "7130000",
        correlation_id: uuid(context.random),
        timestamp: new Date(occurred).toISOString(),
        type: "general",
        change_source: "app",
        is_bulk_edit: false,
        attempt: 1,
        host: "quotient-demo.pipedrive.com",
      },
      data: object,
      previous: null,
    });
    deliveries.push(signedDelivery("pipedrive", body, 1, { "content-type": "application/json", "user-agent": "Pipedrive Webhooks" }));
  }
  return deliveries;
}

export function pipedriveEncoderFor(timeZone: string): Encoder {
  return { kind: "pipedrive", carried: (event) => carriedIn(event, timeZone), encode };
}

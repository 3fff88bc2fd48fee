// Splits the demo company across its sources and encodes each slice in its source's own
// webhook format. Each event goes to the system of the team that owns it (or Stripe, or
// native); the fields that system's adapter cannot carry go natively, as an event on the
// same entity at the same instant, so the union of all sources is the company again.
import type { ConnectionKind } from "../../../workers/sources";
import { type Company, mulberry32, type NativeEvent } from "../company";
import { closeEncoderFor } from "./close";
import { hubspotEncoder } from "./hubspot";
import { nativeEncoder } from "./native";
import { pipedriveEncoderFor } from "./pipedrive";
import { salesforceEncoderFor } from "./salesforce";
import { stripeEncoder } from "./stripe";
import { type Delivery, type EncodeContext, type Encoder, ID_FIELDS } from "./types";

export type { Delivery, SignContext } from "./types";
export { CLOSE_LEAD_STATUSES } from "./close";
export { SALESFORCE_LEAD_STATUSES } from "./salesforce";

/**
 * The demo's sources, one line each: a connection kind (workers/sources/index.ts) joins the
 * demo with its encoder here. A kind left out is simply not part of the demo company.
 */
const ENCODERS = {
  native: () => nativeEncoder,
  hubspot: () => hubspotEncoder,
  pipedrive: (company) => pipedriveEncoderFor(company.timezone),
  close: (company) => closeEncoderFor(company.timezone),
  salesforce: (company) => salesforceEncoderFor(company.timezone),
  stripe: () => stripeEncoder,
} satisfies Partial<Record<ConnectionKind, (company: Pick<Company, "timezone">) => Encoder>>;

/** A source of the demo. */
export type Kind = keyof typeof ENCODERS;

export const KINDS = Object.keys(ENCODERS) as Kind[];

export function encodersFor(company: Pick<Company, "timezone">): Record<Kind, Encoder> {
  return Object.fromEntries(KINDS.map((kind) => [kind, ENCODERS[kind](company)])) as Record<Kind, Encoder>;
}

/** Each source's canonical parts: what its adapter must map the deliveries back to. */
export function sliceCompany(company: Company): Record<Kind, NativeEvent[]> {
  const encoders = encodersFor(company);
  const parts = Object.fromEntries(KINDS.map((kind) => [kind, [] as NativeEvent[]])) as Record<Kind, NativeEvent[]>;
  for (const [i, event] of company.events.entries()) {
    const system = company.systems[i]!;
    if (system === "native") {
      parts.native.push(event);
      continue;
    }
    const carried = encoders[system].carried(event);
    if (carried.length === 0) {
      parts.native.push(event);
      continue;
    }
    const idField = ID_FIELDS[event.type]!;
    const pick = (fields: string[]) =>
      Object.fromEntries([[idField, event.data[idField]], ...fields.map((f) => [f, event.data[f]])]);
    parts[system].push({ ...event, data: pick(carried) });
    const rest = Object.keys(event.data).filter((f) => f !== idField && !carried.includes(f));
    if (rest.length > 0) {
      // An activity's type is required in every native activity event.
      const fields = event.type === "activity.logged" && !rest.includes("type") ? ["type", ...rest] : rest;
      parts.native.push({ ...event, id: `${event.id}:rest`, data: pick(fields) });
    }
  }
  return parts;
}

export function encodeContext(company: Company, kind: Kind): EncodeContext {
  const salt = [...kind].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16_777_619) >>> 0, 2_166_136_261);
  return {
    timezone: company.timezone,
    salesforceOrgId: company.salesforceOrgId,
    plans: company.plans,
    random: mulberry32((company.seed ^ salt) >>> 0),
  };
}

/** Every delivery of the company, per source, plus the canonical parts they carry. */
export function encodeCompany(company: Company): { parts: Record<Kind, NativeEvent[]>; deliveries: Record<Kind, Delivery[]> } {
  const encoders = encodersFor(company);
  const parts = sliceCompany(company);
  const deliveries = Object.fromEntries(
    KINDS.map((kind) => [kind, encoders[kind].encode(parts[kind], encodeContext(company, kind))]),
  ) as Record<Kind, Delivery[]>;
  return { parts, deliveries };
}

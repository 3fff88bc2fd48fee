// The CRMs Quotient takes webhooks from: one adapter per connection kind, one line each.
// The kinds the API accepts and the database stores are this registry's keys
// (CONNECTION_KINDS, re-exported by workers/db/schema.ts), so a kind cannot lack its adapter.
import type { SourceAdapter } from "./adapter";
import { close } from "./close";
import { hubspot } from "./hubspot";
import { native } from "./native";
import { pipedrive } from "./pipedrive";
import { salesforce } from "./salesforce";
import { stripe } from "./stripe";

export const ADAPTERS = {
  native,
  hubspot,
  pipedrive,
  close,
  salesforce,
  stripe,
} as const satisfies Record<string, SourceAdapter>;

export type ConnectionKind = keyof typeof ADAPTERS;

/** The connection kinds, in the registry's order (the API's enum and the kind column's values). */
export const CONNECTION_KINDS = Object.keys(ADAPTERS) as [ConnectionKind, ...ConnectionKind[]];

export function adapterFor(kind: ConnectionKind): SourceAdapter {
  return ADAPTERS[kind];
}

// The adapter for each connection kind.
import type { ConnectionKind } from "../db/schema";
import type { SourceAdapter } from "./adapter";
import { close } from "./close";
import { hubspot } from "./hubspot";
import { native } from "./native";
import { pipedrive } from "./pipedrive";
import { salesforce } from "./salesforce";
import { stripe } from "./stripe";

const ADAPTERS: Partial<Record<ConnectionKind, SourceAdapter>> = {
  native,
  ...(hubspot && { hubspot }),
  ...(pipedrive && { pipedrive }),
  ...(close && { close }),
  ...(salesforce && { salesforce }),
  ...(stripe && { stripe }),
};

export function adapterFor(kind: ConnectionKind): SourceAdapter | undefined {
  return ADAPTERS[kind];
}

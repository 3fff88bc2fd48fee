// The adapter for each connection kind.
import type { ConnectionKind } from "../db/schema";
import type { SourceAdapter } from "./adapter";
import { native } from "./native";

const ADAPTERS: Partial<Record<ConnectionKind, SourceAdapter>> = { native };

export function adapterFor(kind: ConnectionKind): SourceAdapter | undefined {
  return ADAPTERS[kind];
}

// hubspot source adapter (placeholder until implemented).
import type { SourceAdapter } from "./adapter";

export const hubspot: SourceAdapter | undefined = undefined;

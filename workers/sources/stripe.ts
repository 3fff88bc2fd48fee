// stripe source adapter (placeholder until implemented).
import type { SourceAdapter } from "./adapter";

export const stripe: SourceAdapter | undefined = undefined;

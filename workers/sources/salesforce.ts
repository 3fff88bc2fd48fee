// salesforce source adapter (placeholder until implemented).
import type { SourceAdapter } from "./adapter";

export const salesforce: SourceAdapter | undefined = undefined;

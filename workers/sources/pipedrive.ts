// pipedrive source adapter (placeholder until implemented).
import type { SourceAdapter } from "./adapter";

export const pipedrive: SourceAdapter | undefined = undefined;

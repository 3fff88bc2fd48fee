// close source adapter (placeholder until implemented).
import type { SourceAdapter } from "./adapter";

export const close: SourceAdapter | undefined = undefined;

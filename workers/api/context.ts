// The Hono environment of the JSON API: bindings plus what the auth middleware resolved.
import type { TokenScope } from "../db/schema";
import type { WorkspaceRow } from "../db/workspaces";
import type { Env } from "../env";

/** Who is calling: the ADMIN_TOKEN holder, or a token bound to one workspace. */
export type Principal = { kind: "root" } | { kind: "token"; id: string; workspaceId: string; scopes: TokenScope[] };

export type ApiEnv = {
  Bindings: Env;
  Variables: { principal: Principal; workspace: WorkspaceRow };
};

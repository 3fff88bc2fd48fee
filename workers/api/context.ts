// The Hono environment of the JSON API: bindings plus what the auth middleware resolved.
import type { D1Database } from "@cloudflare/workers-types";
import type { Placement } from "../db/directory";
import type { TokenScope } from "../db/schema";
import type { WorkspaceRow } from "../db/workspaces";
import type { Env } from "../env";

/** Who is calling: the ADMIN_TOKEN holder, or a token bound to one workspace. */
export type Principal = { kind: "root" } | { kind: "token"; id: string; workspaceId: string; scopes: TokenScope[] };

export type ApiEnv = {
  Bindings: Env;
  /**
   * What workspaceAccess resolved: the workspace, its placement in the directory and its
   * database, the only one a route reads or writes the workspace's data in.
   */
  Variables: { principal: Principal; workspace: WorkspaceRow; placement: Placement; db: D1Database };
};

// The log of deploy hook calls after publications, failures included. drizzle over
// `deploy_hook_calls` (README.md here).
import type { D1Database } from "@cloudflare/workers-types";
import { drizzle } from "drizzle-orm/d1";
import { deployHookCalls } from "./schema";

export type DeployHookCall = Omit<typeof deployHookCalls.$inferInsert, "id">;

export async function recordDeployHookCall(db: D1Database, call: DeployHookCall): Promise<void> {
  await drizzle(db).insert(deployHookCalls).values(call);
}

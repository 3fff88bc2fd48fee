// Registering in the directory the workspaces a workspace database already holds: the
// upgrade of a deployment from before the directory (its database bound as DB_WS_1), and a
// repair after a partial failure. Idempotent: what is registered already is left alone.
import type { D1Database } from "@cloudflare/workers-types";
import type { Env, WorkspaceDatabaseName } from "../env";
import { placementById, registerWorkspace } from "./directory";
import { workspaceDatabaseNames, workspaceDb } from "./placement";

/** Workspaces examined per call (each a few small statements). */
export const ADOPT_PAGE_SIZE = 50;

export interface AdoptionPage {
  adopted: number;
  alreadyRegistered: number;
  /** Slugs another workspace holds in the directory, or workspaces placed in another database. */
  conflicts: string[];
  /** `<database>:<last workspace id>` to pass for the next page; null when every database was seen. */
  next: string | null;
}

/** Registers the ids leading to a workspace (webhook ids of its connections, token hashes). */
async function registerIds(directory: D1Database, db: D1Database, workspaceId: string): Promise<void> {
  const [connections, retired, tokens] = await db.batch<{ id: string }>([
    db.prepare(`SELECT id FROM connections WHERE workspace_id = ?1 UNION ALL SELECT webhook_id FROM connections WHERE workspace_id = ?1 AND webhook_id IS NOT NULL`).bind(workspaceId),
    db.prepare(`SELECT id FROM retired_webhook_ids WHERE workspace_id = ?1`).bind(workspaceId),
    db.prepare(`SELECT token_hash AS id FROM api_tokens WHERE workspace_id = ?1`).bind(workspaceId),
  ]);
  const webhookIds = [...connections!.results, ...retired!.results].map((row) => row.id);
  await directory.batch([
    directory
      .prepare(`INSERT INTO directory_webhook_ids (id, workspace_id) SELECT value, ?2 FROM json_each(?1) WHERE true ON CONFLICT DO NOTHING`)
      .bind(JSON.stringify(webhookIds), workspaceId),
    directory
      .prepare(`INSERT INTO directory_tokens (token_hash, workspace_id) SELECT value, ?2 FROM json_each(?1) WHERE true ON CONFLICT DO NOTHING`)
      .bind(JSON.stringify(tokens!.results.map((row) => row.id)), workspaceId),
  ]);
}

/** Registers the next page of workspaces after `cursor` (database by database). */
export async function adoptPage(env: Env, cursor: string | null, limit = ADOPT_PAGE_SIZE): Promise<AdoptionPage> {
  const names = workspaceDatabaseNames(env);
  const [database, after] = cursor ? (cursor.split(":") as [WorkspaceDatabaseName, string]) : [names[0]!, ""];
  const index = names.indexOf(database);
  const page: AdoptionPage = { adopted: 0, alreadyRegistered: 0, conflicts: [], next: null };
  if (index < 0) return page;
  const db = workspaceDb(env, database);
  const { results } = await db
    .prepare(`SELECT id, slug, created_at FROM workspaces WHERE id > ?1 ORDER BY id LIMIT ?2`)
    .bind(after ?? "", limit)
    .all<{ id: string; slug: string; created_at: number }>();
  for (const workspace of results) {
    if (await registerWorkspace(env.DB_DIRECTORY, { id: workspace.id, slug: workspace.slug, database, createdAt: workspace.created_at })) {
      page.adopted++;
    } else {
      const placed = await placementById(env.DB_DIRECTORY, workspace.id);
      if (placed?.database !== database) {
        page.conflicts.push(workspace.slug);
        continue;
      }
      page.alreadyRegistered++;
    }
    await registerIds(env.DB_DIRECTORY, db, workspace.id);
  }
  if (results.length === limit) page.next = `${database}:${results[results.length - 1]!.id}`;
  else if (index + 1 < names.length) page.next = `${names[index + 1]}:`;
  return page;
}

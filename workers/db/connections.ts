// Connections: a CRM (or native sender) posting to /webhooks/:id. The id is random
// (128 bits) and the secret is encrypted at rest under SECRETS_KEY. drizzle over
// `connections` (README.md here).
import type { D1Database } from "@cloudflare/workers-types";
import { and, asc, eq, gt, isNull, or, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { decryptSecret, encryptSecret, randomId } from "../lib/crypto";
import type { ConnectionSecrets } from "../sources/adapter";
import { registerWebhookId } from "./directory";
import { afterKey, type Key } from "./keyset";
import { type ConnectionKind, connections, retiredWebhookIds, workspaces } from "./schema";
import { adoptDefaultStages, type WorkspaceRow } from "./workspaces";

export type ConnectionRow = typeof connections.$inferSelect;

/** A connection as listed: never its secret. */
export type ConnectionItem = Pick<ConnectionRow, "id" | "kind" | "name" | "createdAt" | "webhookId">;

/** The id its webhook URL names now: the connection's own until it is rotated. */
export const currentWebhookId = (row: Pick<ConnectionRow, "id" | "webhookId">) => row.webhookId ?? row.id;

export interface NewConnection {
  kind: ConnectionKind;
  name: string;
  /** Null where the CRM issues it later (set with PATCH) or the kind has none. */
  secret: string | null;
  config: Record<string, unknown>;
  /** The CRM's stage order, which a workspace without its own adopts (for the funnel). */
  defaultStages: readonly string[];
}

/** Creates the connection (its webhook id registered in the directory); returns its id. */
export async function createConnection(
  db: D1Database,
  directory: D1Database,
  secretsKey: string,
  workspace: WorkspaceRow,
  connection: NewConnection,
): Promise<string> {
  const id = randomId("c_");
  await registerWebhookId(directory, id, workspace.id);
  await drizzle(db)
    .insert(connections)
    .values({
      id,
      workspaceId: workspace.id,
      kind: connection.kind,
      name: connection.name,
      secretCiphertext: connection.secret === null ? null : await encryptSecret(connection.secret, secretsKey),
      config: connection.config,
    });
  await adoptDefaultStages(db, workspace, connection.defaultStages);
  return id;
}

/** A page of the workspace's connections in creation order, after the (created_at, id) key. */
export function listConnections(db: D1Database, workspaceId: string, after: Key | null, limit: number): Promise<ConnectionItem[]> {
  return drizzle(db)
    .select({ id: connections.id, kind: connections.kind, name: connections.name, createdAt: connections.createdAt, webhookId: connections.webhookId })
    .from(connections)
    .where(and(eq(connections.workspaceId, workspaceId), isNull(connections.deletedAt), afterKey(connections.createdAt, connections.id, after)))
    .orderBy(asc(connections.createdAt), asc(connections.id))
    .limit(limit)
    .all();
}

/** The workspace's connection `id` (a deleted one is gone: undefined, as for any unknown id). */
export function findConnection(db: D1Database, workspaceId: string, id: string): Promise<ConnectionRow | undefined> {
  return drizzle(db)
    .select()
    .from(connections)
    .where(and(eq(connections.id, id), eq(connections.workspaceId, workspaceId), isNull(connections.deletedAt)))
    .get();
}

export interface ConnectionChanges {
  name?: string;
  config: Record<string, unknown>;
  /** A new secret, encrypted before it is stored; undefined keeps the current one. */
  secret?: string;
}

export async function updateConnection(
  db: D1Database,
  secretsKey: string,
  id: string,
  changes: ConnectionChanges,
): Promise<ConnectionRow> {
  const set: Partial<typeof connections.$inferInsert> = { config: changes.config };
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.secret !== undefined) set.secretCiphertext = await encryptSecret(changes.secret, secretsKey);
  return (await drizzle(db).update(connections).set(set).where(eq(connections.id, id)).returning().get())!;
}

/**
 * Gives the connection a new webhook id: the current one is retired and keeps working for
 * `graceMs` (0: it answers 404 at once). The secret is unchanged. Returns the new id and
 * when the old one stops working.
 */
export async function rotateWebhookId(
  db: D1Database,
  directory: D1Database,
  row: ConnectionRow,
  graceMs: number,
  now: number,
): Promise<{ webhookId: string; retiredUntil: number }> {
  const webhookId = randomId("c_");
  const retiredUntil = now + graceMs;
  // The retired id stays in the directory: it leads to the workspace, whose database
  // answers 404 once its grace period is over (loadConnectionForWebhook).
  await registerWebhookId(directory, webhookId, row.workspaceId);
  await db.batch([
    db
      .prepare(`INSERT INTO retired_webhook_ids (id, workspace_id, connection_id, expires_at) VALUES (?1, ?2, ?3, ?4)`)
      .bind(currentWebhookId(row), row.workspaceId, row.id, retiredUntil),
    db.prepare(`UPDATE connections SET webhook_id = ?1 WHERE id = ?2 AND workspace_id = ?3`).bind(webhookId, row.id, row.workspaceId),
  ]);
  return { webhookId, retiredUntil };
}

/** Deletes the connection: deliveries to any of its webhook ids answer 404; its data stays. */
export async function deleteConnection(db: D1Database, row: ConnectionRow, now: number): Promise<void> {
  await drizzle(db)
    .update(connections)
    .set({ deletedAt: now })
    .where(and(eq(connections.id, row.id), eq(connections.workspaceId, row.workspaceId)));
}

/** Every webhook id the workspace's connections have had, and their connection ids (for redaction). */
export async function webhookIdsOf(db: D1Database, workspaceId: string): Promise<string[]> {
  const orm = drizzle(db);
  const current = await orm
    .select({ id: connections.id, webhookId: connections.webhookId })
    .from(connections)
    .where(eq(connections.workspaceId, workspaceId))
    .all();
  const retired = await orm.select({ id: retiredWebhookIds.id }).from(retiredWebhookIds).where(eq(retiredWebhookIds.workspaceId, workspaceId)).all();
  return [...current.flatMap((c) => (c.webhookId ? [c.id, c.webhookId] : [c.id])), ...retired.map((r) => r.id)];
}

/** The organization ids (or other identifying config values) the workspace's connections were given. */
export async function configValuesOf(db: D1Database, workspaceId: string): Promise<string[]> {
  const rows = await drizzle(db).select({ config: connections.config }).from(connections).where(eq(connections.workspaceId, workspaceId)).all();
  return rows.flatMap((r) => Object.values(r.config).filter((v): v is string => typeof v === "string" && v.length >= 8));
}

/** A connection as a delivery needs it: its decrypted secret and its workspace's time zone. */
export interface LoadedConnection extends ConnectionSecrets {
  workspaceId: string;
  timezone: string;
}

/** A connection as the queue consumer needs it: everything but its secret, which normalize never reads. */
export type ConnectionWithoutSecret = Omit<LoadedConnection, "secret">;

/**
 * The connection a webhook names, in any workspace (its random id is the lookup key).
 * With `keys` its secret is decrypted (a key ring: SECRETS_KEY, then SECRETS_KEY_PREVIOUS);
 * with null it is left sealed and out of the answer.
 */
export async function loadConnection(db: D1Database, keys: string | readonly string[], id: string): Promise<LoadedConnection | null>;
export async function loadConnection(db: D1Database, keys: null, id: string): Promise<ConnectionWithoutSecret | null>;
export async function loadConnection(
  db: D1Database,
  keys: string | readonly string[] | null,
  id: string,
): Promise<LoadedConnection | ConnectionWithoutSecret | null> {
  return loadConnectionWhere(db, keys, eq(connections.id, id));
}

/**
 * The connection a webhook URL's id stands for, with its secret decrypted, or null: the
 * current webhook id of a connection not deleted (its own id until it is rotated) in one
 * read, else a retired one within its grace period.
 */
export async function loadConnectionForWebhook(
  db: D1Database,
  keys: string | readonly string[],
  webhookId: string,
  now: number,
): Promise<LoadedConnection | null> {
  const current = await loadConnectionWhere(
    db,
    keys,
    and(
      isNull(connections.deletedAt),
      or(eq(connections.webhookId, webhookId), and(eq(connections.id, webhookId), isNull(connections.webhookId))),
    )!,
  );
  if (current) return current as LoadedConnection;
  const retired = await drizzle(db)
    .select({ id: connections.id })
    .from(retiredWebhookIds)
    .innerJoin(connections, and(eq(connections.id, retiredWebhookIds.connectionId), eq(connections.workspaceId, retiredWebhookIds.workspaceId)))
    .where(and(eq(retiredWebhookIds.id, webhookId), gt(retiredWebhookIds.expiresAt, now), isNull(connections.deletedAt)))
    .get();
  return retired ? loadConnection(db, keys, retired.id) : null;
}

async function loadConnectionWhere(
  db: D1Database,
  keys: string | readonly string[] | null,
  where: SQL,
): Promise<LoadedConnection | ConnectionWithoutSecret | null> {
  const row = await drizzle(db)
    .select({
      id: connections.id,
      kind: connections.kind,
      workspaceId: connections.workspaceId,
      secretCiphertext: connections.secretCiphertext,
      config: connections.config,
      timezone: workspaces.timezone,
    })
    .from(connections)
    .innerJoin(workspaces, eq(workspaces.id, connections.workspaceId))
    .where(where)
    .get();
  if (!row) return null;
  const { secretCiphertext, ...connection } = row;
  if (keys === null) return connection;
  return { ...connection, secret: secretCiphertext === null ? null : await decryptSecret(secretCiphertext, keys) };
}

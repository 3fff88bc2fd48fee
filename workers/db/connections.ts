// Connections: a CRM (or native sender) posting to /webhooks/:id. The id is random
// (128 bits) and the secret is encrypted at rest under SECRETS_KEY. drizzle over
// `connections` (README.md here).
import type { D1Database } from "@cloudflare/workers-types";
import { and, asc, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { decryptSecret, encryptSecret, randomId } from "../lib/crypto";
import type { ConnectionSecrets } from "../sources/adapter";
import { afterKey, type Key } from "./keyset";
import { type ConnectionKind, connections, workspaces } from "./schema";
import { adoptDefaultStages, type WorkspaceRow } from "./workspaces";

export type ConnectionRow = typeof connections.$inferSelect;

/** A connection as listed: never its secret. */
export type ConnectionItem = Pick<ConnectionRow, "id" | "kind" | "name" | "createdAt">;

export interface NewConnection {
  kind: ConnectionKind;
  name: string;
  /** Null where the CRM issues it later (set with PATCH) or the kind has none. */
  secret: string | null;
  config: Record<string, unknown>;
  /** The CRM's stage order, which a workspace without its own adopts (for the funnel). */
  defaultStages: readonly string[];
}

/** Creates the connection; returns its id. */
export async function createConnection(
  db: D1Database,
  secretsKey: string,
  workspace: WorkspaceRow,
  connection: NewConnection,
): Promise<string> {
  const id = randomId("c_");
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
    .select({ id: connections.id, kind: connections.kind, name: connections.name, createdAt: connections.createdAt })
    .from(connections)
    .where(and(eq(connections.workspaceId, workspaceId), afterKey(connections.createdAt, connections.id, after)))
    .orderBy(asc(connections.createdAt), asc(connections.id))
    .limit(limit)
    .all();
}

export function findConnection(db: D1Database, workspaceId: string, id: string): Promise<ConnectionRow | undefined> {
  return drizzle(db)
    .select()
    .from(connections)
    .where(and(eq(connections.id, id), eq(connections.workspaceId, workspaceId)))
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
    .where(eq(connections.id, id))
    .get();
  if (!row) return null;
  const { secretCiphertext, ...connection } = row;
  if (keys === null) return connection;
  return { ...connection, secret: secretCiphertext === null ? null : await decryptSecret(secretCiphertext, keys) };
}

// Loads a connection with its decrypted secret and its workspace's time zone.
import type { D1Database } from "@cloudflare/workers-types";
import type { ConnectionKind } from "../db/schema";
import { decryptSecret } from "../lib/crypto";
import type { ConnectionSecrets } from "../sources/adapter";

export interface LoadedConnection extends ConnectionSecrets {
  workspaceId: string;
  timezone: string;
}

type Row = {
  id: string;
  kind: ConnectionKind;
  workspace_id: string;
  secret_ciphertext: string | null;
  config: string;
  timezone: string;
};

export async function loadConnection(
  db: D1Database,
  secretsKey: string,
  connectionId: string,
): Promise<LoadedConnection | null> {
  const row = await db
    .prepare(
      `SELECT c.id, c.kind, c.workspace_id, c.secret_ciphertext, c.config, w.timezone
       FROM connections c JOIN workspaces w ON w.id = c.workspace_id WHERE c.id = ?1`,
    )
    .bind(connectionId)
    .first<Row>();
  if (!row) return null;
  return {
    id: row.id,
    kind: row.kind,
    workspaceId: row.workspace_id,
    timezone: row.timezone,
    secret: row.secret_ciphertext === null ? null : await decryptSecret(row.secret_ciphertext, secretsKey),
    config: JSON.parse(row.config) as Record<string, unknown>,
  };
}

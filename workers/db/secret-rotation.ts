// Re-sealing every stored secret under the current key (SECRETS_KEY), after a rotation
// put the old key in SECRETS_KEY_PREVIOUS. Raw D1 (README.md here): one page of
// connections read by id, their new ciphertexts written in one batch. Each write is
// conditional on the ciphertext it replaced, so a secret changed meanwhile (PATCH) is
// left as it now is. Runs are idempotent: a secret already under the current key is
// counted and left alone.
import type { D1Database, D1PreparedStatement } from "@cloudflare/workers-types";
import { decryptSecret, encryptSecret, type KeyRing, keyId, sealedKeyId } from "../lib/crypto";

/** Connections examined per call: a bounded amount of D1 and crypto work per request. */
export const ROTATION_PAGE_SIZE = 200;

export interface RotationPage {
  /** Secrets re-sealed under the current key by this call. */
  reencrypted: number;
  /** Secrets already under the current key. */
  alreadyCurrent: number;
  /** Secrets no configured key opens: left as they are (their connections answer 503). */
  undecryptable: number;
  /** The last connection id examined, to pass as `after` for the next page; null when done. */
  next: string | null;
}

/**
 * Re-seals the secrets of up to `limit` connections whose id follows `after`, under
 * `keys[0]`. The connections of every workspace database are taken in one id order (each
 * database's next `limit` ids, merged), so the cursor is a connection id whichever
 * database holds it.
 */
export async function rotateSecretsPage(
  databases: D1Database | readonly D1Database[],
  keys: KeyRing,
  after: string | null,
  limit = ROTATION_PAGE_SIZE,
): Promise<RotationPage> {
  const dbs = Array.isArray(databases) ? (databases as readonly D1Database[]) : [databases as D1Database];
  const candidates: { db: D1Database; id: string; secret_ciphertext: string }[] = [];
  for (const db of dbs) {
    const { results } = await db
      .prepare(`SELECT id, secret_ciphertext FROM connections WHERE secret_ciphertext IS NOT NULL AND id > ?1 ORDER BY id LIMIT ?2`)
      .bind(after ?? "", limit)
      .all<{ id: string; secret_ciphertext: string }>();
    candidates.push(...results.map((row) => ({ db, ...row })));
  }
  // Code-unit order, as SQLite's BINARY collation orders the ids.
  candidates.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const rows = candidates.slice(0, limit);
  const currentId = await keyId(keys[0]);
  const page: RotationPage = { reencrypted: 0, alreadyCurrent: 0, undecryptable: 0, next: null };
  const updates = new Map<D1Database, D1PreparedStatement[]>();
  for (const row of rows) {
    if (sealedKeyId(row.secret_ciphertext) === currentId) {
      page.alreadyCurrent++;
      continue;
    }
    let secret: string;
    try {
      secret = await decryptSecret(row.secret_ciphertext, keys);
    } catch {
      page.undecryptable++;
      continue;
    }
    const sealed = await encryptSecret(secret, keys[0]);
    const update = row.db
      .prepare(`UPDATE connections SET secret_ciphertext = ?1 WHERE id = ?2 AND secret_ciphertext = ?3`)
      .bind(sealed, row.id, row.secret_ciphertext);
    updates.set(row.db, [...(updates.get(row.db) ?? []), update]);
  }
  for (const [db, statements] of updates) {
    for (const result of await db.batch(statements)) page.reencrypted += result.meta.changes ?? 0;
  }
  page.next = rows.length === limit ? rows[rows.length - 1]!.id : null;
  return page;
}

export interface RotationTotals {
  reencrypted: number;
  alreadyCurrent: number;
  undecryptable: number;
}

/** Every page in turn (for tests and small deployments; the endpoint serves one page per request). */
export async function rotateAllSecrets(databases: D1Database | readonly D1Database[], keys: KeyRing, limit = ROTATION_PAGE_SIZE): Promise<RotationTotals> {
  const totals: RotationTotals = { reencrypted: 0, alreadyCurrent: 0, undecryptable: 0 };
  let after: string | null = null;
  do {
    const page: RotationPage = await rotateSecretsPage(databases, keys, after, limit);
    totals.reencrypted += page.reencrypted;
    totals.alreadyCurrent += page.alreadyCurrent;
    totals.undecryptable += page.undecryptable;
    after = page.next;
  } while (after !== null);
  return totals;
}

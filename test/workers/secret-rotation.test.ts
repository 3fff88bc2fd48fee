// Rotating SECRETS_KEY with live connections: secrets sealed under key A keep verifying
// once the Worker runs with key B and A as previous, the rotation re-seals every one under
// B (in bounded pages, idempotently, reporting counts and never a secret), and with A
// removed they still verify. A secret no key opens answers 503 and leaks nothing; the
// events consumer never decrypts secrets (it works whatever the keys).
import { env } from "cloudflare:workers";
import type { D1Database } from "@cloudflare/workers-types";
import { beforeAll, describe, expect, it } from "vitest";
import invoicePaid from "../fixtures/stripe/invoice.paid.json?raw";
import type { Env } from "../../workers/env";
import { app } from "../../workers/index";
import { processInboxRows } from "../../workers/ingest/consumer";
import { decryptSecret, encryptSecret, keyId, keyRingOf, sealedKeyId } from "../../workers/lib/crypto";
import { rotateAllSecrets } from "../../workers/db/secret-rotation";
import { adapterFor } from "../../workers/sources";
import type { ConnectionKind } from "../../workers/db/schema";
import { ADMIN_TOKEN, createConnection, createWorkspace, event, ORIGIN, placementOf, waitForInbox, workspaceDbOf } from "./helpers";

/** The database holding the workspace under test (the directory places it). */
let db: D1Database;

const KEY_A = env.SECRETS_KEY;
const KEY_B = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
const KEY_C = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));

/** The Worker's fetch handler run with other keys (the same bindings otherwise: real D1, real queue). */
const workerWith = (keys: { SECRETS_KEY: string; SECRETS_KEY_PREVIOUS?: string }) => {
  const rotated: Env = { ...env, SECRETS_KEY: keys.SECRETS_KEY, SECRETS_KEY_PREVIOUS: keys.SECRETS_KEY_PREVIOUS };
  return (request: Request) => app.fetch(request, rotated);
};
type Worker = ReturnType<typeof workerWith>;

/** The first encryption format: base64(iv ‖ ciphertext ‖ tag), no key id. */
async function legacySeal(plaintext: string, base64Key: string): Promise<string> {
  const raw = Uint8Array.from(atob(base64Key), (c) => c.charCodeAt(0));
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode(plaintext)));
  return btoa(String.fromCharCode(...iv, ...sealed));
}

interface Live {
  kind: ConnectionKind;
  id: string;
  url: string;
  secret: string;
  username?: string;
}

let sequence = 0;

/** A fresh delivery of the connection's kind (a new event id each time, so never a duplicate). */
function bodyFor(kind: ConnectionKind): string {
  const n = ++sequence;
  const at = new Date(Date.UTC(2026, 2, 1 + (n % 27), 10)).toISOString();
  switch (kind) {
    case "native":
      return JSON.stringify({ events: [event(`rot-${n}`, "deal.upserted", at, { deal_id: `D-${n}`, amount: 100, status: "open" })] });
    case "stripe":
      return JSON.stringify({ ...JSON.parse(invoicePaid), id: `evt_rotation_${n}` });
    case "close":
      return JSON.stringify({ subscription_id: "whsub_1", event: { id: `ev_rotation_${n}`, date_updated: at } });
    case "hubspot":
      return JSON.stringify([{ eventId: n, subscriptionId: 1, portalId: 1, occurredAt: Date.now(), subscriptionType: "deal.creation", objectId: n }]);
    case "pipedrive":
      return JSON.stringify({ meta: { id: crypto.randomUUID(), action: "create", entity: "deal", entity_id: n, timestamp: at, version: "2.0" }, data: { id: n, title: `Deal ${n}` }, previous: null });
    default:
      throw new Error(`no body for ${kind}`);
  }
}

async function deliver(worker: Worker, connection: Live): Promise<Response> {
  const body = bodyFor(connection.kind);
  const headers = await adapterFor(connection.kind).sign(
    { method: "POST", url: connection.url, body, now: Date.now() },
    { secret: connection.secret, username: connection.username },
  );
  return worker(new Request(connection.url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body }));
}

async function expectAllVerify(worker: Worker, live: Live[]) {
  for (const connection of live) {
    const response = await deliver(worker, connection);
    expect(response.status, `${connection.kind} ${await response.clone().text()}`).toBe(adapterFor(connection.kind).acceptedStatus);
  }
}

async function ciphertexts(live: Live[]): Promise<Map<string, string>> {
  const { results } = await db.prepare(`SELECT id, secret_ciphertext FROM connections WHERE id IN (SELECT value FROM json_each(?1))`)
    .bind(JSON.stringify(live.map((c) => c.id)))
    .all<{ id: string; secret_ciphertext: string }>();
  return new Map(results.map((row) => [row.id, row.secret_ciphertext]));
}

const live: Live[] = [];

beforeAll(async () => {
  await createWorkspace("rotation", { timezone: "UTC" });
  db = await workspaceDbOf("rotation");
  // Created through the real API, so sealed under key A (the Worker's configured SECRETS_KEY).
  const given: Partial<Record<ConnectionKind, string>> = {
    stripe: "whsec_rotation_stripe_secret",
    close: "0123456789abcdef0123456789abcdef",
    hubspot: "hubspot-client-secret-rotation",
  };
  for (const kind of ["native", "stripe", "close", "hubspot", "pipedrive"] as const) {
    const created = await createConnection("rotation", kind, given[kind] ? { secret: given[kind] } : {});
    live.push({ kind, id: created.id, url: created.webhook_url, secret: created.secret!, username: created.username });
  }
  // One more sealed in the first format (no key id), as connections created before key ids were.
  const legacy = await createConnection("rotation", "native");
  live.push({ kind: "native", id: legacy.id, url: legacy.webhook_url, secret: legacy.secret! });
  await db.prepare(`UPDATE connections SET secret_ciphertext = ?1 WHERE id = ?2`).bind(await legacySeal(legacy.secret!, KEY_A), legacy.id).run();
  expect(live.map((c) => c.url.startsWith(`${ORIGIN}/webhooks/c_`))).toEqual(live.map(() => true));
});

describe("sealed secrets", () => {
  it("record their key id (v2.<first 8 bytes of SHA-256 of the key>.<iv>.<ciphertext>)", async () => {
    const sealed = await encryptSecret("whsec_x", KEY_A);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", Uint8Array.from(atob(KEY_A), (c) => c.charCodeAt(0))));
    const kid = [...digest.subarray(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
    expect(sealed).toMatch(new RegExp(`^v2\\.${kid}\\.[A-Za-z0-9+/=]{16}\\.[A-Za-z0-9+/=]+$`));
    expect(await keyId(KEY_A)).toBe(kid);
    expect(sealedKeyId(sealed)).toBe(kid);
    expect(sealed).not.toContain("whsec_x");
  });

  it("open with the key their id names, a legacy one with any key of the ring, and fail with a message naming no secret", async () => {
    const underA = await encryptSecret("s3cret-a", KEY_A);
    expect(await decryptSecret(underA, [KEY_B, KEY_A])).toBe("s3cret-a");
    expect(await decryptSecret(await legacySeal("s3cret-legacy", KEY_A), [KEY_B, KEY_A])).toBe("s3cret-legacy");
    const missing = await decryptSecret(underA, [KEY_B, KEY_C]).catch((error: Error) => error.message);
    expect(missing).toBe(`no configured secrets key has the id ${await keyId(KEY_A)} (set it in SECRETS_KEY_PREVIOUS)`);
    const legacyMissing = await decryptSecret(await legacySeal("s3cret-legacy", KEY_A), [KEY_B]).catch((error: Error) => error.message);
    expect(legacyMissing).toBe("no configured secrets key opens this legacy sealed secret");
  });

  it("take SECRETS_KEY_PREVIOUS as comma-separated keys after the current one", () => {
    expect(keyRingOf({ SECRETS_KEY: KEY_B, SECRETS_KEY_PREVIOUS: ` ${KEY_A} , ${KEY_C},` })).toEqual([KEY_B, KEY_A, KEY_C]);
    expect(keyRingOf({ SECRETS_KEY: KEY_B })).toEqual([KEY_B]);
  });
});

describe("rotating SECRETS_KEY with live connections", () => {
  it("verifies under A, then under B with A previous, re-seals everything under B, then verifies with A removed", async () => {
    const underA = workerWith({ SECRETS_KEY: KEY_A });
    const rotating = workerWith({ SECRETS_KEY: KEY_B, SECRETS_KEY_PREVIOUS: KEY_A });
    const afterRotation = workerWith({ SECRETS_KEY: KEY_B });
    await expectAllVerify(underA, live);

    // B is current, A previous: every secret still opens (chosen by key id, the legacy one by trial).
    await expectAllVerify(rotating, live);
    // B alone cannot open them yet: 503, as for any undecryptable secret.
    expect((await deliver(afterRotation, live[0]!)).status).toBe(503);

    // The rotation, in pages of 2 connections: counts only, then idempotent.
    const before = await ciphertexts(live);
    expect(await rotateAllSecrets(db, [KEY_B, KEY_A], 2)).toEqual({ reencrypted: live.length, alreadyCurrent: 0, undecryptable: 0 });
    const after = await ciphertexts(live);
    const kidB = await keyId(KEY_B);
    for (const connection of live) {
      expect(sealedKeyId(after.get(connection.id)!)).toBe(kidB);
      expect(after.get(connection.id)).not.toBe(before.get(connection.id));
      expect(after.get(connection.id)).not.toContain(connection.secret);
    }
    expect(await rotateAllSecrets(db, [KEY_B, KEY_A], 2)).toEqual({ reencrypted: 0, alreadyCurrent: live.length, undecryptable: 0 });
    expect(await ciphertexts(live)).toEqual(after);

    // A removed: everything verifies under B alone, and A alone no longer opens anything.
    await expectAllVerify(afterRotation, live);
    expect((await deliver(underA, live[0]!)).status).toBe(503);

    // The events consumer (running with the configured key A) applied every delivery anyway: it decrypts nothing.
    await waitForInbox();
    const { results } = await db.prepare(`SELECT status, COUNT(*) AS n FROM inbox WHERE connection_id IN (SELECT value FROM json_each(?1)) GROUP BY status`)
      .bind(JSON.stringify(live.map((c) => c.id)))
      .all<{ status: string; n: number }>();
    expect(results).toEqual([{ status: "processed", n: live.length * 3 }]);
  });

  it("serves the rotation at POST /api/v1/admin/rotate-secrets: ADMIN_TOKEN only, counts and a cursor, never a secret", async () => {
    const worker = workerWith({ SECRETS_KEY: KEY_C, SECRETS_KEY_PREVIOUS: `${KEY_A},${KEY_B}` });
    const rotate = (cursor?: string, token = ADMIN_TOKEN) =>
      worker(
        new Request(`${ORIGIN}/api/v1/admin/rotate-secrets${cursor ? `?cursor=${cursor}` : ""}`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}` },
        }),
      );
    const first = await rotate();
    expect(first.status).toBe(200);
    const text = await first.text();
    for (const connection of live) expect(text).not.toContain(connection.secret);
    expect(JSON.parse(text)).toEqual({
      reencrypted: live.length,
      already_current: 0,
      undecryptable: 0,
      current_key_id: await keyId(KEY_C),
      next_cursor: null,
    });
    expect(await (await rotate()).json()).toMatchObject({ reencrypted: 0, already_current: live.length, next_cursor: null });
    // A cursor past every id: an empty last page.
    expect(await (await rotate("c_zzzz")).json()).toMatchObject({ reencrypted: 0, already_current: 0, next_cursor: null });

    const bad = await rotate("not a cursor!");
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toBe("application/problem+json");
    expect(await bad.text()).toContain("cursor");
    const workspaceToken = await (
      await worker(
        new Request(`${ORIGIN}/api/v1/workspaces/rotation/tokens`, {
          method: "POST",
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify({ scopes: ["admin"] }),
        }),
      )
    ).json<{ token: string }>();
    const forbidden = await rotate(undefined, workspaceToken.token);
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ status: 403, detail: "this operation needs the ADMIN_TOKEN" });
    expect((await rotate(undefined, "qt_0000")).status).toBe(401);

    // Connections still verify under C alone.
    await expectAllVerify(workerWith({ SECRETS_KEY: KEY_C }), live);
    await waitForInbox();
  });

  it("answers 503 without leaking for a secret no key opens, and the rotation counts it undecryptable and leaves it", async () => {
    const unknownKey = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    const stranded = workerWith({ SECRETS_KEY: unknownKey, SECRETS_KEY_PREVIOUS: KEY_A });
    for (const connection of live) {
      const response = await deliver(stranded, connection);
      expect(response.status).toBe(503);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(response.headers.get("retry-after")).toBe("30");
      const text = await response.text();
      expect(text).not.toContain(connection.secret);
      expect(text).not.toContain(KEY_C);
      expect(JSON.parse(text)).toMatchObject({ status: 503, detail: "storage is unavailable, retry later" });
    }
    const before = await ciphertexts(live);
    expect(await rotateAllSecrets(db, [unknownKey, KEY_A])).toEqual({ reencrypted: 0, alreadyCurrent: 0, undecryptable: live.length });
    expect(await ciphertexts(live)).toEqual(before);
  });

  it("applies deliveries in the consumer without any key that opens their secrets", async () => {
    const connection = live[0]!;
    const { meta } = await db.prepare(
      `INSERT INTO inbox (workspace_id, connection_id, delivery_id, received_at, headers, body, status)
       SELECT workspace_id, id, 'direct-1', ?2, '{}', ?3, 'pending' FROM connections WHERE id = ?1`,
    )
      .bind(connection.id, Date.now(), bodyFor("native"))
      .run();
    const inboxId = meta.last_row_id;
    const noKey = { ...env, SECRETS_KEY: btoa(String.fromCharCode(...new Uint8Array(32))) } as Env;
    await processInboxRows(noKey, (await placementOf("rotation")).database, [inboxId], Date.now());
    expect(await db.prepare(`SELECT status FROM inbox WHERE id = ?1`).bind(inboxId).first()).toEqual({ status: "processed" });
  });
});

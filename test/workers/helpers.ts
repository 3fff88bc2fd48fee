// Test helpers: call the Worker through its real fetch handler, sign native deliveries
// (with the native adapter's signer), and wait for the real queue consumer to process the inbox.
import { env, exports } from "cloudflare:workers";
import type { D1Database } from "@cloudflare/workers-types";
import { placementBySlug, placementForWebhook, placementsByIds } from "../../workers/db/directory";
import { workspaceDatabases, workspaceDb } from "../../workers/db/placement";
import { standardSignature } from "../../workers/sources/native";

/** Standard Webhooks signature: v1,base64(HMAC-SHA256(key, "id.timestamp.body")), from the native adapter. */
export { standardSignature };

export const ADMIN_TOKEN = "test-admin-token";
export const ORIGIN = "https://quotient.test";

export function call(method: string, path: string, body?: unknown, token: string | null = ADMIN_TOKEN) {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  return exports.default.fetch(
    new Request(`${ORIGIN}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }),
  );
}

export async function createWorkspace(slug: string, settings: Record<string, unknown> = {}) {
  const response = await call("POST", "/api/v1/workspaces", { slug, name: `Workspace ${slug}`, ...settings });
  if (response.status !== 201) throw new Error(`create workspace: ${response.status} ${await response.text()}`);
  return (await response.json()) as { slug: string; timezone: string };
}

export async function createNativeConnection(slug: string, secret?: string) {
  const response = await call("POST", `/api/v1/workspaces/${slug}/connections`, {
    kind: "native",
    name: "native test",
    ...(secret ? { secret } : {}),
  });
  if (response.status !== 201) throw new Error(`create connection: ${response.status} ${await response.text()}`);
  return (await response.json()) as { id: string; webhook_url: string; secret: string };
}

/** Creates a connection of any kind; returns the answer of the API (secret shown once). */
export async function createConnection(
  slug: string,
  kind: string,
  options: { secret?: string; config?: Record<string, unknown> } = {},
) {
  const response = await call("POST", `/api/v1/workspaces/${slug}/connections`, { kind, name: `${kind} test`, ...options });
  if (response.status !== 201) throw new Error(`create ${kind} connection: ${response.status} ${await response.text()}`);
  return (await response.json()) as { id: string; webhook_url: string; secret: string | null; username?: string };
}

/** POSTs a raw body to a webhook URL with the given headers, through the real fetch handler. */
export function postWebhook(url: string, body: string, headers: Record<string, string>, method = "POST") {
  return exports.default.fetch(new Request(url, { method, headers, body }));
}

/** The month document of a workspace (after POST …/recompute). */
export async function monthValues(slug: string, month: string) {
  const response = await call("GET", `/api/v1/workspaces/${slug}/months/${month}`);
  if (response.status !== 200) throw new Error(`month ${month}: ${response.status} ${await response.text()}`);
  const document = (await response.json()) as {
    kpis: Record<string, { values: { dimension: string; key: string; value: number | null }[] }>;
  };
  return (kpi: string, dimension = "all", key = "all") =>
    document.kpis[kpi]?.values.find((v) => v.dimension === dimension && v.key === key)?.value;
}

let deliveryCounter = 0;

export async function postNative(
  connection: { id: string; secret: string },
  body: string,
  options: { id?: string; timestamp?: number; signature?: string; headers?: Record<string, string> } = {},
) {
  const id = options.id ?? `msg_${++deliveryCounter}_${crypto.randomUUID()}`;
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const signature = options.signature ?? (await standardSignature(connection.secret, id, timestamp, body));
  return exports.default.fetch(
    new Request(`${ORIGIN}/webhooks/${connection.id}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "webhook-id": id,
        "webhook-timestamp": timestamp,
        "webhook-signature": signature,
        ...options.headers,
      },
      body,
    }),
  );
}

/** The placement of a workspace in the directory (its id and database binding). */
export async function placementOf(slug: string) {
  const placement = await placementBySlug(env.DB_DIRECTORY, slug);
  if (!placement) throw new Error(`no workspace ${slug} in the directory`);
  return placement;
}

/** The database holding a workspace's data (the directory says which). */
export async function workspaceDbOf(slug: string): Promise<D1Database> {
  return workspaceDb(env, await placementOf(slug));
}

/** Every workspace database (for a question about all of them, e.g. "is anything pending"). */
export const allWorkspaceDbs = (): D1Database[] => workspaceDatabases(env).map((database) => database.db);

/** Polls until no inbox row of any database is pending (the real queue delivers them). */
export async function waitForInbox(timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let pending = 0;
    for (const db of allWorkspaceDbs()) {
      pending += (await db.prepare(`SELECT COUNT(*) AS pending FROM inbox WHERE status = 'pending'`).first<{ pending: number }>())!.pending;
    }
    if (pending === 0) return;
    if (Date.now() > deadline) throw new Error(`${pending} inbox rows still pending`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function event(id: string, type: string, occurredAt: string, data: Record<string, unknown>) {
  return { id, type, occurred_at: occurredAt, data };
}

/** The database holding the workspace with this id (the directory says which). */
export async function workspaceDbById(id: string): Promise<D1Database> {
  const placement = (await placementsByIds(env.DB_DIRECTORY, [id])).get(id);
  if (!placement) throw new Error(`no workspace ${id} in the directory`);
  return workspaceDb(env, placement);
}

/** The database holding a connection's data (by any id its webhook URL carries). */
export async function workspaceDbOfConnection(connectionId: string): Promise<D1Database> {
  const placement = await placementForWebhook(env.DB_DIRECTORY, connectionId);
  if (!placement) throw new Error(`no connection ${connectionId} in the directory`);
  return workspaceDb(env, placement);
}

// POST /webhooks/:connectionId — verify, store the raw delivery, enqueue, answer fast.
// The body is read once as text and verified as received; nothing parses it before. The
// directory names the workspace's database (one read), which holds the connection and the inbox.
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Env } from "../env";
import { keyRingOf } from "../lib/crypto";
import { problem } from "../lib/problem";
import { adapterFor } from "../sources";
import { loadConnectionForWebhook } from "../db/connections";
import { placementForWebhook } from "../db/directory";
import { workspaceDb } from "../db/placement";
import { holdDeliveries } from "./held";
import { enqueue, storeDeliveries } from "./inbox";

export const MAX_BODY_BYTES = 1024 * 1024;
const RETRY_AFTER_SECONDS = "30";

/** D1 could not be read or written: the sender retries (every CRM does on a 5xx). */
const storageUnavailable = () =>
  problem(503, "storage is unavailable, retry later", {}, { "retry-after": RETRY_AFTER_SECONDS });

// Errors are thrown as problems and answered by the Worker's one onError (workers/index.ts).
export const webhooks = new Hono<{ Bindings: Env }>();

webhooks.post(
  "/:connectionId",
  bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw problem(413, `the body is over ${MAX_BODY_BYTES} bytes`);
    },
  }),
  async (c) => {
    const now = Date.now();
    const webhookId = c.req.param("connectionId");
    let placement;
    let connection;
    try {
      placement = await placementForWebhook(c.env.DB_DIRECTORY, webhookId);
      // The URL names a webhook id: a rotated-away one works through its grace period, a deleted connection's none.
      if (placement) connection = await loadConnectionForWebhook(workspaceDb(c.env, placement), keyRingOf(c.env), webhookId, now);
    } catch (error) {
      console.error("webhook: connection lookup failed", error);
      throw storageUnavailable();
    }
    if (!placement || !connection || connection.workspaceId !== placement.id) throw problem(404, "unknown connection");
    const adapter = adapterFor(connection.kind);

    // A HubSpot, Close or Stripe connection created before its CRM issued the secret.
    if (connection.secret === null && adapter.requiresSecret) {
      throw problem(401, "this connection has no secret yet: set it with PATCH …/connections/:id");
    }
    const request = { method: c.req.method, url: c.req.url, headers: c.req.raw.headers, body: await c.req.text() };
    const verdict = await adapter.verify(request, connection, now);
    if (!verdict.ok) throw problem(verdict.status ?? 401, verdict.reason);

    const split = adapter.split(request);
    if (!split.ok) throw problem(split.status, split.reason);

    let stored: number[];
    try {
      if (placement.pausedAt !== null) {
        // A move is copying the workspace: the deliveries wait in the directory (ingest/held.ts).
        await holdDeliveries(c.env.DB_DIRECTORY, connection.workspaceId, connection.id, split.deliveries, now);
        return adapter.acknowledge?.() ?? c.json({ status: "accepted", deliveries: split.deliveries.length }, adapter.acceptedStatus);
      }
      stored = await storeDeliveries(workspaceDb(c.env, placement), connection.workspaceId, connection.id, split.deliveries, now);
    } catch (error) {
      console.error("webhook: inbox write failed", error);
      throw storageUnavailable();
    }
    if (stored.length === 0) return adapter.acknowledge?.() ?? c.json({ status: "duplicate" }, 200);
    try {
      await enqueue(c.env.EVENTS_QUEUE, placement.database, stored);
    } catch (error) {
      // The deliveries are stored: the cron sweep enqueues them within minutes.
      console.error("webhook: enqueue failed, left to the sweep", error);
    }
    return adapter.acknowledge?.() ?? c.json({ status: "accepted", deliveries: stored.length }, adapter.acceptedStatus);
  },
);

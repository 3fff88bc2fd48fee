// How far ingestion has got, and the admin's requeue of deliveries whose retries ran out.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { SECOND_MS } from "../../shared/units";
import { requeueFailed } from "../ingest/inbox";
import { workspaceAccess } from "./auth";
import type { ApiEnv } from "./context";
import { json, problemResponses, security, WorkspaceParams } from "./schemas";
import { validationHook } from "./validation";

export const ingestRoutes = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });

const IngestStatus = z
  .object({
    pending: z.number().int().openapi({ description: "Deliveries stored and not yet applied" }),
    failed: z
      .number()
      .int()
      .openapi({ description: "Deliveries whose queue retries ran out: kept, retried by the cron with a slow backoff" }),
    processed: z.number().int(),
    dead_letters: z.number().int(),
    latest_event_at: z.iso.datetime().nullable(),
    dirty_months: z.number().int().openapi({ description: "Months waiting for a recompute" }),
    oldest_pending_at: z.iso.datetime().nullable().openapi({ description: "Receipt of the oldest pending delivery" }),
    oldest_pending_age_seconds: z.number().int().nullable(),
    oldest_failed_at: z.iso.datetime().nullable().openapi({ description: "Receipt of the oldest failed delivery" }),
    oldest_failed_age_seconds: z.number().int().nullable(),
  })
  .openapi("IngestStatus");

type StatusRow = {
  pending: number;
  failed: number;
  processed: number;
  dead_letters: number;
  latest: number | null;
  dirty: number;
  oldest_pending: number | null;
  oldest_failed: number | null;
};

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const age = (ms: number | null, now: number) => (ms === null ? null : Math.max(0, Math.floor((now - ms) / SECOND_MS)));

ingestRoutes.openapi(
  createRoute({
    method: "get",
    path: "/workspaces/{ws}/ingest-status",
    summary: "How far ingestion has got: deliveries pending, failed and processed, and the oldest waiting",
    tags: ["Ingest"],
    security,
    middleware: [workspaceAccess("read")] as const,
    request: { params: WorkspaceParams },
    responses: { 200: { description: "Counts", ...json(IngestStatus) }, ...problemResponses },
  }),
  async (c) => {
    // Each count and minimum is a range of the inbox_workspace index (workspace, status, received_at).
    const row = await c.env.DB.prepare(
      `SELECT
         (SELECT COUNT(*) FROM inbox WHERE workspace_id = ?1 AND status = 'pending') AS pending,
         (SELECT COUNT(*) FROM inbox WHERE workspace_id = ?1 AND status = 'failed') AS failed,
         (SELECT COUNT(*) FROM inbox WHERE workspace_id = ?1 AND status = 'processed') AS processed,
         (SELECT COUNT(*) FROM dead_letters WHERE workspace_id = ?1) AS dead_letters,
         (SELECT MAX(occurred_at) FROM canonical_events WHERE workspace_id = ?1) AS latest,
         (SELECT COUNT(*) FROM dirty_months WHERE workspace_id = ?1) AS dirty,
         (SELECT MIN(received_at) FROM inbox WHERE workspace_id = ?1 AND status = 'pending') AS oldest_pending,
         (SELECT MIN(received_at) FROM inbox WHERE workspace_id = ?1 AND status = 'failed') AS oldest_failed`,
    )
      .bind(c.get("workspace").id)
      .first<StatusRow>();
    const now = Date.now();
    return c.json(
      {
        pending: row!.pending,
        failed: row!.failed,
        processed: row!.processed,
        dead_letters: row!.dead_letters,
        latest_event_at: iso(row!.latest),
        dirty_months: row!.dirty,
        oldest_pending_at: iso(row!.oldest_pending),
        oldest_pending_age_seconds: age(row!.oldest_pending, now),
        oldest_failed_at: iso(row!.oldest_failed),
        oldest_failed_age_seconds: age(row!.oldest_failed, now),
      },
      200,
    );
  },
);

const RequeueResult = z
  .object({ requeued: z.number().int().openapi({ description: "Failed deliveries handed to the queue again (at most 1,000 a call)" }) })
  .openapi("RequeueResult");

ingestRoutes.openapi(
  createRoute({
    method: "post",
    path: "/workspaces/{ws}/ingest/requeue",
    summary: "Requeue the deliveries whose retries ran out (oldest first, at most 1,000 a call)",
    tags: ["Ingest"],
    security,
    middleware: [workspaceAccess("admin")] as const,
    request: { params: WorkspaceParams },
    responses: { 200: { description: "Requeued", ...json(RequeueResult) }, ...problemResponses },
  }),
  async (c) => {
    const requeued = await requeueFailed(c.env.DB, c.env.EVENTS_QUEUE, c.get("workspace").id, Date.now());
    return c.json({ requeued }, 200);
  },
);

// How far ingestion has got, and the admin's requeue of deliveries whose retries ran out.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { SECOND_MS } from "../../shared/units";
import { ingestCounts } from "../db/ingest-status";
import { requeueFailed, ROWS_PER_SWEEP } from "../ingest/inbox";
import { workspaceAccess } from "./auth";
import type { ApiEnv } from "./context";
import { isoInstant } from "./instants";
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
    const counts = await ingestCounts(c.get("db"), c.get("workspace").id);
    const now = Date.now();
    return c.json(
      {
        pending: counts.pending,
        failed: counts.failed,
        processed: counts.processed,
        dead_letters: counts.deadLetters,
        latest_event_at: isoInstant(counts.latestEventAt),
        dirty_months: counts.dirtyMonths,
        oldest_pending_at: isoInstant(counts.oldestPendingAt),
        oldest_pending_age_seconds: age(counts.oldestPendingAt, now),
        oldest_failed_at: isoInstant(counts.oldestFailedAt),
        oldest_failed_age_seconds: age(counts.oldestFailedAt, now),
      },
      200,
    );
  },
);

/** Deliveries one requeue hands to the queue, as the docs write it ("1,000"). */
const PER_CALL = ROWS_PER_SWEEP.toLocaleString("en-US");

const RequeueResult = z
  .object({ requeued: z.number().int().openapi({ description: `Failed deliveries handed to the queue again (at most ${PER_CALL} a call)` }) })
  .openapi("RequeueResult");

ingestRoutes.openapi(
  createRoute({
    method: "post",
    path: "/workspaces/{ws}/ingest/requeue",
    summary: `Requeue the deliveries whose retries ran out (oldest first, at most ${PER_CALL} a call)`,
    tags: ["Ingest"],
    security,
    middleware: [workspaceAccess("admin")] as const,
    request: { params: WorkspaceParams },
    responses: { 200: { description: "Requeued", ...json(RequeueResult) }, ...problemResponses },
  }),
  async (c) => {
    const requeued = await requeueFailed({ name: c.get("placement").database, db: c.get("db") }, c.env.EVENTS_QUEUE, c.get("workspace").id, Date.now());
    return c.json({ requeued }, 200);
  },
);

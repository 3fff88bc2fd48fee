// The Worker: wires fetch (webhooks and the API), the queue consumers and the cron.
import type { ExecutionContext, ExportedHandler, MessageBatch, ScheduledController } from "@cloudflare/workers-types";
import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { api } from "./api/app";
import { runScheduled } from "./cron/scheduled";
import type { Env, InboxMessage, RecomputeMessage } from "./env";
import { consumeDeadEvents, consumeEvents } from "./ingest/consumer";
import { consumeDeadRecomputes, consumeRecompute } from "./kpi/recompute";
import { webhooks } from "./ingest/webhooks";
import { answerError, problemResponse } from "./lib/problem";

export const app = new Hono<{ Bindings: Env }>();
app.use(secureHeaders());
app.get("/", (c) => c.json({ name: "Quotient", api: "/api/v1", openapi: "/api/v1/openapi.json" }));
app.route("/webhooks", webhooks);
app.route("/api/v1", api);
app.notFound(() => problemResponse(404, "not found"));
app.onError(answerError("worker"));

export default {
  fetch: (request, env, ctx) => app.fetch(request as unknown as Request, env, ctx),
  async queue(batch: MessageBatch<unknown>, env: Env, _ctx: ExecutionContext) {
    switch (batch.queue) {
      case "events":
        return consumeEvents(batch as MessageBatch<InboxMessage>, env);
      case "events-dlq":
        return consumeDeadEvents(batch as MessageBatch<InboxMessage>, env);
      case "recompute":
        return consumeRecompute(batch as MessageBatch<RecomputeMessage>, env);
      case "recompute-dlq":
        return consumeDeadRecomputes(batch as MessageBatch<RecomputeMessage>, env);
      default:
        // No consumer for this queue yet: keep the messages (retries, then its DLQ).
        batch.retryAll();
    }
  },
  async scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext) {
    ctx.waitUntil(runScheduled(controller, env, ctx).then(() => undefined));
  },
} satisfies ExportedHandler<Env>;

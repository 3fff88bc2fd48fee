// The JSON API under /api/v1: bearer auth at the edge, routes composed from one module
// per resource, problem+json for every error, and the OpenAPI document built from the routes.
import { swaggerUI } from "@hono/swagger-ui";
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { answerError, problem, problemResponse } from "../lib/problem";
import { authenticate, workspaceCors } from "./auth";
import { MAX_API_BODY_BYTES } from "./limits";
import { connectionRoutes } from "./connections";
import { deadLetterRoutes } from "./dead-letters";
import { ingestRoutes } from "./ingest";
import { reportRoutes } from "./reports";
import { secretRoutes } from "./secrets";
import { kpiRoutes } from "./kpis";
import { memberRoutes } from "./members";
import { moveRoutes } from "./moves";
import { pipelineMovementRoutes } from "./pipeline-movement";
import { settingsRoutes } from "./settings";
import type { ApiEnv } from "./context";
import { tokenRoutes } from "./tokens";
import { validationHook } from "./validation";
import { workspaceRoutes } from "./workspaces";

export const api = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });

api.openAPIRegistry.registerComponent("securitySchemes", "Bearer", { type: "http", scheme: "bearer" });
/**
 * The document's frame. Paths are relative to `servers`: a relative server URL resolves
 * against the document's own URL (…/api/v1/openapi.json), so a generated client or the
 * reference page's "try it" calls the real routes on whatever host serves them.
 */
export const OPENAPI_FRAME = {
  openapi: "3.1.0",
  info: { title: "Quotient API", version: "1", description: "Sales KPIs computed from CRM webhooks." },
  servers: [{ url: "/api/v1", description: "this deployment" }],
};
api.doc31("/openapi.json", OPENAPI_FRAME);

api.use(
  "*",
  bodyLimit({
    maxSize: MAX_API_BODY_BYTES,
    onError: () => {
      throw problem(413, `the request body is over ${MAX_API_BODY_BYTES} bytes`);
    },
  }),
);
api.use("/workspaces/:ws/*", workspaceCors);
api.use("/workspaces/:ws", workspaceCors);
api.use("/workspaces/*", authenticate);
api.use("/workspaces", authenticate);
api.use("/kpis", authenticate);
api.route("/", workspaceRoutes);
api.route("/", connectionRoutes);
api.route("/", tokenRoutes);
api.route("/", settingsRoutes);
api.route("/", kpiRoutes);
api.route("/", pipelineMovementRoutes);
api.route("/", memberRoutes);
api.route("/", deadLetterRoutes);
api.route("/", ingestRoutes);
api.route("/", reportRoutes);
api.route("/", secretRoutes);
api.route("/", moveRoutes);

// The reference page loads Swagger UI from the Worker's own static assets, never a CDN
// (scripts/api-docs-assets.mjs puts them at /api/v1/docs/assets/swagger-ui-dist/).
api.get("/docs", swaggerUI({ url: "/api/v1/openapi.json", title: "Quotient API", baseUrl: "/api/v1/docs/assets" }));

api.notFound(() => problemResponse(404, "no such API route"));
// The one place errors become answers: a thrown problem (HTTPException) as it is, anything else 500.
api.onError(answerError("api"));

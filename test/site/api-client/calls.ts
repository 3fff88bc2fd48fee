// A client of the Quotient API typed from the OpenAPI document the Worker serves: the test
// (test/site/api-client.test.ts) generates `schema.d.ts` with openapi-typescript, type-checks
// this file against it, then runs it. A path, parameter or body the document does not
// describe is a type error here, and a path that does not resolve to a real route fails.
import createClient from "openapi-fetch";
import type { paths } from "../../../test-artifacts/api-client/schema";

/** The document's `servers` entry is relative: the client resolves it like a browser would. */
export function clientFor(documentUrl: string, token: string) {
  return createClient<paths>({
    baseUrl: new URL("/api/v1", documentUrl).toString(),
    headers: { authorization: `Bearer ${token}` },
  });
}

export async function exercise(documentUrl: string, adminToken: string, slug: string) {
  const admin = clientFor(documentUrl, adminToken);
  const created = await admin.POST("/workspaces", { body: { slug, name: "Typed Client Inc.", timezone: "Europe/Paris", currency: "EUR" } });
  const readToken = await admin.POST("/workspaces/{ws}/tokens", { params: { path: { ws: slug } }, body: { scopes: ["read"], name: "dashboard" } });
  const quotas = await admin.PUT("/workspaces/{ws}/quotas", {
    params: { path: { ws: slug } },
    body: [{ rep_id: "rep_1", month: "2026-11", amount: 50_000 }],
  });
  const reader = clientFor(documentUrl, readToken.data?.token ?? "");
  const workspace = await reader.GET("/workspaces/{ws}", { params: { path: { ws: slug } } });
  const catalog = await reader.GET("/kpis");
  const status = await reader.GET("/workspaces/{ws}/ingest-status", { params: { path: { ws: slug } } });
  const missingMonth = await reader.GET("/workspaces/{ws}/months/{month}", { params: { path: { ws: slug, month: "2026-11" } } });
  return {
    created: { status: created.response.status, slug: created.data?.slug, currency: created.data?.currency },
    readToken: { status: readToken.response.status, scopes: readToken.data?.scopes },
    quotas: { status: quotas.response.status },
    workspace: { status: workspace.response.status, timezone: workspace.data?.timezone },
    catalog: { status: catalog.response.status, ids: catalog.data?.kpis.map((kpi) => kpi.id) ?? [] },
    status: { status: status.response.status, pending: status.data?.pending },
    missingMonth: { status: missingMonth.response.status, contentType: missingMonth.response.headers.get("content-type") },
  };
}

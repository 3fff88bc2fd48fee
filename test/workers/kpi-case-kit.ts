// What every hand-computed KPI case does: a small company through the real route, queue
// and engine, then its month document read back through the API.
import { expect } from "vitest";
import { call, createNativeConnection, createWorkspace, postNative, waitForInbox } from "./helpers";

export type ValueRecord = { dimension: string; key: string; value: number | null; numerator?: number | null; denominator?: number | null };
export type Doc = { kpis: Record<string, { values: ValueRecord[] }>; warnings: Record<string, number> };

export interface CompanySettings {
  timezone?: string;
  pipeline_stages?: string[];
  quotas?: unknown[];
  fx?: unknown[];
  spend?: unknown[];
}

/** A workspace `slug` with the settings, the events posted and applied, January–April 2026 computed. */
export async function company(slug: string, events: unknown[], settings: CompanySettings = {}): Promise<void> {
  await createWorkspace(slug, { timezone: settings.timezone ?? "UTC", pipeline_stages: settings.pipeline_stages ?? [] });
  for (const [path, rows] of [["quotas", settings.quotas], ["fx-rates", settings.fx], ["spend", settings.spend]] as const) {
    if (rows) expect((await call("PUT", `/api/v1/workspaces/${slug}/${path}`, rows)).status).toBe(200);
  }
  const connection = await createNativeConnection(slug);
  expect((await postNative(connection, JSON.stringify({ events }))).status).toBe(202);
  await waitForInbox();
  expect((await call("POST", `/api/v1/workspaces/${slug}/recompute`, { from: "2026-01", to: "2026-04" })).status).toBe(200);
}

/** The month document of `slug` for month `m`. */
export async function month(slug: string, m: string): Promise<Doc> {
  const response = await call("GET", `/api/v1/workspaces/${slug}/months/${m}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Doc;
}

export function record(doc: Doc, kpi: string, dimension = "all", key = "all"): ValueRecord | undefined {
  return doc.kpis[kpi]!.values.find((v) => v.dimension === dimension && v.key === key);
}

export const value = (doc: Doc, kpi: string, dimension = "all", key = "all") => record(doc, kpi, dimension, key)?.value;

// Loads the golden company (../shared/data/golden, copied under test/fixtures) into a
// workspace through the real webhook route and queue.
import { env } from "cloudflare:workers";
import goldenEvents from "../fixtures/golden/events.jsonl?raw";
import side from "../fixtures/golden/side.json";
import goldenV2Events from "../fixtures/golden-v2/events.jsonl?raw";
import sideV2 from "../fixtures/golden-v2/side.json";
import { call, createNativeConnection, createWorkspace, postNative, waitForInbox } from "./helpers";

export { side };

type Settings = readonly (readonly [path: string, rows: readonly unknown[]])[];

/** A workspace with the golden settings, the events posted 500 a delivery, then `settings` PUT. */
async function loadInto(slug: string, lines: string[], settings: Settings): Promise<string> {
  const { workspace } = side;
  await createWorkspace(slug, {
    timezone: workspace.timezone,
    currency: workspace.currency,
    pipeline_stages: workspace.pipeline_stages,
  });
  const connection = await createNativeConnection(slug);
  for (let i = 0; i < lines.length; i += 500) {
    const response = await postNative(connection, `{"events":[${lines.slice(i, i + 500).join(",")}]}`);
    if (response.status !== 202) throw new Error(`golden delivery: ${response.status}`);
  }
  await waitForInbox(120_000);
  for (const [path, rows] of settings) {
    const response = await call("PUT", `/api/v1/workspaces/${slug}/${path}`, rows);
    if (response.status !== 200) throw new Error(`PUT ${path}: ${response.status} ${await response.text()}`);
  }
  return (await env.DB.prepare("SELECT id FROM workspaces WHERE slug = ?1").bind(slug).first<{ id: string }>())!.id;
}

export function loadGolden(slug: string): Promise<string> {
  const { quotas, fx_rates, spend } = side;
  return loadInto(slug, goldenEvents.trim().split("\n"), [["quotas", quotas], ["fx-rates", fx_rates], ["spend", spend]]);
}

/** The golden company with section F's fields planted (../shared/data/golden-v2). */
export function loadGoldenV2(slug: string): Promise<string> {
  const { quotas, fx_rates, spend } = sideV2;
  return loadInto(slug, goldenV2Events.trim().split("\n"), [["quotas", quotas], ["fx-rates", fx_rates], ["spend", spend]]);
}

/** Expected values: month → kpi → dimension → key → value. */
export type ExpectedValues = Record<string, Record<string, Record<string, Record<string, number | null>>>>;

function close(actual: number | null, wanted: number | null): boolean {
  if (wanted === null || actual === null) return wanted === actual;
  return Math.abs(actual - wanted) <= 1e-9 * Math.max(1, Math.abs(wanted));
}

/**
 * The differences between a month's stored values and the expected ones (relative 1e-9;
 * a key may be missing only where 0 or null is expected) of the KPIs the file lists.
 * `scope: "expected"` compares only the dimensions the file lists (an older catalog's
 * file); `"all"` also reports every stored dimension and key of those KPIs the file lacks.
 */
export async function goldenMismatches(
  workspaceId: string,
  month: string,
  expected: ExpectedValues[string],
  scope: "expected" | "all",
): Promise<string[]> {
  const { results } = await env.DB.prepare(
    "SELECT kpi, dimension, key, value FROM kpi_values WHERE workspace_id = ?1 AND month = ?2",
  )
    .bind(workspaceId, month)
    .all<{ kpi: string; dimension: string; key: string; value: number | null }>();
  const actual = new Map(
    results
      .filter((r) => (scope === "all" ? expected[r.kpi] !== undefined : expected[r.kpi]?.[r.dimension] !== undefined))
      .map((r) => [`${r.kpi}|${r.dimension}|${r.key}`, r.value]),
  );
  const mismatches: string[] = [];
  for (const [kpi, dimensions] of Object.entries(expected)) {
    for (const [dimension, keys] of Object.entries(dimensions)) {
      for (const [key, wanted] of Object.entries(keys)) {
        const id = `${kpi}|${dimension}|${key}`;
        if (!actual.has(id)) {
          if (wanted !== null && wanted !== 0) mismatches.push(`${id}: missing, expected ${wanted}`);
        } else if (!close(actual.get(id)!, wanted)) {
          mismatches.push(`${id}: ${actual.get(id)} ≠ expected ${wanted}`);
        }
        actual.delete(id);
      }
    }
  }
  for (const [id, value] of actual) {
    const [kpi, dimension] = id.split("|");
    if (expected[kpi!]?.[dimension!] !== undefined) mismatches.push(`${id}: unexpected key (${value})`);
    else mismatches.push(`${id}: unexpected dimension (${value})`);
  }
  return mismatches;
}

/** The entity-id fields of native events that copies of the golden company prefix. */
export const GOLDEN_ID_FIELDS = [
  "rep_id", "owner_rep_id", "account_id", "lead_id", "deal_id", "activity_id", "response_id", "subscription_id",
] as const;

function prefixed(prefix: string, value: unknown): unknown {
  return typeof value === "string" || typeof value === "number" ? `${prefix}${value}` : value;
}

/**
 * Loads `prefixes.length` disjoint copies of the golden company into one workspace (one
 * connection), through the real webhook route and queue. Copy k prefixes the event id and
 * every entity id (GOLDEN_ID_FIELDS and `participant_rep_ids`) with `prefixes[k]`; product
 * ids, sources, teams, regions, segments, stages and currencies are kept. Settings: each
 * quota is copied for every prefixed rep, FX rates are the same, and each spend amount is
 * multiplied by the number of copies (same sources). `loadGolden` is left as it was.
 */
export function loadGoldenCopies(slug: string, prefixes: readonly string[]): Promise<string> {
  const { quotas, fx_rates, spend } = side;
  const originals = goldenEvents.trim().split("\n").map((line) => JSON.parse(line) as {
    id: string; data: Record<string, unknown>; [field: string]: unknown;
  });
  const lines: string[] = [];
  for (const prefix of prefixes) {
    for (const original of originals) {
      const data: Record<string, unknown> = { ...original.data };
      for (const field of GOLDEN_ID_FIELDS) if (field in data) data[field] = prefixed(prefix, data[field]);
      if (Array.isArray(data.participant_rep_ids)) {
        data.participant_rep_ids = data.participant_rep_ids.map((rep: unknown) => prefixed(prefix, rep));
      }
      lines.push(JSON.stringify({ ...original, id: prefixed(prefix, original.id), data }));
    }
  }
  return loadInto(slug, lines, [
    ["quotas", prefixes.flatMap((prefix) => quotas.map((q) => ({ ...q, rep_id: `${prefix}${q.rep_id}` })))],
    ["fx-rates", fx_rates],
    ["spend", spend.map((s) => ({ ...s, amount: s.amount * prefixes.length }))],
  ]);
}

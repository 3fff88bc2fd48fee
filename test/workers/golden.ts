// Loads the golden company (../shared/data/golden, copied under test/fixtures) into a
// workspace through the real webhook route and queue.
import { env } from "cloudflare:workers";
import goldenEvents from "../fixtures/golden/events.jsonl?raw";
import side from "../fixtures/golden/side.json";
import { call, createNativeConnection, createWorkspace, postNative, waitForInbox } from "./helpers";

export { side };

export async function loadGolden(slug: string): Promise<string> {
  const { workspace, quotas, fx_rates, spend } = side;
  await createWorkspace(slug, {
    timezone: workspace.timezone,
    currency: workspace.currency,
    pipeline_stages: workspace.pipeline_stages,
  });
  const connection = await createNativeConnection(slug);
  const lines = goldenEvents.trim().split("\n");
  for (let i = 0; i < lines.length; i += 500) {
    const response = await postNative(connection, `{"events":[${lines.slice(i, i + 500).join(",")}]}`);
    if (response.status !== 202) throw new Error(`golden delivery: ${response.status}`);
  }
  await waitForInbox(60_000);
  for (const [path, rows] of [["quotas", quotas], ["fx-rates", fx_rates], ["spend", spend]] as const) {
    const response = await call("PUT", `/api/v1/workspaces/${slug}/${path}`, rows);
    if (response.status !== 200) throw new Error(`PUT ${path}: ${response.status} ${await response.text()}`);
  }
  return (await env.DB.prepare("SELECT id FROM workspaces WHERE slug = ?1").bind(slug).first<{ id: string }>())!.id;
}

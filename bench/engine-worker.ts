// Benchmark Worker (never deployed, never part of `npm test`): runs the real KPI engine,
// computeMonth of workers/kpi/engine.ts, in workerd against the local D1 (the same binding
// and database as wrangler.toml) and answers its per-statement timings as JSON.
//   POST /compute {"workspace_id": "ws_large", "month": "2026-10"}
//     → {"month", "wall_ms", "statements": [{name, ms}]}
import type { D1Database } from "@cloudflare/workers-types";
import { computeMonth } from "../workers/kpi/engine";
import { findWorkspaceById } from "../workers/db/workspaces";

interface Env {
  DB: D1Database;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/compute" && request.method === "POST") {
      const { workspace_id, month } = (await request.json()) as { workspace_id: string; month: string };
      const settings = await findWorkspaceById(env.DB, workspace_id);
      if (!settings) return Response.json({ error: `no workspace ${workspace_id}` }, { status: 404 });
      const started = Date.now();
      try {
        const timings = await computeMonth(env.DB, settings, month);
        return Response.json({ month, wall_ms: Date.now() - started, statements: timings.statements });
      } catch (error) {
        const cause = error instanceof Error && error.cause ? String(error.cause) : "";
        return Response.json({ month, error: `${String(error)} ${cause}`.trim() }, { status: 500 });
      }
    }
    return new Response("engine bench worker: POST /compute\n", { status: 404 });
  },
};

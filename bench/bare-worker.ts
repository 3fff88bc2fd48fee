// Benchmark baseline (never deployed, never part of `npm test`): the least a webhook
// endpoint can do in the same runtime against the same local D1 — read the body and insert
// it, raw, into one table. No lookup, no signature check, no queue. `npm run bench` compares
// the real webhook route's throughput and latency with this Worker's.
import type { D1Database } from "@cloudflare/workers-types";

interface Env {
  DB: D1Database;
}

let ready: Promise<unknown> | null = null;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    ready ??= env.DB.prepare(
      "CREATE TABLE IF NOT EXISTS bench_bare_inbox (id INTEGER PRIMARY KEY, received_at INTEGER NOT NULL, body TEXT NOT NULL)",
    ).run();
    await ready;
    if (request.method !== "POST") return new Response("bare bench worker\n");
    const body = await request.text();
    await env.DB.prepare("INSERT INTO bench_bare_inbox (received_at, body) VALUES (?1, ?2)").bind(Date.now(), body).run();
    return Response.json({ status: "accepted" }, { status: 202 });
  },
};

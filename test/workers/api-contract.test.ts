// The analyst API's contract: who may call what (every route), CSV with formula
// neutralisation, cursor pagination, ETag revalidation, CORS and per-token rate limits.
import { env } from "cloudflare:workers";
import Papa from "papaparse";
import { beforeAll, describe, expect, it } from "vitest";
import { api } from "../../workers/api/app";
import { ADMIN_TOKEN, call, createNativeConnection, createWorkspace, event, ORIGIN, postNative, waitForInbox } from "./helpers";
import { exports } from "cloudflare:workers";

const tokens: Record<string, string> = {};

async function token(slug: string, scopes: string[]) {
  const response = await call("POST", `/api/v1/workspaces/${slug}/tokens`, { scopes });
  return ((await response.json()) as { token: string }).token;
}

beforeAll(async () => {
  await createWorkspace("contract", { timezone: "UTC" });
  await createWorkspace("stranger");
  tokens.read = await token("contract", ["read"]);
  tokens.admin = await token("contract", ["admin"]);
  tokens.stranger = await token("stranger", ["admin"]);
  const connection = await createNativeConnection("contract");
  const events = [
    event("e1", "deal.upserted", "2026-03-02T10:00:00Z", { deal_id: "D-1", owner_rep_id: "=HYPERLINK(\"http://evil\")", amount: 1200, status: "won" }),
    event("e2", "deal.upserted", "2026-03-03T10:00:00Z", { deal_id: "D-2", owner_rep_id: "-R2", amount: 800, status: "lost" }),
    event("e3", "deal.upserted", "2026-02-03T10:00:00Z", { deal_id: "D-3", owner_rep_id: "R-3", amount: 2000, status: "won" }),
  ];
  expect((await postNative(connection, JSON.stringify({ events }))).status).toBe(202);
  await waitForInbox();
  expect((await call("POST", "/api/v1/workspaces/contract/recompute", { from: "2026-02", to: "2026-03" })).status).toBe(200);
});

/** Every route with a valid request for workspace "contract"; `scope` is what it needs. */
const ROUTES: { method: string; path: string; body?: unknown; scope: "root" | "admin" | "read"; workspace: boolean }[] = [
  { method: "POST", path: "/api/v1/workspaces", body: { slug: "new-one", name: "New" }, scope: "root", workspace: false },
  { method: "GET", path: "/api/v1/kpis", scope: "read", workspace: false },
  { method: "GET", path: "/api/v1/workspaces", scope: "read", workspace: false },
  { method: "GET", path: "/api/v1/workspaces/contract", scope: "read", workspace: true },
  { method: "PATCH", path: "/api/v1/workspaces/contract", body: { name: "Contract" }, scope: "admin", workspace: true },
  { method: "POST", path: "/api/v1/workspaces/contract/connections", body: { kind: "native", name: "x" }, scope: "admin", workspace: true },
  { method: "GET", path: "/api/v1/workspaces/contract/connections", scope: "admin", workspace: true },
  { method: "PATCH", path: "/api/v1/workspaces/contract/connections/c_missing", body: { name: "y" }, scope: "admin", workspace: true },
  { method: "POST", path: "/api/v1/workspaces/contract/tokens", body: { scopes: ["read"] }, scope: "admin", workspace: true },
  { method: "GET", path: "/api/v1/workspaces/contract/tokens", scope: "admin", workspace: true },
  { method: "DELETE", path: "/api/v1/workspaces/contract/tokens/tok_missing", scope: "admin", workspace: true },
  { method: "PUT", path: "/api/v1/workspaces/contract/quotas", body: [], scope: "admin", workspace: true },
  { method: "PUT", path: "/api/v1/workspaces/contract/fx-rates", body: [], scope: "admin", workspace: true },
  { method: "PUT", path: "/api/v1/workspaces/contract/spend", body: [], scope: "admin", workspace: true },
  { method: "POST", path: "/api/v1/workspaces/contract/recompute", body: { from: "2026-03", to: "2026-03" }, scope: "admin", workspace: true },
  { method: "GET", path: "/api/v1/workspaces/contract/months/2026-03", scope: "read", workspace: true },
  { method: "GET", path: "/api/v1/workspaces/contract/metrics/win_rate", scope: "read", workspace: true },
  { method: "GET", path: "/api/v1/workspaces/contract/dead-letters", scope: "read", workspace: true },
  { method: "GET", path: "/api/v1/workspaces/contract/ingest-status", scope: "read", workspace: true },
  { method: "POST", path: "/api/v1/workspaces/contract/ingest/requeue", scope: "admin", workspace: true },
  { method: "GET", path: "/api/v1/workspaces/contract/reports", scope: "read", workspace: true },
  { method: "GET", path: "/api/v1/workspaces/contract/reports/2026-03", scope: "read", workspace: true },
  { method: "POST", path: "/api/v1/workspaces/contract/reports/2026-03/publish", scope: "admin", workspace: true },
  { method: "POST", path: "/api/v1/workspaces/contract/reports/2026-03/share-token", scope: "admin", workspace: true },
  { method: "POST", path: "/api/v1/admin/rotate-secrets", scope: "root", workspace: false },
];

describe("access to every route", () => {
  it("lists every documented route in this table", () => {
    const served = new Set(
      api.routes
        .filter((r) => r.method !== "ALL" && !["/openapi.json", "/docs"].includes(r.path))
        .map((r) => `${r.method} ${r.path.replace(":ws", "contract").replace(":month", "2026-03").replace(":kpi", "win_rate").replace(":id", r.path.includes("connections") ? "c_missing" : "tok_missing")}`),
    );
    expect(ROUTES.map((r) => `${r.method} ${r.path.replace("/api/v1", "")}`).sort()).toEqual([...served].sort());
  });

  it.each(ROUTES)("$method $path: 401 without or with a bad token, 403 / 404 for the wrong token", async (route) => {
    const assertNoData = async (response: Response, status: number) => {
      expect(response.status).toBe(status);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      const text = await response.text();
      expect(text).not.toContain("D-1");
      expect(text).not.toContain("Workspace contract");
    };
    await assertNoData(await call(route.method, route.path, route.body, null), 401);
    await assertNoData(await call(route.method, route.path, route.body, "qt_0000"), 401);
    if (route.scope === "root") {
      await assertNoData(await call(route.method, route.path, route.body, tokens.admin!), 403);
    }
    if (route.scope === "admin") await assertNoData(await call(route.method, route.path, route.body, tokens.read!), 403);
    if (route.workspace) await assertNoData(await call(route.method, route.path, route.body, tokens.stranger!), 404);
  });
});

describe("CSV", () => {
  it("round-trips a month: parsed back, every value equals the JSON document's", async () => {
    const json = (await (await call("GET", "/api/v1/workspaces/contract/months/2026-03")).json()) as {
      kpis: Record<string, { values: { dimension: string; key: string; value: number | null }[] }>;
    };
    const response = await exports.default.fetch(
      new Request(`${ORIGIN}/api/v1/workspaces/contract/months/2026-03`, { headers: { authorization: `Bearer ${tokens.read}`, accept: "text/csv" } }),
    );
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const parsed = Papa.parse<Record<string, string>>(await response.text(), { header: true, skipEmptyLines: true });
    const fromCsv = new Map(parsed.data.map((row) => [`${row.kpi}|${row.dimension}|${(row.key ?? "").replace(/^'/, "")}`, row.value === "" ? null : Number(row.value)]));
    let compared = 0;
    for (const [kpi, { values }] of Object.entries(json.kpis)) {
      for (const v of values) {
        expect(fromCsv.get(`${kpi}|${v.dimension}|${v.key}`), `${kpi} ${v.key}`).toBe(v.value);
        compared++;
      }
    }
    expect(parsed.data).toHaveLength(compared);
    // sales_growth is negative here ((1200 − 2000) / 2000): a number stays a number.
    expect(fromCsv.get("sales_growth|all|all")).toBe(-0.4);
  });

  it("neutralises cells that a spreadsheet would run as formulas", async () => {
    const response = await call("GET", "/api/v1/workspaces/contract/metrics/win_rate?from=2026-03&to=2026-03&by=rep&format=csv");
    const csv = await response.text();
    expect(csv).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(csv).not.toMatch(/(^|,)=HYPERLINK/m);
    expect(csv).toContain("'-R2");
  });
});

describe("ingest status", () => {
  it("counts the workspace's deliveries and dead letters", async () => {
    const response = await call("GET", "/api/v1/workspaces/contract/ingest-status", undefined, tokens.read!);
    expect(await response.json()).toEqual({
      pending: 0,
      failed: 0,
      processed: 1,
      dead_letters: 0,
      latest_event_at: "2026-03-03T10:00:00.000Z",
      dirty_months: expect.any(Number),
      // Nothing is waiting: no oldest pending or failed delivery.
      oldest_pending_at: null,
      oldest_pending_age_seconds: null,
      oldest_failed_at: null,
      oldest_failed_age_seconds: null,
    });
  });
});

describe("pagination", () => {
  it("visits every token exactly once, page by page", async () => {
    await createWorkspace("paged");
    const created = new Set<string>();
    for (let i = 0; i < 7; i++) {
      const response = await call("POST", "/api/v1/workspaces/paged/tokens", { scopes: ["read"], name: `t${i}` });
      created.add(((await response.json()) as { id: string }).id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await call("GET", `/api/v1/workspaces/paged/tokens?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      const page = (await response.json()) as { items: { id: string; scopes: string[] }[]; next_cursor: string | null };
      seen.push(...page.items.map((t) => t.id));
      expect(JSON.stringify(page)).not.toContain("qt_");
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(7);
    expect(new Set(seen)).toEqual(created);
    expect((await call("GET", "/api/v1/workspaces/paged/tokens?cursor=garbage")).status).toBe(400);
  });

  it("revokes a token", async () => {
    const response = await call("POST", "/api/v1/workspaces/paged/tokens", { scopes: ["read"] });
    const created = (await response.json()) as { id: string; token: string };
    expect((await call("GET", "/api/v1/workspaces/paged", undefined, created.token)).status).toBe(200);
    expect((await call("DELETE", `/api/v1/workspaces/paged/tokens/${created.id}`)).status).toBe(204);
    expect((await call("GET", "/api/v1/workspaces/paged", undefined, created.token)).status).toBe(401);
  });
});

describe("caching", () => {
  it("answers 304 when the ETag still matches, and a new ETag after a recompute", async () => {
    const path = "/api/v1/workspaces/contract/metrics/revenue_won?from=2026-02&to=2026-03";
    const first = await call("GET", path);
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^"[0-9a-f]+"$/);
    expect(first.headers.get("cache-control")).toBe("private, no-cache");
    const again = await exports.default.fetch(
      new Request(`${ORIGIN}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "if-none-match": etag! } }),
    );
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
  });
});

describe("CORS", () => {
  it("answers preflights for the workspace's configured origins only", async () => {
    expect((await call("PATCH", "/api/v1/workspaces/contract", { cors_origins: ["https://notebooks.example.com"] })).status).toBe(200);
    const preflight = (origin: string) =>
      exports.default.fetch(
        new Request(`${ORIGIN}/api/v1/workspaces/contract/months/2026-03`, {
          method: "OPTIONS",
          headers: { origin, "access-control-request-method": "GET", "access-control-request-headers": "authorization" },
        }),
      );
    const allowed = await preflight("https://notebooks.example.com");
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://notebooks.example.com");
    expect(allowed.headers.get("access-control-allow-headers")).toContain("authorization");
    const other = await preflight("https://evil.example.com");
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const invalid = await call("PATCH", "/api/v1/workspaces/contract", { cors_origins: ["https://x.example.com/path"] });
    expect(invalid.status).toBe(400);
  });
});

describe("rate limiting", () => {
  it("answers 429 with Retry-After once a token exceeds its limit, without affecting other tokens", async () => {
    await createWorkspace("busy");
    const busy = await token("busy", ["read"]);
    let limited: Response | null = null;
    // The test binding allows 50 requests per minute and token (vitest.config.ts).
    expect(env.API_RATE_LIMIT).toBeDefined();
    for (let i = 0; i < 60 && !limited; i++) {
      const response = await call("GET", "/api/v1/workspaces/busy", undefined, busy);
      if (response.status === 429) limited = response;
    }
    expect(limited).not.toBeNull();
    expect(limited!.headers.get("retry-after")).toBe("60");
    expect((await call("GET", "/api/v1/workspaces/contract", undefined, tokens.read!)).status).toBe(200);
  });
});

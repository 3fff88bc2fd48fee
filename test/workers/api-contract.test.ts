// The analyst API's contract: who may call what (every route), CSV with formula
// neutralisation, cursor pagination, ETag revalidation, CORS and per-token rate limits.
import { env } from "cloudflare:workers";
import Papa from "papaparse";
import { beforeAll, describe, expect, it } from "vitest";
import { api } from "../../workers/api/app";
import {
  ADMIN_TOKEN,
  call,
  createConnection,
  createNativeConnection,
  createWorkspace,
  event,
  ORIGIN,
  postNative,
  postWebhook,
  waitForInbox,
} from "./helpers";
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
  { method: "POST", path: "/api/v1/workspaces/contract/connections/c_missing/rotate", body: { grace_seconds: 60 }, scope: "admin", workspace: true },
  { method: "DELETE", path: "/api/v1/workspaces/contract/connections/c_missing", scope: "admin", workspace: true },
  { method: "POST", path: "/api/v1/workspaces/contract/tokens", body: { scopes: ["read"] }, scope: "admin", workspace: true },
  { method: "GET", path: "/api/v1/workspaces/contract/tokens", scope: "admin", workspace: true },
  { method: "DELETE", path: "/api/v1/workspaces/contract/tokens/tok_missing", scope: "admin", workspace: true },
  { method: "PUT", path: "/api/v1/workspaces/contract/quotas", body: [], scope: "admin", workspace: true },
  { method: "PUT", path: "/api/v1/workspaces/contract/fx-rates", body: [], scope: "admin", workspace: true },
  { method: "PUT", path: "/api/v1/workspaces/contract/spend", body: [], scope: "admin", workspace: true },
  { method: "POST", path: "/api/v1/workspaces/contract/recompute", body: { from: "2026-03", to: "2026-03" }, scope: "admin", workspace: true },
  { method: "GET", path: "/api/v1/workspaces/contract/months/2026-03", scope: "read", workspace: true },
  { method: "GET", path: "/api/v1/workspaces/contract/months/2026-03/pipeline-movement", scope: "read", workspace: true },
  { method: "GET", path: "/api/v1/workspaces/contract/months/2026-03/kpis/win_rate/members", scope: "read", workspace: true },
  { method: "GET", path: "/api/v1/workspaces/contract/metrics/win_rate", scope: "read", workspace: true },
  { method: "GET", path: "/api/v1/workspaces/contract/dead-letters", scope: "read", workspace: true },
  { method: "GET", path: "/api/v1/workspaces/contract/ingest-status", scope: "read", workspace: true },
  { method: "POST", path: "/api/v1/workspaces/contract/ingest/requeue", scope: "admin", workspace: true },
  { method: "GET", path: "/api/v1/workspaces/contract/reports", scope: "read", workspace: true },
  { method: "GET", path: "/api/v1/workspaces/contract/reports/2026-03", scope: "read", workspace: true },
  { method: "GET", path: "/api/v1/workspaces/contract/reports/2026-03/digest", scope: "read", workspace: true },
  { method: "POST", path: "/api/v1/workspaces/contract/reports/2026-03/publish", scope: "admin", workspace: true },
  { method: "POST", path: "/api/v1/workspaces/contract/reports/2026-03/share-token", scope: "admin", workspace: true },
  { method: "POST", path: "/api/v1/admin/rotate-secrets", scope: "root", workspace: false },
  { method: "POST", path: "/api/v1/admin/workspaces/contract/move", body: { to: "DB_WS_2" }, scope: "root", workspace: false },
  { method: "POST", path: "/api/v1/admin/workspaces/contract/move/step", scope: "root", workspace: false },
  { method: "POST", path: "/api/v1/admin/directory/adopt", scope: "root", workspace: false },
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

/**
 * Every route × every principal (none, read of A, admin of A, admin of B, root) × every
 * resource kind (workspace, connection, token): two workspaces with the same kinds of data,
 * each with a native and a Salesforce connection, a deploy hook and a digest webhook, events,
 * dead letters and tokens.
 */
describe("every route, every scope, every resource kind", () => {
  type Side = {
    slug: string;
    native: { id: string; webhook_url: string; secret: string };
    salesforce: { id: string; webhook_url: string };
    organizationId: string;
    deployHook: string;
    digestHook: string;
    tokenId: string;
    shareToken: string;
    /** Per route (by index): a fresh read and admin token, so no token reaches the rate limit. */
    read: string[];
    admin: string[];
  };
  const sides: Record<"a" | "b", Side> = {} as Record<"a" | "b", Side>;
  const ORGS = { a: "00D7F00000107XsUAI", b: "00D5g000004ZyXwEAK" };
  const MISSING = { ws: "nowhere", connection: "c_missing", token: "tok_missing" };

  const contactMessage = (organizationId: string) =>
    `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
    `<soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound"><OrganizationId>${organizationId}</OrganizationId>` +
    `<ActionId>04k7F0000008V3hQAE</ActionId><SessionId xsi:nil="true"/>` +
    `<Notification><Id>04l7F000000AbCdQAK</Id><sObject xsi:type="sf:Contact" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">` +
    `<sf:Id>0037F00000AbCdEQAZ</sf:Id></sObject></Notification></notifications></soapenv:Body></soapenv:Envelope>`;

  async function setUp(key: "a" | "b"): Promise<Side> {
    const slug = `iso-${key}`;
    const deployHook = `https://hooks.example.com/deploy/${key}-hook-secret`;
    const digestHook = `https://hooks.example.com/digest/${key}-digest-secret`;
    await createWorkspace(slug, { timezone: "UTC", deploy_hook_url: deployHook, digest_webhook_url: digestHook });
    const native = await createNativeConnection(slug);
    const salesforce = await createConnection(slug, "salesforce", { config: { organization_id: ORGS[key] } });
    const events = [
      event(`${key}-1`, "deal.upserted", "2026-03-02T10:00:00Z", { deal_id: `DEAL-${key}`, owner_rep_id: `REP-${key}`, amount: 1200, status: "won" }),
      event(`${key}-2`, "deal.exploded", "2026-03-02T10:00:00Z", { deal_id: `DEAL-${key}`, token: "tok", note: native.webhook_url }),
    ];
    expect((await postNative(native, JSON.stringify({ events }))).status).toBe(202);
    const soap = { "content-type": "text/xml; charset=utf-8", soapaction: '""' };
    expect((await postWebhook(salesforce.webhook_url, contactMessage(ORGS[key]), soap)).status).toBe(200);
    const tokenId = ((await (await call("POST", `/api/v1/workspaces/${slug}/tokens`, { scopes: ["read"], name: "listed" })).json()) as { id: string }).id;
    const read: string[] = [];
    const admin: string[] = [];
    for (let i = 0; i < ROUTES.length; i++) {
      read.push(await token(slug, ["read"]));
      admin.push(await token(slug, ["admin"]));
    }
    return { slug, native, salesforce, organizationId: ORGS[key], deployHook, digestHook, tokenId, shareToken: "", read, admin };
  }

  /** The route's request against workspace `slug` with the given connection and token ids. */
  const request = (route: (typeof ROUTES)[number], slug: string, connectionId: string, tokenId: string) =>
    route.path
      .replace("/workspaces/contract", `/workspaces/${slug}`)
      .replace("c_missing", connectionId)
      .replace("tok_missing", tokenId);

  /** What an answer shows, with the names of `side` replaced by the missing ones (to compare). */
  async function shown(response: Response, side?: Side) {
    let body = await response.text();
    if (side) {
      // An answer may echo what the request named (a problem's detail): that teaches nothing.
      body = body.replaceAll(side.slug, MISSING.ws).replaceAll(side.native.id, MISSING.connection).replaceAll(side.tokenId, MISSING.token);
    }
    return { status: response.status, type: response.headers.get("content-type"), body };
  }

  /** Values of a side that let their holder write, or that would tell another workspace it exists. */
  const writeEnabling = (side: Side) => [
    side.native.id,
    side.native.webhook_url,
    side.salesforce.id,
    side.salesforce.webhook_url,
    side.organizationId,
    side.organizationId.slice(0, 15),
    side.deployHook,
    side.digestHook,
    side.native.secret,
  ];
  const identifying = (side: Side) => [...writeEnabling(side), side.slug, side.tokenId, side.shareToken, `DEAL-${side.slug.slice(-1)}`, `REP-${side.slug.slice(-1)}`];

  /** Everything root sees of a side: compared before and after, nothing changed. */
  const snapshot = async (side: Side) =>
    Promise.all(
      ["", "/connections", "/tokens", "/dead-letters", "/months/2026-03", "/reports"].map(async (path) =>
        (await call("GET", `/api/v1/workspaces/${side.slug}${path}`)).text(),
      ),
    );
  let before: { a: string[]; b: string[] };

  beforeAll(async () => {
    sides.a = await setUp("a");
    sides.b = await setUp("b");
    await waitForInbox();
    for (const side of Object.values(sides)) {
      expect((await call("POST", `/api/v1/workspaces/${side.slug}/recompute`, { from: "2026-03", to: "2026-03" })).status).toBe(200);
      const published = await call("POST", `/api/v1/workspaces/${side.slug}/reports/2026-03/publish`);
      expect(published.status).toBe(201);
      side.shareToken = ((await published.json()) as { share_token: string }).share_token;
    }
    before = { a: await snapshot(sides.a), b: await snapshot(sides.b) };
  }, 60_000); // two workspaces, two tokens per route each, two recomputes: slow on a loaded machine

  it.each(ROUTES.map((route, index) => ({ ...route, index })))("$method $path", async (route) => {
    const { a, b } = sides;
    const pairs: [Side, Side, string][] = [
      [a, b, "admin"],
      [b, a, "admin"],
      [a, b, "read"],
    ];
    for (const [own, other, scope] of pairs) {
      const bearer = scope === "admin" ? own.admin[route.index]! : own.read[route.index]!;
      const seen: string[] = [];
      /** The answer, with the names the request gave of `named` replaced; kept to search. */
      const send = async (path: string, named?: Side) => {
        const answer = await shown(await call(route.method, path, route.body, bearer), named);
        seen.push(answer.body);
        return answer;
      };
      if (route.workspace) {
        // Another workspace's resources answer as a workspace that does not exist.
        const theirs = await send(request(route, other.slug, other.native.id, other.tokenId), other);
        const nowhere = await send(request(route, MISSING.ws, MISSING.connection, MISSING.token));
        expect(theirs, `${scope} of ${own.slug} on ${other.slug}`).toEqual(nowhere);
        expect(nowhere.status).toBe(404);
        // Another workspace's connection or token, named under one's own workspace: as a missing one.
        if (route.path.includes("_missing")) {
          const foreign = await send(request(route, own.slug, other.native.id, other.tokenId), other);
          const missing = await send(request(route, own.slug, MISSING.connection, MISSING.token));
          expect(foreign, `${scope} of ${own.slug} naming ${other.slug}'s resource`).toEqual(missing);
          expect(missing.status).toBe(scope === "read" ? 403 : 404);
        }
      }
      // One's own workspace, for routes that change nothing when called (reads, and writes a read token may not make).
      if (route.method === "GET" || (scope === "read" && route.scope !== "read")) {
        const answer = await send(request(route, own.slug, MISSING.connection, MISSING.token));
        if (route.scope === "read" || scope === "admin") expect(answer.status, `${scope} reads ${route.path}`).toBeLessThan(400);
        else expect(answer.status).toBe(403);
      }
      const bodies = seen.join("\n");
      for (const value of identifying(other)) expect(bodies, `${scope} of ${own.slug} learns ${value}`).not.toContain(value);
      if (scope === "read") {
        for (const value of writeEnabling(own)) expect(bodies, `read of ${own.slug} learns ${value}`).not.toContain(value);
      }
    }
    // Without a token, or with one that does not exist: 401 and nothing else.
    for (const bearer of [null, "qt_0000"]) {
      const response = await call(route.method, request(route, a.slug, a.native.id, a.tokenId), route.body, bearer);
      expect(response.status).toBe(401);
      const body = await response.text();
      for (const value of identifying(a)) expect(body).not.toContain(value);
    }
    // Root reaches either workspace (a missing resource is 404 like for anyone).
    if (route.method === "GET") {
      for (const side of [a, b]) {
        expect((await call(route.method, request(route, side.slug, MISSING.connection, MISSING.token))).status).toBeLessThan(400);
      }
    }
  });

  it("changed nothing of either workspace", async () => {
    expect(await snapshot(sides.a)).toEqual(before.a);
    expect(await snapshot(sides.b)).toEqual(before.b);
  });

  it("a read token's every answer: the same data as root's, without the write-enabling values", async () => {
    const read = sides.a.read[0]!;
    const asRead = (await (await call("GET", "/api/v1/workspaces/iso-a/dead-letters", undefined, read)).json()) as { items: { reason: string }[] };
    const asRoot = (await (await call("GET", "/api/v1/workspaces/iso-a/dead-letters")).json()) as { items: { reason: string; connection_id: string }[] };
    expect(asRead.items.map((d) => d.reason)).toEqual(asRoot.items.map((d) => d.reason));
    expect(asRoot.items.map((d) => d.connection_id).sort()).toEqual([sides.a.native.id, sides.a.salesforce.id].sort());
    const month = await (await call("GET", "/api/v1/workspaces/iso-a/months/2026-03", undefined, read)).text();
    expect(month).toContain("REP-a");
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
    // Up to 120 requests: if the limiter's minute rolls over mid-loop (a slow machine), the
    // next 50 still exceed it.
    for (let i = 0; i < 120 && !limited; i++) {
      const response = await call("GET", "/api/v1/workspaces/busy", undefined, busy);
      if (response.status === 429) limited = response;
    }
    expect(limited).not.toBeNull();
    expect(limited!.headers.get("retry-after")).toBe("60");
    expect((await call("GET", "/api/v1/workspaces/contract", undefined, tokens.read!)).status).toBe(200);
  });
});

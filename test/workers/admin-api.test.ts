// The admin API: workspaces, connections and tokens; authentication and workspace scoping;
// secrets encrypted at rest and never shown again.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { exports } from "cloudflare:workers";
import { decryptSecret } from "../../workers/lib/crypto";
import { stripeKey, stripeSignature } from "../../workers/sources/stripe";
import { allWorkspaceDbs, call, createNativeConnection, createWorkspace, workspaceDbOf } from "./helpers";

describe("workspaces", () => {
  it("creates a workspace with defaults and reads it back", async () => {
    const created = await call("POST", "/api/v1/workspaces", { slug: "acme", name: "Acme Inc." });
    expect(created.status).toBe(201);
    const read = await call("GET", "/api/v1/workspaces/acme");
    expect(await read.json()).toEqual({
      slug: "acme",
      name: "Acme Inc.",
      timezone: "UTC",
      currency: "USD",
      pipeline_stages: [],
      deploy_hook_url: null,
      digest_webhook_url: null,
      cors_origins: [],
      public_reports: false,
      created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });
    expect((await call("POST", "/api/v1/workspaces", { slug: "acme", name: "Again" })).status).toBe(409);
  });

  it("keeps reports private unless the workspace opts in with public_reports, on create and PATCH", async () => {
    const created = await call("POST", "/api/v1/workspaces", { slug: "opted-in", name: "Opted in", public_reports: true });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ slug: "opted-in", public_reports: true });
    const listed = (await (await call("GET", "/api/v1/workspaces?limit=200")).json()) as { items: { slug: string; public_reports: boolean }[] };
    expect(listed.items.find((w) => w.slug === "opted-in")?.public_reports).toBe(true);

    const off = await call("PATCH", "/api/v1/workspaces/opted-in", { public_reports: false });
    expect(off.status).toBe(200);
    expect(await off.json()).toMatchObject({ public_reports: false });
    expect(await (await call("GET", "/api/v1/workspaces/opted-in")).json()).toMatchObject({ public_reports: false });
    // A name change leaves the setting as it is.
    await call("PATCH", "/api/v1/workspaces/opted-in", { public_reports: true });
    expect(await (await call("PATCH", "/api/v1/workspaces/opted-in", { name: "Renamed" })).json()).toMatchObject({ public_reports: true });

    for (const [method, path, body] of [
      ["PATCH", "/api/v1/workspaces/opted-in", { public_reports: "yes" }],
      ["POST", "/api/v1/workspaces", { slug: "opted-bad", name: "Bad", public_reports: 1 }],
    ] as const) {
      const invalid = await call(method, path, body);
      expect(invalid.status).toBe(400);
      expect(invalid.headers.get("content-type")).toBe("application/problem+json");
      const problem = (await invalid.json()) as { errors: { field: string; message: string }[] };
      expect(problem.errors.map((e) => e.field)).toEqual(["public_reports"]);
    }
    expect((await call("GET", "/api/v1/workspaces/opted-bad")).status).toBe(404);
  });

  it("lists only the token's own workspace to a workspace token (what `npm run export` exports)", async () => {
    await createWorkspace("export-own", { public_reports: false });
    await createWorkspace("export-other", { public_reports: true });
    const issued = await call("POST", "/api/v1/workspaces/export-own/tokens", { scopes: ["read"] });
    const { token } = (await issued.json()) as { token: string };
    const listed = (await (await call("GET", "/api/v1/workspaces?limit=200", undefined, token)).json()) as {
      items: { slug: string; public_reports: boolean }[];
      next_cursor: string | null;
    };
    expect(listed.items.map((w) => [w.slug, w.public_reports])).toEqual([["export-own", false]]);
    expect(listed.next_cursor).toBeNull();
    expect((await call("GET", "/api/v1/workspaces/export-other/reports", undefined, token)).status).toBe(404);
  });

  it("patches settings and rejects invalid ones with the field and the reason", async () => {
    await createWorkspace("patchy");
    const patched = await call("PATCH", "/api/v1/workspaces/patchy", {
      timezone: "Europe/Berlin",
      currency: "EUR",
      pipeline_stages: ["discovery", "demo", "proposal"],
      deploy_hook_url: "https://api.example.com/deploy",
    });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({
      timezone: "Europe/Berlin",
      currency: "EUR",
      pipeline_stages: ["discovery", "demo", "proposal"],
      deploy_hook_url: "https://api.example.com/deploy",
    });
    const invalid = await call("PATCH", "/api/v1/workspaces/patchy", { timezone: "Mars/Olympus", currency: "euro" });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get("content-type")).toBe("application/problem+json");
    const problem = (await invalid.json()) as { errors: { field: string; message: string }[] };
    expect(problem.errors).toEqual([
      { field: "timezone", message: "not an IANA time zone" },
      { field: "currency", message: "an ISO 4217 code in capitals" },
    ]);
    const reread = (await (await call("GET", "/api/v1/workspaces/patchy")).json()) as { timezone: string };
    expect(reread.timezone).toBe("Europe/Berlin");
  });
});

describe("deploy hook URLs", () => {
  // Refused even with the local-development flag on (the test environment sets it).
  const REFUSED = [
    "http://hooks.example.com/build", // not https
    "ftp://hooks.example.com/build",
    "https://10.0.0.1/hook", // RFC 1918
    "https://10.1/hook", // short form of 10.0.0.1
    "https://172.16.5.4/hook",
    "https://192.168.1.1/hook",
    "https://100.64.0.1/hook", // CGNAT
    "https://127.0.0.2/hook", // loopback, not the local-development host
    "https://169.254.169.254/latest/meta-data/", // link-local metadata
    "https://2852039166/latest/meta-data/", // 169.254.169.254 in decimal
    "https://0xa9fea9fe/latest/meta-data/", // … in hex
    "https://0251.0376.0251.0376/latest/meta-data/", // … in octal
    "https://[::ffff:169.254.169.254]/latest", // … IPv4-mapped IPv6
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://metadata/computeMetadata/v1/", // a single-label name
    "https://foo.localhost/hook",
    "https://0.0.0.0/hook", // unspecified
    "https://[::]/hook",
    "https://[fc00::1]/hook", // ULA
    "https://[fd12:3456::1]/hook",
    "https://[fe80::1]/hook", // link-local
  ];
  // Refused without the flag (as deployed): the local-development hosts.
  const LOCAL = ["http://127.0.0.1:8787/hook", "http://localhost/hook", "https://localhost./hook", "https://0x7f000001/hook", "https://2130706433/hook", "https://127.1/hook", "https://[::1]/hook"];
  const ACCEPTED = ["https://api.netlify.com/build_hooks/5f1e0c0ffee", "https://8.8.8.8/hook", "https://[2606:4700:4700::1111]/hook"];

  async function refusal(response: Response) {
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = (await response.json()) as { errors: { field: string; message: string }[] };
    return problem.errors.map((e) => e.field);
  }

  it("refuses non-https, private, link-local, metadata and obfuscated hosts when creating or patching a workspace", async () => {
    await createWorkspace("hooked", { deploy_hook_url: "https://api.example.com/deploy" });
    for (const url of REFUSED) {
      const created = await call("POST", "/api/v1/workspaces", { slug: "hook-refused", name: "Refused", deploy_hook_url: url });
      expect(await refusal(created), url).toContain("deploy_hook_url");
      const patched = await call("PATCH", "/api/v1/workspaces/hooked", { deploy_hook_url: url });
      expect(await refusal(patched), url).toContain("deploy_hook_url");
    }
    const metadata = await call("PATCH", "/api/v1/workspaces/hooked", { deploy_hook_url: "https://2852039166/latest/meta-data/" });
    expect(((await metadata.json()) as { errors: unknown[] }).errors).toEqual([
      { field: "deploy_hook_url", message: "a deploy hook URL 169.254.169.254 is not a public address" },
    ]);
    expect((await call("GET", "/api/v1/workspaces/hook-refused")).status).toBe(404);
    const reread = (await (await call("GET", "/api/v1/workspaces/hooked")).json()) as { deploy_hook_url: string };
    expect(reread.deploy_hook_url).toBe("https://api.example.com/deploy");
  });

  it("accepts https to a public host, and local hosts only with ALLOW_LOCAL_DEPLOY_HOOKS", async () => {
    for (const url of [...ACCEPTED, ...LOCAL]) {
      const patched = await call("PATCH", "/api/v1/workspaces/hooked", { deploy_hook_url: url });
      expect(patched.status, url).toBe(200);
    }
    const flag = process.env.ALLOW_LOCAL_DEPLOY_HOOKS;
    process.env.ALLOW_LOCAL_DEPLOY_HOOKS = "false";
    try {
      for (const url of LOCAL) expect(await refusal(await call("PATCH", "/api/v1/workspaces/hooked", { deploy_hook_url: url })), url).toContain("deploy_hook_url");
      for (const url of ACCEPTED) expect((await call("PATCH", "/api/v1/workspaces/hooked", { deploy_hook_url: url })).status, url).toBe(200);
    } finally {
      process.env.ALLOW_LOCAL_DEPLOY_HOOKS = flag;
    }
    expect((await call("PATCH", "/api/v1/workspaces/hooked", { deploy_hook_url: null })).status).toBe(200);
  });
});

describe("authentication and scoping", () => {
  let readToken: string;
  let adminToken: string;
  let otherToken: string;

  beforeAll(async () => {
    await createWorkspace("scoped");
    await createWorkspace("other");
    const token = async (slug: string, scopes: string[]) =>
      ((await (await call("POST", `/api/v1/workspaces/${slug}/tokens`, { scopes })).json()) as { token: string }).token;
    readToken = await token("scoped", ["read"]);
    adminToken = await token("scoped", ["admin"]);
    otherToken = await token("other", ["admin"]);
  });

  it("answers 401 without a token or with a bad one", async () => {
    expect((await call("GET", "/api/v1/workspaces/scoped", undefined, null)).status).toBe(401);
    expect((await call("GET", "/api/v1/workspaces/scoped", undefined, "qt_not-a-token")).status).toBe(401);
    expect((await call("POST", "/api/v1/workspaces", { slug: "x", name: "x" }, null)).status).toBe(401);
  });

  it("lets a read token read but not change, and an admin token change its workspace", async () => {
    expect((await call("GET", "/api/v1/workspaces/scoped", undefined, readToken)).status).toBe(200);
    expect((await call("PATCH", "/api/v1/workspaces/scoped", { name: "No" }, readToken)).status).toBe(403);
    expect((await call("POST", "/api/v1/workspaces/scoped/tokens", { scopes: ["admin"] }, readToken)).status).toBe(403);
    expect((await call("PATCH", "/api/v1/workspaces/scoped", { name: "Yes" }, adminToken)).status).toBe(200);
    // Only the ADMIN_TOKEN creates workspaces.
    expect((await call("POST", "/api/v1/workspaces", { slug: "mine", name: "Mine" }, adminToken)).status).toBe(403);
  });

  it("answers 404 to another workspace's token, as for a workspace that does not exist", async () => {
    const foreign = await call("GET", "/api/v1/workspaces/scoped", undefined, otherToken);
    const missing = await call("GET", "/api/v1/workspaces/nope", undefined, otherToken);
    expect(foreign.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(await foreign.text()).not.toContain("Yes");
    expect((await call("POST", "/api/v1/workspaces/scoped/connections", { kind: "native", name: "x" }, otherToken)).status).toBe(404);
  });

  it("stores tokens only as a hash", async () => {
    const results = [];
    for (const db of allWorkspaceDbs()) results.push(...(await db.prepare("SELECT * FROM api_tokens").all()).results);
    // The directory keeps each token's hash too, never the token.
    results.push(...(await env.DB_DIRECTORY.prepare("SELECT * FROM directory_tokens").all()).results);
    expect(results.length).toBeGreaterThan(3);
    const dump = JSON.stringify(results);
    for (const token of [readToken, adminToken, otherToken]) expect(dump).not.toContain(token);
  });
});

describe("connections", () => {
  it("returns a random id, the webhook URL and a generated whsec_ secret once", async () => {
    await createWorkspace("conn");
    const created = await createNativeConnection("conn");
    expect(created.id).toMatch(/^c_[0-9a-f]{32}$/); // 128 random bits
    expect(created.webhook_url).toBe(`https://quotient.test/webhooks/${created.id}`);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/); // 32 random bytes
  });

  it("keeps the secret encrypted at rest and out of every later response", async () => {
    await createWorkspace("vault");
    const given = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const created = await createNativeConnection("vault", given);
    expect(created.secret).toBe(given);
    const { results } = await (await workspaceDbOf("vault")).prepare("SELECT * FROM connections WHERE id = ?1").bind(created.id).all<{ secret_ciphertext: string }>();
    const dump = JSON.stringify(results);
    expect(dump).not.toContain(given);
    expect(dump).not.toContain("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    expect(await decryptSecret(results[0]!.secret_ciphertext, env.SECRETS_KEY)).toBe(given);
    const workspace = await (await call("GET", "/api/v1/workspaces/vault")).text();
    expect(workspace).not.toContain("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  });

  it("rejects a malformed native secret and an unknown kind", async () => {
    await createWorkspace("badconn");
    const bad = await call("POST", "/api/v1/workspaces/badconn/connections", { kind: "native", name: "x", secret: "hunter2hunter2" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: unknown[] }).errors).toEqual([
      { field: "secret", message: "must be whsec_ followed by base64 of 24 to 64 bytes" },
    ]);
    const unknown = await call("POST", "/api/v1/workspaces/badconn/connections", { kind: "fax", name: "x" });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { errors: { field: string }[] }).errors[0]!.field).toBe("kind");
  });

  it("lets a CRM's secret be set after creation, never showing it again", async () => {
    await createWorkspace("later");
    const created = await call("POST", "/api/v1/workspaces/later/connections", { kind: "stripe", name: "Stripe" });
    expect(created.status).toBe(201);
    const connection = (await created.json()) as { id: string; webhook_url: string; secret: string | null };
    expect(connection.secret).toBeNull();
    // Until the secret is set, deliveries are refused.
    const early = await exports.default.fetch(new Request(connection.webhook_url, { method: "POST", body: "{}" }));
    expect(early.status).toBe(401);
    const bad = await call("PATCH", `/api/v1/workspaces/later/connections/${connection.id}`, { secret: "sk_live_not_a_webhook_secret" });
    expect(bad.status).toBe(400);
    const patched = await call("PATCH", `/api/v1/workspaces/later/connections/${connection.id}`, { secret: "whsec_test_secret" });
    expect(patched.status).toBe(200);
    expect(await patched.text()).not.toContain("whsec_test_secret");
    // The Stripe test vector of docs/crms/stripe.md, signed now.
    const body = '{"id":"evt_1","object":"event","type":"customer.created","created":1700000000,"data":{"object":{"id":"cus_1","object":"customer","name":"Acme"}}}';
    const t = String(Math.floor(Date.now() / 1000));
    const signature = await stripeSignature(stripeKey("whsec_test_secret"), t, body);
    const accepted = await exports.default.fetch(
      new Request(connection.webhook_url, { method: "POST", body, headers: { "stripe-signature": `t=${t},v1=${signature}` } }),
    );
    expect(accepted.status).toBe(200);
  });
});

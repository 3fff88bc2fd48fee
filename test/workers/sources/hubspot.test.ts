// HubSpot: v3 / v2 / v1 signatures as HubSpot computes them, the mapping of each
// subscription type, and a story from webhooks to KPIs.
import { describe, expect, it } from "vitest";
import { decodeHubSpotUri, HUBSPOT_NEW_CONNECTION_CONFIG, hubspot, hubspotV3Signature, verifyHubSpot } from "../../../workers/sources/hubspot";
import { sha256Hex } from "../../../workers/lib/crypto";
import { validateEvent } from "../../../workers/model/events";
import { call, createConnection, createWorkspace, monthValues, ORIGIN, postWebhook, waitForInbox, workspaceDbOf, workspaceDbOfConnection } from "../helpers";

// The HubSpot test vectors (docs/crms/hubspot.md).
const SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy";
const V3_URL = "https://hooks.example.com/hubspot?tenant=acme";
const V3_BODY =
  '[{"eventId":1,"subscriptionId":2,"portalId":3,"occurredAt":1700000000000,"subscriptionType":"deal.propertyChange","attemptNumber":0,"objectId":42,"propertyName":"dealstage","propertyValue":"closedwon","changeSource":"CRM_UI"}]';
const V3_TS = "1700000000000";
const V3_SIGNATURE = "+t8A+hxLDbgPkTJ5RU9g2fKh/tnEqybigYyk5F/083M=";

const v3Headers = (signature = V3_SIGNATURE, timestamp = V3_TS) =>
  new Headers({ "x-hubspot-signature-v3": signature, "x-hubspot-request-timestamp": timestamp });

/** A v3 signature for any timestamp, with the adapter's scheme (HubSpot signs the decoded URI). */
const signV3 = (method: string, url: string, body: string, timestamp: string, secret = SECRET) =>
  hubspotV3Signature(secret, method, decodeHubSpotUri(url), body, timestamp);

describe("HubSpot signatures", () => {
  it("accepts the v3 vector within 5 minutes and rejects it after", async () => {
    expect(await verifyHubSpot("POST", V3_URL, v3Headers(), V3_BODY, SECRET, 1700000000000 + 300_000)).toEqual({ ok: true });
    expect((await verifyHubSpot("POST", V3_URL, v3Headers(), V3_BODY, SECRET, 1700000000000 + 300_001)).ok).toBe(false);
  });

  it("rejects a tampered body, another URL, another method and a wrong secret", async () => {
    const now = 1700000000000;
    expect((await verifyHubSpot("POST", V3_URL, v3Headers(), V3_BODY.replace("closedwon", "closedlost"), SECRET, now)).ok).toBe(false);
    expect((await verifyHubSpot("POST", V3_URL.replace("acme", "evil"), v3Headers(), V3_BODY, SECRET, now)).ok).toBe(false);
    expect((await verifyHubSpot("PUT", V3_URL, v3Headers(), V3_BODY, SECRET, now)).ok).toBe(false);
    expect((await verifyHubSpot("POST", V3_URL, v3Headers(), V3_BODY, SECRET.replace("y", "z"), now)).ok).toBe(false);
  });

  it("treats a timestamp in seconds as 55 years old, as HubSpot's SDK does", async () => {
    const seconds = "1700000000";
    const signature = await signV3("POST", V3_URL, V3_BODY, seconds);
    expect(await verifyHubSpot("POST", V3_URL, v3Headers(signature, seconds), V3_BODY, SECRET, 1700000000000)).toEqual({
      ok: false,
      reason: "X-HubSpot-Request-Timestamp is older than 5 minutes (it is in milliseconds)",
    });
  });

  it("decodes only HubSpot's set of percent-encodings in the URI", async () => {
    expect(decodeHubSpotUri("https://h.example.com/a%3Ab?x=%2F%40%20%2B")).toBe("https://h.example.com/a:b?x=/@%20%2B");
    const encoded = "https://hooks.example.com/hubspot?tenant=acme%3Aeu";
    // HubSpot signs the decoded form: "…?tenant=acme:eu".
    const signature = await hubspotV3Signature(SECRET, "POST", "https://hooks.example.com/hubspot?tenant=acme:eu", V3_BODY, V3_TS);
    expect(await verifyHubSpot("POST", encoded, v3Headers(signature), V3_BODY, SECRET, 1700000000000)).toEqual({ ok: true });
    // Hashing the escaped URI, as a naive receiver would, gives another signature.
    const escaped = await hubspotV3Signature(SECRET, "POST", encoded, V3_BODY, V3_TS);
    expect((await verifyHubSpot("POST", encoded, v3Headers(escaped), V3_BODY, SECRET, 1700000000000)).ok).toBe(false);
  });

  it("falls back to v2 and v1 (SHA-256, hex) when no v3 header is sent", async () => {
    const legacy = (signature: string, version?: string) =>
      new Headers({ "x-hubspot-signature": signature, ...(version ? { "x-hubspot-signature-version": version } : {}) });
    const body = '{"example_field":"example_value"}';
    const v2Get = "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e";
    const v2Post = "9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900";
    const v1 = "54b2530692e3a3982727206aeee670ed1d85319cad55d4ddbafcf41725ebf2b3";
    const uri = "https://www.example.com/webhook_uri";
    expect(await verifyHubSpot("GET", uri, legacy(v2Get, "v2"), "", SECRET, 0)).toEqual({ ok: true });
    expect(await verifyHubSpot("POST", uri, legacy(v2Post, "v2"), body, SECRET, 0)).toEqual({ ok: true });
    expect(await verifyHubSpot("POST", uri, legacy(v1, "v1"), body, SECRET, 0)).toEqual({ ok: true });
    expect(await verifyHubSpot("POST", uri, legacy(v1), body, SECRET, 0)).toEqual({ ok: true });
    expect((await verifyHubSpot("POST", uri, legacy(v2Post, "v1"), body, SECRET, 0)).ok).toBe(false);
    expect((await verifyHubSpot("POST", uri, new Headers(), body, SECRET, 0)).ok).toBe(false);
  });
});

describe("HubSpot freshness and require_v3", () => {
  const signedAt = 1700000000000;

  it("accepts a v3 timestamp up to 5 minutes in the future and refuses one further ahead", async () => {
    // The clock of the receiver is behind the sender's: now = the timestamp − skew.
    expect(await verifyHubSpot("POST", V3_URL, v3Headers(), V3_BODY, SECRET, signedAt - 300_000)).toEqual({ ok: true });
    expect(await verifyHubSpot("POST", V3_URL, v3Headers(), V3_BODY, SECRET, signedAt - 300_001)).toEqual({
      ok: false,
      reason: "X-HubSpot-Request-Timestamp is more than 5 minutes in the future",
    });
    // A request signed for a day later (to be replayed then) is refused now.
    const tomorrow = String(signedAt + 86_400_000);
    const signature = await signV3("POST", V3_URL, V3_BODY, tomorrow);
    expect((await verifyHubSpot("POST", V3_URL, v3Headers(signature, tomorrow), V3_BODY, SECRET, signedAt)).ok).toBe(false);
  });

  it("refuses a request without the v3 headers when require_v3 is on, with the reason", async () => {
    const body = '{"example_field":"example_value"}';
    const uri = "https://www.example.com/webhook_uri";
    const v1 = new Headers({ "x-hubspot-signature": "54b2530692e3a3982727206aeee670ed1d85319cad55d4ddbafcf41725ebf2b3" });
    const refused = {
      ok: false,
      reason: "this connection requires X-HubSpot-Signature-v3 with X-HubSpot-Request-Timestamp (require_v3); v1 / v2 signatures are refused",
    };
    expect(await verifyHubSpot("POST", uri, v1, body, SECRET, 0, { requireV3: true })).toEqual(refused);
    expect(await verifyHubSpot("POST", uri, new Headers(), body, SECRET, 0, { requireV3: true })).toEqual(refused);
    expect(await verifyHubSpot("POST", uri, v1, body, SECRET, 0, { requireV3: false })).toEqual({ ok: true });
    // v3 is still accepted.
    expect(await verifyHubSpot("POST", V3_URL, v3Headers(), V3_BODY, SECRET, signedAt, { requireV3: true })).toEqual({ ok: true });
    // The adapter reads it from the connection's config: absent (a connection from before) keeps the fallback.
    const request = { method: "POST", url: uri, headers: v1, body };
    const withConfig = (config: Record<string, unknown>) => hubspot.verify(request, { id: "c", kind: "hubspot", secret: SECRET, config }, 0);
    expect(await withConfig({})).toEqual({ ok: true });
    expect(await withConfig({ require_v3: false })).toEqual({ ok: true });
    expect(await withConfig({ require_v3: true })).toEqual(refused);
    expect(HUBSPOT_NEW_CONNECTION_CONFIG).toEqual({ require_v3: true });
  });

  it("answers 401 with the reason at the webhook, and refuses a require_v3 that is not a boolean", async () => {
    await createWorkspace("hs-require-v3");
    const body = JSON.stringify([{ eventId: 1, occurredAt: 1772100000000, subscriptionType: "deal.creation", objectId: 42 }]);
    const strict = await createConnection("hs-require-v3", "hubspot", { secret: SECRET, config: { require_v3: true } });
    const legacy = await createConnection("hs-require-v3", "hubspot", { secret: SECRET, config: { require_v3: false } });
    // v1 signs the secret + the body only: the same headers for both connections.
    const v1Headers = { "content-type": "application/json", "x-hubspot-signature": await sha256Hex(SECRET + body) };
    const refused = await postWebhook(strict.webhook_url, body, v1Headers);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/requires X-HubSpot-Signature-v3 .*\(require_v3\)/);
    expect((await postWebhook(legacy.webhook_url, body, v1Headers)).status).toBe(200);
    const timestamp = String(Date.now());
    const v3 = { "x-hubspot-signature-v3": await signV3("POST", strict.webhook_url, body, timestamp), "x-hubspot-request-timestamp": timestamp };
    expect((await postWebhook(strict.webhook_url, body, v3)).status).toBe(200);
    await waitForInbox();

    const invalid = await call("POST", "/api/v1/workspaces/hs-require-v3/connections", { kind: "hubspot", name: "bad", secret: SECRET, config: { require_v3: "yes" } });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { errors: { field: string; message: string }[] }).errors).toEqual([
      { field: "config.require_v3", message: "true (refuse v1 / v2 signatures) or false" },
    ]);
  });
});

const connectionFor = (config: Record<string, unknown> = {}) => ({ id: "c", kind: "hubspot" as const, secret: SECRET, config });
const base = { portalId: 3, subscriptionId: 7, attemptNumber: 0, changeSource: "CRM_UI" };
const normalize = (event: Record<string, unknown>, config: Record<string, unknown> = {}) =>
  hubspot.normalize({ body: JSON.stringify({ ...base, ...event }), headers: {} }, connectionFor(config));
const at = 1772100000000; // 2026-02-26T10:00:00Z
const iso = new Date(at).toISOString();

describe("HubSpot events → canonical events", () => {
  it("maps deal creation, stage changes (closedwon / closedlost → status), properties and deletion", () => {
    const change = (propertyName: string, propertyValue: unknown, eventId = 10) =>
      normalize({ eventId, occurredAt: at, subscriptionType: "deal.propertyChange", objectId: 42, propertyName, propertyValue });
    expect(normalize({ eventId: 1, occurredAt: at, subscriptionType: "deal.creation", objectId: 42 })).toEqual({
      events: [{ position: 0, event: { id: `hs:3:7:1:42::${at}`, type: "deal.upserted", occurred_at: iso, data: { deal_id: "42", created_at: iso } } }],
      rejected: [],
    });
    const data = (result: ReturnType<typeof normalize>) => (result.events[0]!.event as { data: unknown }).data;
    expect(data(change("dealstage", "qualifiedtobuy"))).toEqual({ deal_id: "42", stage: "qualifiedtobuy", status: "open" });
    expect(data(change("dealstage", "closedwon"))).toEqual({ deal_id: "42", stage: "closedwon", status: "won" });
    expect(data(change("dealstage", "closedlost"))).toEqual({ deal_id: "42", stage: "closedlost", status: "lost" });
    expect(data(change("amount", "12500.50"))).toEqual({ deal_id: "42", amount: "12500.50" });
    expect(data(change("amount", ""))).toEqual({ deal_id: "42", amount: null });
    expect(data(change("deal_currency_code", "EUR"))).toEqual({ deal_id: "42", currency: "EUR" });
    expect(data(change("hubspot_owner_id", "9001"))).toEqual({ deal_id: "42", owner_rep_id: "9001" });
    // Alone, a closedate is the plan of an open deal and the close of a closed one: both fields.
    expect(data(change("closedate", "1772150400000"))).toEqual({ deal_id: "42", closed_at: "2026-02-27T00:00:00.000Z", expected_close_at: "2026-02-27T00:00:00.000Z" });
    expect(data(change("pipeline", "default"))).toEqual({ deal_id: "42", pipeline: "default" });
    expect(data(change("dealtype", "existingbusiness"))).toEqual({ deal_id: "42", kind: "expansion" });
    expect(data(change("hs_analytics_source", "PAID_SEARCH"))).toEqual({ deal_id: "42", source: "paid_search" });
    expect(normalize({ eventId: 3, occurredAt: at, subscriptionType: "deal.deletion", objectId: 42 }).events[0]!.event).toMatchObject({
      type: "deal.deleted",
      data: { deal_id: "42" },
    });
    // A custom pipeline's won stage, named on the connection.
    const custom = normalize(
      { eventId: 4, occurredAt: at, subscriptionType: "deal.propertyChange", objectId: 42, propertyName: "dealstage", propertyValue: "9873" },
      { closed_won_stages: ["9873"] },
    );
    expect(data(custom)).toEqual({ deal_id: "42", stage: "9873", status: "won" });
  });

  it("maps contacts to leads with lifecycle stages, and companies to accounts", () => {
    const data = (event: Record<string, unknown>) => (normalize({ eventId: 5, occurredAt: at, objectId: 77, ...event }).events[0]!.event as { type: string; data: unknown });
    expect(data({ subscriptionType: "contact.creation" })).toEqual(expect.objectContaining({ type: "lead.upserted", data: { lead_id: "77", created_at: iso } }));
    expect(data({ subscriptionType: "contact.propertyChange", propertyName: "lifecyclestage", propertyValue: "marketingqualifiedlead" }).data).toEqual({ lead_id: "77", stage: "mql" });
    expect(data({ subscriptionType: "contact.propertyChange", propertyName: "lifecyclestage", propertyValue: "customer" }).data).toEqual({ lead_id: "77", stage: "customer" });
    expect(data({ subscriptionType: "contact.propertyChange", propertyName: "hs_analytics_source", propertyValue: "ORGANIC_SEARCH" }).data).toEqual({ lead_id: "77", source: "organic_search" });
    expect(data({ subscriptionType: "contact.deletion" })).toEqual(expect.objectContaining({ type: "lead.deleted", data: { lead_id: "77" } }));
    expect(data({ subscriptionType: "company.creation" })).toEqual(expect.objectContaining({ type: "account.upserted", data: { account_id: "77" } }));
    expect(data({ subscriptionType: "company.propertyChange", propertyName: "name", propertyValue: "Acme" }).data).toEqual({ account_id: "77", name: "Acme" });
    expect(data({ subscriptionType: "deal.associationChange", fromObjectId: 42, toObjectId: 77, associationType: "DEAL_TO_COMPANY", associationRemoved: false, objectId: undefined }).data).toEqual({ deal_id: "42", account_id: "77" });
  });

  it("maps generic call, email and meeting objects to activities", () => {
    const data = (event: Record<string, unknown>) => (normalize({ eventId: 6, occurredAt: at, objectId: 555, ...event }).events[0]!.event as { data: unknown }).data;
    expect(data({ subscriptionType: "object.creation", objectTypeId: "0-48" })).toEqual({ activity_id: "555", type: "call" });
    expect(data({ subscriptionType: "object.propertyChange", objectTypeId: "0-48", propertyName: "hs_call_direction", propertyValue: "OUTBOUND" })).toEqual({ activity_id: "555", type: "call", direction: "outbound" });
    expect(data({ subscriptionType: "object.propertyChange", objectTypeId: "0-48", propertyName: "hs_call_duration", propertyValue: "90000" })).toEqual({ activity_id: "555", type: "call", duration_seconds: 90 });
    expect(data({ subscriptionType: "object.propertyChange", objectTypeId: "0-49", propertyName: "hs_email_direction", propertyValue: "INCOMING_EMAIL" })).toEqual({ activity_id: "555", type: "email", direction: "inbound" });
    expect(data({ subscriptionType: "object.propertyChange", objectTypeId: "0-47", propertyName: "hs_meeting_outcome", propertyValue: "SCHEDULED" })).toEqual({ activity_id: "555", type: "meeting", outcome: "scheduled" });
    expect(data({ subscriptionType: "object.associationChange", fromObjectId: 555, fromObjectTypeId: "0-48", toObjectId: 42, toObjectTypeId: "0-3", objectId: undefined })).toEqual({ activity_id: "555", type: "call", deal_id: "42" });
  });

  it("rejects what it cannot map, with the reason", () => {
    const reason = (event: Record<string, unknown>) => normalize({ eventId: 8, occurredAt: at, objectId: 1, ...event }).rejected[0]?.reason;
    expect(reason({ subscriptionType: "deal.propertyChange", propertyName: "hs_priority", propertyValue: "high" })).toBe("deal property hs_priority is not mapped");
    expect(reason({ subscriptionType: "contact.propertyChange", propertyName: "lifecyclestage", propertyValue: "other" })).toBe('lifecyclestage "other" has no canonical stage');
    expect(reason({ subscriptionType: "ticket.creation" })).toBe("subscription type ticket.creation is not mapped");
    expect(reason({ subscriptionType: "object.creation", objectTypeId: "2-999" })).toBe("object type 2-999 is not mapped");
    expect(reason({ subscriptionType: "deal.merge" })).toBe("deal.merge is not mapped");
    expect(normalize({ eventId: 9, subscriptionType: "deal.creation" }).rejected[0]!.reason).toContain("occurredAt");
  });
});

describe("HubSpot end to end", () => {
  const march = (day: number, hour: number) => Date.UTC(2026, 2, day, hour);
  const story = [
    { eventId: 1, subscriptionType: "deal.creation", objectId: 42, occurredAt: march(2, 9) },
    { eventId: 2, subscriptionType: "deal.propertyChange", objectId: 42, propertyName: "dealstage", propertyValue: "appointmentscheduled", occurredAt: march(2, 9) },
    { eventId: 3, subscriptionType: "deal.propertyChange", objectId: 42, propertyName: "amount", propertyValue: "5000", occurredAt: march(2, 9) },
    { eventId: 4, subscriptionType: "deal.propertyChange", objectId: 42, propertyName: "dealstage", propertyValue: "qualifiedtobuy", occurredAt: march(9, 9) },
    { eventId: 5, subscriptionType: "deal.propertyChange", objectId: 42, propertyName: "dealstage", propertyValue: "contractsent", occurredAt: march(16, 9) },
    { eventId: 6, subscriptionType: "deal.propertyChange", objectId: 42, propertyName: "dealstage", propertyValue: "closedwon", occurredAt: march(20, 9) },
    { eventId: 7, subscriptionType: "contact.creation", objectId: 77, occurredAt: march(3, 9) },
    { eventId: 8, subscriptionType: "contact.propertyChange", objectId: 77, propertyName: "lifecyclestage", propertyValue: "lead", occurredAt: march(3, 9) },
    { eventId: 9, subscriptionType: "contact.propertyChange", objectId: 77, propertyName: "lifecyclestage", propertyValue: "customer", occurredAt: march(25, 9) },
    { eventId: 10, subscriptionType: "object.creation", objectTypeId: "0-48", objectId: 555, occurredAt: march(4, 9) },
    { eventId: 11, subscriptionType: "object.propertyChange", objectTypeId: "0-48", objectId: 555, propertyName: "hs_call_direction", propertyValue: "OUTBOUND", occurredAt: march(4, 9) },
  ].map((event) => ({ ...base, ...event }));

  async function deliver(slug: string, batches: unknown[][]) {
    await createWorkspace(slug);
    const connection = await createConnection(slug, "hubspot", { secret: SECRET });
    for (const batch of batches) {
      const body = JSON.stringify(batch);
      const timestamp = String(Date.now());
      const signature = await signV3("POST", connection.webhook_url, body, timestamp);
      const response = await postWebhook(connection.webhook_url, body, {
        "content-type": "application/json",
        "x-hubspot-signature-v3": signature,
        "x-hubspot-request-timestamp": timestamp,
      });
      expect(response.status).toBe(200);
    }
    await waitForInbox();
    return connection;
  }

  const state = async (slug: string) => {
    const workspace = await (await workspaceDbOf(slug)).prepare("SELECT id FROM workspaces WHERE slug = ?1").bind(slug).first<{ id: string }>();
    const rows = async (table: string, order: string) =>
      (await (await workspaceDbOf(slug)).prepare(`SELECT * FROM ${table} WHERE workspace_id = ?1 ORDER BY ${order}`).bind(workspace!.id).all()).results.map(
        ({ workspace_id: _, ...row }) => row,
      );
    return { deals: await rows("deals", "deal_id"), leads: await rows("leads", "lead_id"), activities: await rows("activities", "activity_id") };
  };

  it("turns a deal, a contact and a call into the month's KPIs", async () => {
    await deliver("hs-story", [story.slice(0, 6), story.slice(6)]);
    // The HubSpot connection gave the workspace HubSpot's default stage order.
    const workspace = (await (await call("GET", "/api/v1/workspaces/hs-story")).json()) as { pipeline_stages: string[] };
    expect(workspace.pipeline_stages).toEqual(["appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin", "contractsent"]);
    expect((await call("POST", "/api/v1/workspaces/hs-story/recompute", { from: "2026-03", to: "2026-03" })).status).toBe(200);
    const value = await monthValues("hs-story", "2026-03");
    expect(value("deals_won")).toBe(1);
    expect(value("revenue_won")).toBe(5000);
    expect(value("win_rate")).toBe(1);
    expect(value("new_leads")).toBe(1);
    expect(value("lead_conversion_rate")).toBe(1);
    expect(value("activities")).toBe(1);
    expect(value("activities", "type", "call")).toBe(1);
    // Won: it reached every stage of the pipeline.
    expect(value("stage_reached", "stage", "contractsent")).toBe(1);
  });

  it("gives the same state for retried and reversed deliveries, and answers 401 / 400", async () => {
    const connection = await deliver("hs-reverse", [[...story].reverse().slice(0, 5), [...story].reverse().slice(5)]);
    // The whole story again (a retry regrouped into one batch): every event is a duplicate.
    const body = JSON.stringify(story);
    const timestamp = String(Date.now());
    const headers = { "x-hubspot-signature-v3": await signV3("POST", connection.webhook_url, body, timestamp), "x-hubspot-request-timestamp": timestamp };
    expect((await postWebhook(connection.webhook_url, body, headers)).status).toBe(200);
    await waitForInbox();
    expect(await state("hs-reverse")).toEqual(await state("hs-story"));
    const inbox = await (await workspaceDbOfConnection(connection.id)).prepare("SELECT COUNT(*) AS n FROM inbox WHERE connection_id = ?1").bind(connection.id).first<{ n: number }>();
    expect(inbox!.n).toBe(story.length);

    expect((await postWebhook(connection.webhook_url, body, { ...headers, "x-hubspot-signature-v3": "AAAA" })).status).toBe(401);
    const notJson = "dealstage=closedwon";
    const signed = { "x-hubspot-signature-v3": await signV3("POST", connection.webhook_url, notJson, timestamp), "x-hubspot-request-timestamp": timestamp };
    expect((await postWebhook(connection.webhook_url, notJson, signed)).status).toBe(400);
    expect(`${ORIGIN}/webhooks/${connection.id}`).toBe(connection.webhook_url);
  });
});

describe("a new HubSpot connection", () => {
  it("starts with require_v3: true and refuses v1 / v2; the caller may turn it off", async () => {
    await createWorkspace("hs-default-v3");
    const created = await createConnection("hs-default-v3", "hubspot", { secret: SECRET });
    const config = async (id: string) =>
      JSON.parse((await (await workspaceDbOfConnection(id)).prepare("SELECT config FROM connections WHERE id = ?1").bind(id).first<{ config: string }>())!.config) as unknown;
    expect(await config(created.id)).toEqual({ require_v3: true });
    const body = JSON.stringify([{ eventId: 1, occurredAt: 1772100000000, subscriptionType: "deal.creation", objectId: 42 }]);
    const v1Headers = { "content-type": "application/json", "x-hubspot-signature": await sha256Hex(SECRET + body) };
    expect((await postWebhook(created.webhook_url, body, v1Headers)).status).toBe(401);
    const optedOut = await createConnection("hs-default-v3", "hubspot", { secret: SECRET, config: { require_v3: false } });
    expect(await config(optedOut.id)).toEqual({ require_v3: false });
    expect((await postWebhook(optedOut.webhook_url, body, v1Headers)).status).toBe(200);
    await waitForInbox();
  });
});

describe("HubSpot contract term, lost reason, competitor and lead score", () => {
  const URL = "https://quotient.test/webhooks/c";
  /** A batch through split and normalize, as the inbox stores and the consumer maps it: each item's events' data. */
  const throughAdapter = (batch: Record<string, unknown>[], config: Record<string, unknown> = {}) => {
    const split = hubspot.split({ method: "POST", url: URL, headers: new Headers(), body: JSON.stringify(batch.map((e) => ({ ...base, ...e }))) });
    if (!split.ok) throw new Error(split.reason);
    return split.deliveries.map((delivery) => {
      const result = hubspot.normalize({ body: delivery.body, headers: delivery.headers }, connectionFor(config));
      return result.rejected.length > 0 ? { rejected: result.rejected[0]!.reason } : (result.events[0]!.event as { data: Record<string, unknown> }).data;
    });
  };
  const dealChange = (eventId: number, propertyName: string, propertyValue: string, objectId = 42, occurredAt = at) =>
    ({ eventId, occurredAt, subscriptionType: "deal.propertyChange", objectId, propertyName, propertyValue });
  const contactChange = (eventId: number, propertyName: string, propertyValue: string) =>
    ({ eventId, occurredAt: at, subscriptionType: "contact.propertyChange", objectId: 77, propertyName, propertyValue });

  it("maps hs_tcv / hs_acv of one write to the term (12 × 36000 / 12000 = 36 months), closed_lost_reason, the configured competitor property and hubspotscore", () => {
    const batch = [
      dealChange(1, "hs_tcv", "36000"),
      dealChange(2, "hs_acv", "12000"),
      dealChange(3, "closed_lost_reason", "Went with a cheaper tool"),
      dealChange(4, "main_competitor", "Rival Inc"),
      contactChange(5, "hubspotscore", "72"),
    ];
    expect(throughAdapter(batch, { competitor_property: "main_competitor" })).toEqual([
      { deal_id: "42", term_months: 36 },
      { deal_id: "42", term_months: 36 },
      { deal_id: "42", lost_reason: "Went with a cheaper tool" },
      { deal_id: "42", competitor: "Rival Inc" },
      { lead_id: "77", score: 72 },
    ]);
    // Without competitor_property, no deal property is taken for the competitor.
    expect(throughAdapter([dealChange(4, "main_competitor", "Rival Inc")])).toEqual([{ rejected: "deal property main_competitor is not mapped" }]);
  });

  it("leaves the fields absent from events that do not carry them", () => {
    const data = throughAdapter([
      { eventId: 1, occurredAt: at, subscriptionType: "deal.creation", objectId: 42 },
      dealChange(2, "dealstage", "closedlost"),
      dealChange(3, "amount", "5000"),
      { eventId: 4, occurredAt: at, subscriptionType: "contact.creation", objectId: 77 },
      contactChange(5, "lifecyclestage", "lead"),
    ]);
    expect(data).toEqual([
      { deal_id: "42", created_at: iso },
      { deal_id: "42", stage: "closedlost", status: "lost" },
      { deal_id: "42", amount: "5000" },
      { lead_id: "77", created_at: iso },
      { lead_id: "77", stage: "lead" },
    ]);
    for (const fields of data) for (const field of ["term_months", "competitor", "lost_reason", "score"]) expect(fields).not.toHaveProperty(field);
  });

  it("derives the term only from a positive whole ratio of the same deal's values at the same instant, else leaves it out and keeps the event", () => {
    const term = (tcv: string, acv: string) => throughAdapter([dealChange(1, "hs_tcv", tcv), dealChange(2, "hs_acv", acv)])[0];
    expect(term("6000", "12000")).toEqual({ deal_id: "42", term_months: 6 }); // 12 × 6000 / 12000
    expect(term("10000", "3333.33")).toEqual({ deal_id: "42", term_months: 36 }); // 36.00004: HubSpot's ACV rounded to cents
    expect(term("36000", "0")).toEqual({ deal_id: "42" }); // no annual value: no term
    expect(term("0", "0")).toEqual({ deal_id: "42" });
    expect(term("10000", "7000")).toEqual({ deal_id: "42" }); // 17.14 months is no whole term
    expect(term("100", "12000")).toEqual({ deal_id: "42" }); // 0.1 month: below 1
    expect(term("", "12000")).toEqual({ deal_id: "42" }); // cleared
    expect(term("abc", "12000")).toEqual({ deal_id: "42" });
    // The partner must be the same deal's, from the same write, in the same batch.
    expect(throughAdapter([dealChange(1, "hs_tcv", "36000")])).toEqual([{ deal_id: "42" }]);
    expect(throughAdapter([dealChange(1, "hs_tcv", "36000"), dealChange(2, "hs_acv", "12000", 43)])).toEqual([{ deal_id: "42" }, { deal_id: "43" }]);
    expect(throughAdapter([dealChange(1, "hs_tcv", "36000"), dealChange(2, "hs_acv", "12000", 42, at + 1)])).toEqual([{ deal_id: "42" }, { deal_id: "42" }]);
    // Every event the term mapping produces is a valid native event.
    for (const [tcv, acv] of [["36000", "12000"], ["36000", "0"], ["1", "1e3"], ["1.5", "1"]] as const) {
      const split = hubspot.split({ method: "POST", url: URL, headers: new Headers(), body: JSON.stringify([{ ...base, ...dealChange(1, "hs_tcv", tcv) }, { ...base, ...dealChange(2, "hs_acv", acv) }]) });
      if (!split.ok) throw new Error(split.reason);
      for (const delivery of split.deliveries) {
        const { events } = hubspot.normalize(delivery, connectionFor());
        expect(validateEvent(events[0]!.event).ok, `${tcv} / ${acv}`).toBe(true);
      }
    }
  });

  it("refuses a hubspotscore outside 0–100 or not a number with the reason, and clears it when emptied", () => {
    expect(throughAdapter([contactChange(1, "hubspotscore", "0"), contactChange(2, "hubspotscore", "100"), contactChange(3, "hubspotscore", "")])).toEqual([
      { lead_id: "77", score: 0 },
      { lead_id: "77", score: 100 },
      { lead_id: "77", score: null },
    ]);
    expect(throughAdapter([contactChange(1, "hubspotscore", "150"), contactChange(2, "hubspotscore", "-5"), contactChange(3, "hubspotscore", "high")])).toEqual([
      { rejected: 'hubspotscore "150" must be between 0 and 100' },
      { rejected: 'hubspotscore "-5" must be between 0 and 100' },
      { rejected: 'hubspotscore "high" not a decimal number' },
    ]);
  });

  it("refuses a competitor_property that is not a property name", () => {
    expect(hubspot.planSecret(SECRET, { competitor_property: 7 })).toEqual({
      ok: false, field: "config.competitor_property", message: "the internal name of the deal property that holds the competitor",
    });
    expect(hubspot.planSecret(SECRET, { competitor_property: "main_competitor" })).toEqual({ ok: true, secret: SECRET });
  });

  it("stores the term, lost reason, competitor and score through the webhook", async () => {
    await createWorkspace("hs-v2-fields");
    const connection = await createConnection("hs-v2-fields", "hubspot", { secret: SECRET, config: { competitor_property: "main_competitor" } });
    const march = Date.UTC(2026, 2, 10, 9);
    const batch = [
      { eventId: 1, subscriptionType: "deal.creation", objectId: 42, occurredAt: march },
      { eventId: 2, subscriptionType: "deal.propertyChange", objectId: 42, propertyName: "hs_acv", propertyValue: "12000", occurredAt: march },
      { eventId: 3, subscriptionType: "deal.propertyChange", objectId: 42, propertyName: "hs_tcv", propertyValue: "24000", occurredAt: march },
      { eventId: 4, subscriptionType: "deal.propertyChange", objectId: 42, propertyName: "closed_lost_reason", propertyValue: "Price", occurredAt: march },
      { eventId: 5, subscriptionType: "deal.propertyChange", objectId: 42, propertyName: "main_competitor", propertyValue: "Rival Inc", occurredAt: march },
      { eventId: 6, subscriptionType: "contact.creation", objectId: 77, occurredAt: march },
      { eventId: 7, subscriptionType: "contact.propertyChange", objectId: 77, propertyName: "hubspotscore", propertyValue: "64.5", occurredAt: march },
    ].map((event) => ({ ...base, ...event }));
    const body = JSON.stringify(batch);
    const timestamp = String(Date.now());
    const response = await postWebhook(connection.webhook_url, body, {
      "content-type": "application/json",
      "x-hubspot-signature-v3": await signV3("POST", connection.webhook_url, body, timestamp),
      "x-hubspot-request-timestamp": timestamp,
    });
    expect(response.status).toBe(200);
    await waitForInbox();
    const workspace = (await (await workspaceDbOf("hs-v2-fields")).prepare("SELECT id FROM workspaces WHERE slug = 'hs-v2-fields'").first<{ id: string }>())!.id;
    expect(await (await workspaceDbOf("hs-v2-fields")).prepare("SELECT term_months, lost_reason, competitor FROM deals WHERE workspace_id = ?1").bind(workspace).first())
      .toEqual({ term_months: 24, lost_reason: "Price", competitor: "Rival Inc" }); // 12 × 24000 / 12000
    expect(await (await workspaceDbOf("hs-v2-fields")).prepare("SELECT score FROM leads WHERE workspace_id = ?1").bind(workspace).first()).toEqual({ score: 64.5 });
    expect(await (await workspaceDbOf("hs-v2-fields")).prepare("SELECT COUNT(*) AS n FROM dead_letters WHERE workspace_id = ?1").bind(workspace).first()).toEqual({ n: 0 });
  });
});

describe("HubSpot closedate: the plan of an open deal, the close of a closed one", () => {
  const URL = "https://quotient.test/webhooks/c";
  const throughAdapter = (batch: Record<string, unknown>[], config: Record<string, unknown> = {}) => {
    const split = hubspot.split({ method: "POST", url: URL, headers: new Headers(), body: JSON.stringify(batch.map((e) => ({ ...base, ...e }))) });
    if (!split.ok) throw new Error(split.reason);
    return split.deliveries.map((delivery) => {
      const result = hubspot.normalize({ body: delivery.body, headers: delivery.headers }, connectionFor(config));
      return result.rejected.length > 0 ? { rejected: result.rejected[0]!.reason } : (result.events[0]!.event as { data: Record<string, unknown> }).data;
    });
  };
  const dealChange = (eventId: number, propertyName: string, propertyValue: string | null, occurredAt = at, objectId = 42) =>
    ({ eventId, occurredAt, subscriptionType: "deal.propertyChange", objectId, propertyName, propertyValue });
  // 1775001600000 = 2026-04-01T00:00:00Z, 1773446400000 = 2026-03-14T00:00:00Z (HubSpot sends epoch ms).
  const APRIL_1 = "2026-04-01T00:00:00.000Z";

  it("a closedate written with an open dealstage is the expected close date only", () => {
    expect(throughAdapter([dealChange(1, "dealstage", "contractsent"), dealChange(2, "closedate", "1775001600000")])).toEqual([
      { deal_id: "42", stage: "contractsent", status: "open" },
      { deal_id: "42", expected_close_at: APRIL_1 },
    ]);
  });

  it("a closedate written with a closing dealstage is the close only: the plan the deal had stays", () => {
    expect(throughAdapter([dealChange(1, "closedate", "1773446400000"), dealChange(2, "dealstage", "closedwon")])).toEqual([
      { deal_id: "42", closed_at: "2026-03-14T00:00:00.000Z" },
      { deal_id: "42", stage: "closedwon", status: "won" },
    ]);
    expect(throughAdapter([dealChange(1, "dealstage", "closedlost"), dealChange(2, "closedate", "1773446400000")])).toEqual([
      { deal_id: "42", stage: "closedlost", status: "lost" },
      { deal_id: "42", closed_at: "2026-03-14T00:00:00.000Z" },
    ]);
    // A custom pipeline's closing stage, named on the connection, pairs the same way.
    expect(throughAdapter([dealChange(1, "dealstage", "9873"), dealChange(2, "closedate", "1773446400000")], { closed_won_stages: ["9873"] })[1]).toEqual({
      deal_id: "42", closed_at: "2026-03-14T00:00:00.000Z",
    });
  });

  it("pairs only the same deal's dealstage at the same instant; alone, the closedate sets both", () => {
    const both = { deal_id: "42", closed_at: APRIL_1, expected_close_at: APRIL_1 };
    expect(throughAdapter([dealChange(1, "dealstage", "closedwon", at + 1), dealChange(2, "closedate", "1775001600000")])[1]).toEqual(both);
    expect(throughAdapter([dealChange(1, "dealstage", "closedwon", at, 43), dealChange(2, "closedate", "1775001600000")])[1]).toEqual(both);
    // ISO text, as HubSpot's API writes dates too, is kept as sent.
    expect(throughAdapter([dealChange(1, "closedate", "2026-04-01T00:00:00Z")])[0]).toEqual({ deal_id: "42", closed_at: "2026-04-01T00:00:00Z", expected_close_at: "2026-04-01T00:00:00Z" });
  });

  it("clears the plan with an emptied closedate, and refuses a closedate that is no date with the reason", () => {
    expect(throughAdapter([dealChange(1, "dealstage", "qualifiedtobuy"), dealChange(2, "closedate", "")])[1]).toEqual({ deal_id: "42", expected_close_at: null });
    expect(throughAdapter([dealChange(1, "closedate", null)])[0]).toEqual({ deal_id: "42", closed_at: null, expected_close_at: null });
    // The event carries nothing else, so the whole event is the dead letter (as for hubspotscore).
    expect(throughAdapter([dealChange(1, "closedate", "next quarter")])).toEqual([{ rejected: 'closedate "next quarter" is not a date' }]);
    expect(throughAdapter([dealChange(1, "closedate", "99999999999999999999")])).toEqual([{ rejected: 'closedate "99999999999999999999" is not a date' }]);
  });

  it("a plan years ahead is stored (a plan is outside the accepted window of instants)", async () => {
    await createWorkspace("hs-plan");
    const connection = await createConnection("hs-plan", "hubspot", { secret: SECRET });
    const now = Date.now();
    // 4102444800000 = 2100-01-01T00:00:00Z.
    const batch = [
      { eventId: 1, subscriptionType: "deal.creation", objectId: 42, occurredAt: now },
      { eventId: 2, subscriptionType: "deal.propertyChange", objectId: 42, propertyName: "dealstage", propertyValue: "qualifiedtobuy", occurredAt: now },
      { eventId: 3, subscriptionType: "deal.propertyChange", objectId: 42, propertyName: "closedate", propertyValue: "4102444800000", occurredAt: now },
    ].map((event) => ({ ...base, ...event }));
    const body = JSON.stringify(batch);
    const timestamp = String(now);
    const response = await postWebhook(connection.webhook_url, body, {
      "content-type": "application/json",
      "x-hubspot-signature-v3": await signV3("POST", connection.webhook_url, body, timestamp),
      "x-hubspot-request-timestamp": timestamp,
    });
    expect(response.status).toBe(200);
    await waitForInbox();
    const workspace = (await (await workspaceDbOf("hs-plan")).prepare("SELECT id FROM workspaces WHERE slug = 'hs-plan'").first<{ id: string }>())!.id;
    expect(await (await workspaceDbOf("hs-plan")).prepare("SELECT status, closed_at, expected_close_at FROM deals WHERE workspace_id = ?1").bind(workspace).first())
      .toEqual({ status: "open", closed_at: null, expected_close_at: 4102444800000 });
    expect(await (await workspaceDbOf("hs-plan")).prepare("SELECT COUNT(*) AS n FROM dead_letters WHERE workspace_id = ?1").bind(workspace).first()).toEqual({ n: 0 });
  });
});

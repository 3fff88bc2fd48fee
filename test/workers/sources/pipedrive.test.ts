// The Pipedrive adapter: HTTP Basic verification, v1 / v2 payloads mapped to native events,
// and a short sales story through the real route, queue and KPI engine.
import { beforeAll, describe, expect, it } from "vitest";
import { validateEvent } from "../../../workers/model/events";
import type { ConnectionSecrets } from "../../../workers/sources/adapter";
import { basicAuthorization as basic, pipedrive, pipedriveInstant, verifyPipedrive } from "../../../workers/sources/pipedrive";
import { call, createConnection, createWorkspace, monthValues, postWebhook, waitForInbox, workspaceDbById, workspaceDbOf, workspaceDbOfConnection } from "../helpers";

const PASSWORD = "pd:Zm9vYmFyLXNlY3JldC0xMjM0NTY3ODkw";
const connection: ConnectionSecrets = { id: "c_pd", kind: "pipedrive", secret: PASSWORD, config: {} };

const withAuth = (authorization?: string) => new Headers(authorization === undefined ? {} : { authorization });
const raw = (body: string, authorization?: string) => ({
  method: "POST",
  url: "https://quotient.test/webhooks/c_pd",
  headers: withAuth(authorization),
  body,
});

// ---- Payload builders shaped after Pipedrive's docs (docs/crms/pipedrive.md) --------

let uuidCounter = 0;
const nextUuid = () => `5e2c0b7a-0000-4000-8000-${String(++uuidCounter).padStart(12, "0")}`;

function v2(
  entity: string,
  action: "create" | "change" | "delete",
  entityId: number | string,
  timestamp: string | number,
  data: Record<string, unknown> | null,
  previous: Record<string, unknown> | null = null,
  id = nextUuid(),
) {
  return JSON.stringify({
    meta: {
      action, entity, entity_id: String(entityId), id, company_id: "456", user_id: "7",
      correlation_id: "c0ffee", is_bulk_edit: false, timestamp, type: "general", version: "2.0",
      webhook_id: "11", webhook_owner_id: "7", change_source: "app", attempt: 1,
      host: "acme.pipedrive.com", permitted_user_ids: ["7"],
    },
    data,
    previous,
  });
}

function v1(
  object: string,
  action: "added" | "updated" | "deleted" | "merged",
  id: number,
  timestamp: number,
  current: Record<string, unknown> | null,
  previous: Record<string, unknown> | null = null,
  retry = 0,
) {
  return JSON.stringify({
    v: 1, event: `${action}.${object}`, retry, matches_filters: { current: [] },
    meta: {
      v: 1, action, object, id, company_id: 456, user_id: 7, host: "acme.pipedrive.com",
      timestamp, timestamp_micro: timestamp * 1_000_000 + 322662, change_source: "app",
      is_bulk_update: false, permitted_user_ids: [7], trans_pending: false, webhook_id: "77",
    },
    current,
    previous,
  });
}

const seconds = (iso: string) => Date.parse(iso) / 1000;
const normalize = (body: string) => pipedrive.normalize({ body, headers: {} }, connection);
type NativeEvent = { id: string; type: string; occurred_at: string; data: Record<string, unknown> };
const eventsOf = (body: string) => normalize(body).events.map((e) => e.event as NativeEvent);
const metaId = (body: string) => (JSON.parse(body) as { meta: { id: string } }).meta.id;

describe("Pipedrive verification (HTTP Basic, no signature)", () => {
  it("accepts the connection's user and password, compared as sent (a colon in the password is kept)", async () => {
    expect(await verifyPipedrive(withAuth(basic("quotient", PASSWORD)), connection)).toEqual({ ok: true });
    // The auth scheme is case-insensitive (RFC 7617).
    expect(await verifyPipedrive(withAuth(basic("quotient", PASSWORD).replace("Basic", "basic")), connection)).toEqual({ ok: true });
  });

  it("rejects a wrong password, a wrong user, and missing or malformed credentials", async () => {
    const wrong = { ok: false, reason: "wrong HTTP Basic credentials" };
    expect(await verifyPipedrive(withAuth(basic("quotient", PASSWORD + "x")), connection)).toEqual(wrong);
    expect(await verifyPipedrive(withAuth(basic("quotient", PASSWORD.slice(0, -1))), connection)).toEqual(wrong);
    expect(await verifyPipedrive(withAuth(basic("admin", PASSWORD)), connection)).toEqual(wrong);
    expect(await verifyPipedrive(withAuth(basic("", "")), connection)).toEqual(wrong);
    expect(await verifyPipedrive(withAuth(), connection)).toEqual({
      ok: false,
      reason: "missing HTTP Basic credentials (set http_auth_user / http_auth_password on the webhook)",
    });
    expect((await verifyPipedrive(withAuth(`Bearer ${PASSWORD}`), connection)).ok).toBe(false);
    expect(await verifyPipedrive(withAuth("Basic %%%"), connection)).toEqual({ ok: false, reason: "Authorization: Basic is not base64" });
    expect(await verifyPipedrive(withAuth(`Basic ${btoa("quotient")}`), connection)).toEqual({
      ok: false,
      reason: "Authorization: Basic is not user:password",
    });
  });

  it("uses the password as text, never decoded (a base64-looking secret is not a key)", async () => {
    const secret = "c2VjcmV0LXBhc3N3b3JkLWJ5dGVz"; // base64 of "secret-password-bytes"
    const conn = { ...connection, secret };
    expect(await verifyPipedrive(withAuth(basic("quotient", secret)), conn)).toEqual({ ok: true });
    expect((await verifyPipedrive(withAuth(basic("quotient", atob(secret))), conn)).ok).toBe(false);
    expect((await verifyPipedrive(withAuth(`Basic ${secret}`), conn)).ok).toBe(false);
  });

  it("takes the user from config.username when set, and refuses a connection without a password", async () => {
    const custom = { ...connection, config: { username: "pd-hooks" } };
    expect(await verifyPipedrive(withAuth(basic("pd-hooks", PASSWORD)), custom)).toEqual({ ok: true });
    expect((await verifyPipedrive(withAuth(basic("quotient", PASSWORD)), custom)).ok).toBe(false);
    expect(await verifyPipedrive(withAuth(basic("quotient", "")), { ...connection, secret: null })).toEqual({
      ok: false,
      reason: "the connection has no password",
    });
  });

  it("has no timestamp window: an old or future meta.timestamp passes verify() at any now", async () => {
    const body = v2("deal", "change", 1, 1_500_000_000, { id: 1 });
    for (const now of [0, 1_500_000_000_000, 4_000_000_000_000]) {
      expect(await pipedrive.verify(raw(body, basic("quotient", PASSWORD)), connection, now)).toEqual({ ok: true });
    }
  });

  it("reads epoch seconds, milliseconds and microseconds by magnitude, ISO and Pipedrive's UTC text", () => {
    const at = Date.UTC(2025, 1, 17, 21, 22, 41);
    expect(pipedriveInstant(1739827361)).toBe(at);
    expect(pipedriveInstant("1739827361")).toBe(at);
    expect(pipedriveInstant(1739827361000)).toBe(at);
    expect(pipedriveInstant(1739827361322662)).toBe(at + 322);
    expect(pipedriveInstant("2025-02-17T21:22:41.000Z")).toBe(at);
    expect(pipedriveInstant("2025-02-17 21:22:41")).toBe(at);
    expect(pipedriveInstant("yesterday")).toBeNull();
  });
});

describe("Pipedrive split: dedupe keys", () => {
  it("uses meta.id (the event UUID) for v2", () => {
    const body = v2("deal", "change", 123, "2026-03-01T00:00:00Z", { id: 123 }, null, "e3c1a8f0-1111-4111-8111-000000000001");
    expect(pipedrive.split(raw(body))).toEqual({
      ok: true,
      deliveries: [{ deliveryId: "e3c1a8f0-1111-4111-8111-000000000001", body, headers: {} }],
    });
  });

  it("uses webhook_id:object:id:action:timestamp_micro for v1, so a retry (retry: 1) is the same delivery", () => {
    const first = v1("deal", "updated", 9, 1739827361, { id: 9 });
    const retried = v1("deal", "updated", 9, 1739827361, { id: 9 }, null, 1);
    const key = "77:deal:9:updated:1739827361322662";
    expect(pipedrive.split(raw(first))).toMatchObject({ ok: true, deliveries: [{ deliveryId: key }] });
    expect(pipedrive.split(raw(retried))).toMatchObject({ ok: true, deliveries: [{ deliveryId: key }] });
  });

  it("reads a meta.version that is not a text or a number as no version, without throwing (found by the fuzz test)", () => {
    // String() of {"toString": [...]} throws; such a version is simply not "2…", so the body is read as v1.
    const body = '{"meta":{"id":"u2","action":"create","timestamp":1739827361,"version":{"toString":[true]}}}';
    expect(pipedrive.split(raw(body))).toMatchObject({ ok: false, status: 400, reason: expect.stringContaining("not a Pipedrive v1 or v2 webhook") });
  });

  it("answers 400 for a body that is not JSON or carries no Pipedrive meta", () => {
    expect(pipedrive.split(raw("meta=1"))).toEqual({ ok: false, status: 400, reason: "body is not JSON" });
    expect(pipedrive.split(raw("[]"))).toEqual({ ok: false, status: 400, reason: "body is not a JSON object" });
    expect(pipedrive.split(raw('{"data":{"id":1}}'))).toMatchObject({ ok: false, status: 400 });
    expect(pipedrive.split(raw('{"meta":{"entity":"deal","action":"change","timestamp":1}}'))).toEqual({
      ok: false,
      status: 400,
      reason: "not a Pipedrive v2 webhook: meta.id: Invalid input: expected string, received undefined",
    });
  });
});

describe("Pipedrive normalize: v2 payloads", () => {
  it("maps a deal creation", () => {
    const body = v2("deal", "create", 123, "2026-03-03T09:00:00.000Z", {
      id: 123, title: "ACME", status: "open", stage_id: 1, pipeline_id: 1, owner_id: 789, value: 5000,
      currency: "USD", org_id: 30, person_id: 40, add_time: "2026-03-03T09:00:00Z", update_time: "2026-03-03T09:00:00Z",
      stage_change_time: null, won_time: null, lost_time: null, close_time: null, lost_reason: null, custom_fields: {},
    });
    expect(normalize(body)).toEqual({
      events: [{
        position: 0,
        event: {
          id: metaId(body), type: "deal.upserted", occurred_at: "2026-03-03T09:00:00.000Z",
          data: {
            deal_id: "123", name: "ACME", account_id: "30", lead_id: "40", owner_rep_id: "789", pipeline: "1",
            stage: "1", status: "open", amount: 5000, currency: "USD", created_at: "2026-03-03T09:00:00Z",
            closed_at: null, lost_reason: null,
          },
        },
      }],
      rejected: [],
    });
  });

  it("records the prior stage from previous at the time the deal entered it", () => {
    const body = v2(
      "deal", "change", 123, "2026-03-09T12:00:00.000Z",
      { id: 123, stage_id: 3, status: "open", stage_change_time: "2026-03-09T12:00:00Z", update_time: "2026-03-09T12:00:00Z" },
      { stage_id: 2, stage_change_time: "2026-03-05T10:00:00Z", update_time: "2026-03-05T10:00:00Z" },
    );
    const id = metaId(body);
    expect(eventsOf(body)).toEqual([
      { id, type: "deal.upserted", occurred_at: "2026-03-09T12:00:00.000Z", data: { deal_id: "123", stage: "3", status: "open", closed_at: null } },
      { id: `${id}:prior:${Date.parse("2026-03-05T10:00:00Z")}`, type: "deal.upserted", occurred_at: "2026-03-05T10:00:00.000Z", data: { deal_id: "123", stage: "2" } },
    ]);
  });

  it("records the first stage at add_time when previous.stage_change_time was null", () => {
    const body = v2(
      "deal", "change", 123, "2026-03-05T10:00:00Z",
      { id: 123, stage_id: 2, add_time: "2026-03-03T09:00:00Z", stage_change_time: "2026-03-05T10:00:00Z" },
      { stage_id: 1, stage_change_time: null, update_time: "2026-03-04T08:00:00Z" },
    );
    expect(eventsOf(body)[1]).toEqual({
      id: `${metaId(body)}:prior:${Date.parse("2026-03-03T09:00:00Z")}`,
      type: "deal.upserted",
      occurred_at: "2026-03-03T09:00:00.000Z",
      data: { deal_id: "123", stage: "1" },
    });
  });

  it("maps a win with its won_time and the prior open status at the previous update", () => {
    const body = v2(
      "deal", "change", 123, 1773327600, // 2026-03-12T15:00:00Z in epoch seconds
      { id: 123, stage_id: 3, status: "won", value: 5000, currency: "EUR", won_time: "2026-03-12T15:00:00Z", close_time: "2026-03-12T15:00:00Z", lost_reason: null },
      { status: "open", won_time: null, close_time: null, update_time: "2026-03-09T12:00:00Z" },
    );
    const id = metaId(body);
    expect(eventsOf(body)).toEqual([
      {
        id, type: "deal.upserted", occurred_at: "2026-03-12T15:00:00.000Z",
        data: { deal_id: "123", stage: "3", status: "won", amount: 5000, currency: "EUR", closed_at: "2026-03-12T15:00:00Z", lost_reason: null },
      },
      { id: `${id}:prior:${Date.parse("2026-03-09T12:00:00Z")}`, type: "deal.upserted", occurred_at: "2026-03-09T12:00:00.000Z", data: { deal_id: "123", status: "open" } },
    ]);
  });

  it("maps the example of docs/crms/pipedrive.md as documented", () => {
    const body = JSON.stringify({
      meta: { action: "change", entity: "deal", entity_id: "100", id: "5e2c0b7a-0000-4000-8000-000000000009", timestamp: "2026-03-12T15:00:00Z", version: "2.0" },
      data: { id: 100, stage_id: 3, status: "won", owner_id: 7, value: 5000, currency: "EUR", won_time: "2026-03-12T15:00:00Z", close_time: "2026-03-12T15:00:00Z" },
      previous: { status: "open", won_time: null, close_time: null, update_time: "2026-03-09T12:00:00Z" },
    });
    expect(eventsOf(body)).toEqual([
      {
        id: "5e2c0b7a-0000-4000-8000-000000000009", type: "deal.upserted", occurred_at: "2026-03-12T15:00:00.000Z",
        data: { deal_id: "100", owner_rep_id: "7", stage: "3", status: "won", amount: 5000, currency: "EUR", closed_at: "2026-03-12T15:00:00Z" },
      },
      {
        id: "5e2c0b7a-0000-4000-8000-000000000009:prior:1773057600000", type: "deal.upserted", occurred_at: "2026-03-09T12:00:00.000Z",
        data: { deal_id: "100", status: "open" },
      },
    ]);
  });

  it("never records a prior value at or after the event's own instant", () => {
    const body = v2(
      "deal", "change", 123, "2026-03-09T12:00:00Z",
      { id: 123, stage_id: 3 },
      { stage_id: 2, stage_change_time: "2026-03-09T12:00:00Z", status: "lost", lost_time: "2026-03-10T00:00:00Z" },
    );
    expect(eventsOf(body)).toEqual([
      { id: metaId(body), type: "deal.upserted", occurred_at: "2026-03-09T12:00:00.000Z", data: { deal_id: "123", stage: "3" } },
    ]);
  });

  it("maps a deal deletion (data null, previous the last state) and a lost deal", () => {
    const deleted = v2("deal", "delete", 123, "2026-03-20T00:00:00Z", null, { id: 123, title: "ACME", status: "open" });
    expect(eventsOf(deleted)).toEqual([{ id: metaId(deleted), type: "deal.deleted", occurred_at: "2026-03-20T00:00:00.000Z", data: { deal_id: "123" } }]);
    const lost = v2("deal", "change", 124, "2026-03-21T00:00:00Z", { id: 124, status: "lost", lost_time: "2026-03-20T23:00:00Z", close_time: "2026-03-20T23:00:00Z", lost_reason: "Budget" });
    expect(eventsOf(lost)).toEqual([
      { id: metaId(lost), type: "deal.upserted", occurred_at: "2026-03-21T00:00:00.000Z", data: { deal_id: "124", status: "lost", closed_at: "2026-03-20T23:00:00Z", lost_reason: "Budget" } },
    ]);
  });

  it("maps persons, leads, organizations and users", () => {
    const personBody = v2("person", "create", 40, "2026-03-02T10:00:00Z", { id: 40, name: "Jo Buyer", owner_id: 7, org_id: 30, add_time: "2026-03-02T10:00:00Z", emails: [] });
    const leadBody = v2("lead", "create", "adf21080-0e10-11eb-879b-05d71fb426ec", "2026-03-02T11:00:00Z", {
      id: "adf21080-0e10-11eb-879b-05d71fb426ec", title: "Inbound", owner_id: 7, person_id: 40, organization_id: null,
      source_name: "Web forms", origin: "WebForms", channel: null, value: { amount: 100, currency: "USD" }, add_time: "2026-03-02T11:00:00.000Z",
    });
    const orgBody = v2("organization", "create", 30, "2026-03-01T09:00:00Z", { id: 30, name: "Acme GmbH", owner_id: 7, add_time: "2026-03-01T09:00:00Z" });
    const userBody = v2("user", "change", 7, "2026-03-01T08:00:00Z", { id: 7, name: "Ava Reed", email: "ava@acme.test", active_flag: true, is_admin: 1 });
    expect([personBody, leadBody, orgBody, userBody].flatMap(eventsOf)).toEqual([
      { id: metaId(personBody), type: "lead.upserted", occurred_at: "2026-03-02T10:00:00.000Z", data: { lead_id: "40", owner_rep_id: "7", account_id: "30", created_at: "2026-03-02T10:00:00Z" } },
      { id: metaId(leadBody), type: "lead.upserted", occurred_at: "2026-03-02T11:00:00.000Z", data: { lead_id: "adf21080-0e10-11eb-879b-05d71fb426ec", owner_rep_id: "7", account_id: null, source: "Web forms", created_at: "2026-03-02T11:00:00.000Z" } },
      { id: metaId(orgBody), type: "account.upserted", occurred_at: "2026-03-01T09:00:00.000Z", data: { account_id: "30", name: "Acme GmbH", owner_rep_id: "7" } },
      { id: metaId(userBody), type: "rep.upserted", occurred_at: "2026-03-01T08:00:00.000Z", data: { rep_id: "7", name: "Ava Reed", email: "ava@acme.test", active: true } },
    ]);
  });

  it("maps deletions of persons, leads, organizations and users", () => {
    const bodies = [
      v2("person", "delete", 40, "2026-03-25T00:00:00Z", null, { id: 40, name: "Jo" }),
      v2("lead", "delete", "adf21080-0e10-11eb-879b-05d71fb426ec", "2026-03-25T00:00:00Z", null, null),
      v2("organization", "delete", 30, "2026-03-25T00:00:00Z", null, { id: 30, merged_to_id: 31 }),
      v2("user", "delete", 7, "2026-03-25T00:00:00Z", null, { id: 7 }),
    ];
    expect(bodies.flatMap(eventsOf).map((e) => [e.type, e.data])).toEqual([
      ["lead.deleted", { lead_id: "40" }],
      ["lead.deleted", { lead_id: "adf21080-0e10-11eb-879b-05d71fb426ec" }],
      ["account.deleted", { account_id: "30" }],
      ["rep.deleted", { rep_id: "7" }],
    ]);
  });

  it("maps activities: type, done, duration HH:MM, links and owner", () => {
    const call = v2("activity", "create", 500, "2026-03-06T14:30:00Z", {
      id: 500, type: "call", subject: "Intro call", done: true, due_date: "2026-03-06", due_time: "14:00", duration: "00:25",
      owner_id: 7, deal_id: 123, person_id: 40, org_id: 30, lead_id: null,
    });
    const lunch = v2("activity", "create", 501, "2026-03-07T10:00:00Z", { id: 501, type: "lunch", done: false, duration: "", owner_id: 7, lead_id: "adf21080-0e10-11eb-879b-05d71fb426ec", person_id: 40 });
    const custom = v2("activity", "change", 502, "2026-03-07T11:00:00Z", { id: 502, type: "linkedin_message", done: true, duration: "1:05" });
    const deadline = v2("activity", "create", 503, "2026-03-07T12:00:00Z", { id: 503, type: "deadline", duration: null });
    expect([call, lunch, custom, deadline].flatMap(eventsOf)).toEqual([
      {
        id: metaId(call), type: "activity.logged", occurred_at: "2026-03-06T14:30:00.000Z",
        data: { activity_id: "500", type: "call", rep_id: "7", lead_id: "40", account_id: "30", deal_id: "123", duration_seconds: 1500, outcome: "held" },
      },
      {
        id: metaId(lunch), type: "activity.logged", occurred_at: "2026-03-07T10:00:00.000Z",
        data: { activity_id: "501", type: "meeting", rep_id: "7", lead_id: "adf21080-0e10-11eb-879b-05d71fb426ec", duration_seconds: null, outcome: "scheduled" },
      },
      { id: metaId(custom), type: "activity.logged", occurred_at: "2026-03-07T11:00:00.000Z", data: { activity_id: "502", type: "other", duration_seconds: 3900, outcome: "held" } },
      { id: metaId(deadline), type: "activity.logged", occurred_at: "2026-03-07T12:00:00.000Z", data: { activity_id: "503", type: "task", duration_seconds: null } },
    ]);
  });

  it("rejects what it cannot map, with the reason", () => {
    const cases: [string, string][] = [
      [v2("note", "create", 9, "2026-03-01T00:00:00Z", { id: 9, content: "hi" }), "Pipedrive note webhooks have no canonical event"],
      [v2("product", "change", 9, "2026-03-01T00:00:00Z", { id: 9 }), "Pipedrive product webhooks have no canonical event"],
      [v2("activity", "delete", 500, "2026-03-01T00:00:00Z", null, { id: 500 }), "activity 500 deleted: the native format has no activity deletion"],
      [v2("activity", "create", 504, "2026-03-01T00:00:00Z", { id: 504, type: "call", duration: "25 min" }), 'activity 504: duration: not HH:MM: "25 min"'],
      [v2("activity", "create", 505, "2026-03-01T00:00:00Z", { id: 505 }), "activity 505 has no type"],
      [v2("deal", "change", 9, "2026-03-01T00:00:00Z", { id: 9, title: 42 }), "deal 9: title: Invalid input: expected string, received number"],
      [v2("deal", "archive" as "change", 9, "2026-03-01T00:00:00Z", { id: 9 }), 'unknown action "archive"'],
    ];
    for (const [body, reason] of cases) {
      expect(normalize(body)).toEqual({
        events: [],
        rejected: [{ position: 0, eventId: metaId(body), reason, payload: JSON.parse(body), occurredAt: Date.parse("2026-03-01T00:00:00Z") }],
      });
    }
    const badTime = v2("deal", "change", 9, "last tuesday", { id: 9 });
    expect(normalize(badTime).rejected).toEqual([
      { position: 0, eventId: metaId(badTime), reason: 'meta.timestamp "last tuesday" is not a time', payload: JSON.parse(badTime), occurredAt: null },
    ]);
  });

  it("leaves invalid field values to validation, which names the field", () => {
    const body = v2("deal", "change", 9, "2026-03-01T00:00:00Z", { id: 9, status: "open", value: "lots", add_time: "not a time" });
    const [event] = eventsOf(body);
    const result = validateEvent(event);
    expect(result).toMatchObject({ ok: false, eventId: metaId(body) });
    expect(result.ok ? "" : result.reason).toContain("data.amount: not a decimal number");
    expect(result.ok ? "" : result.reason).toContain("data.created_at: not an ISO 8601 instant");
  });
});

describe("Pipedrive normalize: v1 payloads", () => {
  const key = (object: string, id: number, action: string, timestamp: number) => `77:${object}:${id}:${action}:${timestamp * 1_000_000 + 322662}`;

  it("maps an updated deal (user_id expanded, full previous) with its prior stage", () => {
    const ts = seconds("2025-02-17T21:22:41Z");
    const previous = {
      id: 9, title: "ACME", stage_id: 1, status: "open", user_id: { id: 456, name: "Ava", value: 456 }, value: 1200, currency: "USD",
      add_time: "2025-02-10 09:00:00", update_time: "2025-02-12 10:00:00", stage_change_time: null, won_time: null, lost_time: null, close_time: null, lost_reason: null,
    };
    const body = v1("deal", "updated", 9, ts, { ...previous, stage_id: 2, stage_change_time: "2025-02-17 21:22:41", update_time: "2025-02-17 21:22:41" }, previous);
    const id = key("deal", 9, "updated", ts);
    expect(normalize(body)).toEqual({
      events: [
        {
          position: 0,
          event: {
            id, type: "deal.upserted", occurred_at: "2025-02-17T21:22:41.322Z",
            data: {
              deal_id: "9", name: "ACME", owner_rep_id: "456", stage: "2", status: "open", amount: 1200, currency: "USD",
              created_at: "2025-02-10 09:00:00", closed_at: null, lost_reason: null,
            },
          },
        },
        {
          position: 1,
          event: { id: `${id}:prior:${Date.parse("2025-02-10T09:00:00Z")}`, type: "deal.upserted", occurred_at: "2025-02-10T09:00:00.000Z", data: { deal_id: "9", stage: "1" } },
        },
      ],
      rejected: [],
    });
    expect(normalize(body).events.every(({ event }) => validateEvent(event).ok)).toBe(true);
  });

  it("maps a deal whose status became deleted, and a deleted person", () => {
    const ts = seconds("2025-02-18T00:00:00Z");
    expect(eventsOf(v1("deal", "updated", 9, ts, { id: 9, status: "deleted" }, { id: 9, status: "open" }))).toEqual([
      { id: key("deal", 9, "updated", ts), type: "deal.deleted", occurred_at: "2025-02-18T00:00:00.322Z", data: { deal_id: "9" } },
    ]);
    expect(eventsOf(v1("person", "deleted", 40, ts, null, { id: 40, name: "Jo" }))).toEqual([
      { id: key("person", 40, "deleted", ts), type: "lead.deleted", occurred_at: "2025-02-18T00:00:00.322Z", data: { lead_id: "40" } },
    ]);
  });

  it("maps an added person with expanded owner and organization, and an added activity (user_id, done as 1)", () => {
    const ts = seconds("2025-02-18T09:00:00Z");
    const person = v1("person", "added", 41, ts, {
      id: 41, name: "Kim", owner_id: { id: 456, name: "Ava", value: 456 }, org_id: { name: "Acme", value: 30 }, add_time: "2025-02-18 09:00:00",
    });
    const activity = v1("activity", "added", 600, ts, { id: 600, type: "email", done: 1, user_id: 456, deal_id: 9, person_id: 41, org_id: 30, duration: "" });
    expect([person, activity].flatMap(eventsOf)).toEqual([
      { id: key("person", 41, "added", ts), type: "lead.upserted", occurred_at: "2025-02-18T09:00:00.322Z", data: { lead_id: "41", owner_rep_id: "456", account_id: "30", created_at: "2025-02-18 09:00:00" } },
      {
        id: key("activity", 600, "added", ts), type: "activity.logged", occurred_at: "2025-02-18T09:00:00.322Z",
        data: { activity_id: "600", type: "email", rep_id: "456", lead_id: "41", account_id: "30", deal_id: "9", duration_seconds: null, outcome: "held" },
      },
    ]);
  });

  it("maps a merge as an upsert of the surviving object, without history from the merged one", () => {
    const ts = seconds("2025-02-19T00:00:00Z");
    const body = v1("deal", "merged", 9, ts, { id: 9, stage_id: 3, status: "open" }, { id: 8, stage_id: 1, status: "open", update_time: "2025-02-01 00:00:00" });
    expect(eventsOf(body)).toEqual([
      { id: key("deal", 9, "merged", ts), type: "deal.upserted", occurred_at: "2025-02-19T00:00:00.322Z", data: { deal_id: "9", stage: "3", status: "open", closed_at: null } },
    ]);
  });

  it("rejects unknown objects and actions", () => {
    const ts = seconds("2025-02-19T00:00:00Z");
    expect(normalize(v1("stage", "updated", 3, ts, { id: 3 })).rejected.map((r) => r.reason)).toEqual(["Pipedrive stage webhooks have no canonical event"]);
    expect(normalize(v1("deal", "archived" as "added", 3, ts, { id: 3 })).rejected.map((r) => r.reason)).toEqual(['unknown action "archived"']);
  });
});

// ---- Through the real route, queue and KPI engine --------------------------------------

const LEAD_UUID = "adf21080-0e10-11eb-879b-05d71fb426ec";

/** A March 2026 story: two deals (one won through stages 1→2→3, one lost in stage 2), two leads, one call. */
function story(): string[] {
  const wonDeal = { id: 100, title: "Acme rollout", pipeline_id: 1, owner_id: 7, person_id: 40, org_id: 30, value: 5000, currency: "EUR", add_time: "2026-03-03T09:00:00Z" };
  const lostAdded = {
    id: 101, title: "Globex pilot", stage_id: 1, status: "open", user_id: { id: 7, name: "Ava Reed", value: 7 }, value: 1200, currency: "EUR",
    add_time: "2026-03-10 09:00:00", update_time: "2026-03-10 09:00:00", stage_change_time: null, lost_time: null, close_time: null, lost_reason: null,
  };
  return [
    v2("user", "create", 7, "2026-03-01T08:00:00Z", { id: 7, name: "Ava Reed", email: "ava@acme.test", active_flag: true }),
    v2("organization", "create", 30, "2026-03-01T09:00:00Z", { id: 30, name: "Acme GmbH", owner_id: 7 }),
    v2("person", "create", 40, "2026-03-02T10:00:00Z", { id: 40, name: "Jo Buyer", owner_id: 7, org_id: 30, add_time: "2026-03-02T10:00:00Z" }),
    v2("lead", "create", LEAD_UUID, "2026-03-02T11:00:00Z", { id: LEAD_UUID, owner_id: 7, source_name: "Web forms", add_time: "2026-03-02T11:00:00Z" }),
    v2("deal", "create", 100, "2026-03-03T09:00:00Z", { ...wonDeal, stage_id: 1, status: "open", stage_change_time: null, won_time: null, close_time: null }),
    v2("deal", "change", 100, "2026-03-05T10:00:00Z", { ...wonDeal, stage_id: 2, status: "open", stage_change_time: "2026-03-05T10:00:00Z" }, { stage_id: 1, stage_change_time: null }),
    v1("activity", "added", 500, seconds("2026-03-06T14:30:00Z"), { id: 500, type: "call", done: true, duration: "00:25", user_id: 7, deal_id: 100, person_id: 40, org_id: 30 }),
    v2("deal", "change", 100, "2026-03-09T12:00:00Z", { ...wonDeal, stage_id: 3, status: "open", stage_change_time: "2026-03-09T12:00:00Z" }, { stage_id: 2, stage_change_time: "2026-03-05T10:00:00Z" }),
    v1("deal", "added", 101, seconds("2026-03-10T09:00:00Z"), lostAdded),
    v2(
      "deal", "change", 100, "2026-03-12T15:00:00Z",
      { ...wonDeal, stage_id: 3, status: "won", stage_change_time: "2026-03-09T12:00:00Z", won_time: "2026-03-12T15:00:00Z", close_time: "2026-03-12T15:00:00Z" },
      { status: "open", won_time: null, close_time: null, update_time: "2026-03-09T12:00:00Z" },
    ),
    v1(
      "deal", "updated", 101, seconds("2026-03-20T16:00:00Z"),
      { ...lostAdded, stage_id: 2, status: "lost", stage_change_time: "2026-03-20 16:00:00", update_time: "2026-03-20 16:00:00", lost_time: "2026-03-20 16:00:00", close_time: "2026-03-20 16:00:00", lost_reason: "Budget" },
      lostAdded,
    ),
  ];
}

// Built once: v2 event ids are random UUIDs, and a retry must repeat them.
const STORY = story();

async function setUp(slug: string) {
  await createWorkspace(slug, { timezone: "UTC" });
  const created = await createConnection(slug, "pipedrive");
  return { ...created, authorization: basic(created.username ?? "", created.secret ?? "") };
}

async function workspaceId(slug: string) {
  return (await (await workspaceDbOf(slug)).prepare("SELECT id FROM workspaces WHERE slug = ?1").bind(slug).first<{ id: string }>())!.id;
}

const ENTITY_TABLES: Record<string, string> = {
  reps: "rep_id",
  accounts: "account_id",
  leads: "lead_id",
  deals: "deal_id",
  activities: "activity_id",
  field_history: "entity_type, entity_id, field, occurred_at, event_id",
};

async function entityState(slug: string) {
  const id = await workspaceId(slug);
  const state: Record<string, unknown[]> = {};
  for (const [table, order] of Object.entries(ENTITY_TABLES)) {
    const { results } = await (await workspaceDbById(id)).prepare(`SELECT * FROM ${table} WHERE workspace_id = ?1 ORDER BY ${order}`).bind(id).all<Record<string, unknown>>();
    state[table] = results.map(({ workspace_id: _, ...row }) => row);
  }
  return state;
}

describe("Pipedrive normalize: lost reason and the custom fields a connection names (term, competitor)", () => {
  const TERM_KEY = "dcf558aac1ae4e8c4f849ba5e668430d8df9be12";
  const COMPETITOR_KEY = "9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b";
  const named = { ...connection, config: { term_months_field: TERM_KEY, competitor_field: COMPETITOR_KEY } };
  const result = (body: string, conn: ConnectionSecrets = named) => {
    const normalized = pipedrive.normalize({ body, headers: {} }, conn);
    return { data: normalized.events.map((e) => (e.event as NativeEvent).data), notes: normalized.rejected.map((r) => [r.position, r.reason]) };
  };
  const lostDeal = { id: 124, status: "lost", lost_time: "2026-03-20T23:00:00Z", lost_reason: "Budget" };
  const closed = { deal_id: "124", status: "lost", closed_at: "2026-03-20T23:00:00Z", lost_reason: "Budget" };

  it("maps lost_reason and the named custom fields of v2 (custom_fields) and v1 (top-level keys)", () => {
    const v2Body = v2("deal", "change", 124, "2026-03-21T00:00:00Z", { ...lostDeal, custom_fields: { [TERM_KEY]: 24, [COMPETITOR_KEY]: "Rival Inc" } });
    expect(result(v2Body)).toEqual({ data: [{ ...closed, term_months: 24, competitor: "Rival Inc" }], notes: [] });
    // A field with parts gives its value; an emptied field clears.
    const parts = v2("deal", "change", 124, "2026-03-21T00:00:00Z", { ...lostDeal, custom_fields: { [TERM_KEY]: { value: 36 }, [COMPETITOR_KEY]: "" } });
    expect(result(parts).data).toEqual([{ ...closed, term_months: 36, competitor: null }]);
    const v1Body = v1("deal", "updated", 124, seconds("2026-03-21T00:00:00Z"), { ...lostDeal, [TERM_KEY]: "12", [COMPETITOR_KEY]: "Rival Inc" });
    expect(result(v1Body).data).toEqual([{ ...closed, term_months: "12", competitor: "Rival Inc" }]);
    for (const event of pipedrive.normalize({ body: v1Body, headers: {} }, named).events) expect(validateEvent(event.event).ok).toBe(true);
  });

  it("leaves term and competitor absent without named fields, or when the deal does not carry them", () => {
    const body = v2("deal", "change", 124, "2026-03-21T00:00:00Z", { ...lostDeal, custom_fields: { [TERM_KEY]: 24, [COMPETITOR_KEY]: "Rival Inc" } });
    expect(result(body, connection)).toEqual({ data: [closed], notes: [] });
    const without = v2("deal", "change", 124, "2026-03-21T00:00:00Z", { ...lostDeal, custom_fields: {} });
    expect(result(without)).toEqual({ data: [closed], notes: [] });
    const open = v2("deal", "change", 125, "2026-03-21T00:00:00Z", { id: 125, status: "open" });
    expect(result(open).data).toEqual([{ deal_id: "125", status: "open", closed_at: null }]);
  });

  it("applies the deal without a term the native field refuses (0, 1.5, text), with a note after its events", () => {
    for (const term of [0, 1.5, "abc"]) {
      const body = v2("deal", "change", 124, "2026-03-21T00:00:00Z", { ...lostDeal, custom_fields: { [TERM_KEY]: term } });
      const why = term === "abc" ? "not a decimal number" : "must be a whole number of months, at least 1";
      expect(result(body)).toEqual({ data: [closed], notes: [[1, `${TERM_KEY} ${JSON.stringify(term)} ${why}: the deal was applied without its term_months`]] });
    }
    const body = v2("deal", "change", 124, "2026-03-21T00:00:00Z", { ...lostDeal, custom_fields: { [COMPETITOR_KEY]: 42 } });
    expect(result(body).notes).toEqual([[1, `${COMPETITOR_KEY} 42 is not text: the deal was applied without its competitor`]]);
  });

  it("refuses a connection whose field key is no Pipedrive key", () => {
    expect(pipedrive.planSecret("pw", { term_months_field: "contract term" })).toEqual({
      ok: false, field: "config.term_months_field", message: "a Pipedrive field key, such as the 40-character key of a custom field",
    });
    expect(pipedrive.planSecret("pw", { term_months_field: TERM_KEY })).toMatchObject({ ok: true, secret: "pw" });
  });
});

describe("Pipedrive normalize: expected_close_date, the deal's plan", () => {
  const BERLIN: ConnectionSecrets = { ...connection, timezone: "Europe/Berlin" };
  const result = (body: string, conn: ConnectionSecrets = BERLIN) => {
    const normalized = pipedrive.normalize({ body, headers: {} }, conn);
    return { data: normalized.events.map((e) => (e.event as NativeEvent).data), notes: normalized.rejected.map((r) => [r.position, r.reason]) };
  };

  it("maps expected_close_date (v2 and v1) to midnight of that day in the workspace's zone", () => {
    // 2026-04-30 00:00 in Berlin (CEST, UTC+2) = 2026-04-29T22:00Z.
    const v2Body = v2("deal", "change", 125, "2026-03-21T00:00:00Z", { id: 125, status: "open", expected_close_date: "2026-04-30" });
    expect(result(v2Body)).toEqual({ data: [{ deal_id: "125", status: "open", closed_at: null, expected_close_at: "2026-04-29T22:00:00.000Z" }], notes: [] });
    const v1Body = v1("deal", "updated", 125, seconds("2026-03-21T00:00:00Z"), { id: 125, status: "open", expected_close_date: "2026-04-30" });
    expect(result(v1Body).data).toEqual([{ deal_id: "125", status: "open", closed_at: null, expected_close_at: "2026-04-29T22:00:00.000Z" }]);
    for (const event of pipedrive.normalize({ body: v1Body, headers: {} }, BERLIN).events) expect(validateEvent(event.event).ok).toBe(true);
    // Without a workspace zone, UTC midnight.
    expect(result(v2Body, connection).data[0]).toMatchObject({ expected_close_at: "2026-04-30T00:00:00.000Z" });
  });

  it("keeps the plan of a won deal beside its close: Pipedrive's expected date is never the won_time", () => {
    const won = v2("deal", "change", 124, "2026-03-21T00:00:00Z", { id: 124, status: "won", won_time: "2026-03-20T15:00:00Z", expected_close_date: "2026-03-31" });
    // 2026-03-31 00:00 CEST = 2026-03-30T22:00Z (summer time started 2026-03-29).
    expect(result(won).data).toEqual([{ deal_id: "124", status: "won", closed_at: "2026-03-20T15:00:00Z", expected_close_at: "2026-03-30T22:00:00.000Z" }]);
  });

  it("clears the plan with null, leaves it without the key, and leaves out a date that is no day with a note", () => {
    const body = (date: unknown) => v2("deal", "change", 125, "2026-03-21T00:00:00Z", { id: 125, status: "open", expected_close_date: date });
    expect(result(body(null)).data).toEqual([{ deal_id: "125", status: "open", closed_at: null, expected_close_at: null }]);
    expect(result(body("")).data).toEqual([{ deal_id: "125", status: "open", closed_at: null, expected_close_at: null }]);
    expect(result(v2("deal", "change", 125, "2026-03-21T00:00:00Z", { id: 125, status: "open" })).data).toEqual([{ deal_id: "125", status: "open", closed_at: null }]);
    for (const bad of ["2026-13-01", "soon", 20260430]) {
      expect(result(body(bad))).toEqual({
        data: [{ deal_id: "125", status: "open", closed_at: null }],
        notes: [[1, `expected_close_date ${JSON.stringify(bad)} is not a date: the deal was applied without its expected_close_at`]],
      });
    }
  });
});

describe("POST /webhooks/:connectionId (pipedrive)", () => {
  let connection: Awaited<ReturnType<typeof setUp>>;
  const inboxCount = async () =>
    (await (await workspaceDbOfConnection(connection.id)).prepare("SELECT COUNT(*) AS n FROM inbox WHERE connection_id = ?1").bind(connection.id).first<{ n: number }>())!.n;

  beforeAll(async () => {
    connection = await setUp("pd-story");
  });

  it("creates the connection with user quotient, a generated password and Pipedrive's default stage ids", async () => {
    expect(connection.username).toBe("quotient");
    expect(connection.secret).toMatch(/^[A-Za-z0-9+/]{32}$/);
    const workspace = (await (await call("GET", "/api/v1/workspaces/pd-story")).json()) as { pipeline_stages: string[] };
    expect(workspace.pipeline_stages).toEqual(["1", "2", "3", "4", "5"]);
  });

  it("answers 401 for missing or wrong credentials, 400 for a body that is not JSON, and stores nothing", async () => {
    const body = v2("user", "create", 8, "2026-03-01T08:00:00Z", { id: 8, name: "Mallory" });
    const answers = await Promise.all([
      postWebhook(connection.webhook_url, body, { "content-type": "application/json" }),
      postWebhook(connection.webhook_url, body, { authorization: basic("quotient", "guess") }),
      postWebhook(connection.webhook_url, body, { authorization: basic("admin", connection.secret!) }),
    ]);
    for (const response of answers) {
      expect(response.status).toBe(401);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
    }
    const notJson = await postWebhook(connection.webhook_url, "id=8&name=Mallory", { authorization: connection.authorization });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { detail: string }).detail).toBe("body is not JSON");
    expect(await inboxCount()).toBe(0);
  });

  it("tells the story: 200 per delivery, then deals_won, win_rate, new_leads, activities and the funnel for March", async () => {
    for (const body of STORY) {
      const response = await postWebhook(connection.webhook_url, body, { authorization: connection.authorization, "content-type": "application/json" });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: "accepted", deliveries: 1 });
    }
    await waitForInbox();
    expect((await call("POST", "/api/v1/workspaces/pd-story/recompute", { from: "2026-03", to: "2026-03" })).status).toBe(200);
    const march = await monthValues("pd-story", "2026-03");
    expect(march("deals_won")).toBe(1);
    expect(march("deals_lost")).toBe(1);
    expect(march("win_rate")).toBe(0.5);
    expect(march("new_leads")).toBe(2);
    expect(march("activities")).toBe(1);
    expect(march("activities", "type", "call")).toBe(1);
    // Deal 100 reached 1, 2, 3 and, won, every stage; deal 101 reached 1 and 2.
    expect(["1", "2", "3", "4", "5"].map((stage) => march("stage_reached", "stage", stage))).toEqual([2, 2, 1, 1, 1]);

    const state = await entityState("pd-story");
    expect(state.deals).toMatchObject([
      { deal_id: "100", stage: "3", status: "won", amount: 5000, currency: "EUR", owner_rep_id: "7", lead_id: "40", account_id: "30", created_at: Date.parse("2026-03-03T09:00:00Z"), closed_at: Date.parse("2026-03-12T15:00:00Z") },
      { deal_id: "101", stage: "2", status: "lost", lost_reason: "Budget", owner_rep_id: "7", created_at: Date.parse("2026-03-10T09:00:00Z"), closed_at: Date.parse("2026-03-20T16:00:00Z") },
    ]);
    expect(state.activities).toMatchObject([{ activity_id: "500", type: "call", rep_id: "7", deal_id: "100", lead_id: "40", duration_seconds: 1500, outcome: "held" }]);
    expect(state.leads).toMatchObject([
      { lead_id: "40", owner_rep_id: "7", account_id: "30", created_at: Date.parse("2026-03-02T10:00:00Z") },
      { lead_id: LEAD_UUID, source: "Web forms", created_at: Date.parse("2026-03-02T11:00:00Z") },
    ]);
    const dead = await (await workspaceDbOf("pd-story")).prepare("SELECT COUNT(*) AS n FROM dead_letters WHERE workspace_id = ?1").bind(await workspaceId("pd-story")).first<{ n: number }>();
    expect(dead!.n).toBe(0);
  });

  it("answers 200 to retried deliveries (a v1 retry carries retry: 1) and applies them once", async () => {
    const before = await entityState("pd-story");
    const events = async () =>
      (await (await workspaceDbOfConnection(connection.id)).prepare("SELECT COUNT(*) AS n FROM canonical_events WHERE connection_id = ?1").bind(connection.id).first<{ n: number }>())!.n;
    const eventCount = await events();
    const inbox = await inboxCount();
    const retries = STORY.map((body) => body.replace('"retry":0', '"retry":1'));
    for (const body of retries) {
      const response = await postWebhook(connection.webhook_url, body, { authorization: connection.authorization });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: "duplicate" });
    }
    await waitForInbox();
    expect(await inboxCount()).toBe(inbox);
    expect(await events()).toBe(eventCount);
    expect(await entityState("pd-story")).toEqual(before);
  });

  it("gives the same state when the story arrives in reverse order", async () => {
    const reversed = await setUp("pd-reverse");
    for (const body of [...STORY].reverse()) {
      const response = await postWebhook(reversed.webhook_url, body, { authorization: reversed.authorization });
      expect(response.status).toBe(200);
    }
    await waitForInbox();
    expect(await entityState("pd-reverse")).toEqual(await entityState("pd-story"));
  });
});

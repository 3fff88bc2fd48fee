// Pipedrive under fuzzing: HTTP Basic credentials through the real route, and normalize on
// whatever split stores (never throws; each webhook mapped or rejected; valid ones mapped).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateEvent } from "../../../workers/model/events";
import { basicAuthorization as basic, pipedrive, pipedriveInstant } from "../../../workers/sources/pipedrive";
import { deepJson, edgeDate, edgeNumber, fakeRequest, jsonValue, normalizeChecked, params, protoName, rawBody, routeProperties, shaped, splitAndNormalize, PURE_TIMEOUT } from "./fuzz";

const connection = { id: "c_fuzz", kind: "pipedrive" as const, secret: "fuzz-password", config: {} };

const iso = fc.date({ noInvalidDate: true, min: new Date("2020-01-01"), max: new Date("2030-01-01") }).map((d) => d.toISOString());
const validWebhook = fc.record({
  meta: fc.record({ id: fc.uuid(), action: fc.constantFrom("create", "change"), entity: fc.constant("deal"), entity_id: fc.nat().map(String), timestamp: iso, version: fc.constant("2.0") }),
  data: fc.record({ id: fc.nat({ max: 1e6 }).map((n) => n + 1), title: fc.string(), status: fc.constantFrom("open", "won", "lost"), stage_id: fc.integer({ min: 1, max: 5 }), value: fc.nat({ max: 1e9 }), currency: fc.constant("EUR") }),
  previous: fc.constant(null),
});
const TEMPLATES = [
  { meta: { id: "u1", action: "change", entity: "deal", entity_id: "7", timestamp: "2026-03-01T10:00:00Z", version: "2.0" },
    data: { id: 7, status: "won", stage_id: 5, won_time: "2026-03-01 10:00:00", owner_id: 3, add_time: "2026-01-01T00:00:00Z" },
    previous: { stage_id: 4, stage_change_time: "2026-02-01 10:00:00", status: "open", update_time: "2026-02-01 10:00:00" } },
  { v: 1, event: "updated.activity", meta: { v: 1, action: "updated", object: "activity", id: 9, timestamp: 1739827361, timestamp_micro: 1739827361322662, webhook_id: 11 },
    current: { id: 9, type: "call", done: true, duration: "00:30", user_id: { id: 3, name: "A" }, deal_id: 7 }, previous: null },
  { meta: { id: "u2", action: "create", entity: "person", entity_id: "40", timestamp: 1739827361, version: "2.0" }, data: { id: 40, owner_id: 3, org_id: 2 } },
];
const badWebhook = fc.oneof(
  fc.tuple(validWebhook, protoName).map(([w, name]) => ({ ...w, meta: { ...w.meta, action: name } })),
  fc.tuple(validWebhook, protoName).map(([w, name]) => ({ ...w, meta: { ...w.meta, entity: name } })),
  fc.tuple(validWebhook, fc.constantFrom("99999999999999999999", "9".repeat(400), "", "2026-13-45")).map(([w, timestamp]) => ({ ...w, meta: { ...w.meta, timestamp } })),
  validWebhook.map((w) => ({ ...w, data: { ...w.data, id: { toString: 1 } }, meta: { ...w.meta, entity_id: null } })),
);
const anyWebhook = fc.oneof(
  { weight: 4, arbitrary: fc.oneof(validWebhook, badWebhook, fc.constantFrom(...TEMPLATES).chain(shaped), jsonValue).map((v) => JSON.stringify(v) ?? "null") },
  { weight: 1, arbitrary: deepJson.map((deep) => `{"meta":{"id":"u","action":"change","entity":"deal","timestamp":"2026-03-01"},"data":{"id":1,"custom_fields":${deep}}}`) },
  { weight: 1, arbitrary: rawBody },
);

describe("Pipedrive fuzzing", () => {
  routeProperties({
    kind: "pipedrive",
    slug: "fuzz-pipedrive",
    connection: {},
    unsigned: { authorization: "$AUTH" },
    unsignedValues: async () => ({ $AUTH: basic("quotient", "not-the-password") }),
    signed: async (_url, _body, created) => ({ authorization: basic(created.username ?? "quotient", created.secret ?? "") }),
    body: anyWebhook,
    maxRows: () => 1,
  });

  it("(c, d) normalizes whatever split stores, and any stored text, without throwing; unmappable webhooks are rejected", () => {
    fc.assert(fc.property(anyWebhook, (body) => void splitAndNormalize(pipedrive, fakeRequest(body), connection)), params());
    fc.assert(fc.property(rawBody, (body) => void normalizeChecked(pipedrive, body, connection)), params());
  }, PURE_TIMEOUT);

  it("(e) maps the valid webhooks of a sequence beside bad ones", () => {
    const tagged = fc.oneof(validWebhook.map((webhook) => ({ valid: true, webhook })), badWebhook.map((webhook) => ({ valid: false, webhook })));
    fc.assert(
      fc.property(fc.array(tagged, { minLength: 1, maxLength: 8 }), (items) => {
        for (const item of items) {
          const result = normalizeChecked(pipedrive, JSON.stringify(item.webhook), connection);
          if (item.valid) {
            expect(result.rejected).toEqual([]);
            expect(result.events[0]!.event).toMatchObject({ id: item.webhook.meta.id, data: { deal_id: String(item.webhook.data.id) } });
          } else {
            expect(result.events).toEqual([]);
            expect(result.rejected).toHaveLength(1);
          }
        }
      }),
      params(),
    );
  }, PURE_TIMEOUT);

  it("reads any timestamp as an instant a date can hold, or none", () => {
    fc.assert(
      fc.property(fc.oneof(edgeDate, edgeNumber, edgeNumber.map(String)), (value) => {
        const ms = pipedriveInstant(value);
        if (ms !== null) expect(() => new Date(ms).toISOString()).not.toThrow();
      }),
      params(),
    );
  }, PURE_TIMEOUT);
});

describe("Pipedrive regressions found by fuzzing", () => {
  const webhook = (meta: Record<string, unknown>, data: Record<string, unknown> = { id: 1 }) =>
    JSON.stringify({ meta: { id: "u1", action: "change", entity: "deal", timestamp: "2026-03-01T10:00:00Z", version: "2.0", ...meta }, data });

  it("rejects a 20-digit timestamp instead of throwing a RangeError", () => {
    expect(pipedriveInstant("99999999999999999999")).toBeNull();
    const result = pipedrive.normalize({ body: webhook({ timestamp: "99999999999999999999" }), headers: {} }, connection);
    expect(result.rejected[0]!.reason).toMatch(/is not a time/);
  });

  it("rejects an action named after a prototype member (it found Object.prototype.constructor)", () => {
    const result = pipedrive.normalize({ body: webhook({ action: "constructor" }), headers: {} }, connection);
    expect(result.events).toEqual([]);
    expect(result.rejected[0]!.reason).toMatch(/unknown action/);
  });

  it("takes an id with a toString member for no id instead of throwing", () => {
    const result = pipedrive.normalize({ body: webhook({ entity_id: null }, { id: { toString: 1 } }), headers: {} }, connection);
    expect(result.rejected[0]!.reason).toBe("deal without an id");
  });

  it("types a custom activity type named like a prototype member as other", () => {
    const body = webhook({ entity: "activity" }, { id: 3, type: "constructor" });
    expect(pipedrive.normalize({ body, headers: {} }, connection).events[0]!.event).toMatchObject({ data: { type: "other" } });
  });

  it("(f) applies a deal whatever its named custom fields hold: a value the native field refuses is left out with a note", () => {
    const TERM = "dcf558aac1ae4e8c4f849ba5e668430d8df9be12";
    const COMPETITOR = "9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b";
    const named = { ...connection, config: { term_months_field: TERM, competitor_field: COMPETITOR } };
    const value = fc.oneof(edgeNumber, edgeNumber.map(String), fc.string(), jsonValue, fc.constant(undefined));
    fc.assert(
      fc.property(validWebhook, value, value, fc.boolean(), (webhook, term, competitor, v1Style) => {
        const custom = Object.fromEntries(Object.entries({ [TERM]: term, [COMPETITOR]: competitor }).filter(([, v]) => v !== undefined));
        const data = v1Style ? { ...webhook.data, ...custom } : { ...webhook.data, custom_fields: custom };
        // An instant the native format accepts (validateEvent bounds it), so only the custom fields vary.
        const meta = { ...webhook.meta, timestamp: "2026-03-01T10:00:00Z" };
        const result = normalizeChecked(pipedrive, JSON.stringify({ ...webhook, meta, data }), named);
        expect(result.events.length).toBeGreaterThan(0);
        for (const { event } of result.events) expect(validateEvent(event), JSON.stringify(event)).toMatchObject({ ok: true });
        for (const note of result.rejected) {
          expect(note.position).toBeGreaterThanOrEqual(result.events.length);
          expect(note.reason).toMatch(/the deal was applied without its (term_months|competitor)/);
        }
      }),
      params(),
    );
  }, PURE_TIMEOUT);
  it("(g) applies a deal whatever its expected_close_date holds: a date that is no day is left out with a note", () => {
    const zone = fc.constantFrom(undefined, "UTC", "Europe/Berlin", "Asia/Kathmandu", "Pacific/Kiritimati");
    const date = fc.oneof(edgeDate, edgeNumber, fc.string(), jsonValue, fc.constant(null), fc.constant(undefined));
    fc.assert(
      fc.property(validWebhook, date, zone, (webhook, expected, timezone) => {
        const data = expected === undefined ? webhook.data : { ...webhook.data, expected_close_date: expected };
        const meta = { ...webhook.meta, timestamp: "2026-03-01T10:00:00Z" };
        const result = normalizeChecked(pipedrive, JSON.stringify({ ...webhook, meta, data }), { ...connection, ...(timezone ? { timezone } : {}) });
        expect(result.events.length).toBeGreaterThan(0);
        for (const { event } of result.events) expect(validateEvent(event), JSON.stringify(event)).toMatchObject({ ok: true });
        for (const note of result.rejected) expect(note.reason).toMatch(/^expected_close_date .* is not a date: the deal was applied without its expected_close_at$/);
      }),
      params(),
    );
  }, PURE_TIMEOUT);
});

// The native format under fuzzing: Standard Webhooks signatures through the real route, and
// normalize on whatever split stores (each event passed on at its position; validation and
// dead letters are the consumer's).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_EVENTS_PER_DELIVERY, native } from "../../../workers/sources/native";
import { standardSignature } from "../helpers";
import { deepJson, edgeDate, fakeRequest, jsonValue, normalizeChecked, params, protoName, rawBody, routeProperties, shaped, splitAndNormalize, PURE_TIMEOUT } from "./fuzz";

const SECRET = "whsec_ZnV6ei1uYXRpdmUtc2VjcmV0LWtleS0zMmJ5dGVzISE=";
const connection = { id: "c_fuzz", kind: "native" as const, secret: SECRET, config: {} };

const validEvent = fc.record({
  id: fc.uuid(),
  type: fc.constant("deal.upserted"),
  occurred_at: fc.date({ noInvalidDate: true, min: new Date("2020-01-01"), max: new Date("2030-01-01") }).map((d) => d.toISOString()),
  data: fc.record({ deal_id: fc.uuid(), amount: fc.integer({ min: 0, max: 1e9 }), status: fc.constantFrom("open", "won", "lost") }),
});
const TEMPLATE = { id: "e1", type: "deal.upserted", occurred_at: "2026-03-01T10:00:00Z", data: { deal_id: "d1", amount: 100, closed_at: "2026-03-02" } };
const badEvent = fc.oneof(
  fc.tuple(validEvent, protoName).map(([e, type]) => ({ ...e, type })),
  fc.tuple(validEvent, edgeDate).map(([e, occurred_at]) => ({ ...e, occurred_at })),
  shaped(TEMPLATE),
  jsonValue,
);
const anyEvent = fc.oneof(
  { weight: 4, arbitrary: fc.oneof(validEvent, badEvent).map((v) => JSON.stringify(v) ?? "null") },
  { weight: 1, arbitrary: deepJson },
);
const anyBody = fc.oneof(
  { weight: 3, arbitrary: fc.array(anyEvent, { maxLength: 6 }).map((events) => `{"events":[${events.join(",")}]}`) },
  { weight: 1, arbitrary: anyEvent },
  { weight: 1, arbitrary: rawBody },
);

const signedHeaders = async (body: string, id: string = crypto.randomUUID()) => {
  const timestamp = String(Math.floor(Date.now() / 1000));
  return { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": await standardSignature(SECRET, id, timestamp, body) };
};

describe("native fuzzing", () => {
  routeProperties({
    kind: "native",
    slug: "fuzz-native",
    connection: { secret: SECRET },
    unsigned: { "webhook-id": "$ID", "webhook-timestamp": "$TS", "webhook-signature": "$SIG" },
    // Signed, but for another body.
    unsignedValues: async (_url, body) => {
      const headers = await signedHeaders(`${body} `);
      return { $ID: headers["webhook-id"], $TS: headers["webhook-timestamp"], $SIG: headers["webhook-signature"] };
    },
    signed: (_url, body) => signedHeaders(body),
    body: anyBody,
    maxRows: () => 1,
  });

  it("(c, d) normalizes whatever split stores, and any stored text, without throwing", () => {
    fc.assert(
      fc.property(anyBody, (body) => {
        const results = splitAndNormalize(native, fakeRequest(body), connection, { canonicalTypes: false, mayBeEmpty: true });
        // Only a body of no event may come out empty; otherwise every event is passed on or rejected.
        if (results) {
          const parsed = JSON.parse(body) as { events?: unknown[] };
          const items = Array.isArray(parsed.events) ? parsed.events.length : 1;
          const { events, rejected } = results[0]!;
          expect(new Set([...events, ...rejected].map((e) => e.position)).size).toBe(items);
        }
      }),
      params(),
    );
    fc.assert(fc.property(rawBody, (body) => void normalizeChecked(native, body, connection, { canonicalTypes: false })), params());
  }, PURE_TIMEOUT);

  it("(e) passes every event on at its position, valid ones beside bad ones", () => {
    const tagged = fc.oneof(validEvent.map((event) => ({ valid: true, event })), badEvent.map((event) => ({ valid: false, event })));
    fc.assert(
      fc.property(fc.array(tagged, { minLength: 1, maxLength: 12 }), (items) => {
        const results = splitAndNormalize(native, fakeRequest(JSON.stringify({ events: items.map((i) => i.event) })), connection, { canonicalTypes: false });
        expect(results).toHaveLength(1);
        const { events } = results![0]!;
        items.forEach((item, position) => {
          if (item.valid) expect(events.find((e) => e.position === position)?.event).toEqual(item.event);
        });
      }),
      params(),
    );
  }, PURE_TIMEOUT);
});

describe("native regressions found by fuzzing", () => {
  it("makes a stored body that is not JSON, or no native body, one rejected entry at position 0", () => {
    expect(native.normalize({ body: "{", headers: {} }, connection).rejected).toMatchObject([{ position: 0, reason: "stored body is not JSON" }]);
    expect(native.normalize({ body: "[1,2]", headers: {} }, connection).rejected).toMatchObject([{ position: 0, payload: [1, 2] }]);
    expect(native.normalize({ body: '{"events":{}}', headers: {} }, connection).rejected).toHaveLength(1);
  });

  it("passes on a prototype-named event type at its position (validation dead-letters it)", () => {
    const events = [{ id: "a", type: "constructor", occurred_at: "2026-03-01", data: {} }, { id: "b", type: "deal.upserted", occurred_at: "2026-03-01", data: { deal_id: "d" } }];
    const result = native.normalize({ body: JSON.stringify({ events }), headers: {} }, connection);
    expect(result.events.map((e) => e.position)).toEqual([0, 1]);
  });

  it("keeps the cap of MAX_EVENTS_PER_DELIVERY events", () => {
    const body = JSON.stringify({ events: Array.from({ length: MAX_EVENTS_PER_DELIVERY + 1 }, () => ({})) });
    expect(native.split(fakeRequest(body))).toMatchObject({ ok: false, status: 413 });
  });
});

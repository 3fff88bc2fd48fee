// HubSpot under fuzzing: arbitrary batches through the real route (documented statuses,
// nothing unverified stored) and through split + normalize (never throws, every item mapped
// or rejected, valid events beside bad ones mapped).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeHubSpotUri, dedupeKey, hubspot, hubspotV3Signature, MAX_EVENTS_PER_REQUEST } from "../../../workers/sources/hubspot";
import { validateEvent } from "../../../workers/model/events";
import { createConnection, createWorkspace } from "../helpers";
import {
  deepJson,
  edgeNumber,
  expectRefusedUnstored,
  fakeRequest,
  jsonValue,
  normalizeChecked,
  params,
  protoName,
  rawBody,
  routeProperties,
  shaped,
  splitAndNormalize,
  PURE_TIMEOUT,
} from "./fuzz";

const SECRET = "fuzz-hubspot-client-secret";
const connection = { id: "c_fuzz", kind: "hubspot" as const, secret: SECRET, config: {} };

/** A v3 signature for any timestamp, with the adapter's scheme. */
const sign = (url: string, body: string, timestamp: string) => hubspotV3Signature(SECRET, "POST", decodeHubSpotUri(url), body, timestamp);

const validEvent = fc.record({
  eventId: fc.nat(),
  subscriptionId: fc.nat({ max: 1000 }),
  portalId: fc.constant(33),
  occurredAt: fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
  subscriptionType: fc.constant("deal.propertyChange"),
  attemptNumber: fc.nat({ max: 9 }),
  objectId: fc.nat(),
  propertyName: fc.constantFrom("dealstage", "amount", "dealname", "pipeline"),
  propertyValue: fc.constantFrom("closedwon", "appointmentscheduled", "1200.50", "Fuzz deal"),
  changeSource: fc.constant("CRM_UI"),
});

/** One of each shape the adapter maps, to mutate field by field. */
const TEMPLATES = [
  { eventId: 1, subscriptionId: 2, portalId: 3, occurredAt: 1772100000000, subscriptionType: "deal.propertyChange", objectId: 42, propertyName: "closedate", propertyValue: "1772100000000" },
  { eventId: 1, subscriptionId: 2, portalId: 3, occurredAt: 1772100000000, subscriptionType: "contact.propertyChange", objectId: 42, propertyName: "lifecyclestage", propertyValue: "customer" },
  { eventId: 1, portalId: 3, occurredAt: 1772100000000, subscriptionType: "deal.associationChange", fromObjectId: 4, toObjectId: 5, associationType: "DEAL_TO_COMPANY", associationRemoved: false },
  { eventId: 1, portalId: 3, occurredAt: 1772100000000, subscriptionType: "object.creation", objectTypeId: "0-48", objectId: 9 },
  { eventId: 1, portalId: 3, occurredAt: 1772100000000, subscriptionType: "object.propertyChange", objectTypeId: "0-47", objectId: 9, propertyName: "hs_meeting_outcome", propertyValue: "COMPLETED" },
  { eventId: 1, portalId: 3, occurredAt: 1772100000000, subscriptionType: "object.associationChange", fromObjectTypeId: "0-48", toObjectTypeId: "0-3", fromObjectId: 9, toObjectId: 10 },
  { eventId: 1, portalId: 3, occurredAt: 1772100000000, subscriptionType: "company.deletion", objectId: 7 },
];

/** Items that must be rejected: a prototype name where a type, property or id goes, an instant no date holds. */
const invalidEvent = fc.oneof(
  fc.tuple(validEvent, protoName, fc.constantFrom("creation", "propertyChange", "deletion")).map(([e, name, action]) => ({ ...e, subscriptionType: `${name}.${action}` })),
  fc.tuple(validEvent, protoName).map(([e, name]) => ({ ...e, subscriptionType: `deal.${name}` })),
  fc.tuple(validEvent, protoName).map(([e, name]) => ({ ...e, propertyName: name })),
  fc.tuple(validEvent, protoName).map(([e, name]) => ({ ...e, subscriptionType: "object.creation", objectTypeId: name })),
  fc.tuple(validEvent, fc.constantFrom(-1, 0, 1.5, 8.64e15 + 1, 1e16, 1e300)).map(([e, occurredAt]) => ({ ...e, occurredAt })),
  validEvent.map(({ eventId: _, ...rest }) => rest),
  jsonValue.filter((v) => typeof v !== "object" || v === null || Array.isArray(v)),
);

/** Items as JSON text (deeply nested ones among them). */
const anyItem = fc.oneof(
  { weight: 4, arbitrary: fc.oneof(validEvent, fc.constantFrom(...TEMPLATES).chain(shaped), invalidEvent, jsonValue).map((v) => JSON.stringify(v) ?? "null") },
  { weight: 1, arbitrary: deepJson },
);
const anyBody = fc.oneof(
  { weight: 3, arbitrary: fc.array(anyItem, { maxLength: 6 }).map((items) => `[${items.join(",")}]`) },
  { weight: 1, arbitrary: rawBody },
);

const UNSIGNED_BASE = { "x-hubspot-signature-v3": "$SIG", "x-hubspot-request-timestamp": "$TS", "x-hubspot-signature": "0".repeat(64) };

describe("HubSpot fuzzing", () => {
  routeProperties({
    kind: "hubspot",
    slug: "fuzz-hubspot",
    connection: { secret: SECRET },
    unsigned: UNSIGNED_BASE,
    // A signature, but of another body: it can never match.
    unsignedValues: async (url, body) => {
      const timestamp = String(Date.now());
      return { $SIG: await sign(url, `${body} `, timestamp), $TS: timestamp };
    },
    signed: async (url, body) => {
      const timestamp = String(Date.now());
      return { "x-hubspot-signature-v3": await sign(url, body, timestamp), "x-hubspot-request-timestamp": timestamp };
    },
    body: anyBody,
    maxRows: (body) => (JSON.parse(body) as unknown[]).length,
  });

  it("(c, d) normalizes whatever split stores, and any stored text, without throwing; unmappable items are rejected", () => {
    fc.assert(
      fc.property(anyBody, (body) => {
        splitAndNormalize(hubspot, fakeRequest(body), connection);
      }),
      params(),
    );
    fc.assert(fc.property(rawBody, (body) => void normalizeChecked(hubspot, body, connection)), params());
  }, PURE_TIMEOUT);

  it("(e) maps the valid events of a batch beside bad ones, at their positions", () => {
    const tagged = fc.oneof(
      validEvent.map((event) => ({ valid: true as const, event })),
      fc.oneof(invalidEvent, jsonValue.filter((v) => typeof v !== "object" || v === null)).map((event) => ({ valid: false as const, event })),
    );
    fc.assert(
      fc.property(fc.array(tagged, { minLength: 1, maxLength: 10 }), (items) => {
        const results = splitAndNormalize(hubspot, fakeRequest(JSON.stringify(items.map((i) => i.event))), connection);
        expect(results).not.toBeNull();
        items.forEach((item, index) => {
          const result = results![index]!;
          if (item.valid) {
            expect(result.rejected).toEqual([]);
            expect(result.events).toHaveLength(1);
            expect((result.events[0]!.event as { id: string }).id).toBe(`hs:${dedupeKey(item.event)}`);
            expect((result.events[0]!.event as { data: { deal_id: string } }).data.deal_id).toBe(String(item.event.objectId));
          } else {
            expect(result.events).toEqual([]);
            expect(result.rejected).toHaveLength(1);
          }
        });
      }),
      params(),
    );
  }, PURE_TIMEOUT);

  it("huge and tiny numbers in every numeric field never make normalize throw", () => {
    fc.assert(
      fc.property(validEvent, fc.constantFrom("eventId", "occurredAt", "objectId", "propertyValue", "portalId"), edgeNumber, (event, field, n) => {
        normalizeChecked(hubspot, JSON.stringify({ ...event, [field]: n }), connection);
      }),
      params(),
    );
  }, PURE_TIMEOUT);
});

describe("HubSpot regressions found by fuzzing", () => {
  const normalizeOne = (event: unknown) => hubspot.normalize({ body: JSON.stringify(event), headers: {} }, connection);
  const base = { eventId: 1, subscriptionId: 2, portalId: 3, occurredAt: 1772100000000, objectId: 42 };

  it("caps a request at MAX_EVENTS_PER_REQUEST events: 413, nothing stored", async () => {
    await createWorkspace("fuzz-hubspot-cap");
    const { webhook_url: url } = await createConnection("fuzz-hubspot-cap", "hubspot", { secret: SECRET });
    const events = Array.from({ length: MAX_EVENTS_PER_REQUEST + 1 }, (_, i) => ({ ...base, eventId: i, subscriptionType: "deal.creation" }));
    const body = JSON.stringify(events);
    const timestamp = String(Date.now());
    await expectRefusedUnstored(url, body, { "x-hubspot-signature-v3": await sign(url, body, timestamp), "x-hubspot-request-timestamp": timestamp });
    expect(hubspot.split(fakeRequest(body))).toEqual({ ok: false, status: 413, reason: "at most 1000 events per request" });
    expect(hubspot.split(fakeRequest(JSON.stringify(events.slice(1)))).ok).toBe(true);
  });

  it("keys an item whose eventId is an object with a toString member (String() threw: a 500)", () => {
    const split = hubspot.split(fakeRequest(JSON.stringify([{ ...base, eventId: { toString: 1 } }])));
    expect(split.ok).toBe(true);
  });

  it("keys items without an eventId by content, so different bad items are not duplicates", () => {
    const split = hubspot.split(fakeRequest(JSON.stringify([{ a: 1 }, { b: 2 }, { a: 1 }, 7])));
    if (!split.ok) throw new Error(split.reason);
    const ids = split.deliveries.map((d) => d.deliveryId);
    expect(new Set(ids).size).toBe(3);
    expect(ids[0]).toBe(ids[2]);
    // A real event keeps HubSpot's composite key.
    expect(hubspot.split(fakeRequest(JSON.stringify([{ ...base, subscriptionType: "deal.creation" }])))).toMatchObject({
      deliveries: [{ deliveryId: "3:2:1:42::1772100000000" }],
    });
  });

  it("rejects prototype names as object, action, property or object type (they found Object.prototype members)", () => {
    for (const event of [
      { ...base, subscriptionType: "constructor.creation" },
      { ...base, subscriptionType: "toString.propertyChange", propertyName: "x", propertyValue: "y" },
      { ...base, subscriptionType: "company.propertyChange", propertyName: "constructor", propertyValue: "y" },
      { ...base, subscriptionType: "contact.propertyChange", propertyName: "lifecyclestage", propertyValue: "constructor" },
      { ...base, subscriptionType: "deal.propertyChange", propertyName: "dealtype", propertyValue: "__proto__" },
      { ...base, subscriptionType: "object.creation", objectTypeId: "toString" },
      { ...base, subscriptionType: "deal.associationChange", fromObjectId: 1, toObjectId: 2, associationType: "constructor" },
    ]) {
      const result = normalizeOne(event);
      expect(result.events, JSON.stringify(event)).toEqual([]);
      expect(result.rejected).toHaveLength(1);
    }
  });

  it("rejects an occurredAt beyond the last date instead of throwing a RangeError", () => {
    const result = normalizeOne({ ...base, occurredAt: 1e16, subscriptionType: "deal.creation" });
    expect(result.events).toEqual([]);
    expect(result.rejected[0]!.reason).toMatch(/occurredAt/);
  });

  it("rejects a closedate no date can hold with the reason instead of throwing", () => {
    const result = normalizeOne({ ...base, subscriptionType: "deal.propertyChange", propertyName: "closedate", propertyValue: "99999999999999999999" });
    expect(result.events).toEqual([]);
    expect(result.rejected[0]!.reason).toBe('closedate "99999999999999999999" is not a date');
  });

  it("rejects an association without its target instead of linking to \"undefined\"", () => {
    const result = normalizeOne({ ...base, subscriptionType: "deal.associationChange", fromObjectId: 1, associationType: "DEAL_TO_COMPANY" });
    expect(result.events).toEqual([]);
    expect(result.rejected).toHaveLength(1);
  });

  it("refuses an empty batch with 400 (storing no rows made the inbox write fail: a 503)", () => {
    expect(hubspot.split(fakeRequest("[]"))).toEqual({ ok: false, status: 400, reason: "a HubSpot delivery carries at least one event" });
  });

  it("makes a stored body that is not JSON one rejected entry at position 0", () => {
    expect(hubspot.normalize({ body: "{not json", headers: {} }, connection)).toEqual({
      events: [],
      rejected: [{ position: 0, eventId: null, reason: "stored body is not JSON", payload: "{not json", occurredAt: null }],
    });
  });

  it("(f) derives the contract term only as a whole number of months ≥ 1: whatever hs_tcv / hs_acv say, every event stays valid", () => {
    const contractValue = fc.oneof(edgeNumber, edgeNumber.map(String), fc.constantFrom("", "0", "12000", "36000", "3333.33", "1e3", " 12 "), fc.boolean(), fc.constant(null));
    fc.assert(
      fc.property(contractValue, contractValue, fc.boolean(), (tcv, acv, samePair) => {
        const change = (eventId: number, propertyName: string, propertyValue: unknown, objectId: number) =>
          ({ eventId, portalId: 3, subscriptionId: 2, occurredAt: 1772100000000, subscriptionType: "deal.propertyChange", objectId, propertyName, propertyValue });
        const batch = [change(1, "hs_tcv", tcv, 42), change(2, "hs_acv", acv, samePair ? 42 : 43)];
        const results = splitAndNormalize(hubspot, fakeRequest(JSON.stringify(batch)), connection)!;
        for (const result of results) {
          expect(result.rejected).toEqual([]);
          const event = result.events[0]!.event as { data: { term_months?: number } };
          expect(validateEvent(event), JSON.stringify(event)).toMatchObject({ ok: true });
          if (event.data.term_months !== undefined) {
            expect(samePair).toBe(true);
            expect(Math.abs((12 * Number(tcv)) / Number(acv) - event.data.term_months)).toBeLessThanOrEqual(0.01);
          }
        }
      }),
      params(),
    );
  }, PURE_TIMEOUT);
});

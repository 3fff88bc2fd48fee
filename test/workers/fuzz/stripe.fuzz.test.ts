// Stripe under fuzzing: Stripe-Signature through the real route, and normalize on whatever
// split stores (never throws; each event mapped or rejected; valid ones mapped).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stripe } from "../../../workers/sources/stripe";
import { deepJson, edgeNumber, fakeRequest, jsonValue, normalizeChecked, params, protoName, rawBody, routeProperties, shaped, splitAndNormalize, PURE_TIMEOUT } from "./fuzz";

const SECRET = "whsec_fuzz_stripe_secret";
const connection = { id: "c_fuzz", kind: "stripe" as const, secret: SECRET, config: {} };

/** The Stripe-Signature header for a body sent now, from the adapter's signer. */
async function signature(body: string, secret = SECRET) {
  return (await stripe.sign({ method: "POST", url: "", body, now: Date.now() }, { secret }))["stripe-signature"]!;
}

const created = fc.integer({ min: 1_600_000_000, max: 1_900_000_000 });
const validEvent = fc.oneof(
  fc.record({
    id: fc.uuid().map((u) => `evt_${u}`),
    object: fc.constant("event"),
    type: fc.constantFrom("customer.created", "customer.updated"),
    created,
    data: fc.record({ object: fc.record({ id: fc.uuid().map((u) => `cus_${u}`), object: fc.constant("customer"), name: fc.string() }) }),
  }),
  fc.record({
    id: fc.uuid().map((u) => `evt_${u}`),
    object: fc.constant("event"),
    type: fc.constant("customer.subscription.updated"),
    created,
    data: fc.record({
      object: fc.record({
        id: fc.uuid().map((u) => `sub_${u}`),
        object: fc.constant("subscription"),
        customer: fc.constant("cus_1"),
        status: fc.constantFrom("active", "trialing", "canceled"),
        currency: fc.constantFrom("usd", "eur", "jpy"),
        items: fc.record({
          data: fc.array(
            fc.record({
              id: fc.constant("si_1"),
              quantity: fc.nat({ max: 100 }),
              price: fc.record({ id: fc.constant("price_1"), unit_amount: fc.nat({ max: 1e7 }), recurring: fc.record({ interval: fc.constantFrom("month", "year"), interval_count: fc.integer({ min: 1, max: 3 }) }) }),
            }),
            { maxLength: 3 },
          ),
        }),
      }),
    }),
  }),
);
const TEMPLATE = {
  id: "evt_1", object: "event", type: "customer.subscription.updated", created: 1772100000,
  data: { object: { id: "sub_1", object: "subscription", customer: { id: "cus_1" }, status: "active", currency: "usd",
    discounts: [{ id: "di_1", coupon: { id: "co_1", percent_off: 10, amount_off: null } }],
    items: { data: [{ id: "si_1", quantity: 2, price: { id: "p_1", unit_amount: 1000, unit_amount_decimal: "1000", recurring: { interval: "month", interval_count: 1 } } }] } } },
};
const badEvent = fc.oneof(
  fc.tuple(validEvent, protoName).map(([e, name]) => ({ ...e, type: name })),
  fc.tuple(validEvent, protoName).map(([e, name]) => ({ ...e, type: `customer.${name}` })),
  fc.tuple(validEvent, fc.constantFrom(-1, 1.5, 1e13, 1e300)).map(([e, c]) => ({ ...e, created: c })),
  validEvent.map((e) => ({ ...e, data: { object: { ...e.data.object, id: "" } } })),
);
const anyEvent = fc.oneof(
  { weight: 4, arbitrary: fc.oneof(validEvent, badEvent, shaped(TEMPLATE), jsonValue.map((v) => ({ id: "evt_x", v }))).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: deepJson.map((deep) => `{"id":"evt_deep","data":{"object":${deep}}}`) },
  { weight: 1, arbitrary: rawBody },
);

describe("Stripe fuzzing", () => {
  routeProperties({
    kind: "stripe",
    slug: "fuzz-stripe",
    connection: { secret: SECRET },
    unsigned: { "stripe-signature": "$SIG" },
    unsignedValues: async (_url, body) => ({ $SIG: await signature(body, `${SECRET}x`) }),
    signed: async (_url, body) => ({ "stripe-signature": await signature(body) }),
    body: anyEvent,
    maxRows: () => 1,
  });

  it("(c, d) normalizes whatever split stores, and any stored text, without throwing; unmappable events are rejected", () => {
    fc.assert(fc.property(anyEvent, (body) => void splitAndNormalize(stripe, fakeRequest(body), connection)), params());
    fc.assert(fc.property(rawBody, (body) => void normalizeChecked(stripe, body, connection)), params());
  }, PURE_TIMEOUT);

  it("(e) maps the valid events of a sequence beside bad ones", () => {
    const tagged = fc.oneof(validEvent.map((event) => ({ valid: true, event })), badEvent.map((event) => ({ valid: false, event })));
    fc.assert(
      fc.property(fc.array(tagged, { minLength: 1, maxLength: 8 }), (items) => {
        for (const item of items) {
          const result = normalizeChecked(stripe, JSON.stringify(item.event), connection);
          if (item.valid) {
            expect(result.rejected).toEqual([]);
            expect((result.events[0]!.event as { id: string }).id).toMatch(new RegExp(`:${item.event.id}$`));
          } else {
            expect(result.events).toEqual([]);
            expect(result.rejected).toHaveLength(1);
          }
        }
      }),
      params(),
    );
  }, PURE_TIMEOUT);

  it("huge and tiny numbers in amounts and quantities never make normalize throw", () => {
    fc.assert(
      fc.property(edgeNumber, edgeNumber, (amount, quantity) => {
        const event = structuredClone(TEMPLATE);
        event.data.object.items.data[0]!.price.unit_amount = amount;
        event.data.object.items.data[0]!.quantity = quantity;
        normalizeChecked(stripe, JSON.stringify(event), connection);
      }),
      params(),
    );
  }, PURE_TIMEOUT);
});

describe("Stripe regressions found by fuzzing", () => {
  const base = { id: "evt_1", object: "event", type: "customer.created", data: { object: { id: "cus_1", object: "customer" } } };

  it("rejects a created no date can hold instead of throwing a RangeError", () => {
    const result = stripe.normalize({ body: JSON.stringify({ ...base, created: 1e13 }), headers: {} }, connection);
    expect(result.events).toEqual([]);
    expect(result.rejected[0]!.reason).toMatch(/created/);
  });

  it("rejects an MRR that overflows to Infinity or NaN instead of emitting it", () => {
    const result = stripe.normalize({ body: JSON.stringify({ ...base, created: 1772100000, type: "customer.subscription.updated", data: { object: {
      id: "sub_1", object: "subscription", customer: "cus_1", status: "active", currency: "usd",
      items: { data: [{ id: "si_1", quantity: 1.7976931348623133e308, price: { id: "p", unit_amount: -17, recurring: { interval: "month" } } }] },
    } } }), headers: {} }, connection);
    expect(result.events).toEqual([]);
    expect(result.rejected[0]!.reason).toMatch(/out of range/);
  });

  it("ranks an action named after a prototype member as unknown", () => {
    const result = stripe.normalize({ body: JSON.stringify({ ...base, created: 1772100000, type: "customer.constructor" }), headers: {} }, connection);
    expect(result.events).toEqual([]);
    expect(result.rejected).toHaveLength(1);
  });
});

// Stripe: `Stripe-Signature` as stripe-node checks it (plus a future bound), the mapping of
// customers and subscriptions to accounts and monthly MRR, and a two-month MRR story.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { base64ToBytes } from "../../../workers/lib/crypto";
import { stripe, stripeKey, stripeSignature, verifyStripeSignature } from "../../../workers/sources/stripe";
import customerCreated from "../../fixtures/stripe/customer.created.json?raw";
import customerDeleted from "../../fixtures/stripe/customer.deleted.json?raw";
import customerUpdated from "../../fixtures/stripe/customer.updated.json?raw";
import subscriptionCreated from "../../fixtures/stripe/customer.subscription.created.json?raw";
import subscriptionDeleted from "../../fixtures/stripe/customer.subscription.deleted.json?raw";
import subscriptionUpdated from "../../fixtures/stripe/customer.subscription.updated.json?raw";
import invoicePaid from "../../fixtures/stripe/invoice.paid.json?raw";
import stripeDoc from "../../../docs/crms/stripe.md?raw";
import { call, createConnection, createWorkspace, monthValues, ORIGIN, postWebhook, waitForInbox } from "../helpers";

// The Stripe test vector (docs/crms/stripe.md).
const VECTOR = {
  secret: "whsec_test_secret",
  t: "1700000000",
  body: '{"id":"evt_1","object":"event"}',
  v1: "0c8670ed117751cc551a20e35839447075c42800ea3cf3e8a2fbda99cd1e6edd",
};
const vectorNow = Number(VECTOR.t) * 1000;
const verifyVector = (header: string, body = VECTOR.body, now = vectorNow, secret = VECTOR.secret) =>
  verifyStripeSignature(header, body, secret, now);

/** A v1 signature for any `t`, with the adapter's scheme: a secret is used as is, bytes are a key already. */
const sign = (key: string | Uint8Array, t: string, body: string) => stripeSignature(typeof key === "string" ? stripeKey(key) : key, t, body);

const connection = { id: "c_test", kind: "stripe" as const, secret: VECTOR.secret, config: {} };
const normalize = (body: string) => stripe.normalize({ body, headers: {} }, connection);

describe("Stripe-Signature verification", () => {
  it("accepts the §10 vector with the whsec_ secret used as is", async () => {
    expect(await sign(VECTOR.secret, VECTOR.t, VECTOR.body)).toBe(VECTOR.v1);
    expect(await verifyVector(`t=${VECTOR.t},v1=${VECTOR.v1}`)).toEqual({ ok: true });
  });

  it("accepts any matching v1 while a secret is rolled, ignoring v0", async () => {
    const other = await sign("whsec_previous_secret", VECTOR.t, VECTOR.body);
    expect(await verifyVector(`t=${VECTOR.t},v1=${other},v1=${VECTOR.v1}`)).toEqual({ ok: true });
    expect(await verifyVector(`t=${VECTOR.t},v1=${VECTOR.v1},v1=${other},v0=${"0".repeat(64)}`)).toEqual({ ok: true });
  });

  it("rejects a header with only a v0 signature, even a correct one", async () => {
    expect(await verifyVector(`t=${VECTOR.t},v0=${VECTOR.v1}`)).toEqual({
      ok: false,
      reason: "Stripe-Signature has no v1 signature",
    });
  });

  it("rejects a tampered body and a wrong secret", async () => {
    const tampered = '{"id":"evt_2","object":"event"}';
    expect(await verifyVector(`t=${VECTOR.t},v1=${VECTOR.v1}`, tampered)).toEqual({ ok: false, reason: "no v1 signature matches" });
    const header = `t=${VECTOR.t},v1=${VECTOR.v1}`;
    expect((await verifyVector(header, VECTOR.body, vectorNow, "whsec_other_secret")).ok).toBe(false);
  });

  it("rejects signatures made with the secret decoded as Standard Webhooks does", async () => {
    // base64 of what follows whsec_: the Standard Webhooks key, wrong for Stripe.
    const decodedKey = base64ToBytes(VECTOR.secret.slice("whsec_".length))!;
    const decoded = await sign(decodedKey, VECTOR.t, VECTOR.body);
    expect(decoded).not.toBe(VECTOR.v1);
    expect(await verifyVector(`t=${VECTOR.t},v1=${decoded}`)).toEqual({ ok: false, reason: "no v1 signature matches" });
    // Nor does the prefix get stripped.
    const stripped = await sign("test_secret", VECTOR.t, VECTOR.body);
    expect(await verifyVector(`t=${VECTOR.t},v1=${stripped}`)).toEqual({ ok: false, reason: "no v1 signature matches" });
  });

  it("enforces the 300 s tolerance on both sides", async () => {
    const header = `t=${VECTOR.t},v1=${VECTOR.v1}`;
    const at = (skewSeconds: number) => verifyVector(header, VECTOR.body, vectorNow + skewSeconds * 1000);
    expect(await at(300)).toEqual({ ok: true });
    expect(await at(300.999)).toEqual({ ok: true }); // whole seconds, as stripe-node floors now
    expect(await at(301)).toEqual({ ok: false, reason: "Stripe-Signature timestamp is too old" });
    expect(await at(-300)).toEqual({ ok: true });
    expect(await at(-301)).toEqual({
      ok: false,
      reason: "Stripe-Signature timestamp is in the future (milliseconds instead of seconds?)",
    });
  });

  it("rejects a milliseconds t even when correctly signed (stripe-node would let it pass)", async () => {
    const ms = String(vectorNow);
    const signature = await sign(VECTOR.secret, ms, VECTOR.body);
    expect(await verifyVector(`t=${ms},v1=${signature}`)).toEqual({
      ok: false,
      reason: "Stripe-Signature timestamp is in the future (milliseconds instead of seconds?)",
    });
  });

  it("rejects a missing header, a missing or non-numeric t", async () => {
    expect(await verifyStripeSignature(null, VECTOR.body, VECTOR.secret, vectorNow)).toEqual({
      ok: false,
      reason: "missing Stripe-Signature header",
    });
    expect(await verifyVector(`v1=${VECTOR.v1}`)).toEqual({ ok: false, reason: "Stripe-Signature has no t= timestamp" });
    expect(await verifyVector(`t=1700000000.5,v1=${VECTOR.v1}`)).toEqual({
      ok: false,
      reason: "Stripe-Signature t= is not Unix seconds",
    });
  });
});

describe("Stripe split", () => {
  const request = (body: string) => ({ method: "POST", url: ORIGIN, headers: new Headers(), body });

  it("stores one delivery keyed by the event id", () => {
    expect(stripe.split(request(customerCreated))).toEqual({
      ok: true,
      deliveries: [{ deliveryId: "evt_1QcuCustCreated0001", body: customerCreated, headers: {} }],
    });
  });

  it("answers 400 for a body that is not JSON or has no event id", () => {
    expect(stripe.split(request("id=evt_1"))).toEqual({ ok: false, status: 400, reason: "body is not JSON" });
    expect(stripe.split(request('{"object":"event"}'))).toEqual({
      ok: false,
      status: 400,
      reason: "body is not a Stripe event (no id)",
    });
    expect(stripe.split(request("[]"))).toMatchObject({ ok: false, status: 400 });
  });
});

describe("Stripe fixtures → canonical events", () => {
  it("customer.created and customer.updated → account.upserted", () => {
    expect(normalize(customerCreated)).toEqual({
      events: [
        {
          position: 0,
          event: {
            id: "1-created:evt_1QcuCustCreated0001",
            type: "account.upserted",
            occurred_at: "2026-03-02T09:00:00.000Z",
            data: { account_id: "cus_Rk9pAcme000001", name: "Acme Corp" },
          },
        },
      ],
      rejected: [],
    });
    expect(normalize(customerUpdated).events).toEqual([
      {
        position: 0,
        event: {
          id: "2-updated:evt_1QcuCustUpdated0002",
          type: "account.upserted",
          occurred_at: "2026-03-09T14:30:00.000Z",
          data: { account_id: "cus_Rk9pAcme000001", name: "Acme Corporation" },
        },
      },
    ]);
  });

  it("customer.deleted → account.deleted", () => {
    expect(normalize(customerDeleted)).toEqual({
      events: [
        {
          position: 0,
          event: {
            id: "3-deleted:evt_1QcuCustDeleted0003",
            type: "account.deleted",
            occurred_at: "2026-03-25T12:00:00.000Z",
            data: { account_id: "cus_Rk9pAcme000001" },
          },
        },
      ],
      rejected: [],
    });
  });

  it("customer.subscription.created: 3 seats × $20.00 a month → 60 USD", () => {
    expect(normalize(subscriptionCreated)).toEqual({
      events: [
        {
          position: 0,
          event: {
            id: "1-created:evt_1QcuSubCreated00004",
            type: "subscription.updated",
            occurred_at: "2026-03-02T09:05:00.000Z",
            data: { subscription_id: "sub_1QcuAcmeMonthly01", account_id: "cus_Rk9pAcme000001", mrr: 60, currency: "USD" },
          },
        },
      ],
      rejected: [],
    });
  });

  it("customer.subscription.updated: 2 × €1,200.00 a year ÷ 12, 25 % off (in discount and, by id, discounts) → 150 EUR", () => {
    expect(normalize(subscriptionUpdated).events).toEqual([
      {
        position: 0,
        event: {
          id: "2-updated:evt_1QcuSubUpdated00005",
          type: "subscription.updated",
          occurred_at: "2026-03-16T10:00:00.000Z",
          data: { subscription_id: "sub_1QcuAcmeMonthly01", account_id: "cus_Rk9pAcme000001", mrr: 150, currency: "EUR" },
        },
      },
    ]);
  });

  it("customer.subscription.deleted → mrr 0", () => {
    expect(normalize(subscriptionDeleted).events).toEqual([
      {
        position: 0,
        event: {
          id: "3-deleted:evt_1QcuSubDeleted00006",
          type: "subscription.updated",
          occurred_at: "2026-03-31T23:59:59.000Z",
          data: { subscription_id: "sub_1QcuAcmeMonthly01", account_id: "cus_Rk9pAcme000001", mrr: 0, currency: "EUR" },
        },
      },
    ]);
  });

  it("maps the example of docs/crms/stripe.md as the page says", () => {
    const example = /```json\n([\s\S]*?)```/.exec(stripeDoc)![1]!;
    expect(normalize(example).events.map((e) => e.event)).toEqual([
      {
        id: "1-created:evt_1QcuSubCreated00004",
        type: "subscription.updated",
        occurred_at: "2026-03-02T09:05:00.000Z",
        data: { subscription_id: "sub_1QcuAcmeMonthly01", account_id: "cus_Rk9pAcme000001", mrr: 60, currency: "USD" },
      },
    ]);
  });

  it("rejects other event types with the reason, never dropping them", () => {
    const payload = JSON.parse(invoicePaid);
    expect(normalize(invoicePaid)).toEqual({
      events: [],
      rejected: [
        {
          position: 0,
          eventId: "evt_1QcuInvoicePaid0007",
          reason:
            'event type "invoice.paid" is not mapped (mapped: customer.subscription.created, customer.subscription.updated, customer.subscription.deleted, customer.created, customer.updated, customer.deleted)',
          payload,
          occurredAt: 1772442301000,
        },
      ],
    });
  });

  it("rejects a thin (v2) event and a subscription without customer", () => {
    const thin = JSON.stringify({ id: "evt_thin", object: "v2.core.event", type: "v1.billing.meter.error_report_triggered", created: "2026-03-02T09:00:00Z" });
    expect(normalize(thin).rejected).toEqual([
      {
        position: 0,
        eventId: null,
        reason:
          'event.object: Invalid input: expected "event"; event.created: Invalid input: expected number, received string; event.data: Invalid input: expected object, received undefined',
        payload: JSON.parse(thin),
        occurredAt: null,
      },
    ]);
    const event = JSON.parse(subscriptionCreated);
    delete event.data.object.customer;
    expect(normalize(JSON.stringify(event)).rejected.map((r) => r.reason)).toEqual([
      "data.object.customer: expected an id or an expanded object",
    ]);
  });
});

// ---------------------------------------------------------------- MRR normalisation

type Item = { unit_amount?: number | null; unit_amount_decimal?: string; interval?: string; interval_count?: number; quantity?: number; usage_type?: string; discounts?: unknown[] };

let eventCounter = 0;
/** A customer.subscription.* event shaped like Stripe's, with only the fields that matter varied. */
function subscriptionEvent(
  options: {
    type?: string;
    id?: string;
    customer?: string | { id: string; object: "customer" };
    status?: string;
    currency?: string;
    items?: Item[];
    discount?: unknown;
    discounts?: unknown[];
    pause_collection?: unknown;
    created?: string;
    eventId?: string;
  } = {},
) {
  const id = options.id ?? "sub_test";
  const items = (options.items ?? [{}]).map((item, index) => ({
    id: `si_${id}_${index}`,
    object: "subscription_item",
    discounts: item.discounts ?? [],
    price: {
      id: `price_${index}`,
      object: "price",
      billing_scheme: item.unit_amount === null ? "tiered" : "per_unit",
      currency: options.currency ?? "usd",
      recurring: {
        interval: item.interval ?? "month",
        interval_count: item.interval_count ?? 1,
        usage_type: item.usage_type ?? "licensed",
      },
      type: "recurring",
      unit_amount: item.unit_amount === undefined ? 1000 : item.unit_amount,
      unit_amount_decimal:
        item.unit_amount_decimal ?? (item.unit_amount === null ? null : String(item.unit_amount ?? 1000)),
    },
    quantity: item.quantity ?? 1,
    subscription: id,
  }));
  return JSON.stringify({
    id: options.eventId ?? `evt_mrr_${++eventCounter}`,
    object: "event",
    api_version: "2024-06-20",
    created: Date.parse(options.created ?? "2026-03-10T12:00:00Z") / 1000,
    data: {
      object: {
        id,
        object: "subscription",
        currency: options.currency ?? "usd",
        customer: options.customer ?? "cus_test",
        discount: options.discount ?? null,
        discounts: options.discounts ?? [],
        items: { object: "list", data: items, has_more: false, total_count: items.length },
        pause_collection: options.pause_collection ?? null,
        status: options.status ?? "active",
      },
    },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: options.type ?? "customer.subscription.updated",
  });
}

const mrrOf = (body: string) => {
  const { events, rejected } = normalize(body);
  if (rejected.length > 0) throw new Error(rejected[0]!.reason);
  return (events[0]!.event as { data: { subscription_id: string; account_id: string; mrr: number; currency: string } }).data;
};
const rejectionOf = (body: string) => normalize(body).rejected.map((r) => r.reason);
const coupon = (fields: Record<string, unknown>) => ({
  id: "co_test", object: "coupon", amount_off: null, currency: null, duration: "forever", percent_off: null, ...fields,
});
const discountWith = (couponFields: Record<string, unknown>, id = "di_test") => ({ id, object: "discount", coupon: coupon(couponFields), end: null });

describe("Stripe and catalog version 2's fields", () => {
  it("maps none of term_months, competitor, lost_reason, score: Stripe has no deals or leads", () => {
    const fixtures = [customerCreated, customerUpdated, customerDeleted, subscriptionCreated, subscriptionUpdated, subscriptionDeleted, invoicePaid];
    const events = fixtures.flatMap((body) => normalize(body).events.map((e) => e.event as { type: string; data: Record<string, unknown> }));
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) {
      expect(["account.upserted", "account.deleted", "subscription.updated"]).toContain(event.type);
      for (const field of ["term_months", "competitor", "lost_reason", "score"]) expect(event.data).not.toHaveProperty(field);
    }
  });
});

describe("MRR normalised to a month", () => {
  it("scales by interval and interval_count", () => {
    expect(mrrOf(subscriptionEvent({ items: [{ unit_amount: 9900, interval: "month", interval_count: 3 }] })).mrr).toBe(33);
    expect(mrrOf(subscriptionEvent({ items: [{ unit_amount: 120000, interval: "year" }] })).mrr).toBe(100);
    expect(mrrOf(subscriptionEvent({ items: [{ unit_amount: 240000, interval: "year", interval_count: 2 }] })).mrr).toBe(100);
    // 52 weeks / 12 months: $12.00 a week → $52.00 a month.
    expect(mrrOf(subscriptionEvent({ items: [{ unit_amount: 1200, interval: "week" }] })).mrr).toBe(52);
    expect(mrrOf(subscriptionEvent({ items: [{ unit_amount: 2400, interval: "week", interval_count: 2 }] })).mrr).toBe(52);
    // 365 days / 12 months: $1.20 a day → $36.50 a month.
    expect(mrrOf(subscriptionEvent({ items: [{ unit_amount: 120, interval: "day" }] })).mrr).toBe(36.5);
  });

  it("multiplies by quantity and sums the items; unit_amount_decimal keeps sub-cent prices", () => {
    const body = subscriptionEvent({
      items: [
        { unit_amount: 2500, quantity: 4 },
        { unit_amount: null, unit_amount_decimal: "0.5", quantity: 1000 },
      ],
    });
    expect(mrrOf(body)).toEqual({ subscription_id: "sub_test", account_id: "cus_test", mrr: 105, currency: "USD" });
  });

  it("does not divide zero-decimal currencies and divides three-decimal ones by 1000", () => {
    expect(mrrOf(subscriptionEvent({ currency: "jpy", items: [{ unit_amount: 5000 }] }))).toMatchObject({ mrr: 5000, currency: "JPY" });
    expect(mrrOf(subscriptionEvent({ currency: "krw", items: [{ unit_amount: 120000, interval: "year" }] })).mrr).toBe(10000);
    expect(mrrOf(subscriptionEvent({ currency: "kwd", items: [{ unit_amount: 12340 }] }))).toMatchObject({ mrr: 12.34, currency: "KWD" });
    expect(mrrOf(subscriptionEvent({ currency: "isk", items: [{ unit_amount: 50000 }] })).mrr).toBe(500);
  });

  it("applies percent_off and amount_off (per invoice, spread over the billing interval)", () => {
    const monthly = [{ unit_amount: 10000 }];
    expect(mrrOf(subscriptionEvent({ items: monthly, discount: discountWith({ percent_off: 20 }) })).mrr).toBe(80);
    expect(mrrOf(subscriptionEvent({ items: monthly, discount: discountWith({ amount_off: 1500, currency: "usd" }) })).mrr).toBe(85);
    // $120.00 off a yearly invoice is $10.00 off a month.
    const yearly = [{ unit_amount: 120000, interval: "year" }];
    expect(mrrOf(subscriptionEvent({ items: yearly, discount: discountWith({ amount_off: 12000, currency: "usd" }) })).mrr).toBe(90);
    // Never below zero.
    expect(mrrOf(subscriptionEvent({ items: monthly, discount: discountWith({ amount_off: 50000, currency: "usd" }) })).mrr).toBe(0);
  });

  it("applies expanded `discounts` and the 2025-09-30 `source.coupon` shape, each discount once", () => {
    const legacy = discountWith({ percent_off: 50 }, "di_a");
    expect(mrrOf(subscriptionEvent({ items: [{ unit_amount: 10000 }], discount: legacy, discounts: ["di_a"] })).mrr).toBe(50);
    const stacked = [discountWith({ percent_off: 50 }, "di_a"), discountWith({ amount_off: 1000, currency: "usd" }, "di_b")];
    expect(mrrOf(subscriptionEvent({ items: [{ unit_amount: 10000 }], discounts: stacked })).mrr).toBe(40);
    const clover = { id: "di_c", object: "discount", source: { type: "coupon", coupon: coupon({ percent_off: 10 }) } };
    expect(mrrOf(subscriptionEvent({ items: [{ unit_amount: 10000 }], discounts: [clover] })).mrr).toBe(90);
    // An item-level discount applies to that item only.
    const items = [{ unit_amount: 10000, discounts: [discountWith({ percent_off: 100 }, "di_free")] }, { unit_amount: 3000 }];
    expect(mrrOf(subscriptionEvent({ items })).mrr).toBe(30);
  });

  it("rejects when a discount's coupon is only an id: the MRR cannot be known", () => {
    expect(rejectionOf(subscriptionEvent({ discounts: ["di_unexpanded"] }))).toEqual([
      "subscription sub_test: discounts: discount di_unexpanded is not expanded, so its coupon is unknown",
    ]);
    const clover = { id: "di_c", object: "discount", source: { type: "coupon", coupon: "co_only_id" } };
    expect(rejectionOf(subscriptionEvent({ discounts: [clover] }))).toEqual([
      "subscription sub_test: discounts: coupon co_only_id of discount di_c is not expanded",
    ]);
    expect(rejectionOf(subscriptionEvent({ items: [{ discounts: ["di_item"] }] }))).toEqual([
      "subscription sub_test: items.data.0: discount di_item is not expanded, so its coupon is unknown",
    ]);
    expect(rejectionOf(subscriptionEvent({ discount: discountWith({ amount_off: 500, currency: "eur" }) }))).toEqual([
      "subscription sub_test: coupon co_test takes EUR off a USD subscription",
    ]);
  });

  it("counts active and past_due; trialing, incomplete, unpaid, paused, canceled and paused collection are 0", () => {
    const items = [{ unit_amount: 4900 }];
    expect(mrrOf(subscriptionEvent({ status: "active", items })).mrr).toBe(49);
    expect(mrrOf(subscriptionEvent({ status: "past_due", items })).mrr).toBe(49);
    for (const status of ["trialing", "incomplete", "incomplete_expired", "unpaid", "paused", "canceled"]) {
      expect(mrrOf(subscriptionEvent({ status, items })).mrr).toBe(0);
    }
    expect(mrrOf(subscriptionEvent({ items, pause_collection: { behavior: "void", resumes_at: null } })).mrr).toBe(0);
    // A deletion ends the subscription whatever the status it carries.
    expect(mrrOf(subscriptionEvent({ type: "customer.subscription.deleted", status: "active", items })).mrr).toBe(0);
    expect(rejectionOf(subscriptionEvent({ status: "frozen", items }))).toEqual([
      'subscription sub_test: unknown subscription status "frozen"',
    ]);
  });

  it("counts metered items as 0 and rejects prices without a unit amount", () => {
    const metered = [{ unit_amount: 5000 }, { unit_amount: 2, usage_type: "metered" }];
    expect(mrrOf(subscriptionEvent({ items: metered })).mrr).toBe(50);
    expect(rejectionOf(subscriptionEvent({ items: [{ unit_amount: null }] }))).toEqual([
      "subscription sub_test: items.data.0: price price_0 has no unit amount (tiered or custom pricing)",
    ]);
  });

  it("takes the account from an expanded customer too", () => {
    expect(mrrOf(subscriptionEvent({ customer: { id: "cus_expanded", object: "customer" } })).account_id).toBe("cus_expanded");
  });

  it("orders same-second events created < updated < deleted through their ids", () => {
    const ids = ["customer.subscription.deleted", "customer.subscription.created", "customer.subscription.updated"].map(
      (type, index) => (normalize(subscriptionEvent({ type, eventId: `evt_${"zya"[index]}` })).events[0]!.event as { id: string }).id,
    );
    expect(ids).toEqual(["3-deleted:evt_z", "1-created:evt_y", "2-updated:evt_a"]);
    expect([...ids].sort()).toEqual(["1-created:evt_y", "2-updated:evt_a", "3-deleted:evt_z"]);
  });
});

// ---------------------------------------------------------------- through the route

async function stripeHeaders(secret: string, body: string, t = Math.floor(Date.now() / 1000)) {
  return { "content-type": "application/json", "stripe-signature": `t=${t},v1=${await sign(secret, String(t), body)}` };
}

const customerEvent = (eventId: string, customerId: string, name: string, created: string) =>
  JSON.stringify({
    id: eventId,
    object: "event",
    api_version: "2024-06-20",
    created: Date.parse(created) / 1000,
    data: { object: { id: customerId, object: "customer", email: null, metadata: {}, name } },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: "customer.created",
  });

/**
 * Two customers across January and February 2026:
 * - Acme: 2 seats × $50/month from 5 Jan ($100), 3 seats from 3 Feb ($150): expansion $50.
 * - Globex: $1,200/year with 10 % off from 10 Jan ($90/month), canceled 20 Feb: churned $90.
 */
const STORY = [
  customerEvent("evt_story_1", "cus_acme", "Acme", "2026-01-02T09:00:00Z"),
  customerEvent("evt_story_2", "cus_globex", "Globex", "2026-01-02T09:30:00Z"),
  subscriptionEvent({
    type: "customer.subscription.created", eventId: "evt_story_3", id: "sub_acme", customer: "cus_acme",
    items: [{ unit_amount: 5000, quantity: 2 }], created: "2026-01-05T10:00:00Z",
  }),
  subscriptionEvent({
    type: "customer.subscription.created", eventId: "evt_story_4", id: "sub_globex", customer: "cus_globex",
    items: [{ unit_amount: 120000, interval: "year" }], discount: discountWith({ percent_off: 10 }),
    created: "2026-01-10T15:00:00Z",
  }),
  subscriptionEvent({
    type: "customer.subscription.updated", eventId: "evt_story_5", id: "sub_acme", customer: "cus_acme",
    items: [{ unit_amount: 5000, quantity: 3 }], created: "2026-02-03T08:00:00Z",
  }),
  subscriptionEvent({
    type: "customer.subscription.deleted", eventId: "evt_story_6", id: "sub_globex", customer: "cus_globex",
    status: "canceled", items: [{ unit_amount: 120000, interval: "year" }], discount: discountWith({ percent_off: 10 }),
    created: "2026-02-20T17:00:00Z",
  }),
];

async function workspaceRows(slug: string) {
  const workspace = await env.DB.prepare("SELECT id FROM workspaces WHERE slug = ?1").bind(slug).first<{ id: string }>();
  const rows = async (table: string, order: string) =>
    (
      await env.DB.prepare(`SELECT * FROM ${table} WHERE workspace_id = ?1 ORDER BY ${order}`).bind(workspace!.id).all<Record<string, unknown>>()
    ).results.map(({ workspace_id: _, ...row }) => row);
  return {
    accounts: await rows("accounts", "account_id"),
    subscriptions: await rows("subscriptions", "subscription_id"),
    history: await rows("field_history", "entity_type, entity_id, field, occurred_at, event_id"),
  };
}

describe("POST /webhooks/:connectionId (stripe)", () => {
  const SECRET = "whsec_5d1c0ffee5d1c0ffee5d1c0ffee5d1c0";
  let url: string;
  const inboxCount = async () =>
    (await env.DB.prepare("SELECT COUNT(*) AS n FROM inbox WHERE connection_id = ?1").bind(url.split("/").pop()).first<{ n: number }>())!.n;

  beforeAll(async () => {
    await createWorkspace("stripe-story", { timezone: "UTC" });
    const created = await createConnection("stripe-story", "stripe", { secret: SECRET });
    expect(created.secret).toBe(SECRET);
    url = created.webhook_url;
  });

  it("refuses a secret that is not a whsec_ signing secret", async () => {
    await createWorkspace("stripe-nosecret", { timezone: "UTC" });
    const response = await call("POST", "/api/v1/workspaces/stripe-nosecret/connections", { kind: "stripe", name: "s", secret: "sk_live_123456" });
    expect(response.status).toBe(400);
  });

  it("answers 401 for bad signatures and 400 for a body that is not JSON, storing nothing", async () => {
    const body = STORY[0]!;
    const now = Math.floor(Date.now() / 1000);
    const answers = await Promise.all([
      postWebhook(url, body, await stripeHeaders("whsec_wrong", body)),
      postWebhook(url, body.replace("Acme", "Evil"), await stripeHeaders(SECRET, body)),
      postWebhook(url, body, await stripeHeaders(SECRET, body, now - 301)),
      postWebhook(url, body, await stripeHeaders(SECRET, body, now * 1000)),
      postWebhook(url, body, { "content-type": "application/json" }),
    ]);
    for (const response of answers) {
      expect(response.status).toBe(401);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
    }
    const notJson = "type=customer.created&id=evt_x";
    const response = await postWebhook(url, notJson, await stripeHeaders(SECRET, notJson));
    expect(response.status).toBe(400);
    expect(await inboxCount()).toBe(0);
  });

  it("applies the story: MRR, new, expansion and churned MRR, active customers", async () => {
    for (const body of STORY) {
      const response = await postWebhook(url, body, await stripeHeaders(SECRET, body));
      expect(response.status).toBe(200);
    }
    // A retried delivery: 200 again, stored and applied once.
    const retry = await postWebhook(url, STORY[4]!, await stripeHeaders(SECRET, STORY[4]!));
    expect(retry.status).toBe(200);
    expect(await retry.json()).toEqual({ status: "duplicate" });
    await waitForInbox();
    expect(await inboxCount()).toBe(STORY.length);

    expect((await call("POST", "/api/v1/workspaces/stripe-story/recompute", { from: "2026-01", to: "2026-02" })).status).toBe(200);
    const january = await monthValues("stripe-story", "2026-01");
    expect(january("mrr")).toBe(190);
    expect(january("new_mrr")).toBe(190);
    expect(january("expansion_mrr")).toBe(0);
    expect(january("churned_mrr")).toBe(0);
    expect(january("active_customers")).toBe(2);
    const february = await monthValues("stripe-story", "2026-02");
    expect(february("mrr")).toBe(150);
    expect(february("new_mrr")).toBe(0);
    expect(february("expansion_mrr")).toBe(50);
    expect(february("churned_mrr")).toBe(90);
    expect(february("active_customers")).toBe(1);

    const rows = await workspaceRows("stripe-story");
    expect(rows.accounts.map((a) => [a.account_id, a.name])).toEqual([["cus_acme", "Acme"], ["cus_globex", "Globex"]]);
    expect(rows.subscriptions.map((s) => [s.subscription_id, s.account_id, s.mrr, s.currency])).toEqual([
      ["sub_acme", "cus_acme", 150, "USD"],
      ["sub_globex", "cus_globex", 0, "USD"],
    ]);
    const dead = await env.DB.prepare("SELECT COUNT(*) AS n FROM dead_letters WHERE connection_id = ?1").bind(url.split("/").pop()).first<{ n: number }>();
    expect(dead!.n).toBe(0);
  });

  it("gives the same state and KPIs when the story arrives in reverse order", async () => {
    await createWorkspace("stripe-reverse", { timezone: "UTC" });
    const reverse = await createConnection("stripe-reverse", "stripe", { secret: SECRET });
    for (const body of [...STORY].reverse()) {
      expect((await postWebhook(reverse.webhook_url, body, await stripeHeaders(SECRET, body))).status).toBe(200);
    }
    await waitForInbox();
    expect((await call("POST", "/api/v1/workspaces/stripe-reverse/recompute", { from: "2026-01", to: "2026-02" })).status).toBe(200);

    expect(await workspaceRows("stripe-reverse")).toEqual(await workspaceRows("stripe-story"));
    for (const month of ["2026-01", "2026-02"]) {
      const [inOrder, reversed] = [await monthValues("stripe-story", month), await monthValues("stripe-reverse", month)];
      for (const kpi of ["mrr", "new_mrr", "expansion_mrr", "churned_mrr", "active_customers"]) {
        expect(reversed(kpi)).toBe(inOrder(kpi));
      }
    }
  });

  it("dead-letters an unmapped event type with its reason and answers 200", async () => {
    const response = await postWebhook(url, invoicePaid, await stripeHeaders(SECRET, invoicePaid));
    expect(response.status).toBe(200);
    await waitForInbox();
    const dead = await env.DB.prepare("SELECT event_id, reason FROM dead_letters WHERE connection_id = ?1").bind(url.split("/").pop()).all();
    expect(dead.results).toEqual([
      {
        event_id: "evt_1QcuInvoicePaid0007",
        reason:
          'event type "invoice.paid" is not mapped (mapped: customer.subscription.created, customer.subscription.updated, customer.subscription.deleted, customer.created, customer.updated, customer.deleted)',
      },
    ]);
  });
});

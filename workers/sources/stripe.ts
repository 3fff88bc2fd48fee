// Stripe source: verifies `Stripe-Signature`, stores one event per delivery (dedupe key
// event.id) and maps subscriptions to monthly MRR and customers to accounts.
import { z } from "zod";
import { MINUTE_MS, SECOND_MS } from "../../shared/units";
import { bytesToHex, hmacSha256, timingSafeEqualText } from "../lib/crypto";
import type { Normalized, SourceAdapter, Verdict } from "./adapter";
import {
  describeIssues,
  itemResult,
  lookup,
  MAX_DATE_MS,
  type Mapping,
  mapped,
  normalizeJsonItem,
  parseJsonBody,
  unixSecondsFreshness,
  present,
  unmapped,
  utf8,
} from "./kit";

/** stripe-node's DEFAULT_TOLERANCE (300 s) for constructEvent, which Quotient bounds ahead too. */
const TIMESTAMP_WINDOW = { maxAgeMs: 5 * MINUTE_MS, maxAheadMs: 5 * MINUTE_MS };

// ---------------------------------------------------------------- the signature scheme

/** The HMAC key of an endpoint secret: the string as is, `whsec_` included (never decoded). */
export const stripeKey = (secret: string): Uint8Array => utf8(secret);

/** A v1 signature: lowercase hex HMAC-SHA256 of "t.body". */
export async function stripeSignature(key: Uint8Array, timestamp: string, body: string): Promise<string> {
  return bytesToHex(await hmacSha256(key, `${timestamp}.${body}`));
}

/**
 * Checks a `Stripe-Signature` header (`t=…,v1=…[,v1=…][,v0=…]`) against the raw body.
 * Like stripe-node, a timestamp older than the tolerance fails; unlike it, one more than
 * the tolerance in the future fails too, so a milliseconds `t` cannot pass as a far-future
 * seconds value.
 */
export async function verifyStripeSignature(
  header: string | null,
  body: string,
  secret: string,
  nowMs: number,
): Promise<Verdict> {
  if (!header) return unmapped("missing Stripe-Signature header");
  let timestamp: string | null = null;
  const signatures: string[] = [];
  for (const item of header.split(",")) {
    const separator = item.indexOf("=");
    if (separator < 0) continue;
    const key = item.slice(0, separator);
    const value = item.slice(separator + 1);
    if (key === "t") timestamp = value;
    else if (key === "v1") signatures.push(value);
  }
  if (timestamp === null) return unmapped("Stripe-Signature has no t= timestamp");
  if (!/^\d{1,15}$/.test(timestamp)) return unmapped("Stripe-Signature t= is not Unix seconds");
  if (signatures.length === 0) return unmapped("Stripe-Signature has no v1 signature");
  if (!secret) return unmapped("the connection has no Stripe endpoint secret");

  const expected = await stripeSignature(stripeKey(secret), timestamp, body);
  // Stripe sends one v1 per active secret while one is being rolled: any may match, and
  // every candidate is compared so the timing does not reveal which one did.
  let valid = false;
  for (const signature of signatures) valid = timingSafeEqualText(signature, expected) || valid;
  if (!valid) return unmapped("no v1 signature matches");

  const freshness = unixSecondsFreshness(timestamp, nowMs, TIMESTAMP_WINDOW);
  if (freshness === "too old") return unmapped("Stripe-Signature timestamp is too old");
  if (freshness === "in the future") {
    return unmapped("Stripe-Signature timestamp is in the future (milliseconds instead of seconds?)");
  }
  return { ok: true };
}

// ---------------------------------------------------------------- money

/** Stripe's zero-decimal currencies: API amounts are already in major units. */
export const ZERO_DECIMAL_CURRENCIES = new Set([
  "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
]);
/** Stripe's three-decimal currencies: API amounts are in thousandths. */
export const THREE_DECIMAL_CURRENCIES = new Set(["BHD", "JOD", "KWD", "OMR", "TND"]);

function minorUnitsPerMajor(currency: string): number {
  if (ZERO_DECIMAL_CURRENCIES.has(currency)) return 1;
  if (THREE_DECIMAL_CURRENCIES.has(currency)) return 1000;
  // ISK, HUF and TWD are special cases at Stripe but still carry two decimals in the API.
  return 100;
}

const INTERVALS = ["day", "week", "month", "year"] as const;
type Interval = (typeof INTERVALS)[number];

/**
 * Billing periods per month. A day is 12/365 of a month (365-day year, leap days ignored),
 * a week 12/52 of a month, so daily and weekly prices scale like yearly ones.
 */
function periodsPerMonth(interval: Interval, count: number): number {
  switch (interval) {
    case "month":
      return 1 / count;
    case "year":
      return 1 / 12 / count;
    case "week":
      return 52 / 12 / count;
    case "day":
      return 365 / 12 / count;
  }
}

/** Statuses that bill: past_due is still a paying customer in dunning. */
const BILLING_STATUSES = new Set(["active", "past_due"]);
/** Statuses that do not bill (yet or any more): trialing, unfinished first payment, unpaid, paused, ended. */
const NON_BILLING_STATUSES = new Set(["trialing", "incomplete", "incomplete_expired", "unpaid", "paused", "canceled"]);

// ---------------------------------------------------------------- payload schemas

const stripeId = z.string().min(1);
/** Expandable references arrive as an id string or as the expanded object. */
const expandable = <T extends z.ZodType>(schema: T) =>
  z.union([stripeId, schema], { error: "expected an id or an expanded object" });

const coupon = z.object({
  id: stripeId,
  percent_off: z.number().min(0).max(100).nullish(),
  amount_off: z.number().int().min(0).nullish(),
  currency: z.string().nullish(),
});

const discount = z.object({
  id: stripeId.nullish(),
  // Up to API version 2025-08-27 the coupon is embedded; from 2025-09-30.clover it sits
  // under `source` and is no longer expanded in webhooks.
  coupon: expandable(coupon).nullish(),
  source: z.object({ coupon: expandable(coupon).nullish() }).nullish(),
});

const recurring = z.object({
  interval: z.enum(INTERVALS),
  interval_count: z.number().int().positive().default(1),
  usage_type: z.string().nullish(),
});

const price = z.object({
  id: stripeId,
  unit_amount: z.number().nullish(),
  unit_amount_decimal: z.string().regex(/^\d+(\.\d+)?$/).nullish(),
  recurring: recurring.nullish(),
});

/** The legacy Plan that items still carry next to their Price. */
const plan = z.object({
  id: stripeId,
  amount: z.number().nullish(),
  amount_decimal: z.string().regex(/^\d+(\.\d+)?$/).nullish(),
  interval: z.enum(INTERVALS),
  interval_count: z.number().int().positive().default(1),
  usage_type: z.string().nullish(),
});

const subscriptionItem = z.object({
  id: stripeId,
  quantity: z.number().min(0).nullish(),
  price: price.nullish(),
  plan: plan.nullish(),
  discounts: z.array(expandable(discount)).nullish(),
});

const subscription = z.object({
  id: stripeId,
  object: z.literal("subscription"),
  customer: expandable(z.object({ id: stripeId })),
  status: z.string(),
  currency: z.string().regex(/^[A-Za-z]{3}$/),
  items: z.object({ data: z.array(subscriptionItem), has_more: z.boolean().optional() }),
  discount: discount.nullish(),
  discounts: z.array(expandable(discount)).nullish(),
  pause_collection: z.unknown().nullish(),
});

const customer = z.object({
  id: stripeId,
  object: z.literal("customer"),
  name: z.string().nullish(),
});

const stripeEvent = z.object({
  id: stripeId,
  object: z.literal("event"),
  type: z.string(),
  // Unix seconds, up to the last instant a date can hold.
  created: z.number().int().nonnegative().max(MAX_DATE_MS / SECOND_MS, "is beyond the last instant a date can hold"),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});

type Subscription = z.infer<typeof subscription>;
type Discount = z.infer<typeof discount>;
type Coupon = z.infer<typeof coupon>;

const describe = (error: z.ZodError, prefix: string) => describeIssues(error, { prefix });

// ---------------------------------------------------------------- MRR

/** Monthly recurring revenue, in minor units until the end, or why it cannot be told. */
type Mrr = Mapping<number>;

/** The coupons of a discount list; null (with the reason) when one is only an id. */
function couponsOf(
  discounts: readonly (string | Discount)[],
  where: string,
): Mapping<Coupon[]> {
  const coupons: Coupon[] = [];
  for (const entry of discounts) {
    if (typeof entry === "string") {
      return unmapped(`${where}: discount ${entry} is not expanded, so its coupon is unknown`);
    }
    const ref = entry.coupon ?? entry.source?.coupon;
    if (!ref) return unmapped(`${where}: discount ${entry.id ?? "?"} has no coupon`);
    if (typeof ref === "string") {
      return unmapped(`${where}: coupon ${ref} of discount ${entry.id ?? "?"} is not expanded`);
    }
    coupons.push(ref);
  }
  return mapped(coupons);
}

/** Applies coupons in order: percent_off scales, amount_off (per invoice) is spread over a month. */
function applyCoupons(
  monthlyMinor: number,
  coupons: Coupon[],
  invoicesPerMonth: number,
  currency: string,
): Mrr {
  let amount = monthlyMinor;
  for (const c of coupons) {
    if (c.percent_off != null) amount *= 1 - c.percent_off / 100;
    if (c.amount_off != null) {
      if (c.currency && c.currency.toUpperCase() !== currency) {
        return unmapped(`coupon ${c.id} takes ${c.currency.toUpperCase()} off a ${currency} subscription`);
      }
      amount -= c.amount_off * invoicesPerMonth;
    }
    amount = Math.max(0, amount);
  }
  return mapped(amount);
}

/**
 * Monthly recurring revenue of a subscription snapshot, in major units. Metered items add
 * nothing: their usage is billed in arrears and unknown when the subscription changes.
 */
export function monthlyRecurringRevenue(sub: Subscription): Mrr {
  if (!BILLING_STATUSES.has(sub.status)) {
    if (NON_BILLING_STATUSES.has(sub.status)) return mapped(0);
    return unmapped(`unknown subscription status ${JSON.stringify(sub.status)}`);
  }
  // Collection paused: no invoice is paid until it resumes.
  if (sub.pause_collection != null) return mapped(0);
  if (sub.items.has_more) return unmapped("items list is truncated (has_more), the MRR would be partial");
  const currency = sub.currency.toUpperCase();

  let total = 0;
  let subscriptionInvoicesPerMonth: number | null = null;
  for (const [index, item] of sub.items.data.entries()) {
    const where = `items.data.${index}`;
    const source = item.price?.recurring
      ? {
          id: item.price.id,
          decimal: item.price.unit_amount_decimal,
          amount: item.price.unit_amount,
          interval: item.price.recurring.interval,
          count: item.price.recurring.interval_count,
          usage: item.price.recurring.usage_type,
        }
      : item.plan
        ? {
            id: item.plan.id,
            decimal: item.plan.amount_decimal,
            amount: item.plan.amount,
            interval: item.plan.interval,
            count: item.plan.interval_count,
            usage: item.plan.usage_type,
          }
        : null;
    if (!source) return unmapped(`${where}: no recurring price`);
    const invoicesPerMonth = periodsPerMonth(source.interval, source.count);
    // Every item of a subscription shares its billing interval: the first one sets it.
    subscriptionInvoicesPerMonth ??= invoicesPerMonth;
    if (source.usage === "metered") continue;
    const unitAmount = source.decimal != null ? Number(source.decimal) : source.amount;
    if (unitAmount == null) {
      return unmapped(`${where}: price ${source.id} has no unit amount (tiered or custom pricing)`);
    }
    const quantity = item.quantity ?? 1;
    const itemCoupons = couponsOf(item.discounts ?? [], where);
    if (!itemCoupons.ok) return itemCoupons;
    const itemMrr = applyCoupons(unitAmount * quantity * invoicesPerMonth, itemCoupons.value, invoicesPerMonth, currency);
    if (!itemMrr.ok) return itemMrr;
    total += itemMrr.value;
  }

  // `discount` (deprecated) is also listed, by id, in `discounts`: count each discount once.
  const discounts: (string | Discount)[] = sub.discount ? [sub.discount] : [];
  for (const entry of sub.discounts ?? []) {
    const entryId = typeof entry === "string" ? entry : entry.id;
    if (entryId && sub.discount?.id === entryId) continue;
    discounts.push(entry);
  }
  const coupons = couponsOf(discounts, "discounts");
  if (!coupons.ok) return coupons;
  const discounted = applyCoupons(total, coupons.value, subscriptionInvoicesPerMonth ?? 0, currency);
  if (!discounted.ok) return discounted;
  // Rounded to a millionth of the major unit to drop binary floating-point noise.
  const mrr = Math.round((discounted.value / minorUnitsPerMajor(currency)) * 1e6) / 1e6;
  // Amounts times quantities past Number.MAX_VALUE give Infinity or NaN, which no JSON holds.
  if (!Number.isFinite(mrr)) return unmapped("the MRR is out of range (unit amounts times quantities overflow)");
  return mapped(mrr);
}

// ---------------------------------------------------------------- events

/**
 * Stripe's `created` has second precision and equal instants go to the larger event id
 * (docs/kpis.md, rule 1): the rank prefix makes a deletion win over an update over a creation
 * within the same second.
 */
const ACTION_RANK: Record<string, string> = { created: "1", updated: "2", deleted: "3" };

function canonicalId(stripeEventId: string, type: string): string {
  const action = type.slice(type.lastIndexOf(".") + 1);
  return `${lookup(ACTION_RANK, action) ?? "0"}-${action}:${stripeEventId}`;
}

const SUBSCRIPTION_EVENTS = new Set([
  "customer.subscription.created",
  "customer.subscription.updated",
  "customer.subscription.deleted",
]);
const CUSTOMER_UPSERTS = new Set(["customer.created", "customer.updated"]);
export const MAPPED_EVENT_TYPES = [...SUBSCRIPTION_EVENTS, ...CUSTOMER_UPSERTS, "customer.deleted"];

function mapEvent(event: z.infer<typeof stripeEvent>): Mapping<unknown> {
  const base = { id: canonicalId(event.id, event.type), occurred_at: new Date(event.created * SECOND_MS).toISOString() };
  if (SUBSCRIPTION_EVENTS.has(event.type)) {
    const parsed = subscription.safeParse(event.data.object);
    if (!parsed.success) return unmapped(describe(parsed.error, "data.object"));
    const sub = parsed.data;
    // A deleted subscription has ended whatever its last status says.
    const mrr = event.type === "customer.subscription.deleted" ? mapped(0) : monthlyRecurringRevenue(sub);
    if (!mrr.ok) return unmapped(`subscription ${sub.id}: ${mrr.reason}`);
    return mapped({
      ...base,
      type: "subscription.updated",
      data: {
        subscription_id: sub.id,
        account_id: typeof sub.customer === "string" ? sub.customer : sub.customer.id,
        mrr: mrr.value,
        currency: sub.currency.toUpperCase(),
      },
    });
  }
  if (CUSTOMER_UPSERTS.has(event.type) || event.type === "customer.deleted") {
    const parsed = customer.safeParse(event.data.object);
    if (!parsed.success) return unmapped(describe(parsed.error, "data.object"));
    if (event.type === "customer.deleted") {
      return mapped({ ...base, type: "account.deleted", data: { account_id: parsed.data.id } });
    }
    return mapped({ ...base, type: "account.upserted", data: present({ account_id: parsed.data.id, name: parsed.data.name }) });
  }
  return unmapped(`event type ${JSON.stringify(event.type)} is not mapped (mapped: ${MAPPED_EVENT_TYPES.join(", ")})`);
}

export const stripe: SourceAdapter = {
  acceptedStatus: 200,
  defaultStages: [],
  requiresSecret: true,

  // Stripe shows the endpoint's signing secret once the endpoint (which needs the URL) exists:
  // the connection may be created without it (deliveries answer 401 until it is set with PATCH).
  planSecret(given) {
    return given === undefined || given.startsWith("whsec_")
      ? { ok: true, secret: given ?? null }
      : { ok: false, field: "secret", message: "must be the Stripe endpoint signing secret (whsec_…)" };
  },

  verify(request, connection, now) {
    return verifyStripeSignature(request.headers.get("stripe-signature"), request.body, connection.secret ?? "", now);
  },

  async sign({ body, now }, { secret }) {
    const t = String(Math.floor(now / SECOND_MS));
    return { "stripe-signature": `t=${t},v1=${await stripeSignature(stripeKey(secret ?? ""), t, body)}` };
  },

  split(request) {
    const body = parseJsonBody(request.body);
    if (!body.ok) return body;
    const parsed = body.value;
    const id = typeof parsed === "object" && parsed !== null ? (parsed as { id?: unknown }).id : undefined;
    if (typeof id !== "string" || id === "") return { ok: false, status: 400, reason: "body is not a Stripe event (no id)" };
    return { ok: true, deliveries: [{ deliveryId: id, body: request.body, headers: {} }] };
  },

  // One stored delivery is one Stripe event, the item at position 0.
  normalize(delivery): Normalized {
    return normalizeJsonItem(delivery.body, normalizeEvent);
  },
};

function normalizeEvent(payload: unknown): Normalized {
  const parsed = stripeEvent.safeParse(payload);
  if (!parsed.success) return itemResult(payload, unmapped(describe(parsed.error, "event")));
  const mapping = mapEvent(parsed.data);
  return itemResult(payload, mapping.ok ? mapped([mapping.value]) : mapping, { eventId: parsed.data.id, occurredAt: parsed.data.created * SECOND_MS });
}

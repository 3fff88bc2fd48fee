// Stripe: one event per delivery (customer.created / .updated, customer.subscription.created
// / .updated / .deleted), signed `Stripe-Signature` with the endpoint secret by the Stripe
// adapter's signer (workers/sources/stripe.ts).
import { SECOND_MS } from "../../../shared/units";
import type { NativeEvent } from "../company";
import { type Delivery, type EncodeContext, type Encoder, fieldsOf, idOf, ms, randomText, signedDelivery } from "./types";

const API_VERSION = "2025-08-27.basil";
const ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function carried(event: NativeEvent): string[] {
  const fields = fieldsOf(event);
  if (event.type === "account.upserted") return fields.filter((f) => f === "name");
  if (event.type === "subscription.updated") return fields.filter((f) => ["account_id", "mrr", "currency"].includes(f));
  return [];
}

function encode(parts: NativeEvent[], context: EncodeContext): Delivery[] {
  const customers = new Set<string>();
  const subscriptions = new Map<string, { created: number; item: string }>();
  const deliveries: Delivery[] = [];
  const stripeId = (prefix: string) => `${prefix}_${randomText(context.random, ALNUM, 24)}`;
  for (const part of parts) {
    const created = Math.floor(ms(part.occurred_at) / SECOND_MS);
    let type: string;
    let object: Record<string, unknown>;
    if (part.type === "account.upserted") {
      const id = idOf(part);
      type = customers.has(id) ? "customer.updated" : "customer.created";
      customers.add(id);
      object = {
        id, object: "customer", name: part.data.name ?? null, email: null, created, currency: null, delinquent: false,
        livemode: false, metadata: { source: "quotient-demo" },
      };
    } else if (part.type === "subscription.updated") {
      const id = idOf(part);
      const plan = context.plans[id];
      if (!plan) throw new Error(`stripe: no plan for subscription ${id}`);
      const mrrCents = Math.round(Number(part.data.mrr) * 100);
      const existing = subscriptions.get(id);
      const ended = mrrCents === 0;
      type = !existing ? "customer.subscription.created" : ended ? "customer.subscription.deleted" : "customer.subscription.updated";
      const sub = existing ?? { created, item: stripeId("si") };
      subscriptions.set(id, sub);
      // Seats × the plan's monthly price per seat; a remainder (never in the demo) goes to one unit.
      const exact = mrrCents % plan.unit_amount === 0;
      const quantity = ended ? 1 : exact ? mrrCents / plan.unit_amount : 1;
      const unitAmount = exact || ended ? plan.unit_amount : mrrCents;
      const currency = String(part.data.currency ?? plan.currency).toLowerCase();
      object = {
        id,
        object: "subscription",
        customer: part.data.account_id,
        status: ended ? "canceled" : "active",
        currency,
        created: sub.created,
        start_date: sub.created,
        cancel_at_period_end: false,
        canceled_at: ended ? created : null,
        ended_at: ended ? created : null,
        collection_method: "charge_automatically",
        discount: null,
        discounts: [],
        pause_collection: null,
        livemode: false,
        metadata: { product: plan.product_id },
        items: {
          object: "list",
          has_more: false,
          data: [
            {
              id: sub.item,
              object: "subscription_item",
              quantity,
              discounts: [],
              price: {
                id: `price_${plan.product_id}_${currency}_monthly${exact || ended ? "" : "_custom"}`,
                object: "price",
                currency,
                product: `prod_${plan.product_id}`,
                unit_amount: unitAmount,
                unit_amount_decimal: String(unitAmount),
                recurring: { interval: "month", interval_count: 1, usage_type: "licensed" },
                type: "recurring",
              },
            },
          ],
        },
      };
    } else {
      throw new Error(`stripe: ${part.type} is not carried`);
    }
    const body = JSON.stringify({
      id: stripeId("evt"),
      object: "event",
      api_version: API_VERSION,
      created,
      data: { object },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    });
    deliveries.push(
      signedDelivery("stripe", body, 1, {
        "content-type": "application/json; charset=utf-8",
        "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
      }),
    );
  }
  return deliveries;
}

export const stripeEncoder: Encoder = { kind: "stripe", carried, encode };

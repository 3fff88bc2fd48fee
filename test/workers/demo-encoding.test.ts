// The demo company's deliveries, in each CRM's own format: every one is accepted by its
// adapter (verify with the sending instant, split, normalize), every mapped event is a
// valid canonical event, and the events the adapters produce tell exactly the company
// the generator meant (the same history of every field of every entity).
import { beforeAll, describe, expect, it } from "vitest";
import { localMidnight } from "../../shared/months";
import { DAY_MS } from "../../shared/units";
import { generateCompany, type Company, type NativeEvent } from "../../scripts/demo/company";
import { CLOSE_LEAD_STATUSES, encodeCompany, KINDS, SALESFORCE_LEAD_STATUSES, type Delivery, type Kind } from "../../scripts/demo/encode/index";
import { fieldHistories, historyDiff } from "../../scripts/demo/history";
import { validateEvent } from "../../workers/model/events";
import type { ConnectionSecrets } from "../../workers/sources/adapter";
import { adapterFor } from "../../workers/sources";

const NOW = Date.now();
const SECRETS: Record<Kind, { secret: string | null; username?: string; config: Record<string, unknown> }> = {
  native: { secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw1X5xBq4ZXxU=", config: {} },
  hubspot: { secret: "5f0c0a9e-8a1b-4c5d-9e7f-0123456789ab", config: {} },
  pipedrive: { secret: "c2VjcmV0LXBpcGVkcml2ZS1wYXNzd29yZA", username: "quotient", config: { username: "quotient" } },
  close: { secret: "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", config: { lead_status_stages: CLOSE_LEAD_STATUSES } },
  salesforce: { secret: null, config: { lead_status_stages: SALESFORCE_LEAD_STATUSES } },
  stripe: { secret: "whsec_demo_stripe_endpoint_secret", config: {} },
};

function connectionFor(kind: Kind, company: Company): ConnectionSecrets {
  const { secret, config } = SECRETS[kind];
  return {
    id: `c_${kind}`,
    kind,
    secret,
    config: kind === "salesforce" ? { ...config, organization_id: company.salesforceOrgId } : config,
    timezone: company.timezone,
  };
}

const urlFor = (kind: Kind) => `https://quotient.test/webhooks/c_demo_${kind}`;

async function requestFor(kind: Kind, delivery: Delivery, now: number) {
  const { secret, username } = SECRETS[kind];
  const headers = await delivery.headers({ url: urlFor(kind), secret, username, now });
  return { method: "POST", url: urlFor(kind), headers: new Headers(headers), body: delivery.body };
}

/** Every source's deliveries through its real adapter (verify, split, normalize): the events each maps to. */
async function throughAdapters(company: Company, encoded: ReturnType<typeof encodeCompany>): Promise<Record<Kind, unknown[]>> {
  const mapped = {} as Record<Kind, unknown[]>;
for (const kind of KINDS) {
    const adapter = adapterFor(kind);
    const connection = connectionFor(kind, company);
    const events: unknown[] = [];
    for (const delivery of encoded.deliveries[kind]) {
      const request = await requestFor(kind, delivery, NOW);
      const verdict = await adapter.verify(request, connection, NOW + 1500);
      if (!verdict.ok) throw new Error(`${kind}: verify failed: ${verdict.reason}\n${delivery.body.slice(0, 400)}`);
      const split = adapter.split(request);
      if (!split.ok) throw new Error(`${kind}: split failed: ${split.reason}`);
      for (const stored of split.deliveries) {
        const normalized = adapter.normalize({ body: stored.body, headers: stored.headers }, connection);
        if (normalized.rejected.length > 0) {
          throw new Error(`${kind}: rejected ${JSON.stringify(normalized.rejected[0]).slice(0, 600)}`);
        }
        for (const { event } of normalized.events) events.push(event);
      }
    }
      mapped[kind] = events;
  }
  return mapped;
}

describe("demo deliveries through the real adapters", () => {
  let company: Company;
  let encoded: ReturnType<typeof encodeCompany>;
  let mapped = {} as Record<Kind, unknown[]>;

  beforeAll(async () => {
    company = generateCompany({ seed: 7, end: "2026-03", months: 18, scale: 0.1 });
    encoded = encodeCompany(company);
    mapped = await throughAdapters(company, encoded);
  });

  it("exercises every adapter", () => {
    for (const kind of KINDS) {
      expect(encoded.deliveries[kind].length, kind).toBeGreaterThan(0);
      expect(mapped[kind].length, kind).toBeGreaterThan(0);
    }
  });

  it("maps every delivery to valid canonical events", () => {
    for (const kind of KINDS) {
      for (const event of mapped[kind]) {
        const result = validateEvent(event);
        expect(result.ok ? "ok" : `${kind}: ${result.reason}`).toBe("ok");
      }
    }
  });

  it.each(KINDS)("%s: the adapter's events are the slice the generator meant", (kind) => {
    const actual = fieldHistories(mapped[kind]);
    const expected = fieldHistories(encoded.parts[kind]);
    expect(historyDiff(actual, expected)).toEqual([]);
  });

  it("all sources together are the company", () => {
    const all = KINDS.flatMap((kind) => mapped[kind]);
    expect(historyDiff(fieldHistories(all), fieldHistories(company.events))).toEqual([]);
  });

  it("keeps entity ids consistent across sources (Stripe customers are the deals' accounts)", () => {
    const dealAccounts = new Set(
      company.events.filter((e) => e.type === "deal.upserted" && e.data.account_id).map((e) => String(e.data.account_id)),
    );
    const stripeAccounts = encoded.parts.stripe
      .filter((e: NativeEvent) => e.type === "subscription.updated")
      .map((e) => String(e.data.account_id));
    expect(stripeAccounts.length).toBeGreaterThan(0);
    for (const account of stripeAccounts) expect(dealAccounts.has(account), account).toBe(true);
  });

  it("signs with the sending instant: a delivery replayed 10 minutes later fails", async () => {
    for (const kind of ["native", "hubspot", "close", "stripe"] as const) {
      const delivery = encoded.deliveries[kind][0]!;
      const request = await requestFor(kind, delivery, NOW - 10 * 60_000);
      const verdict = await adapterFor(kind).verify(request, connectionFor(kind, company), NOW);
      expect(verdict.ok, kind).toBe(false);
    }
  });
});

describe("catalog version 2 fields through the CRMs", () => {
  // The company with section F's fields on its deals and leads: a term on every third deal
  // event that sets a status, a competitor on lost deals, a score on every other lead event;
  // and a plan (expected_close_at, rule 38) on open deals: on every fourth event that sets
  // the status open, midnight of a day 10–90 days ahead in the company's zone (each CRM's
  // expected close date is a calendar day), cleared (null) on every eighth.
  let company: Company;
  let encoded: ReturnType<typeof encodeCompany>;
  let mapped = {} as Record<Kind, unknown[]>;
  const TERMS = [1, 6, 12, 24, 36];

  beforeAll(async () => {
    const base = generateCompany({ seed: 11, end: "2026-03", months: 12, scale: 0.1 });
    let n = 0;
    const planOf = (occurredAt: string, n: number) => {
      const day = new Date(Date.parse(occurredAt) + (10 + (n % 5) * 20) * DAY_MS);
      return new Date(localMidnight(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), base.timezone)).toISOString();
    };
    const events = base.events.map((event): NativeEvent => {
      n++;
      if (event.type === "deal.upserted" && event.data.status === "open" && n % 4 === 1) {
        return { ...event, data: { ...event.data, expected_close_at: n % 8 === 1 ? null : planOf(event.occurred_at, n) } };
      }
      if (event.type === "deal.upserted" && event.data.status !== undefined && n % 3 === 0) {
        const competitor = event.data.status === "lost" ? { competitor: "Rival Inc" } : {};
        return { ...event, data: { ...event.data, term_months: TERMS[n % TERMS.length]!, ...competitor } };
      }
      if (event.type === "lead.upserted" && n % 2 === 0) return { ...event, data: { ...event.data, score: (n * 37) % 101 } };
      return event;
    });
    company = { ...base, events };
    encoded = encodeCompany(company);
    mapped = await throughAdapters(company, encoded);
  });

  it("keeps every field: each source's slice, and all sources together, are the company", () => {
    for (const kind of KINDS) expect(historyDiff(fieldHistories(mapped[kind]), fieldHistories(encoded.parts[kind])), kind).toEqual([]);
    expect(historyDiff(fieldHistories(KINDS.flatMap((kind) => mapped[kind])), fieldHistories(company.events))).toEqual([]);
  });

  it("carries the fields a CRM has in its own payload (HubSpot: term, lost reason, score; Pipedrive: lost reason; all four: the plan)", () => {
    const carriedBy = (kind: Kind, type: string, field: string) =>
      (mapped[kind] as { type: string; data: Record<string, unknown> }[]).filter((e) => e.type === type && e.data[field] !== undefined && e.data[field] !== null);
    expect(carriedBy("hubspot", "deal.upserted", "term_months").length).toBeGreaterThan(0);
    expect(carriedBy("hubspot", "deal.upserted", "lost_reason").length).toBeGreaterThan(0);
    expect(carriedBy("hubspot", "lead.upserted", "score").length).toBeGreaterThan(0);
    expect(carriedBy("pipedrive", "deal.upserted", "lost_reason").length).toBeGreaterThan(0);
    // Every term HubSpot's contract values gave is one the company set.
    const terms = new Set(carriedBy("hubspot", "deal.upserted", "term_months").map((e) => e.data.term_months));
    for (const term of terms) expect(TERMS).toContain(term);
    // The HubSpot deliveries carry the term as hs_tcv / hs_acv, never as a native name.
    const bodies = encoded.deliveries.hubspot.map((d) => d.body).join("");
    expect(bodies).toContain('"propertyName":"hs_tcv"');
    expect(bodies).not.toContain("term_months");
    // The plan goes in each CRM's own expected close date, set and cleared: HubSpot's closedate
    // beside an open dealstage, Salesforce's CloseDate and Close's date_won of an open deal,
    // Pipedrive's expected_close_date.
    for (const kind of ["hubspot", "salesforce", "pipedrive", "close"] as const) {
      const plans = (mapped[kind] as { type: string; data: Record<string, unknown> }[]).filter((e) => e.type === "deal.upserted" && "expected_close_at" in e.data);
      expect(plans.filter((e) => e.data.expected_close_at !== null).length, kind).toBeGreaterThan(0);
      expect(plans.filter((e) => e.data.expected_close_at === null).length, kind).toBeGreaterThan(0);
    }
    expect(encoded.deliveries.pipedrive.map((d) => d.body).join("")).toContain('"expected_close_date":"');
    for (const kind of KINDS.filter((k) => k !== "native")) expect(encoded.deliveries[kind].map((d) => d.body).join(""), kind).not.toContain("expected_close_at");
    // What no CRM of the demo carries without a connection's custom field goes natively.
    for (const kind of KINDS.filter((k) => k !== "native")) expect(carriedBy(kind, "deal.upserted", "competitor"), kind).toEqual([]);
  });
});

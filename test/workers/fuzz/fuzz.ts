// Shared pieces of the property tests (one *.fuzz.test.ts per adapter): the run count,
// hostile value generators, structure-aware mutations of valid payloads, and the checks
// every adapter must pass: a documented status, nothing unverified stored, a normalize
// that never throws and accounts for every item.
import { env, exports } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, expect, inject, it } from "vitest";
import type { ConnectionKind } from "../../../workers/db/schema";
import { EVENT_TYPES } from "../../../workers/model/events";
import { createConnection, createWorkspace } from "../helpers";
import type { ConnectionSecrets, Normalized, RawRequest, SourceAdapter } from "../../../workers/sources/adapter";

declare module "vitest" {
  export interface ProvidedContext {
    fuzzRuns: string;
  }
}

/** Runs per property: QUOTIENT_FUZZ_RUNS (`npm run test:fuzz` sets 10,000), else 200. */
export const RUNS = Number(inject("fuzzRuns")) || 200;

/** Requests through the real route cost a D1 round trip (and a queue delivery when stored): fewer of them. */
export const UNSIGNED_ROUTE_RUNS = Math.max(25, Math.round(RUNS / 10));
export const SIGNED_ROUTE_RUNS = Math.max(20, Math.round(RUNS / 50));

/** A test's time limit for `runs` cases of about `msPerRun` each (the 60 s default suits the default runs). */
export const timeoutFor = (runs: number, msPerRun: number) => Math.max(60_000, runs * msPerRun);
/** The limit of a pure property (split / normalize) at RUNS. */
export const PURE_TIMEOUT = timeoutFor(RUNS, 30);

/** fast-check parameters: the run count, and a seed from QUOTIENT_FUZZ_SEED to replay a failure. */
export const params = (runs = RUNS): fc.Parameters<unknown> => ({ numRuns: runs, endOnFailure: true });

/** The statuses the webhook route documents (workers/ingest/webhooks.ts and each docs/crms page); 503 needs a failing D1. */
export const DOCUMENTED_STATUSES = new Set([200, 202, 400, 401, 404, 413]);

export const PROTOTYPE_NAMES = [
  "__proto__", "constructor", "toString", "valueOf", "hasOwnProperty", "isPrototypeOf", "prototype", "__defineGetter__",
] as const;

// ---- Values -------------------------------------------------------------------------

export const protoName = fc.constantFrom(...PROTOTYPE_NAMES);

/** Instants at and beyond the edges of what a Date, ISO 8601 and the KPI months hold. */
export const edgeDate = fc.oneof(
  fc.constantFrom(
    "0000-01-01", "0001-01-01T00:00:00Z", "1899-12-31T23:59:59Z", "1969-12-31T23:59:59.999-14:00", "1970-01-01",
    "2000-01-01T00:00:00+14:00", "2024-02-29T24:00:00Z", "2026-02-30", "2026-13-01", "2026-00-10", "9999-12-31",
    "9999-12-31T23:59:59.999999999Z", "+275760-09-13T00:00:00Z", "-271821-04-20T00:00:00Z", "2026-03-01T00:00:00+99:99",
    "2026-03-01 10:00:00", "2026-03-01T10:00", "1e999", "99999999999999999999", "8640000000000001", "-1", "", " ",
  ),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.date({ noInvalidDate: true }).map((d) => String(d.getTime())),
  fc.date({ noInvalidDate: true, min: new Date("2020-01-01"), max: new Date("2030-01-01") }).map((d) => d.toISOString()),
);

/** Numbers JSON can carry, with the huge, tiny, negative, unsafe and unrepresentable ones. */
export const edgeNumber = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(
    0, -0, 1, -1, 0.1, 1.5, 5e-324, -5e-324, 1e-300, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53 + 2, 1e15, 8.64e15, 8.64e15 + 1,
    1e16, 1e17, 1e20, 1e21, 1e300, -1e300, Number.MAX_VALUE, -Number.MAX_VALUE, 1700000000, 1700000000000,
  ),
);

export const edgeString = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  protoName,
  edgeDate,
  edgeNumber.map(String),
  fc.constantFrom("", " ", "\u0000", "\uFFFD", "\uD800", "e\u0301", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "🙂", "<x>&amp;</x>", "null", "true", "NaN", "Infinity"),
);

/** A key an object may carry: ordinary, unicode or a prototype member's name. */
export const edgeKey = fc.oneof({ weight: 2, arbitrary: fc.string({ maxLength: 10 }) }, { weight: 1, arbitrary: protoName });

export const leaf: fc.Arbitrary<unknown> = fc.oneof(edgeString, edgeNumber, fc.boolean(), fc.constant(null));

/** An object whose keys (`__proto__` included) are own keys, as JSON.parse makes them. */
export function ownObject(entries: [string, unknown][]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of entries) Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  return object;
}

/** Any JSON value, a few levels deep, with hostile keys and leaves. */
export const jsonValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.array(fc.tuple(edgeKey, tie("value")), { maxLength: 5 }).map(ownObject),
  ),
})).value;

/**
 * JSON text of arrays or objects nested up to 30,000 deep. Kept as text: fast-check would
 * overflow the stack printing or shrinking such a value.
 */
export const deepJson = fc
  .tuple(fc.integer({ min: 100, max: 30_000 }), fc.boolean(), fc.constantFrom("1", '"x"', "null", "{}", "[]"))
  .map(([depth, asArray, inner]) => (asArray ? "[".repeat(depth) + inner + "]".repeat(depth) : '{"a":'.repeat(depth) + inner + "}".repeat(depth)));

/** Raw bodies: bytes decoded as text, broken JSON, XML, deep nesting. */
export const rawBody = fc.oneof(
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => new TextDecoder().decode(bytes)),
  jsonValue.map((v) => JSON.stringify(v) ?? "null"),
  jsonValue.map((v) => (JSON.stringify(v) ?? "null").slice(0, -1)),
  deepJson,
  fc.integer({ min: 1, max: 50_000 }).map((n) => "[".repeat(n)),
  fc.integer({ min: 1, max: 5_000 }).map((n) => "<a>".repeat(n) + "</a>".repeat(n)),
  fc.constantFrom("", " ", "null", "true", "0", "[]", "{}", '""', "<", "<?xml version=\"1.0\"?>", "\uFEFF{}", '{"__proto__":{"x":1}}'),
);

const ABSENT = Symbol("absent");

/**
 * Payloads shaped like `template`: each field kept (and mutated recursively), replaced by a
 * hostile value, or left out, plus stray keys (prototype names among them).
 */
export function shaped(template: unknown): fc.Arbitrary<unknown> {
  if (Array.isArray(template)) {
    return fc.oneof(
      { weight: 3, arbitrary: fc.tuple(...template.map((item) => shaped(item))) },
      { weight: 1, arbitrary: fc.array(template.length > 0 ? shaped(template[0]) : jsonValue, { maxLength: 4 }) },
      { weight: 1, arbitrary: jsonValue },
    );
  }
  if (typeof template === "object" && template !== null) {
    const entries = Object.entries(template);
    return fc
      .tuple(
        fc.tuple(
          ...entries.map(([, value]) =>
            fc.oneof(
              { weight: 6, arbitrary: shaped(value) },
              { weight: 1, arbitrary: jsonValue },
              { weight: 1, arbitrary: fc.constant(ABSENT) },
            ),
          ),
        ),
        fc.array(fc.tuple(edgeKey, jsonValue), { maxLength: 2 }),
      )
      .map(([values, extra]) =>
        ownObject([
          ...entries.flatMap(([key], i): [string, unknown][] => (values[i] === ABSENT ? [] : [[key, values[i]]])),
          ...extra,
        ]),
      );
  }
  const same = fc.constant(template);
  if (typeof template === "string") return fc.oneof({ weight: 4, arbitrary: same }, { weight: 2, arbitrary: edgeString }, { weight: 1, arbitrary: leaf });
  if (typeof template === "number") return fc.oneof({ weight: 4, arbitrary: same }, { weight: 2, arbitrary: edgeNumber }, { weight: 1, arbitrary: leaf });
  return fc.oneof({ weight: 4, arbitrary: same }, { weight: 1, arbitrary: leaf });
}

// ---- Headers ------------------------------------------------------------------------

/** A header value Headers accepts (printable ASCII: workerd warns about, and re-encodes, Latin-1). */
export const headerValue = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 }),
  edgeNumber.map(String),
  protoName,
);

/**
 * Headers built from a base set: each kept, dropped, replaced or sent twice (Headers joins
 * repeated names with ", "), plus stray ones.
 */
export function mangledHeaders(base: Record<string, string>): fc.Arbitrary<[string, string][]> {
  const names = Object.keys(base);
  return fc
    .tuple(
      fc.tuple(...names.map(() => fc.constantFrom("keep", "drop", "replace", "twice"))),
      fc.array(headerValue, { minLength: names.length, maxLength: names.length }),
      fc.array(fc.tuple(fc.oneof(fc.constantFrom(...names, "content-type", "authorization"), fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/)), headerValue), { maxLength: 2 }),
    )
    .map(([actions, values, extra]) => {
      const list: [string, string][] = [];
      names.forEach((name, i) => {
        const action = actions[i];
        if (action === "keep") list.push([name, base[name]!]);
        else if (action === "replace") list.push([name, values[i]!]);
        else if (action === "twice") list.push([name, base[name]!], [name, values[i]!]);
      });
      return [...list, ...extra];
    });
}

export function toHeaders(list: [string, string][]): Headers {
  const headers = new Headers();
  for (const [name, value] of list) headers.append(name, value);
  return headers;
}

// ---- The route ----------------------------------------------------------------------

export async function inboxRows(): Promise<number> {
  const row = await env.DB.prepare(`SELECT COUNT(*) AS n FROM inbox`).first<{ n: number }>();
  return row!.n;
}

/** Posts through the real fetch handler and checks the status is documented. */
export async function postChecked(url: string, body: string, headers: [string, string][] | Record<string, string>) {
  const list = Array.isArray(headers) ? headers : Object.entries(headers);
  const real = await exports.default.fetch(new Request(url, { method: "POST", headers: toHeaders(list), body }));
  await real.arrayBuffer();
  if (!DOCUMENTED_STATUSES.has(real.status)) {
    throw new Error(`undocumented status ${real.status} for body ${JSON.stringify(body.slice(0, 200))}`);
  }
  return real.status;
}

/** (b) The request is refused and nothing of it is stored. */
export async function expectRefusedUnstored(url: string, body: string, headers: [string, string][] | Record<string, string>) {
  const before = await inboxRows();
  const status = await postChecked(url, body, headers);
  expect(status === 400 || status === 401 || status === 413, `status ${status} for an unverified request`).toBe(true);
  expect(await inboxRows()).toBe(before);
}

// ---- normalize ----------------------------------------------------------------------

const CANONICAL_TYPES = new Set<string>(EVENT_TYPES);

/** The first value JSON cannot carry (function, undefined, NaN, ±Infinity, symbol, bigint), found without recursion. */
export function nonJsonValue(root: unknown): string | null {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === "function" || typeof value === "symbol" || typeof value === "bigint" || value === undefined) return typeof value;
    if (typeof value === "number" && !Number.isFinite(value)) return String(value);
    if (typeof value === "object" && value !== null) stack.push(...Object.values(value));
  }
  return null;
}

export interface NormalizeOptions {
  /** Whether mapped events must carry a canonical type (the native adapter passes types on as sent). */
  canonicalTypes?: boolean;
  /** Whether a body may hold no item at all (a native `{"events": []}`). */
  mayBeEmpty?: boolean;
}

/**
 * (c) + (d): normalize does not throw, and every item it could not map is a rejected entry
 * with a readable reason; what it maps is plain JSON with a canonical type.
 */
export function normalizeChecked(
  adapter: SourceAdapter,
  body: string,
  connection: ConnectionSecrets,
  options: NormalizeOptions = {},
  headers: Record<string, string> = {},
): Normalized {
  let result: Normalized;
  try {
    result = adapter.normalize({ body, headers }, connection);
  } catch (error) {
    throw new Error(`normalize threw ${String(error)} for ${JSON.stringify(body.slice(0, 300))}`, { cause: error });
  }
  if (!options.mayBeEmpty) expect(result.events.length + result.rejected.length, "an item was dropped silently").toBeGreaterThan(0);
  for (const rejected of result.rejected) {
    expect(Number.isInteger(rejected.position) && rejected.position >= 0).toBe(true);
    expect(typeof rejected.reason).toBe("string");
    expect(rejected.reason.length).toBeGreaterThan(0);
    expect(() => JSON.stringify(rejected.payload)).not.toThrow();
  }
  for (const { position, event } of result.events) {
    expect(Number.isInteger(position) && position >= 0).toBe(true);
    // Functions (Object.prototype members found by a CRM key) would vanish from the JSON.
    expect(nonJsonValue(event), "a mapped event holds a value JSON cannot carry").toBeNull();
    if (options.canonicalTypes !== false) {
      const type = (event as { type?: unknown }).type;
      expect(typeof type === "string" && CANONICAL_TYPES.has(type), `event type ${String(type)} is no canonical type`).toBe(true);
    }
  }
  return result;
}

/** Splits a request as the route would and normalizes every stored delivery. */
export function splitAndNormalize(adapter: SourceAdapter, request: RawRequest, connection: ConnectionSecrets, options?: NormalizeOptions) {
  let split;
  try {
    split = adapter.split(request);
  } catch (error) {
    throw new Error(`split threw ${String(error)} for ${JSON.stringify(request.body.slice(0, 300))}`, { cause: error });
  }
  if (!split.ok) {
    expect([400, 413]).toContain(split.status);
    return null;
  }
  // With the headers split stored (HubSpot keeps a paired contract value there), as the consumer does.
  return split.deliveries.map((delivery) => ({ deliveryId: delivery.deliveryId, ...normalizeChecked(adapter, delivery.body, connection, options, delivery.headers) }));
}

export const fakeRequest = (body: string, headers: Headers = new Headers(), url = "https://quotient.test/webhooks/c_fuzz"): RawRequest => ({
  method: "POST",
  url,
  headers,
  body,
});

/** Replaces the placeholders of a mangled header list ("$SIG" …) with values computed per request. */
export function fill(list: [string, string][], values: Record<string, string>): [string, string][] {
  return list.map(([name, value]) => [name, Object.hasOwn(values, value) ? values[value]! : value]);
}

/**
 * The route properties for one connection kind: (a, b) unverified requests get a documented
 * refusal and store nothing; (a) correctly signed arbitrary requests get a documented status,
 * and a refused one stores nothing.
 */
export function routeProperties(options: {
  kind: ConnectionKind;
  slug: string;
  connection: { secret?: string; config?: Record<string, unknown> };
  /** Headers (and URL suffix) of a request that is not verified: placeholders in `unsigned` are filled by `unsignedValues`. */
  unsigned: Record<string, string>;
  unsignedValues: (url: string, body: string) => Promise<Record<string, string>>;
  /** A body that can never verify, when the body itself carries the credential (Salesforce). */
  unverifiedBody?: fc.Arbitrary<string>;
  signed: (url: string, body: string, created: { secret: string | null; username?: string }) => Promise<Record<string, string>>;
  body: fc.Arbitrary<string>;
  /** How many inbox rows an accepted body can add at most. */
  maxRows: (body: string) => number;
}) {
  let url: string;
  let created: { secret: string | null; username?: string };
  beforeAll(async () => {
    await createWorkspace(options.slug, { timezone: "UTC" });
    const connection = await createConnection(options.slug, options.kind, options.connection);
    url = connection.webhook_url;
    created = connection;
  });

  it("(a, b) answers unsigned or wrongly signed requests with a documented status and stores nothing", async () => {
    await fc.assert(
      fc.asyncProperty(options.unverifiedBody ?? options.body, mangledHeaders(options.unsigned), async (body, mangled) => {
        const headers = fill(mangled, await options.unsignedValues(url, body));
        await expectRefusedUnstored(url, body, headers);
      }),
      params(UNSIGNED_ROUTE_RUNS),
    );
  }, timeoutFor(UNSIGNED_ROUTE_RUNS, 500));

  it("(a) answers correctly signed arbitrary requests with a documented status; a refused one stores nothing", async () => {
    await fc.assert(
      fc.asyncProperty(options.body, async (body) => {
        const before = await inboxRows();
        const status = await postChecked(url, body, await options.signed(url, body, created));
        const added = (await inboxRows()) - before;
        if (status === 200 || status === 202) expect(added).toBeLessThanOrEqual(options.maxRows(body));
        else expect(added).toBe(0);
      }),
      params(SIGNED_ROUTE_RUNS),
    );
  }, timeoutFor(SIGNED_ROUTE_RUNS, 2_500));
}

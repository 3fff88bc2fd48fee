// Close under fuzzing: close-sig-hash through the real route, and normalize on whatever
// split stores (never throws; each event mapped or rejected; valid ones mapped).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateEvent } from "../../../workers/model/events";
import { centsToDecimal, close } from "../../../workers/sources/close";
import { deepJson, edgeDate, edgeNumber, fakeRequest, jsonValue, normalizeChecked, params, protoName, rawBody, routeProperties, shaped, splitAndNormalize, PURE_TIMEOUT } from "./fuzz";

const KEY = "0123456789abcdef0123456789abcdef";
const connection = { id: "c_fuzz", kind: "close" as const, secret: KEY, config: {} };

/** close-sig-hash and close-sig-timestamp for a body sent now, from the adapter's signer. */
async function signed(body: string, key = KEY) {
  const headers = await close.sign({ method: "POST", url: "", body, now: Date.now() }, { secret: key });
  return { "close-sig-hash": headers["close-sig-hash"]!, "close-sig-timestamp": headers["close-sig-timestamp"]! };
}

const iso = fc.date({ noInvalidDate: true, min: new Date("2020-01-01"), max: new Date("2030-01-01") }).map((d) => d.toISOString());
const validEvent = fc.record({
  subscription_id: fc.constant("whsub_1"),
  event: fc.record({
    id: fc.uuid().map((u) => `ev_${u}`),
    object_type: fc.constant("opportunity"),
    action: fc.constantFrom("created", "updated"),
    object_id: fc.uuid().map((u) => `oppo_${u}`),
    lead_id: fc.constant("lead_1"),
    date_updated: iso,
    data: fc.record({ status_type: fc.constantFrom("active", "won", "lost"), status_label: fc.constantFrom("Active", "Won"), value: fc.nat({ max: 1e9 }), value_currency: fc.constant("USD") }),
  }),
});
const TEMPLATES = [
  { subscription_id: "whsub_1", event: { id: "ev_1", object_type: "lead", action: "updated", object_id: "lead_1", date_updated: "2026-03-01T10:00:00Z", data: { display_name: "Acme", status_label: "Qualified", date_created: "2026-01-01" } } },
  { subscription_id: "whsub_1", event: { id: "ev_1", object_type: "activity.meeting", action: "created", object_id: "acti_1", lead_id: "lead_1", date_updated: "2026-03-01T10:00:00Z", data: { user_id: "user_1", duration: 1800, status: "completed" } } },
  { subscription_id: "whsub_1", event: { id: "ev_1", object_type: "activity.email", action: "created", object_id: "acti_2", date_updated: "2026-03-01T10:00:00Z", data: { direction: "outgoing", status: "sent" } } },
];
const badEvent = fc.oneof(
  fc.tuple(validEvent, protoName).map(([e, name]) => ({ ...e, event: { ...e.event, object_type: name } })),
  fc.tuple(validEvent, protoName).map(([e, name]) => ({ ...e, event: { ...e.event, action: name } })),
  fc.tuple(validEvent, protoName).map(([e, name]) => ({ ...e, event: { ...e.event, object_type: "activity.meeting", data: { status: name, duration: -1 } } })),
  validEvent.map((e) => ({ ...e, event: { ...e.event, date_updated: null, date_created: null } })),
);
const anyEvent = fc.oneof(
  { weight: 4, arbitrary: fc.oneof(validEvent, badEvent, fc.constantFrom(...TEMPLATES).chain(shaped), jsonValue.map((v) => ({ event: { id: "ev_x", v } }))).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: deepJson.map((deep) => `{"event":{"id":"ev_deep","object_type":"lead","action":"updated","date_updated":"2026-03-01","data":{"x":${deep}}}}`) },
  { weight: 1, arbitrary: rawBody },
);

describe("Close fuzzing", () => {
  routeProperties({
    kind: "close",
    slug: "fuzz-close",
    connection: { secret: KEY },
    unsigned: { "close-sig-hash": "$SIG", "close-sig-timestamp": "$TS" },
    unsignedValues: async (_url, body) => {
      const headers = await signed(body, "ff".repeat(16));
      return { $SIG: headers["close-sig-hash"], $TS: headers["close-sig-timestamp"] };
    },
    signed: (_url, body) => signed(body),
    body: anyEvent,
    maxRows: () => 1,
  });

  it("(c, d) normalizes whatever split stores, and any stored text, without throwing; unmappable events are rejected", () => {
    fc.assert(fc.property(anyEvent, (body) => void splitAndNormalize(close, fakeRequest(body), connection)), params());
    fc.assert(fc.property(rawBody, (body) => void normalizeChecked(close, body, connection)), params());
  }, PURE_TIMEOUT);

  it("(e) maps the valid events of a sequence beside bad ones", () => {
    const tagged = fc.oneof(validEvent.map((event) => ({ valid: true, event })), badEvent.map((event) => ({ valid: false, event })));
    fc.assert(
      fc.property(fc.array(tagged, { minLength: 1, maxLength: 8 }), (items) => {
        for (const item of items) {
          const result = normalizeChecked(close, JSON.stringify(item.event), connection);
          if (item.valid) {
            expect(result.rejected).toEqual([]);
            expect(result.events[0]!.event).toMatchObject({ id: `${item.event.event.id}:${item.event.event.date_updated}:deal`, data: { deal_id: item.event.event.object_id } });
          } else {
            expect(result.events).toEqual([]);
            expect(result.rejected).toHaveLength(1);
          }
        }
      }),
      params(),
    );
  }, PURE_TIMEOUT);

  it("huge and tiny opportunity values never make normalize throw, and stay numbers or exact decimals", () => {
    fc.assert(
      fc.property(validEvent, edgeNumber, (event, value) => {
        const result = normalizeChecked(close, JSON.stringify({ ...event, event: { ...event.event, data: { ...event.event.data, value } } }), connection);
        const amount = (result.events[0]?.event as { data?: { amount?: unknown } } | undefined)?.data?.amount;
        if (typeof amount === "string") expect(amount).toMatch(/^-?\d+\.\d{2}$/);
      }),
      params(),
    );
  }, PURE_TIMEOUT);
});

describe("Close regressions found by fuzzing", () => {
  it("keeps cents past 2^53 a number instead of the text \"1e+3.00\"", () => {
    expect(centsToDecimal(1e300)).toBe(1e300 / 100);
    expect(centsToDecimal(1999)).toBe("19.99");
  });

  it("rejects a meeting status or object type named after a prototype member", () => {
    const base = { id: "ev_1", action: "created", object_id: "acti_1", date_updated: "2026-03-01T10:00:00Z" };
    for (const event of [{ ...base, object_type: "constructor" }, { ...base, object_type: "toString" }]) {
      const result = close.normalize({ body: JSON.stringify({ event }), headers: {} }, connection);
      expect(result.events).toEqual([]);
      expect(result.rejected).toHaveLength(1);
    }
    const meeting = close.normalize({ body: JSON.stringify({ event: { ...base, object_type: "activity.meeting", data: { status: "constructor" } } }), headers: {} }, connection);
    expect(meeting.events[0]!.event).not.toHaveProperty("data.outcome");
  });

  it("makes a stored JSON null one rejected entry instead of a TypeError", () => {
    expect(close.normalize({ body: "null", headers: {} }, connection).rejected).toHaveLength(1);
  });

  it("(f) applies an opportunity or lead whatever its named custom fields hold: a refused value is left out with a note", () => {
    const config = { term_months_field: "cf_Term", competitor_field: "cf_Competitor", lost_reason_field: "cf_Reason", lead_score_field: "cf_Score" };
    const named = { ...connection, config };
    const value = fc.oneof(edgeNumber, edgeNumber.map(String), fc.string(), jsonValue, fc.constant(undefined));
    fc.assert(
      fc.property(validEvent, fc.boolean(), value, value, value, value, (event, asLead, term, competitor, reason, score) => {
        const custom = Object.fromEntries(
          Object.entries({ "custom.cf_Term": term, "custom.cf_Competitor": competitor, "custom.cf_Reason": reason, "custom.cf_Score": score }).filter(([, v]) => v !== undefined),
        );
        // An instant the native format accepts (validateEvent bounds it), so only the custom fields vary.
        const base = { ...event.event, date_updated: "2026-03-01T10:00:00Z" };
        const inner = asLead
          ? { ...base, object_type: "lead", object_id: "lead_1", data: { display_name: "Acme", ...custom } }
          : { ...base, data: { ...base.data, ...custom } };
        const result = normalizeChecked(close, JSON.stringify({ ...event, event: inner }), named);
        expect(result.events.length).toBeGreaterThan(0);
        for (const { event: mapped } of result.events) expect(validateEvent(mapped), JSON.stringify(mapped)).toMatchObject({ ok: true });
        for (const note of result.rejected) {
          expect(note.position).toBeGreaterThanOrEqual(result.events.length);
          expect(note.reason).toMatch(/the (deal|lead) was applied without its (term_months|competitor|lost_reason|score)/);
        }
      }),
      params(),
    );
  }, PURE_TIMEOUT);
  it("(g) applies an opportunity whatever its date_won holds: on an active one a date that is no day is left out with a note", () => {
    const zone = fc.constantFrom(undefined, "UTC", "America/Los_Angeles", "Asia/Kathmandu", "Pacific/Kiritimati");
    fc.assert(
      fc.property(validEvent, fc.oneof(edgeDate, fc.string(), fc.constant(null)), zone, (event, dateWon, timezone) => {
        const inner = { ...event.event, date_updated: "2026-03-01T10:00:00Z", data: { ...event.event.data, date_won: dateWon } };
        const result = normalizeChecked(close, JSON.stringify({ ...event, event: inner }), { ...connection, ...(timezone ? { timezone } : {}) });
        expect(result.events.length).toBe(1);
        const mapped = result.events[0]!.event as { data: Record<string, unknown> };
        for (const note of result.rejected) expect(note.reason).toMatch(/^date_won .* is not a date: the deal was applied without its expected_close_at$/);
        // A won deal's date_won is its close, validated as closed_at (validateEvent may refuse it); otherwise every event is valid.
        if (event.event.data.status_type !== "won") expect(validateEvent(mapped), JSON.stringify(mapped)).toMatchObject({ ok: true });
        if (event.event.data.status_type !== "active") expect("expected_close_at" in mapped.data).toBe(false);
      }),
      params(),
    );
  }, PURE_TIMEOUT);
});

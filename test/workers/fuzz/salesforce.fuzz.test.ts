// Salesforce under fuzzing: SOAP XML through the real route (the secret URL and the
// OrganizationId are the credentials), and normalize on whatever split stores (never
// throws; each notification mapped or rejected; valid ones mapped beside bad ones).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateEvent } from "../../../workers/model/events";
import { parseOutboundMessage, salesforce } from "../../../workers/sources/salesforce";
import { edgeDate, edgeNumber, edgeString, fakeRequest, normalizeChecked, params, protoName, rawBody, routeProperties, splitAndNormalize, PURE_TIMEOUT } from "./fuzz";

const ORG_18 = "00D7F00000107XsUAI";
const OTHER_ORG = "00D5g000004ZyXwEAK";
const connection = { id: "c_fuzz", kind: "salesforce" as const, secret: null, config: { organization_id: ORG_18 }, timezone: "UTC" };

const xmlText = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
type Note = { id: string; type: string; fields: [string, string | null][] };

function message(notes: Note[], organizationId = ORG_18): string {
  const items = notes
    .map(({ id, type, fields }) =>
      `<Notification><Id>${xmlText(id)}</Id><sObject xsi:type="sf:${xmlText(type)}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">` +
      fields.map(([name, value]) => (value === null ? `<sf:${name} xsi:nil="true"/>` : `<sf:${name}>${xmlText(value)}</sf:${name}>`)).join("") +
      `</sObject></Notification>`)
    .join("");
  return (
    `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
    `<soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound"><OrganizationId>${xmlText(organizationId)}</OrganizationId>` +
    `<ActionId>04k7F0000008V3hQAE</ActionId><SessionId xsi:nil="true"/>${items}</notifications></soapenv:Body></soapenv:Envelope>`
  );
}

const iso = fc.date({ noInvalidDate: true, min: new Date("2020-01-01"), max: new Date("2030-01-01") }).map((d) => d.toISOString());
const sfId = (prefix: string) => fc.stringMatching(/^[A-Za-z0-9]{12}$/).map((s) => prefix + s);
const validNote = fc.record({
  id: sfId("04l"),
  type: fc.constant("Opportunity"),
  fields: fc.tuple(sfId("006"), iso, fc.constantFrom("Prospecting", "Closed Won"), fc.nat({ max: 1e7 })).map(([id, at, stage, amount]): [string, string | null][] => [
    ["Id", id], ["LastModifiedDate", at], ["StageName", stage], ["Amount", `${amount}.0`], ["IsClosed", String(stage === "Closed Won")], ["IsWon", String(stage === "Closed Won")],
  ]),
});
const FIELD_NAMES = ["Id", "LastModifiedDate", "Name", "StageName", "Amount", "CloseDate", "IsClosed", "IsWon", "OwnerId", "Status", "IsConverted", "TaskSubtype", "Type", "CallType", "DurationInMinutes", "CallDurationInSeconds", "WhoId", "WhatId", "constructor", "toString", "__proto__"];
const anyValue = fc.oneof(edgeString, edgeDate, edgeNumber.map(String), fc.constant(null));
const anyNote = fc.record({
  id: fc.oneof(sfId("04l"), edgeString.filter((s) => s.trim() !== "")),
  type: fc.oneof(fc.constantFrom("Opportunity", "Lead", "Account", "Task", "Event", "User", "Contact"), protoName, fc.stringMatching(/^[A-Za-z_]{1,10}$/)),
  fields: fc.array(fc.tuple(fc.constantFrom(...FIELD_NAMES), anyValue), { maxLength: 8 }),
});
/** Notifications that must be rejected: no Id, no LastModifiedDate, or an sObject type named like a prototype member. */
const badNote = fc.oneof(
  fc.tuple(validNote, protoName).map(([n, type]) => ({ ...n, type })),
  validNote.map((n) => ({ ...n, fields: n.fields.filter(([name]) => name !== "LastModifiedDate") })),
  validNote.map((n) => ({ ...n, fields: n.fields.filter(([name]) => name !== "Id") })),
);
const anyMessage = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.oneof(validNote, anyNote, badNote), { minLength: 1, maxLength: 5 }).map((notes) => message(notes)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3000 }).map((n) => message([]).replace("<SessionId", "<x>".repeat(n) + "</x>".repeat(n) + "<SessionId")) },
  { weight: 1, arbitrary: fc.tuple(fc.array(validNote, { minLength: 1, maxLength: 2 }), fc.integer({ min: 0, max: 200 })).map(([notes, cut]) => message(notes).slice(0, -cut - 1)) },
  { weight: 1, arbitrary: rawBody },
  { weight: 1, arbitrary: fc.constantFrom('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', "<a><b></a></b>", "<__proto__><constructor/></__proto__>") },
);

describe("Salesforce fuzzing", () => {
  routeProperties({
    kind: "salesforce",
    slug: "fuzz-salesforce",
    connection: { config: { organization_id: ORG_18 } },
    unsigned: { "content-type": "text/xml; charset=utf-8", soapaction: '""' },
    unsignedValues: async () => ({}),
    // The message comes from another organization (or is no message at all).
    unverifiedBody: fc.oneof(anyMessage.map((body) => body.replaceAll(ORG_18, OTHER_ORG)), rawBody),
    signed: async () => ({ "content-type": "text/xml; charset=utf-8" }),
    body: anyMessage,
    maxRows: () => 100,
  });

  it("(c, d) normalizes whatever split stores, and any stored text, without throwing; unmappable notifications are rejected", () => {
    fc.assert(fc.property(anyMessage, (body) => void splitAndNormalize(salesforce, fakeRequest(body), connection)), params());
    fc.assert(fc.property(rawBody, (body) => void normalizeChecked(salesforce, body, connection)), params());
  }, PURE_TIMEOUT);

  it("(e) maps the valid notifications of a message beside bad ones, at their positions", () => {
    const tagged = fc.oneof(validNote.map((note) => ({ valid: true, note })), badNote.map((note) => ({ valid: false, note })));
    fc.assert(
      fc.property(fc.uniqueArray(tagged, { minLength: 1, maxLength: 10, selector: (t) => t.note.id }), (items) => {
        const results = splitAndNormalize(salesforce, fakeRequest(message(items.map((i) => i.note))), connection);
        expect(results).toHaveLength(items.length);
        items.forEach((item, index) => {
          const result = results![index]!;
          expect(result.deliveryId).toBe(item.note.id);
          if (item.valid) {
            expect(result.rejected).toEqual([]);
            expect(result.events[0]!.event).toMatchObject({ id: item.note.id, type: "deal.upserted", data: { deal_id: item.note.fields[0]![1] } });
          } else {
            expect(result.events).toEqual([]);
            expect(result.rejected).toHaveLength(1);
          }
        });
      }),
      params(),
    );
  }, PURE_TIMEOUT);
});

describe("Salesforce regressions found by fuzzing", () => {
  it("refuses XML nested deeper than the parser takes with 400 (the parser threw: a 500)", async () => {
    const deep = message([]).replace("<SessionId", "<x>".repeat(2000) + "</x>".repeat(2000) + "<SessionId");
    const parsed = parseOutboundMessage(deep);
    expect(parsed).toMatchObject({ ok: false });
    expect(await salesforce.verify(fakeRequest(deep), connection, Date.now())).toMatchObject({ ok: false, status: 400 });
  });

  it("maps Task subtypes and call types named like prototype members to nothing, not to functions", () => {
    const body = message([{ id: "04l000000000001", type: "Task", fields: [["Id", "00T000000000001"], ["LastModifiedDate", "2026-03-01T10:00:00Z"], ["TaskSubtype", "constructor"], ["Type", "toString"], ["CallType", "valueOf"]] }]);
    const [result] = splitAndNormalize(salesforce, fakeRequest(body), connection)!;
    expect(result!.events[0]!.event).toMatchObject({ data: { type: "task" } });
    expect(result!.events[0]!.event).not.toHaveProperty("data.direction");
  });

  it("(f) applies a record whatever its named custom fields hold: a refused term or score is left out with a note", () => {
    const config = { ...connection.config, term_months_field: "Contract_Term__c", competitor_field: "Competitor__c", lead_score_field: "LeadScore__c" };
    const named = { ...connection, config };
    const value = fc.oneof(edgeNumber.map(String), edgeString, fc.constant(null));
    fc.assert(
      fc.property(validNote, fc.boolean(), value, value, (note, asLead, first, second) => {
        const fields: [string, string | null][] = asLead
          ? [["Id", "00Q7F00000DkLm1UAF"], ["LastModifiedDate", "2026-03-01T00:00:00Z"], ["Status", "Working"], ["LeadScore__c", first]]
          : [...note.fields.map(([name, v]): [string, string | null] => [name, name === "LastModifiedDate" ? "2026-03-01T00:00:00Z" : v]), ["Contract_Term__c", first], ["Competitor__c", second]];
        const results = splitAndNormalize(salesforce, fakeRequest(message([{ ...note, type: asLead ? "Lead" : "Opportunity", fields }])), named);
        // A value XML cannot hold (a NUL) makes the message unreadable: refused whole, nothing to map.
        for (const result of results ?? []) {
          expect(result.events).toHaveLength(1);
          expect(validateEvent(result.events[0]!.event), JSON.stringify(result.events[0]!.event)).toMatchObject({ ok: true });
          for (const rejected of result.rejected) expect(rejected.reason).toMatch(/the (deal|lead) was applied without its (term_months|score)/);
        }
      }),
      params(),
    );
  }, PURE_TIMEOUT);
  it("(g) applies an open opportunity whatever its CloseDate holds: a date that is no day is left out with a note", () => {
    const zone = fc.constantFrom("UTC", "America/New_York", "Asia/Kathmandu", "Pacific/Kiritimati");
    fc.assert(
      fc.property(validNote, fc.oneof(edgeDate, edgeString, fc.constant(null)), zone, (note, closeDate, timezone) => {
        const fields: [string, string | null][] = [
          ...note.fields.filter(([name]) => name !== "IsClosed" && name !== "IsWon" && name !== "StageName").map(([name, v]): [string, string | null] => [name, name === "LastModifiedDate" ? "2026-03-01T00:00:00Z" : v]),
          ["StageName", "Prospecting"], ["IsClosed", "false"], ["IsWon", "false"], ["CloseDate", closeDate],
        ];
        const results = splitAndNormalize(salesforce, fakeRequest(message([{ ...note, fields }])), { ...connection, timezone });
        // A value XML cannot hold (a NUL) makes the message unreadable: refused whole, nothing to map.
        for (const result of results ?? []) {
          expect(result.events).toHaveLength(1);
          expect(validateEvent(result.events[0]!.event), JSON.stringify(result.events[0]!.event)).toMatchObject({ ok: true });
          for (const rejected of result.rejected) expect(rejected.reason).toMatch(/^CloseDate .* is not a date: the deal was applied without its expected_close_at$/);
        }
      }),
      params(),
    );
  }, PURE_TIMEOUT);
});

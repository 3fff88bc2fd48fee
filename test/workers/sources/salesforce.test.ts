// Salesforce Outbound Messages: organization-id verification, one delivery per Notification,
// the mapping of each sObject type, the exact SOAP Ack, and a month's story end to end.
import { beforeAll, describe, expect, it } from "vitest";
import type { ConnectionSecrets, RawRequest } from "../../../workers/sources/adapter";
import { ACK_ENVELOPE, fifteenCharacterId, salesforce } from "../../../workers/sources/salesforce";
import allObjects from "../../fixtures/salesforce/all-objects.xml?raw";
import specExample from "../../fixtures/salesforce/spec-example.xml?raw";
import { call, createConnection, createWorkspace, monthValues, postWebhook, waitForInbox, workspaceDbOf, workspaceDbOfConnection } from "../helpers";

const ORG_15 = "00D7F00000107Xs";
const ORG_18 = "00D7F00000107XsUAI";
const OTHER_ORG_18 = "00D5g000004ZyXwEAK";
const NOW = Date.UTC(2026, 2, 31);

const connectionWith = (organizationId: string, extra: Record<string, unknown> = {}): ConnectionSecrets => ({
  id: "c_test",
  kind: "salesforce",
  secret: null,
  config: { organization_id: organizationId, ...extra },
});
const request = (body: string): RawRequest => ({
  method: "POST",
  url: "https://quotient.test/webhooks/c_test",
  headers: new Headers({ "content-type": "text/xml; charset=utf-8", soapaction: '""' }),
  body,
});

type Fields = Record<string, string>;
type Note = { id: string; type: string; fields: Fields };

/** An Outbound Message as Salesforce writes it (the example in docs/crms/salesforce.md). */
function outboundMessage(notifications: Note[], organizationId = ORG_18): string {
  const items = notifications
    .map(
      ({ id, type, fields }) =>
        `<Notification><Id>${id}</Id><sObject xsi:type="sf:${type}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">` +
        Object.entries(fields)
          .map(([name, value]) => `<sf:${name}>${value}</sf:${name}>`)
          .join("") +
        `</sObject></Notification>`,
    )
    .join("");
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
    `<soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound">` +
    `<OrganizationId>${organizationId}</OrganizationId><ActionId>04k7F0000008V3hQAE</ActionId><SessionId xsi:nil="true"/>` +
    `<EnterpriseUrl>https://ap5.salesforce.com/services/Soap/c/47.0/00D7F00000107Xs</EnterpriseUrl>` +
    `<PartnerUrl>https://ap5.salesforce.com/services/Soap/u/47.0/00D7F00000107Xs</PartnerUrl>` +
    `${items}</notifications></soapenv:Body></soapenv:Envelope>`
  );
}

/** Splits and normalizes a whole message, one result per notification. */
function normalizeAll(body: string, connection = connectionWith(ORG_18)) {
  const split = salesforce.split(request(body));
  if (!split.ok) throw new Error(split.reason);
  return split.deliveries.map((delivery) => ({ deliveryId: delivery.deliveryId, ...salesforce.normalize(delivery, connection) }));
}

describe("organization id forms", () => {
  it("restores the case-sensitive 15-character id from the 18-character form", () => {
    expect(fifteenCharacterId(ORG_18)).toBe(ORG_15);
    expect(fifteenCharacterId(ORG_15)).toBe(ORG_15);
    // The 18-character form is made for case-insensitive systems: its suffix restores the case.
    expect(fifteenCharacterId(ORG_18.toLowerCase())).toBe(ORG_15);
    expect(fifteenCharacterId(ORG_18.toUpperCase())).toBe(ORG_15);
    expect(fifteenCharacterId("00D7F00000107Xs999")).toBeNull(); // 6–9 are no suffix characters
    expect(fifteenCharacterId("00D7F00000107X")).toBeNull();
  });
});

describe("verify: OrganizationId against the connection", () => {
  const verify = (body: string, organizationId: string) => salesforce.verify(request(body), connectionWith(organizationId), NOW);

  it("accepts the same organization in its 15- and 18-character forms, either way round", async () => {
    expect(await verify(specExample, ORG_15)).toEqual({ ok: true });
    expect(await verify(specExample, ORG_18)).toEqual({ ok: true });
    expect(await verify(outboundMessage([], ORG_15).replace("</notifications>", NOTE_XML + "</notifications>"), ORG_18)).toEqual({ ok: true });
    expect(await verify(messageWithOrg(ORG_18.toLowerCase()), ORG_15)).toEqual({ ok: true });
  });

  it("rejects another organization, and a 15-character id that differs only in case (another org)", async () => {
    const mismatch = { ok: false, reason: "OrganizationId does not match the connection's organization" };
    expect(await verify(specExample, OTHER_ORG_18)).toEqual(mismatch);
    expect(await verify(messageWithOrg("00D7F00000107XS"), ORG_15)).toEqual(mismatch);
    expect(await verify(messageWithOrg("00D7F00000107xs"), ORG_18)).toEqual(mismatch);
    expect(await verify(messageWithOrg("not-an-org-id"), ORG_18)).toEqual(mismatch);
  });

  it("answers 400 for a body that is not XML or not an Outbound Message", async () => {
    const notXml = await verify('{"OrganizationId":"00D7F00000107XsUAI"}', ORG_18);
    expect(notXml).toMatchObject({ ok: false, status: 400 });
    expect((await verify(specExample.replace("</soapenv:Body>", ""), ORG_18)).ok).toBe(false);
    expect(await verify("<soapenv:Envelope><soapenv:Body><other/></soapenv:Body></soapenv:Envelope>", ORG_18)).toEqual({
      ok: false,
      status: 400,
      reason:
        "body is not a Salesforce Outbound Message (Envelope/Body/notifications with OrganizationId and Notification/Id)",
    });
    const withDoctype = `<!DOCTYPE x [<!ENTITY a "aaaa">]>${specExample.replace('<?xml version="1.0" encoding="UTF-8"?>', "")}`;
    expect(await verify(withDoctype, ORG_18)).toEqual({ ok: false, status: 400, reason: "a SOAP message must not contain a DOCTYPE" });
  });
});

const NOTE_XML =
  '<Notification><Id>04l7F000008aeAyQAI</Id><sObject xsi:type="sf:Opportunity" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">' +
  "<sf:Id>0067F000003pmdWQAQ</sf:Id></sObject></Notification>";
const messageWithOrg = (organizationId: string) => specExample.replace(ORG_18, organizationId);

describe("split: one delivery per Notification", () => {
  it("keys each delivery by Notification/Id and stores the notification's fields as text", () => {
    expect(salesforce.split(request(specExample))).toEqual({
      ok: true,
      deliveries: [
        {
          deliveryId: "04l7F000008aeAyQAI",
          headers: {},
          body: JSON.stringify({
            notification_id: "04l7F000008aeAyQAI",
            organization_id: ORG_18,
            action_id: "04k7F0000008V3hQAE",
            sobject_type: "Opportunity",
            fields: {
              Id: "0067F000003pmdWQAQ",
              Amount: "120000.0",
              StageName: "Perception Analysis",
              LeadSource: "Phone Inquiry",
            },
          }),
        },
      ],
    });
  });

  it("reads typed, empty, nil and compound elements", () => {
    const body = outboundMessage([
      {
        id: "04l7F00000T0000001",
        type: "Account",
        fields: { Id: "001A", Name: "Initech &lt;EU&gt;", Industry: "", Site: "<sf:Street>1 Main St</sf:Street>" },
      },
    ])
      .replace("<sf:Industry></sf:Industry>", '<sf:Industry xsi:type="xsd:string"/><sf:Type xsi:type="xsd:string">Prospect</sf:Type>')
      .replace("<sf:Name>", '<sf:Name xsi:type="xsd:string">')
      .replace("</sf:Site>", '</sf:Site><sf:Phone xsi:nil="true"/>');
    const split = salesforce.split(request(body));
    expect(split.ok && JSON.parse(split.deliveries[0]!.body).fields).toEqual({
      Id: "001A",
      Name: "Initech <EU>",
      Industry: "",
      Type: "Prospect",
      Phone: null,
    });
  });

  it("splits a message of many notifications and refuses more than 100", () => {
    const notes = (count: number) =>
      Array.from({ length: count }, (_, i) => ({ id: `04l7F00000N${String(i).padStart(7, "0")}`, type: "User", fields: { Id: `005${i}` } }));
    const hundred = salesforce.split(request(outboundMessage(notes(100))));
    expect(hundred.ok && hundred.deliveries.map((d) => d.deliveryId)).toEqual(notes(100).map((n) => n.id));
    expect(salesforce.split(request(outboundMessage(notes(101))))).toEqual({
      ok: false,
      status: 413,
      reason: "at most 100 notifications per message",
    });
    expect(salesforce.split(request("plain text"))).toMatchObject({ ok: false, status: 400 });
  });
});

describe("normalize: each sObject type", () => {
  it("rejects the spec's example: it carries no LastModifiedDate", () => {
    const [result] = normalizeAll(specExample);
    expect(result!.events).toEqual([]);
    expect(result!.rejected).toEqual([
      {
        position: 0,
        eventId: "04l7F000008aeAyQAI",
        reason:
          "Opportunity 0067F000003pmdWQAQ has no LastModifiedDate (nor SystemModstamp): add LastModifiedDate to the outbound message's fields",
        payload: expect.objectContaining({ notification_id: "04l7F000008aeAyQAI", sobject_type: "Opportunity" }),
        occurredAt: null,
      },
    ]);
  });

  it("maps every notification of a mixed message to its canonical event or a reason", () => {
    const results = normalizeAll(allObjects);
    const single = (index: number) => {
      const result = results[index]!;
      expect(result.rejected).toEqual([]);
      expect(result.events).toHaveLength(1);
      return result.events[0]!.event;
    };
    expect(results.map((r) => r.deliveryId)).toEqual([
      "04l7F000008aeB1QAI", "04l7F000008aeB2QAI", "04l7F000008aeB3QAI", "04l7F000008aeB4QAI", "04l7F000008aeB5QAI",
      "04l7F000008aeB6QAI", "04l7F000008aeB7QAI", "04l7F000008aeB8QAI", "04l7F000008aeB9QAI", "04l7F000008aeBAQAY",
      "04l7F000008aeBBQAY", "04l7F000008aeBCQAY", "04l7F000008aeBDQAY",
    ]);

    // Won: entities decoded, 1.2E7 as a number, CloseDate as the day's start, Type → kind.
    expect(single(0)).toEqual({
      id: "04l7F000008aeB1QAI",
      type: "deal.upserted",
      occurred_at: "2026-03-20T16:45:12.000Z",
      data: {
        deal_id: "0067F000003pmdWQAQ",
        name: "Acme & Sons – 500 seats",
        account_id: "0017F00000Qx1AbQAJ",
        owner_rep_id: "0057F000000t9GzQAI",
        stage: "Closed Won",
        status: "won",
        amount: 12000000,
        currency: "EUR",
        kind: "new",
        source: "Partner Referral",
        created_at: "2026-02-11T09:30:00.000Z",
        closed_at: "2026-03-20T00:00:00.000Z",
      },
    });
    // Lost: IsClosed without IsWon; a Type without a kind leaves kind out.
    expect(single(1)).toEqual({
      id: "04l7F000008aeB2QAI",
      type: "deal.upserted",
      occurred_at: "2026-03-25T11:00:00.000Z",
      data: {
        deal_id: "0067F000003pmeXQAQ",
        owner_rep_id: "0057F000000t9GzQAI",
        stage: "Closed Lost",
        status: "lost",
        amount: 8400,
        closed_at: "2026-03-25T00:00:00.000Z",
      },
    });
    // Open: SystemModstamp stands in for LastModifiedDate; xsi:nil clears the amount; an
    // open deal has no close instant: its CloseDate 2026-04-30 is the plan (UTC midnight, the
    // connection has no time zone).
    expect(single(2)).toEqual({
      id: "04l7F000008aeB3QAI",
      type: "deal.upserted",
      occurred_at: "2026-03-18T08:00:00.000Z",
      data: {
        deal_id: "0067F000003pmfYQAQ",
        stage: "Negotiation/Review",
        status: "open",
        amount: null,
        kind: "expansion",
        closed_at: null,
        expected_close_at: "2026-04-30T00:00:00.000Z",
      },
    });
    // Lead owned by a queue (00G): no owner rep.
    expect(single(3)).toEqual({
      id: "04l7F000008aeB4QAI",
      type: "lead.upserted",
      occurred_at: "2026-03-06T09:15:00.000Z",
      data: {
        lead_id: "00Q7F00000DkLm1UAF",
        owner_rep_id: null,
        source: "Web",
        stage: "mql",
        created_at: "2026-03-04T14:20:00.000Z",
      },
    });
    expect(single(4)).toEqual({
      id: "04l7F000008aeB5QAI",
      type: "lead.upserted",
      occurred_at: "2026-03-12T10:00:00.000Z",
      data: {
        lead_id: "00Q7F00000DkLm2UAF",
        account_id: "0017F00000Qx1AbQAJ",
        owner_rep_id: "0057F000000t9GzQAI",
        stage: "customer",
      },
    });
    // An unknown Lead Status: the lead is applied without a stage and the status is reported.
    expect(results[5]!.events.map((e) => e.event)).toEqual([
      { id: "04l7F000008aeB6QAI", type: "lead.upserted", occurred_at: "2026-03-13T10:00:00.000Z", data: { lead_id: "00Q7F00000DkLm3UAF" } },
    ]);
    expect(results[5]!.rejected).toEqual([
      {
        position: 1,
        eventId: null,
        reason:
          'Lead status "Recycled" has no lifecycle stage: the lead was applied without a stage; map it in the connection\'s config.lead_status_stages',
        payload: expect.objectContaining({ notification_id: "04l7F000008aeB6QAI" }),
        occurredAt: Date.UTC(2026, 2, 13, 10),
      },
    ]);
    expect(single(6)).toEqual({
      id: "04l7F000008aeB7QAI",
      type: "account.upserted",
      occurred_at: "2026-03-12T10:00:01.000Z",
      data: {
        account_id: "0017F00000Qx1AbQAJ",
        name: "Acme GmbH",
        industry: "Technology",
        owner_rep_id: "0057F000000t9GzQAI",
        region: "Germany",
        segment: "Customer - Direct",
      },
    });
    expect(single(7)).toEqual({
      id: "04l7F000008aeB8QAI",
      type: "activity.logged",
      occurred_at: "2026-03-06T10:07:00.000Z",
      data: {
        activity_id: "00T7F00000aZ1x1UAC",
        type: "call",
        direction: "outbound",
        rep_id: "0057F000000t9GzQAI",
        lead_id: "00Q7F00000DkLm1UAF",
        deal_id: "0067F000003pmdWQAQ",
        duration_seconds: 420,
      },
    });
    // WhoId is a contact (003): no lead; WhatId is an account (001).
    expect(single(8)).toEqual({
      id: "04l7F000008aeB9QAI",
      type: "activity.logged",
      occurred_at: "2026-03-07T08:30:00.000Z",
      data: { activity_id: "00T7F00000aZ1x2UAC", type: "email", rep_id: "0057F000000t9GzQAI", account_id: "0017F00000Qx1AbQAJ" },
    });
    expect(single(9)).toEqual({
      id: "04l7F000008aeBAQAY",
      type: "activity.logged",
      occurred_at: "2026-03-09T16:00:00.000Z",
      data: {
        activity_id: "00U7F00000bQ3z1UAC",
        type: "meeting",
        rep_id: "0057F000000t9GzQAI",
        lead_id: "00Q7F00000DkLm1UAF",
        deal_id: "0067F000003pmdWQAQ",
        duration_seconds: 2700,
      },
    });
    expect(single(10)).toEqual({
      id: "04l7F000008aeBBQAY",
      type: "rep.upserted",
      occurred_at: "2026-03-01T08:00:00.000Z",
      data: { rep_id: "0057F000000t9GzQAI", name: "Ava Reed", email: "ava.reed@example.com", active: true, team: "EMEA Sales" },
    });
    expect(results[11]).toMatchObject({
      events: [],
      rejected: [
        {
          position: 0,
          eventId: "04l7F000008aeBCQAY",
          reason: 'sObject type "Contact" is not mapped (Opportunity, Lead, Account, Task, Event and User are)',
          occurredAt: Date.UTC(2026, 2, 7, 8),
        },
      ],
    });
    expect(results[12]).toMatchObject({
      events: [],
      rejected: [
        {
          position: 0,
          eventId: "04l7F000008aeBDQAY",
          reason:
            "Opportunity 0067F000003pmgZQAQ has no LastModifiedDate (nor SystemModstamp): add LastModifiedDate to the outbound message's fields",
        },
      ],
    });
  });

  it("takes CloseDate as midnight in the workspace's time zone", () => {
    const connection = { ...connectionWith(ORG_18), timezone: "America/New_York" };
    const [won] = normalizeAll(allObjects, connection);
    expect((won!.events[0]!.event as { data: { closed_at: string } }).data.closed_at).toBe("2026-03-20T04:00:00.000Z");
  });

  it("applies the connection's own Lead Status mapping over the defaults", () => {
    const lead = (status: string) =>
      outboundMessage([
        { id: "04l7F00000L0000001", type: "Lead", fields: { Id: "00Q1", Status: status, LastModifiedDate: "2026-03-02T00:00:00Z" } },
      ]);
    const config = connectionWith(ORG_18, { lead_status_stages: { Recycled: "subscriber", "Working - Contacted": "sql" } });
    const stageOf = (status: string) => {
      const [result] = normalizeAll(lead(status), config);
      expect(result!.rejected).toEqual([]);
      return (result!.events[0]!.event as { data: { stage?: string } }).data.stage;
    };
    expect(stageOf("Recycled")).toBe("subscriber");
    expect(stageOf("Working - Contacted")).toBe("sql");
    expect(stageOf("Open - Not Contacted")).toBe("lead");
    expect(stageOf("Closed - Not Converted")).toBeUndefined(); // known, keeps the last stage
  });
});

describe("normalize: CloseDate, the plan of an open opportunity and the close of a closed one", () => {
  const NEW_YORK = { ...connectionWith(ORG_18), timezone: "America/New_York" };
  const opportunityWith = (fields: Fields) =>
    outboundMessage([{ id: "04l7F00000E0000001", type: "Opportunity", fields: { Id: "0061", LastModifiedDate: "2026-03-02T00:00:00Z", ...fields } }]);
  const one = (body: string) => {
    const [result] = normalizeAll(body, NEW_YORK);
    return { data: (result!.events[0]?.event as { data: Record<string, unknown> } | undefined)?.data, notes: result!.rejected.map((r) => r.reason) };
  };

  it("an open opportunity's CloseDate is expected_close_at, midnight of that day in the workspace's zone", () => {
    // 2026-04-30 00:00 in New York (EDT, UTC−4) = 04:00Z.
    expect(one(opportunityWith({ StageName: "Prospecting", IsClosed: "false", IsWon: "false", CloseDate: "2026-04-30" }))).toEqual({
      data: { deal_id: "0061", stage: "Prospecting", status: "open", closed_at: null, expected_close_at: "2026-04-30T04:00:00.000Z" },
      notes: [],
    });
    // A plan years ahead is a plan all the same: 2031-01-15 00:00 EST (UTC−5) = 05:00Z.
    expect(one(opportunityWith({ IsClosed: "false", CloseDate: "2031-01-15" })).data).toMatchObject({ expected_close_at: "2031-01-15T05:00:00.000Z" });
  });

  it("a closed opportunity's CloseDate is closed_at only: the plan it had stays", () => {
    expect(one(opportunityWith({ StageName: "Closed Won", IsClosed: "true", IsWon: "true", CloseDate: "2026-03-20" })).data).toEqual({
      deal_id: "0061", stage: "Closed Won", status: "won", closed_at: "2026-03-20T04:00:00.000Z",
    });
    expect(one(opportunityWith({ IsClosed: "true", IsWon: "false", CloseDate: "2026-03-20" })).data).toEqual({
      deal_id: "0061", status: "lost", closed_at: "2026-03-20T04:00:00.000Z",
    });
    // Without IsClosed (nor a closed stage name) the status, and so the date's meaning, is unknown.
    expect(one(opportunityWith({ StageName: "Prospecting", CloseDate: "2026-04-30" })).data).toEqual({ deal_id: "0061", stage: "Prospecting" });
  });

  it("an emptied CloseDate clears the plan; one absent leaves it; one that is no day is left out with a note", () => {
    expect(one(opportunityWith({ IsClosed: "false", CloseDate: "" })).data).toEqual({ deal_id: "0061", status: "open", closed_at: null, expected_close_at: null });
    expect(one(opportunityWith({ IsClosed: "false" })).data).toEqual({ deal_id: "0061", status: "open", closed_at: null });
    for (const bad of ["2026-02-30", "30/04/2026"]) {
      expect(one(opportunityWith({ IsClosed: "false", CloseDate: bad, Amount: "5000.0" }))).toEqual({
        data: { deal_id: "0061", status: "open", amount: 5000, closed_at: null },
        notes: [`CloseDate ${JSON.stringify(bad)} is not a date: the deal was applied without its expected_close_at`],
      });
    }
  });
});

describe("normalize: the custom fields a connection names (term, competitor, lost reason, lead score)", () => {
  const CUSTOM = { term_months_field: "Contract_Term__c", competitor_field: "Main_Competitor__c", lost_reason_field: "Loss_Reason__c", lead_score_field: "LeadScore__c" };
  const opportunityWith = (fields: Fields) =>
    outboundMessage([{ id: "04l7F00000C0000001", type: "Opportunity", fields: { Id: "0061", LastModifiedDate: "2026-03-02T00:00:00Z", StageName: "Closed Lost", IsClosed: "true", IsWon: "false", ...fields } }]);
  const leadWith = (fields: Fields) =>
    outboundMessage([{ id: "04l7F00000C0000002", type: "Lead", fields: { Id: "00Q1", LastModifiedDate: "2026-03-02T00:00:00Z", Status: "Working", ...fields } }]);
  const one = (body: string, config: Record<string, unknown> = CUSTOM) => {
    const [result] = normalizeAll(body, connectionWith(ORG_18, config));
    return { data: (result!.events[0]?.event as { data: Record<string, unknown> } | undefined)?.data, notes: result!.rejected.map((r) => r.reason) };
  };

  it("maps the named Opportunity and Lead fields as Salesforce sends them", () => {
    expect(one(opportunityWith({ Contract_Term__c: "24.0", Main_Competitor__c: "Rival Inc", Loss_Reason__c: "Price" }))).toEqual({
      data: { deal_id: "0061", stage: "Closed Lost", status: "lost", term_months: 24, competitor: "Rival Inc", lost_reason: "Price" },
      notes: [],
    });
    expect(one(leadWith({ LeadScore__c: "87.5" }))).toEqual({ data: { lead_id: "00Q1", stage: "mql", score: 87.5 }, notes: [] });
  });

  it("leaves them absent when the connection names no field, or the message does not carry it", () => {
    const carried = opportunityWith({ Contract_Term__c: "24", Main_Competitor__c: "Rival Inc", Loss_Reason__c: "Price" });
    // LeadScore__c is read only if configured (docs/kpis.md, section F): unnamed fields are ignored.
    expect(one(carried, {}).data).toEqual({ deal_id: "0061", stage: "Closed Lost", status: "lost" });
    expect(one(leadWith({ LeadScore__c: "87" }), {}).data).toEqual({ lead_id: "00Q1", stage: "mql" });
    expect(one(opportunityWith({})).data).toEqual({ deal_id: "0061", stage: "Closed Lost", status: "lost" });
    expect(one(leadWith({})).data).toEqual({ lead_id: "00Q1", stage: "mql" });
  });

  it("applies the record without a term or score the native rules refuse, with a note beside it", () => {
    for (const term of ["0", "1.5", "abc"]) {
      const { data, notes } = one(opportunityWith({ Contract_Term__c: term, Loss_Reason__c: "Price" }));
      expect(data).toEqual({ deal_id: "0061", stage: "Closed Lost", status: "lost", lost_reason: "Price" });
      const why = term === "abc" ? "not a decimal number" : "must be a whole number of months, at least 1";
      expect(notes).toEqual([`Contract_Term__c ${JSON.stringify(term === "abc" ? term : Number(term))} ${why}: the deal was applied without its term_months`]);
    }
    for (const score of ["101", "-1", "x"]) {
      const { data, notes } = one(leadWith({ LeadScore__c: score }));
      expect(data).toEqual({ lead_id: "00Q1", stage: "mql" });
      const why = score === "x" ? "not a decimal number" : "must be between 0 and 100";
      expect(notes).toEqual([`LeadScore__c ${JSON.stringify(score === "x" ? score : Number(score))} ${why}: the lead was applied without its score`]);
    }
    // Both notes of one lead in its one dead letter.
    expect(one(leadWith({ Status: "Recycled", LeadScore__c: "101" })).notes).toEqual([
      'Lead status "Recycled" has no lifecycle stage: the lead was applied without a stage; map it in the connection\'s config.lead_status_stages; LeadScore__c 101 must be between 0 and 100: the lead was applied without its score',
    ]);
    // A nil field clears the value.
    expect(one(leadWith({ LeadScore__c: "" })).data).toEqual({ lead_id: "00Q1", stage: "mql", score: null });
  });

  it("refuses a connection whose field names are no Salesforce API names", () => {
    expect(salesforce.planSecret(undefined, { organization_id: ORG_18, lead_score_field: "Lead Score" })).toEqual({
      ok: false, field: "config.lead_score_field", message: "a Salesforce field API name, such as LeadScore__c",
    });
    expect(salesforce.planSecret(undefined, { organization_id: ORG_18, ...CUSTOM })).toEqual({ ok: true, secret: null });
  });
});

// ---------------------------------------------------------------- end to end

const REP = "0057F000000t9GzQAI";
const DEAL_A = "0067F000003pmdWQAQ";
const DEAL_B = "0067F000003pmeXQAQ";
const LEAD = "00Q7F00000DkLm1UAF";
const ACCOUNT = "0017F00000Qx1AbQAJ";

let notificationCounter = 0;
const note = (type: string, fields: Fields): Note => ({ id: `04l7F00000S${String(++notificationCounter).padStart(7, "0")}`, type, fields });
const opportunity = (id: string, lastModified: string, stage: string, extra: Fields = {}) =>
  note("Opportunity", {
    Id: id,
    AccountId: ACCOUNT,
    Amount: id === DEAL_A ? "50000.0" : "20000.0",
    CloseDate: "2026-03-28",
    CreatedDate: id === DEAL_A ? "2026-03-02T10:00:00.000Z" : "2026-03-03T10:00:00.000Z",
    IsClosed: "false",
    IsWon: "false",
    LastModifiedDate: lastModified,
    LeadSource: "Web",
    Name: id === DEAL_A ? "Globex expansion" : "Initech pilot",
    OwnerId: REP,
    StageName: stage,
    ...extra,
  });
const lead = (lastModified: string, status: string, extra: Fields = {}) =>
  note("Lead", {
    Id: LEAD,
    CreatedDate: "2026-03-04T14:00:00.000Z",
    IsConverted: "false",
    LastModifiedDate: lastModified,
    LeadSource: "Web",
    OwnerId: REP,
    Status: status,
    ...extra,
  });

/** March 2026: two deals (one won, one lost), a lead converted, a call and a meeting. */
const STORY: Note[][] = [
  [note("User", { Id: REP, Name: "Ava Reed", Email: "ava@example.com", IsActive: "true", LastModifiedDate: "2026-03-01T08:00:00.000Z" })],
  [
    opportunity(DEAL_A, "2026-03-02T10:00:00.000Z", "Prospecting"),
    opportunity(DEAL_B, "2026-03-03T10:00:00.000Z", "Prospecting"),
  ],
  [lead("2026-03-04T14:00:00.000Z", "Open - Not Contacted")],
  [
    opportunity(DEAL_A, "2026-03-05T09:00:00.000Z", "Qualification"),
    lead("2026-03-06T09:00:00.000Z", "Working - Contacted"),
    note("Task", {
      Id: "00T7F00000aZ1x1UAC",
      CallDurationInSeconds: "300",
      CallType: "Outbound",
      LastModifiedDate: "2026-03-06T10:00:00.000Z",
      OwnerId: REP,
      TaskSubtype: "Call",
      WhoId: LEAD,
    }),
  ],
  [
    note("Event", {
      Id: "00U7F00000bQ3z1UAC",
      DurationInMinutes: "30",
      LastModifiedDate: "2026-03-09T16:00:00.000Z",
      OwnerId: REP,
      WhatId: DEAL_A,
    }),
  ],
  [opportunity(DEAL_A, "2026-03-10T09:00:00.000Z", "Proposal/Price Quote")],
  [lead("2026-03-12T10:00:00.000Z", "Closed - Converted", { IsConverted: "true", ConvertedAccountId: ACCOUNT })],
  [
    opportunity(DEAL_A, "2026-03-20T15:00:00.000Z", "Closed Won", { IsClosed: "true", IsWon: "true", CloseDate: "2026-03-20" }),
    opportunity(DEAL_B, "2026-03-25T11:00:00.000Z", "Closed Lost", { IsClosed: "true", CloseDate: "2026-03-25" }),
  ],
];

async function tablesOf(slug: string) {
  const workspace = await (await workspaceDbOf(slug)).prepare("SELECT id FROM workspaces WHERE slug = ?1").bind(slug).first<{ id: string }>();
  const rows = async (table: string, order: string) => {
    const { results } = await (await workspaceDbOf(slug)).prepare(`SELECT * FROM ${table} WHERE workspace_id = ?1 ORDER BY ${order}`)
      .bind(workspace!.id)
      .all<Record<string, unknown>>();
    return results.map(({ workspace_id: _, ...row }) => row);
  };
  return {
    deals: await rows("deals", "deal_id"),
    leads: await rows("leads", "lead_id"),
    activities: await rows("activities", "activity_id"),
    reps: await rows("reps", "rep_id"),
    history: await rows("field_history", "entity_id, field, occurred_at, event_id"),
  };
}

describe("POST /webhooks/:connectionId (salesforce)", () => {
  let connection: { id: string; webhook_url: string };
  const inboxCount = async (connectionId = connection.id) =>
    (await (await workspaceDbOfConnection(connectionId)).prepare("SELECT COUNT(*) AS n FROM inbox WHERE connection_id = ?1").bind(connectionId).first<{ n: number }>())!.n;
  const post = (url: string, body: string) => postWebhook(url, body, { "content-type": "text/xml; charset=utf-8", soapaction: '""' });

  beforeAll(async () => {
    await createWorkspace("sf-story", { timezone: "UTC" });
    connection = await createConnection("sf-story", "salesforce", { config: { organization_id: ORG_15 } });
  });

  it("requires the organization id when the connection is created", async () => {
    const response = await call("POST", "/api/v1/workspaces/sf-story/connections", { kind: "salesforce", name: "no org", config: {} });
    expect(response.status).toBe(400);
  });

  it("answers another organization 401 and a body that is not XML 400, storing nothing", async () => {
    const foreign = await post(connection.webhook_url, messageWithOrg(OTHER_ORG_18));
    expect(foreign.status).toBe(401);
    expect(await foreign.json()).toMatchObject({ detail: "OrganizationId does not match the connection's organization" });
    expect((await post(connection.webhook_url, '{"not":"xml"}')).status).toBe(400);
    expect((await post(connection.webhook_url, "<soapenv:Envelope>")).status).toBe(400);
    expect(await inboxCount()).toBe(0);
  });

  it("tells the month's story: accepted with the exact Ack, applied once, counted by the KPI engine", async () => {
    for (const message of STORY) {
      const response = await post(connection.webhook_url, outboundMessage(message));
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/xml/);
      expect(await response.text()).toBe(ACK_ENVELOPE);
    }
    await waitForInbox();
    expect(await inboxCount()).toBe(STORY.flat().length);

    // Retried: the same message again, and an old notification batched with a new one.
    const retry = await post(connection.webhook_url, outboundMessage(STORY[1]!));
    expect(retry.status).toBe(200);
    expect(await retry.text()).toBe(ACK_ENVELOPE);
    const rebatched = await post(
      connection.webhook_url,
      outboundMessage([STORY[2]![0]!, note("Account", { Id: ACCOUNT, Name: "Globex", LastModifiedDate: "2026-03-12T10:00:01.000Z" })]),
    );
    expect(await rebatched.text()).toBe(ACK_ENVELOPE);
    await waitForInbox();
    expect(await inboxCount()).toBe(STORY.flat().length + 1);
    const events = await (await workspaceDbOf("sf-story")).prepare("SELECT COUNT(*) AS n FROM canonical_events WHERE connection_id = ?1")
      .bind(connection.id)
      .first<{ n: number }>();
    expect(events!.n).toBe(STORY.flat().length + 1);
    const deadLetters = await (await workspaceDbOf("sf-story")).prepare("SELECT COUNT(*) AS n FROM dead_letters WHERE connection_id = ?1")
      .bind(connection.id)
      .first<{ n: number }>();
    expect(deadLetters!.n).toBe(0);

    const deal = await (await workspaceDbOf("sf-story")).prepare(
      "SELECT stage, status, amount, closed_at, created_at, source, owner_rep_id FROM deals WHERE deal_id = ?1",
    )
      .bind(DEAL_A)
      .first();
    expect(deal).toEqual({
      stage: "Closed Won",
      status: "won",
      amount: 50000,
      closed_at: Date.UTC(2026, 2, 20),
      created_at: Date.UTC(2026, 2, 2, 10),
      source: "Web",
      owner_rep_id: REP,
    });
    const leadRow = await (await workspaceDbOf("sf-story")).prepare("SELECT stage, account_id, created_at FROM leads WHERE lead_id = ?1").bind(LEAD).first();
    expect(leadRow).toEqual({ stage: "customer", account_id: ACCOUNT, created_at: Date.UTC(2026, 2, 4, 14) });

    expect((await call("POST", "/api/v1/workspaces/sf-story/recompute", { from: "2026-03", to: "2026-03" })).status).toBe(200);
    const march = await monthValues("sf-story", "2026-03");
    expect(march("deals_won")).toBe(1);
    expect(march("deals_lost")).toBe(1);
    expect(march("win_rate")).toBe(0.5); // 1 won / (1 won + 1 lost)
    expect(march("revenue_won")).toBe(50000);
    expect(march("new_leads")).toBe(1);
    expect(march("lead_conversion_rate")).toBe(1); // the March lead was converted
    expect(march("activities")).toBe(2); // the call and the meeting
    expect(march("activities", "type", "call")).toBe(1);
    expect(march("activities", "type", "meeting")).toBe(1);
  });

  it("gives the same state when the messages arrive in reverse order", async () => {
    await createWorkspace("sf-reverse", { timezone: "UTC" });
    const reverse = await createConnection("sf-reverse", "salesforce", { config: { organization_id: ORG_18 } });
    // The first workspace also received the account in the retry test: send it here too.
    const account = note("Account", { Id: ACCOUNT, Name: "Globex", LastModifiedDate: "2026-03-12T10:00:01.000Z" });
    for (const message of [[account], ...[...STORY].reverse().map((m) => [...m].reverse())]) {
      expect((await post(reverse.webhook_url, outboundMessage(message))).status).toBe(200);
    }
    await waitForInbox();
    const inOrder = await tablesOf("sf-story");
    const reversed = await tablesOf("sf-reverse");
    expect(reversed.deals).toHaveLength(2);
    expect(reversed.leads).toHaveLength(1);
    expect(reversed.activities).toHaveLength(2);
    expect(reversed.history.filter((row) => row.field === "stage").map((row) => row.value_text)).toEqual([
      "Prospecting", "Qualification", "Proposal/Price Quote", "Closed Won", "Prospecting", "Closed Lost", "lead", "mql", "customer",
    ]);
    expect({ ...reversed, history: reversed.history.map(({ event_id: _, ...row }) => row) }).toEqual({
      ...inOrder,
      history: inOrder.history.map(({ event_id: _, ...row }) => row),
    });
  });
});

// Salesforce Outbound Messages: SOAP notifications (≤ 100 per message, one sObject type
// per message, as one workflow rule sends them) carrying the record's selected fields.
// Nothing is signed (the adapter's signer adds nothing): the secret webhook URL and the
// organization id are the trust.
import { DAY_MS } from "../../../shared/units";
import type { NativeEvent } from "../company";
import { salesforce18 } from "../company";
import { type Delivery, dayIn, type EncodeContext, type Encoder, fieldsOf, idOf, isLocalMidnight, ms, planDay, signedDelivery } from "./types";

/** Lead Status values of the demo org → lifecycle stages (the connection's config). */
export const SALESFORCE_LEAD_STATUSES: Record<string, string> = {
  Nurturing: "subscriber",
  "Open - Not Contacted": "lead",
  "Working - Contacted": "mql",
  Qualified: "sql",
  Proposal: "opportunity",
  "Closed - Converted": "customer",
};
const STATUS_OF_STAGE = Object.fromEntries(Object.entries(SALESFORCE_LEAD_STATUSES).map(([status, stage]) => [stage, status]));
const KINDS: Record<string, string> = { new: "New Customer", expansion: "Existing Customer - Upgrade", renewal: "Existing Customer - Renewal" };
const TASK_SUBTYPES: Record<string, string> = { call: "Call", email: "Email", social: "LinkedIn", task: "Task" };
const PER_MESSAGE = 100;

function carriedIn(event: NativeEvent, timeZone: string): string[] {
  const fields = fieldsOf(event);
  const data = event.data;
  switch (event.type) {
    case "account.upserted":
      return fields.filter((f) => ["name", "industry", "owner_rep_id", "region", "segment"].includes(f));
    case "lead.upserted":
      return fields.filter((f) => ["account_id", "owner_rep_id", "source", "stage", "created_at"].includes(f));
    case "deal.upserted":
      return fields.filter((f) => {
        if (f === "kind") return data.kind === "new" || data.kind === "expansion";
        if (f === "closed_at") return (data.status === "won" || data.status === "lost") && isLocalMidnight(data.closed_at, timeZone);
        // An open opportunity's CloseDate is its plan (a cleared one is sent as xsi:nil).
        if (f === "expected_close_at") return data.status === "open" && (data.expected_close_at === null || isLocalMidnight(data.expected_close_at, timeZone));
        return ["name", "account_id", "owner_rep_id", "stage", "status", "amount", "currency", "source", "created_at"].includes(f);
      });
    case "activity.logged": {
      const type = String(data.type);
      if (type !== "meeting" && !TASK_SUBTYPES[type]) return [];
      return fields.filter((f) => {
        if (f === "type" || f === "rep_id" || f === "deal_id") return true;
        if (f === "lead_id") return String(data.lead_id).startsWith("00Q");
        if (f === "account_id") return String(data.account_id).startsWith("001");
        if (f === "direction") return type === "call";
        if (f === "duration_seconds") return type === "call" || (type === "meeting" && Number(data.duration_seconds) % 60 === 0);
        return false;
      });
    }
    default:
      return [];
  }
}

const escapeXml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function sObjectXml(type: string, fields: Record<string, string | null | undefined>): string {
  let xml = `<sObject xsi:type="sf:${type}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">`;
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    xml += value === null ? `<sf:${name} xsi:nil="true"/>` : `<sf:${name}>${escapeXml(value)}</sf:${name}>`;
  }
  return `${xml}</sObject>`;
}

const doubleText = (value: unknown) => {
  const n = Number(value);
  return Number.isInteger(n) ? `${n}.0` : String(n);
};

export function salesforceEncoderFor(timeZone: string): Encoder {
  const encode = (parts: NativeEvent[], context: EncodeContext): Delivery[] => {
    const state = new Map<string, Record<string, unknown>>();
    const notifications: { type: string; xml: string; at: number }[] = [];
    let notificationCount = 0;
    const notificationId = () => {
      notificationCount += 1;
      return salesforce18(`04l8d0000${notificationCount.toString(36).toUpperCase().padStart(6, "0")}`);
    };
    for (const part of parts) {
      const id = idOf(part);
      const key = `${part.type}:${id}`;
      const current = { ...state.get(key), ...part.data };
      state.set(key, current);
      const modified = new Date(ms(part.occurred_at)).toISOString();
      const text = (value: unknown) => (value === undefined ? undefined : String(value));
      let type: string;
      let fields: Record<string, string | null | undefined>;
      switch (part.type) {
        case "account.upserted":
          type = "Account";
          fields = {
            Id: id, Name: text(current.name), Industry: text(current.industry), OwnerId: text(current.owner_rep_id),
            BillingCountry: text(current.region), Type: text(current.segment), LastModifiedDate: modified,
          };
          break;
        case "lead.upserted": {
          type = "Lead";
          const stage = current.stage === undefined ? undefined : String(current.stage);
          fields = {
            Id: id, Company: undefined, OwnerId: text(current.owner_rep_id), LeadSource: text(current.source),
            Status: stage === undefined ? undefined : STATUS_OF_STAGE[stage],
            IsConverted: stage === undefined ? undefined : String(stage === "customer"),
            ConvertedAccountId: text(current.account_id),
            CreatedDate: current.created_at === undefined ? undefined : new Date(ms(String(current.created_at))).toISOString(),
            LastModifiedDate: modified,
          };
          break;
        }
        case "deal.upserted": {
          type = "Opportunity";
          const status = String(current.status);
          const closed = status === "won" || status === "lost";
          // A closed opportunity's CloseDate is the close, an open one's the plan (none: not sent).
          const closeDate = closed
            ? current.closed_at === undefined ? undefined : dayIn(ms(String(current.closed_at)), timeZone)
            : planDay(current.expected_close_at, timeZone);
          if (!closed) delete current.closed_at;
          fields = {
            Id: id, Name: text(current.name), AccountId: text(current.account_id), OwnerId: text(current.owner_rep_id),
            StageName: text(current.stage), IsClosed: String(closed), IsWon: String(status === "won"),
            Amount: current.amount === undefined ? undefined : doubleText(current.amount),
            CurrencyIsoCode: text(current.currency),
            Type: current.kind === undefined ? undefined : KINDS[String(current.kind)],
            LeadSource: text(current.source),
            CloseDate: closeDate,
            CreatedDate: current.created_at === undefined ? undefined : new Date(ms(String(current.created_at))).toISOString(),
            LastModifiedDate: modified,
          };
          break;
        }
        case "activity.logged": {
          const activityType = String(current.type);
          const what = current.deal_id ?? current.account_id;
          if (activityType === "meeting") {
            type = "Event";
            fields = {
              Id: id, Subject: "Meeting", OwnerId: text(current.rep_id), WhoId: text(current.lead_id), WhatId: text(what),
              AccountId: text(current.account_id),
              DurationInMinutes: current.duration_seconds === undefined ? undefined : String(Number(current.duration_seconds) / 60),
              ActivityDateTime: modified, LastModifiedDate: modified,
            };
          } else {
            type = "Task";
            fields = {
              Id: id, Subject: TASK_SUBTYPES[activityType], TaskSubtype: TASK_SUBTYPES[activityType],
              CallType: current.direction === undefined ? undefined : current.direction === "inbound" ? "Inbound" : "Outbound",
              CallDurationInSeconds: current.duration_seconds === undefined ? undefined : String(current.duration_seconds),
              OwnerId: text(current.rep_id), WhoId: text(current.lead_id), WhatId: text(what), AccountId: text(current.account_id),
              Status: "Completed", LastModifiedDate: modified,
            };
          }
          break;
        }
        default:
          throw new Error(`salesforce: ${part.type} is not carried`);
      }
      notifications.push({ type, at: ms(part.occurred_at), xml: `<Notification><Id>${notificationId()}</Id>${sObjectXml(type, fields)}</Notification>` });
    }

    // Salesforce queues outbound messages per workflow rule (one sObject type) and sends
    // them in batches: here one message per type and ISO week, at most 100 notifications.
    const groups = new Map<string, typeof notifications>();
    for (const n of notifications) {
      const key = `${n.type}:${Math.floor((n.at + 3 * DAY_MS) / (7 * DAY_MS))}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = []));
      group.push(n);
    }
    const batches: { type: string; xml: string; at: number }[][] = [];
    for (const group of groups.values()) for (let i = 0; i < group.length; i += PER_MESSAGE) batches.push(group.slice(i, i + PER_MESSAGE));
    batches.sort((a, b) => a[0]!.at - b[0]!.at);
    const deliveries: Delivery[] = [];
    for (const batch of batches) {
      const type = batch[0]!.type;
      const body =
        '<?xml version="1.0" encoding="UTF-8"?>' +
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
        "<soapenv:Body><notifications xmlns=\"http://soap.sforce.com/2005/09/outbound\">" +
        `<OrganizationId>${context.salesforceOrgId}</OrganizationId>` +
        `<ActionId>${salesforce18(`04k8d0000000${{ Account: "001", Lead: "002", Opportunity: "003", Task: "004", Event: "005" }[type] ?? "009"}`)}</ActionId>` +
        "<SessionId xsi:nil=\"true\"/>" +
        "<EnterpriseUrl>https://quotient-demo.my.salesforce.com/services/Soap/c/62.0/00D8d</EnterpriseUrl>" +
        "<PartnerUrl>https://quotient-demo.my.salesforce.com/services/Soap/u/62.0/00D8d</PartnerUrl>" +
        batch.map((n) => n.xml).join("") +
        "</notifications></soapenv:Body></soapenv:Envelope>";
      deliveries.push(
        signedDelivery("salesforce", body, batch.length, {
          "content-type": "text/xml; charset=utf-8",
          soapaction: '""',
          "user-agent": "Jakarta Commons-HttpClient/3.1",
        }),
      );
    }
    return deliveries;
  };
  return { kind: "salesforce", carried: (event) => carriedIn(event, timeZone), encode };
}

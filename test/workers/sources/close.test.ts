// The Close adapter: close-sig-hash verification (docs/crms/close.md), the mapping of Close
// events to canonical events, and a month told through the real route, queue and KPI engine.
import { beforeAll, describe, expect, it } from "vitest";
import { validateEvent } from "../../../workers/model/events";
import type { ConnectionSecrets } from "../../../workers/sources/adapter";
import { centsToDecimal, close, closeSignature as signatureWithKey, hexToBytes, verifyCloseSignature } from "../../../workers/sources/close";
import activityCallCreated from "../../fixtures/close/activity-call-created.json?raw";
import activityEmailCreated from "../../fixtures/close/activity-email-created.json?raw";
import activityEmailDraft from "../../fixtures/close/activity-email-draft.json?raw";
import activityMeetingUpdated from "../../fixtures/close/activity-meeting-updated.json?raw";
import activitySmsCreated from "../../fixtures/close/activity-sms-created.json?raw";
import contactCreated from "../../fixtures/close/contact-created.json?raw";
import leadCreated from "../../fixtures/close/lead-created.json?raw";
import leadDeleted from "../../fixtures/close/lead-deleted.json?raw";
import leadUpdated from "../../fixtures/close/lead-updated.json?raw";
import opportunityCreated from "../../fixtures/close/opportunity-created.json?raw";
import opportunityDeleted from "../../fixtures/close/opportunity-deleted.json?raw";
import opportunityWon from "../../fixtures/close/opportunity-won.json?raw";
import { call, createConnection, createWorkspace, monthValues, ORIGIN, postWebhook, waitForInbox, workspaceDbOf, workspaceDbOfConnection } from "../helpers";

// The Close test vector (docs/crms/close.md).
const VECTOR = {
  key: "0123456789abcdef0123456789abcdef",
  timestamp: "1700000000",
  body: '{"subscription_id":"whsub_1","event":{"id":"ev_1"}}',
  hash: "10905e5860bf6049b3bc8a7824627385edf3e93ef59702d6a1caf54f1553e098",
};
const vectorNow = Number(VECTOR.timestamp) * 1000;

/** close-sig-hash for any timestamp, with the adapter's scheme. */
const closeSignature = (keyHex: string, timestamp: string, body: string) => signatureWithKey(hexToBytes(keyHex)!, timestamp, body);

/** The common mistake: the hex text itself as the HMAC key. */
const hexTextSignature = (keyHex: string, timestamp: string, body: string) =>
  signatureWithKey(new TextEncoder().encode(keyHex), timestamp, body);

const closeHeaders = (hash: string, timestamp: string) =>
  new Headers({ "content-type": "application/json", "close-sig-hash": hash, "close-sig-timestamp": timestamp });

const connectionSecrets = (config: Record<string, unknown> = {}): ConnectionSecrets => ({
  id: "c_close_unit",
  kind: "close",
  secret: VECTOR.key,
  config,
});

describe("close-sig-hash verification", () => {
  const verify = (headers: Headers, body = VECTOR.body, now = vectorNow, key = VECTOR.key) =>
    close.verify({ method: "POST", url: `${ORIGIN}/webhooks/c_x`, headers, body }, { ...connectionSecrets(), secret: key }, now);

  it("accepts the §10 test vector", async () => {
    expect(await closeSignature(VECTOR.key, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.hash);
    expect(await verify(closeHeaders(VECTOR.hash, VECTOR.timestamp))).toEqual({ ok: true });
  });

  it("rejects a tampered body, a different timestamp and another key", async () => {
    const headers = closeHeaders(VECTOR.hash, VECTOR.timestamp);
    const mismatch = { ok: false, reason: "close-sig-hash does not match" };
    expect(await verify(headers, VECTOR.body.replace("ev_1", "ev_2"))).toEqual(mismatch);
    expect(await verify(closeHeaders(VECTOR.hash, "1700000001"))).toEqual(mismatch);
    expect(await verify(headers, VECTOR.body, vectorNow, "fedcba9876543210fedcba9876543210")).toEqual(mismatch);
  });

  it("does not verify a signature keyed with the hex text instead of its bytes", async () => {
    const wrong = await hexTextSignature(VECTOR.key, VECTOR.timestamp, VECTOR.body);
    expect(wrong).not.toBe(VECTOR.hash);
    expect(await verify(closeHeaders(wrong, VECTOR.timestamp))).toEqual({ ok: false, reason: "close-sig-hash does not match" });
  });

  it("compares the hex digest exactly as Close receivers do (lowercase, full length)", async () => {
    expect((await verify(closeHeaders(VECTOR.hash.toUpperCase(), VECTOR.timestamp))).ok).toBe(false);
    expect((await verify(closeHeaders(VECTOR.hash.slice(0, 32), VECTOR.timestamp))).ok).toBe(false);
    expect((await verify(closeHeaders(`${VECTOR.hash}00`, VECTOR.timestamp))).ok).toBe(false);
  });

  it("rejects a millisecond timestamp as outside the window, even when correctly signed", async () => {
    const ms = "1700000000000";
    const hash = await closeSignature(VECTOR.key, ms, VECTOR.body);
    expect(await verify(closeHeaders(hash, ms))).toEqual({ ok: false, reason: "close-sig-timestamp is in the future" });
    expect(await verifyCloseSignature(closeHeaders(hash, ms), VECTOR.body, VECTOR.key, Number(ms))).toEqual({
      ok: false,
      reason: "close-sig-timestamp is in the future",
    });
  });

  it("enforces ±5 minutes both ways, edges included", async () => {
    const at = (skewSeconds: number) => verify(closeHeaders(VECTOR.hash, VECTOR.timestamp), VECTOR.body, vectorNow + skewSeconds * 1000);
    expect(await at(300)).toEqual({ ok: true });
    expect(await at(-300)).toEqual({ ok: true });
    expect(await at(301)).toEqual({ ok: false, reason: "close-sig-timestamp is too old" });
    expect(await at(-301)).toEqual({ ok: false, reason: "close-sig-timestamp is in the future" });
  });

  it("rejects missing headers, a non-numeric timestamp and a connection secret that is not hex", async () => {
    expect(await verify(new Headers({ "close-sig-timestamp": VECTOR.timestamp }))).toEqual({
      ok: false,
      reason: "missing close-sig-hash or close-sig-timestamp header",
    });
    expect(await verify(closeHeaders(VECTOR.hash, "1700000000.0"))).toEqual({ ok: false, reason: "close-sig-timestamp is not Unix seconds" });
    expect(await verify(closeHeaders(VECTOR.hash, VECTOR.timestamp), VECTOR.body, vectorNow, "not-hex")).toEqual({
      ok: false,
      reason: "connection secret is not a hex signature_key",
    });
  });
});

// ---- Mapping fixtures ----

const LEAD = "lead_IIDHIStmFcFQZZP0BRe99V";
const OWNER = "user_N6KhuBGzsVVyDJPqnLQaqj";
const OPPORTUNITY = "oppo_7H4sVnDq2Ck0ZbJtW9xYr";

const normalize = (body: string, config: Record<string, unknown> = {}) =>
  close.normalize({ body, headers: {} }, connectionSecrets(config));
const mapped = (position: number, id: string, type: string, occurredAt: string, data: Record<string, unknown>) => ({
  position,
  event: { id, type, occurred_at: occurredAt, data },
});
const eventOf = (body: string) => (JSON.parse(body) as { event: Record<string, unknown> }).event;

describe("Close events → canonical events", () => {
  it("maps a new opportunity: cents to major units, owner from data.user_id, the Close lead as account and lead", () => {
    const at = "2026-03-03T09:15:00.120000";
    expect(normalize(opportunityCreated)).toEqual({
      events: [
        mapped(0, `ev_1aOpCreated0001:${at}:deal`, "deal.upserted", at, {
          deal_id: OPPORTUNITY,
          account_id: LEAD,
          lead_id: LEAD,
          owner_rep_id: OWNER,
          pipeline: "Sales",
          stage: "Active",
          status: "open",
          amount: "12500.50",
          currency: "USD",
          created_at: "2026-03-03T09:15:00.000000+00:00",
          // date_won on an active opportunity is the expected close date, not a close: the
          // plan, 2026-03-31 at midnight in the workspace's zone (UTC here).
          closed_at: null,
          expected_close_at: "2026-03-31T00:00:00.000Z",
        }),
      ],
      rejected: [],
    });
  });

  it("maps the documented opportunity-won event: status won, the label as stage, date_won as closed_at", () => {
    const at = "2026-03-20T14:02:11.395000";
    expect(normalize(opportunityWon)).toEqual({
      events: [
        mapped(0, `ev_2sYKRjcrA79yKxi3S4Crd7:${at}:deal`, "deal.upserted", at, {
          deal_id: OPPORTUNITY,
          account_id: LEAD,
          lead_id: LEAD,
          owner_rep_id: OWNER,
          pipeline: "Sales",
          stage: "Won",
          status: "won",
          amount: "12500.50",
          currency: "USD",
          created_at: "2026-03-03T09:15:00.000000+00:00",
          closed_at: "2026-03-20",
        }),
      ],
      rejected: [],
    });
  });

  it("maps a deleted opportunity to deal.deleted", () => {
    const at = "2026-03-25T08:00:00.000000";
    expect(normalize(opportunityDeleted)).toEqual({
      events: [mapped(0, `ev_3dOpDeleted0003:${at}:deal`, "deal.deleted", at, { deal_id: OPPORTUNITY })],
      rejected: [],
    });
  });

  it("maps a Close lead to an account and a lead with the same id, its status to a lifecycle stage", () => {
    const at = "2026-03-02T08:30:00.250000";
    expect(normalize(leadCreated)).toEqual({
      events: [
        mapped(0, `ev_4lLeadCreated004:${at}:account`, "account.upserted", at, { account_id: LEAD, name: "Wayne Enterprises" }),
        mapped(1, `ev_4lLeadCreated004:${at}:lead`, "lead.upserted", at, {
          lead_id: LEAD,
          account_id: LEAD,
          stage: "lead",
          created_at: "2026-03-02T08:30:00.000000+00:00",
        }),
      ],
      rejected: [],
    });
    const updatedAt = "2026-03-21T10:00:00.500000";
    expect(normalize(leadUpdated).events.map((e) => e.event)).toEqual([
      { id: `ev_5lLeadUpdated005:${updatedAt}:account`, type: "account.upserted", occurred_at: updatedAt, data: { account_id: LEAD, name: "Wayne Enterprises" } },
      {
        id: `ev_5lLeadUpdated005:${updatedAt}:lead`,
        type: "lead.upserted",
        occurred_at: updatedAt,
        data: { lead_id: LEAD, account_id: LEAD, stage: "customer", created_at: "2026-03-02T08:30:00.000000+00:00" },
      },
    ]);
  });

  it("clears the stage for a status with no lifecycle stage, and takes per-connection overrides", () => {
    const withStatus = (label: string) => {
      const body = JSON.parse(leadUpdated) as { event: { data: { status_label: string } } };
      body.event.data.status_label = label;
      return JSON.stringify(body);
    };
    const stageOf = (label: string, config: Record<string, unknown> = {}) =>
      (normalize(withStatus(label), config).events[1]!.event as { data: { stage?: unknown } }).data.stage;
    expect(stageOf("Bad Fit")).toBeNull();
    expect(stageOf("Qualified")).toBe("sql");
    expect(stageOf(" MQL ")).toBe("mql");
    expect(stageOf("Demo Booked", { lead_status_stages: { "demo booked": "opportunity" } })).toBe("opportunity");
    expect(stageOf("Customer", { lead_status_stages: { Customer: "sql" } })).toBe("sql");
    const invalid = normalize(withStatus("Potential"), { lead_status_stages: { Potential: "prospect" } });
    expect(invalid.events).toEqual([]);
    expect(invalid.rejected[0]!.reason).toMatch(/^config\.lead_status_stages: /);
  });

  it("maps a deleted lead to lead.deleted and account.deleted", () => {
    const at = "2026-03-28T10:00:00.000000";
    expect(normalize(leadDeleted)).toEqual({
      events: [
        mapped(0, `ev_6lLeadDeleted006:${at}:lead`, "lead.deleted", at, { lead_id: LEAD }),
        mapped(1, `ev_6lLeadDeleted006:${at}:account`, "account.deleted", at, { account_id: LEAD }),
      ],
      rejected: [],
    });
  });

  it("maps calls, sent emails and meetings to activities with rep, lead, direction, duration and outcome", () => {
    const callAt = "2026-03-06T15:05:12.100000";
    const emailAt = "2026-03-07T11:00:00.300000";
    const meetingAt = "2026-03-10T16:30:01.000000";
    expect(normalize(activityCallCreated)).toEqual({
      events: [
        mapped(0, `ev_7cCallCreated007:${callAt}:activity`, "activity.logged", callAt, {
          activity_id: "acti_Call9fJ2kLmNpQ",
          type: "call",
          rep_id: OWNER,
          lead_id: LEAD,
          account_id: LEAD,
          direction: "outbound",
          duration_seconds: 312,
        }),
      ],
      rejected: [],
    });
    expect(normalize(activityEmailCreated)).toEqual({
      events: [
        mapped(0, `ev_8eEmailCreated08:${emailAt}:activity`, "activity.logged", emailAt, {
          activity_id: "acti_Email3kPq8sLx",
          type: "email",
          rep_id: OWNER,
          lead_id: LEAD,
          account_id: LEAD,
          direction: "outbound",
        }),
      ],
      rejected: [],
    });
    expect(normalize(activityMeetingUpdated)).toEqual({
      events: [
        mapped(0, `ev_10mMeetUpdated10:${meetingAt}:activity`, "activity.logged", meetingAt, {
          activity_id: "acti_Meet5Rt8wQz",
          type: "meeting",
          rep_id: OWNER,
          lead_id: LEAD,
          account_id: LEAD,
          duration_seconds: 1800,
          outcome: "held",
        }),
      ],
      rejected: [],
    });
    const incoming = JSON.parse(activityEmailCreated) as { event: { data: { direction: string; status: string } } };
    incoming.event.data.direction = "incoming";
    incoming.event.data.status = "inbox";
    expect((normalize(JSON.stringify(incoming)).events[0]!.event as { data: { direction: string } }).data.direction).toBe("inbound");
  });

  it("emits only canonical events that validate", () => {
    const bodies = [opportunityCreated, opportunityWon, opportunityDeleted, leadCreated, leadUpdated, leadDeleted,
      activityCallCreated, activityEmailCreated, activityMeetingUpdated];
    for (const body of bodies) {
      for (const { event } of normalize(body).events) expect(validateEvent(event), JSON.stringify(event)).toMatchObject({ ok: true });
    }
  });

  it("rejects what it cannot map, each with its reason, the Close event and its instant", () => {
    const rejection = (body: string, reason: string) => {
      const event = eventOf(body);
      const at = event.date_updated as string;
      return { events: [], rejected: [{ position: 0, eventId: `${event.id}:${at}`, reason, payload: event, occurredAt: Date.parse(`${at}Z`) }] };
    };
    expect(normalize(activityEmailDraft)).toEqual(
      rejection(activityEmailDraft, 'activity.email with status "draft" is not sent yet; it counts once sent'),
    );
    expect(normalize(contactCreated)).toEqual(
      rejection(contactCreated, "contact is not mapped: the Close lead (the company) is the lead; subscribe to lead events"),
    );
    expect(normalize(activitySmsCreated)).toEqual(rejection(activitySmsCreated, 'object_type "activity.sms" is not mapped'));

    const deletedCall = JSON.parse(activityCallCreated) as { event: { action: string } };
    deletedCall.event.action = "deleted";
    expect(normalize(JSON.stringify(deletedCall)).rejected[0]!.reason).toBe(
      "activity.call deleted: the native format has no activity deletion",
    );
    const merged = JSON.parse(leadCreated) as { event: { action: string } };
    merged.event.action = "merged";
    expect(normalize(JSON.stringify(merged)).rejected[0]!.reason).toBe('lead action "merged" is not mapped');
    const badStatus = JSON.parse(opportunityWon) as { event: { data: { status_type: string } } };
    badStatus.event.data.status_type = "closed";
    expect(normalize(JSON.stringify(badStatus)).rejected[0]!.reason).toMatch(/^data\.status_type: Invalid option/);
    const noAction = normalize('{"subscription_id":"whsub_1","event":{"id":"ev_9","object_type":"lead"}}');
    expect(noAction.events).toEqual([]);
    expect(noAction.rejected[0]).toMatchObject({ eventId: "ev_9:", reason: expect.stringMatching(/^event\.action: /) });
  });

  it("gives a later version of the same Close event its own id, ordered by date_updated", () => {
    const later = JSON.parse(activityCallCreated) as { event: { date_updated: string; data: { duration: number } } };
    later.event.date_updated = "2026-03-06T15:09:00.000000";
    later.event.data.duration = 540;
    const first = normalize(activityCallCreated).events[0]!.event as { id: string; occurred_at: string };
    const second = normalize(JSON.stringify(later)).events[0]!.event as { id: string; occurred_at: string; data: { duration_seconds: number } };
    expect(second.id).not.toBe(first.id);
    expect(second.occurred_at > first.occurred_at).toBe(true);
    expect(second.data.duration_seconds).toBe(540);
  });

  it("converts cents exactly", () => {
    expect(centsToDecimal(1999)).toBe("19.99");
    expect(centsToDecimal(5)).toBe("0.05");
    expect(centsToDecimal(-250)).toBe("-2.50");
    expect(centsToDecimal(0)).toBe("0.00");
  });

  it("splits one delivery per Close event, keyed by event.id and date_updated", () => {
    const request = (body: string) => ({ method: "POST", url: ORIGIN, headers: new Headers(), body });
    expect(close.split(request(opportunityWon))).toEqual({
      ok: true,
      deliveries: [{ deliveryId: "ev_2sYKRjcrA79yKxi3S4Crd7:2026-03-20T14:02:11.395000", body: opportunityWon, headers: {} }],
    });
    expect(close.split(request("status=won"))).toEqual({ ok: false, status: 400, reason: "body is not JSON" });
    expect(close.split(request('{"subscription_id":"whsub_1"}'))).toMatchObject({ ok: false, status: 400 });
  });
});

// ---- Through the real route, queue and KPI engine ----

describe("Close custom fields a connection names (term, competitor, lost reason, lead score)", () => {
  const CUSTOM = {
    term_months_field: "cf_TermMonths01",
    competitor_field: "cf_Competitor01",
    lost_reason_field: "cf_LostReason01",
    lead_score_field: "cf_LeadScore001",
  };
  /** A documented fixture with extra fields in event.data, as Close sends custom fields: `custom.<id>`. */
  const withData = (fixture: string, extra: Record<string, unknown>) => {
    const body = JSON.parse(fixture) as { event: { data: Record<string, unknown> } };
    return JSON.stringify({ ...body, event: { ...body.event, data: { ...body.event.data, ...extra } } });
  };
  const result = (body: string, config: Record<string, unknown> = CUSTOM) => {
    const normalized = normalize(body, config);
    return {
      data: normalized.events.map((e) => (e.event as { data: Record<string, unknown> }).data),
      notes: normalized.rejected.map((r) => [r.position, r.reason]),
    };
  };
  const lost = (extra: Record<string, unknown>) =>
    withData(opportunityWon, { status_type: "lost", status_label: "Lost", date_won: null, date_lost: "2026-03-20", ...extra });
  const lostDeal = {
    deal_id: OPPORTUNITY, account_id: LEAD, lead_id: LEAD, owner_rep_id: OWNER, pipeline: "Sales", stage: "Lost", status: "lost",
    amount: "12500.50", currency: "USD", created_at: "2026-03-03T09:15:00.000000+00:00", closed_at: "2026-03-20",
  };

  it("maps the named opportunity and lead custom fields", () => {
    const body = lost({ "custom.cf_TermMonths01": 24, "custom.cf_Competitor01": "Rival Inc", "custom.cf_LostReason01": "Price" });
    expect(result(body)).toEqual({ data: [{ ...lostDeal, term_months: 24, competitor: "Rival Inc", lost_reason: "Price" }], notes: [] });
    const lead = result(withData(leadUpdated, { "custom.cf_LeadScore001": 82 }));
    expect(lead.notes).toEqual([]);
    expect(lead.data[1]).toMatchObject({ lead_id: LEAD, score: 82 });
  });

  it("leaves them absent without named fields, or when the object does not carry them", () => {
    const body = lost({ "custom.cf_TermMonths01": 24, "custom.cf_Competitor01": "Rival Inc", "custom.cf_LostReason01": "Price" });
    expect(result(body, {})).toEqual({ data: [lostDeal], notes: [] });
    expect(result(lost({}))).toEqual({ data: [lostDeal], notes: [] });
    for (const data of result(withData(leadUpdated, {})).data) expect(data).not.toHaveProperty("score");
    for (const data of result(withData(leadUpdated, { "custom.cf_LeadScore001": 82 }), {}).data) expect(data).not.toHaveProperty("score");
  });

  it("applies the object without a value its native field refuses, with a note after its events", () => {
    for (const term of [0, 1.5, "abc"]) {
      const why = term === "abc" ? "not a decimal number" : "must be a whole number of months, at least 1";
      expect(result(lost({ "custom.cf_TermMonths01": term, "custom.cf_LostReason01": "Price" }))).toEqual({
        data: [{ ...lostDeal, lost_reason: "Price" }],
        notes: [[1, `cf_TermMonths01 ${JSON.stringify(term)} ${why}: the deal was applied without its term_months`]],
      });
    }
    for (const score of [101, -1, "x"]) {
      const { data, notes } = result(withData(leadUpdated, { "custom.cf_LeadScore001": score }));
      expect(data).toHaveLength(2); // the account and the lead, without a score
      expect(data[1]).not.toHaveProperty("score");
      const why = score === "x" ? "not a decimal number" : "must be between 0 and 100";
      expect(notes).toEqual([[2, `cf_LeadScore001 ${JSON.stringify(score)} ${why}: the lead was applied without its score`]]);
    }
    expect(result(lost({ "custom.cf_Competitor01": ["Rival Inc"] })).notes).toEqual([
      [1, 'cf_Competitor01 ["Rival Inc"] is not text: the deal was applied without its competitor'],
    ]);
  });

  it("refuses a connection whose field names are no Close custom field ids", () => {
    expect(close.planSecret(undefined, { competitor_field: "Competitor" })).toEqual({
      ok: false, field: "config.competitor_field", message: "a Close custom field id, such as cf_v6S011I6MqcbVvB2FA5Nk8dr5MkL8sWuCiG8cUleO9c",
    });
    expect(close.planSecret(undefined, CUSTOM)).toEqual({ ok: true, secret: null });
  });
});

const KEY = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

async function postClose(
  connection: { id: string },
  body: string,
  options: { key?: string; timestamp?: string; hash?: string; headers?: Record<string, string> } = {},
) {
  const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
  const hash = options.hash ?? (await closeSignature(options.key ?? KEY, timestamp, body));
  return postWebhook(`${ORIGIN}/webhooks/${connection.id}`, body, {
    "content-type": "application/json",
    "close-sig-hash": hash,
    "close-sig-timestamp": timestamp,
    ...options.headers,
  });
}

const inboxCount = async (connectionId: string) =>
  (await (await workspaceDbOfConnection(connectionId)).prepare("SELECT COUNT(*) AS n FROM inbox WHERE connection_id = ?1").bind(connectionId).first<{ n: number }>())!.n;

describe("POST /webhooks/:connectionId (close)", () => {
  let connection: { id: string };

  beforeAll(async () => {
    await createWorkspace("close-http", { timezone: "UTC" });
    connection = await createConnection("close-http", "close", { secret: KEY });
  });

  it("answers 200 for a signed delivery, 200 for its retry, and stores it once", async () => {
    const first = await postClose(connection, opportunityWon);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ status: "accepted", deliveries: 1 });
    const retry = await postClose(connection, opportunityWon);
    expect(retry.status).toBe(200);
    expect(await retry.json()).toEqual({ status: "duplicate" });
    const rows = await (await workspaceDbOfConnection(connection.id)).prepare("SELECT delivery_id FROM inbox WHERE connection_id = ?1").bind(connection.id).all();
    expect(rows.results).toEqual([{ delivery_id: "ev_2sYKRjcrA79yKxi3S4Crd7:2026-03-20T14:02:11.395000" }]);
    await waitForInbox();
  });

  it("answers 401 and stores nothing for a bad signature, the hex text as key, a stale or ms timestamp, missing headers", async () => {
    const before = await inboxCount(connection.id);
    const body = opportunityCreated;
    const now = Math.floor(Date.now() / 1000);
    const cases = [
      postClose(connection, body, { key: "00".repeat(32) }),
      postClose(connection, body, { hash: await hexTextSignature(KEY, String(now), body), timestamp: String(now) }),
      // Well past the 5 minutes either way: the Worker's clock may tick into the next second
      // after `now` (the exact edges are tested above with a fixed clock).
      postClose(connection, body, { timestamp: String(now - 310) }),
      postClose(connection, body, { timestamp: String(now + 310) }),
      postClose(connection, body, { timestamp: String(Date.now()) }),
      postWebhook(`${ORIGIN}/webhooks/${connection.id}`, body, { "content-type": "application/json" }),
    ];
    for (const response of await Promise.all(cases)) {
      expect(response.status).toBe(401);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
    }
    // Control: the same delivery, correctly signed, is accepted; edited after signing, it is not.
    expect((await postClose(connection, body, { timestamp: String(now) })).status).toBe(200);
    const edited = await postWebhook(`${ORIGIN}/webhooks/${connection.id}`, body.replace("12500", "99999"), {
      "close-sig-hash": await closeSignature(KEY, String(now), body),
      "close-sig-timestamp": String(now),
    });
    expect(edited.status).toBe(401);
    expect(await inboxCount(connection.id)).toBe(before + 1);
    await waitForInbox();
  });

  it("answers 400 for a signed body that is not JSON, and stores nothing", async () => {
    const before = await inboxCount(connection.id);
    const response = await postClose(connection, "event=opportunity.updated");
    expect(response.status).toBe(400);
    expect(((await response.json()) as { detail: string }).detail).toBe("body is not JSON");
    expect(await inboxCount(connection.id)).toBe(before);
  });

  it("refuses a connection without a hex signature_key", async () => {
    const response = await call("POST", "/api/v1/workspaces/close-http/connections", { kind: "close", name: "x", secret: "whsec_abc" });
    expect(response.status).toBe(400);
  });
});

// A March story: a Close lead becomes a customer, one opportunity is won after two stages,
// another is lost, a call (whose Close event is updated once) and an email are logged.
const STORY_LEAD = "lead_StoryWayne01";
const REP = "user_StoryRep0001";

function storyEvent(
  id: string,
  objectType: string,
  action: string,
  objectId: string,
  dateUpdated: string,
  data: Record<string, unknown>,
) {
  return JSON.stringify({
    subscription_id: "whsub_story",
    event: {
      id,
      object_type: objectType,
      action,
      object_id: objectId,
      lead_id: STORY_LEAD,
      organization_id: "orga_story",
      user_id: "user_SomeoneElse",
      date_created: dateUpdated,
      date_updated: dateUpdated,
      meta: {},
      changed_fields: [],
      previous_data: {},
      data: { id: objectId, ...data },
    },
  });
}

const lead = (status: string) => ({
  display_name: "Wayne Enterprises",
  name: "Wayne Enterprises",
  status_label: status,
  date_created: "2026-03-02T08:30:00.000000+00:00",
});
const opportunity = (id: string, label: string, type: string, value: number, extra: Record<string, unknown> = {}) => ({
  lead_id: STORY_LEAD,
  user_id: REP,
  status_label: label,
  status_type: type,
  value,
  value_currency: "USD",
  value_period: "one_time",
  date_created: id === "oppo_A" ? "2026-03-03T09:00:00.000000+00:00" : "2026-03-04T09:00:00.000000+00:00",
  date_won: null,
  ...extra,
});
const callData = (duration: number, status: string) => ({
  lead_id: STORY_LEAD,
  user_id: REP,
  direction: "outbound",
  duration,
  status,
  date_created: "2026-03-06T15:00:00.000000+00:00",
});

const STORY = [
  storyEvent("ev_s01", "lead", "created", STORY_LEAD, "2026-03-02T08:30:00.000000", lead("Potential")),
  storyEvent("ev_s02", "opportunity", "created", "oppo_A", "2026-03-03T09:00:00.000000", opportunity("oppo_A", "Qualification", "active", 1250000)),
  storyEvent("ev_s03", "opportunity", "created", "oppo_B", "2026-03-04T09:00:00.000000", opportunity("oppo_B", "Qualification", "active", 500000)),
  storyEvent("ev_s04", "lead", "updated", STORY_LEAD, "2026-03-05T10:00:00.000000", lead("Qualified")),
  // Close mutates an event: the same event id arrives again with a later date_updated.
  storyEvent("ev_s05", "activity.call", "created", "acti_call1", "2026-03-06T15:00:05.000000", callData(0, "in-progress")),
  storyEvent("ev_s05", "activity.call", "created", "acti_call1", "2026-03-06T15:05:12.000000", callData(312, "completed")),
  storyEvent("ev_s06", "activity.email", "created", "acti_email1", "2026-03-07T11:00:00.000000", {
    lead_id: STORY_LEAD,
    user_id: REP,
    direction: "outgoing",
    status: "sent",
  }),
  storyEvent("ev_s07", "opportunity", "updated", "oppo_A", "2026-03-10T12:00:00.000000", opportunity("oppo_A", "Proposal", "active", 1250000)),
  storyEvent("ev_s08", "opportunity", "updated", "oppo_A", "2026-03-20T14:00:00.000000", opportunity("oppo_A", "Won", "won", 1250000, { date_won: "2026-03-20" })),
  storyEvent("ev_s09", "lead", "updated", STORY_LEAD, "2026-03-21T10:00:00.000000", lead("Customer")),
  storyEvent("ev_s10", "opportunity", "updated", "oppo_B", "2026-03-25T16:00:00.000000", opportunity("oppo_B", "Lost", "lost", 500000)),
];

async function tellStory(slug: string, order: string[]) {
  await createWorkspace(slug, { timezone: "UTC" });
  const connection = await createConnection(slug, "close", { secret: KEY });
  for (const body of order) expect((await postClose(connection, body)).status).toBe(200);
  return connection;
}

async function entityRows(slug: string) {
  const workspace = await (await workspaceDbOf(slug)).prepare("SELECT id FROM workspaces WHERE slug = ?1").bind(slug).first<{ id: string }>();
  const tables: Record<string, string> = {
    accounts: "account_id",
    leads: "lead_id",
    deals: "deal_id",
    activities: "activity_id",
    field_history: "entity_type, entity_id, field, occurred_at, event_id",
  };
  const rows: Record<string, Record<string, unknown>[]> = {};
  for (const [table, order] of Object.entries(tables)) {
    const { results } = await (await workspaceDbOf(slug)).prepare(`SELECT * FROM ${table} WHERE workspace_id = ?1 ORDER BY ${order}`)
      .bind(workspace!.id)
      .all<Record<string, unknown>>();
    rows[table] = results.map(({ workspace_id: _, ...row }) => row);
  }
  return rows;
}

describe("a Close month end to end", () => {
  let inOrder: { id: string };

  beforeAll(async () => {
    inOrder = await tellStory("close-story", STORY);
    // A retried delivery is answered 200 and applied once.
    const retry = await postClose(inOrder, STORY[7]!);
    expect(retry.status).toBe(200);
    expect(await retry.json()).toEqual({ status: "duplicate" });
    await tellStory("close-story-reversed", [...STORY].reverse());
    await waitForInbox();
    for (const slug of ["close-story", "close-story-reversed"]) {
      expect((await call("POST", `/api/v1/workspaces/${slug}/recompute`, { from: "2026-03", to: "2026-03" })).status).toBe(200);
    }
  });

  it("takes Close's default stage order for a workspace without one", async () => {
    const response = await call("GET", "/api/v1/workspaces/close-story");
    expect(((await response.json()) as { pipeline_stages: string[] }).pipeline_stages).toEqual(["Active", "Won"]);
  });

  it("computes the month's KPIs", async () => {
    const value = await monthValues("close-story", "2026-03");
    expect(value("deals_won")).toBe(1);
    expect(value("win_rate")).toBe(0.5); // 1 won / (1 won + 1 lost)
    expect(value("revenue_won")).toBe(12500); // 1 250 000 cents
    expect(value("new_leads")).toBe(1); // the Close lead; contacts are not leads
    expect(value("activities")).toBe(2); // the call (two versions of one event) and the email
    expect(value("activities", "type", "call")).toBe(1);
  });

  it("stores the latest state of each object", async () => {
    const rows = await entityRows("close-story");
    expect(await inboxCount(inOrder.id)).toBe(STORY.length);
    expect(rows.deals!.map(({ deal_id, stage, status, amount, owner_rep_id, account_id, closed_at }) => ({
      deal_id, stage, status, amount, owner_rep_id, account_id, closed_at,
    }))).toEqual([
      { deal_id: "oppo_A", stage: "Won", status: "won", amount: 12500, owner_rep_id: REP, account_id: STORY_LEAD, closed_at: Date.parse("2026-03-20T00:00:00Z") },
      // No date_lost: the close is the instant the status became lost.
      { deal_id: "oppo_B", stage: "Lost", status: "lost", amount: 5000, owner_rep_id: REP, account_id: STORY_LEAD, closed_at: Date.parse("2026-03-25T16:00:00Z") },
    ]);
    expect(rows.leads!.map(({ lead_id, account_id, stage, created_at }) => ({ lead_id, account_id, stage, created_at }))).toEqual([
      { lead_id: STORY_LEAD, account_id: STORY_LEAD, stage: "customer", created_at: Date.parse("2026-03-02T08:30:00Z") },
    ]);
    expect(rows.accounts!.map(({ account_id, name }) => ({ account_id, name }))).toEqual([
      { account_id: STORY_LEAD, name: "Wayne Enterprises" },
    ]);
    expect(rows.activities!.map(({ activity_id, type, direction, rep_id, lead_id, duration_seconds }) => ({
      activity_id, type, direction, rep_id, lead_id, duration_seconds,
    }))).toEqual([
      { activity_id: "acti_call1", type: "call", direction: "outbound", rep_id: REP, lead_id: STORY_LEAD, duration_seconds: 312 },
      { activity_id: "acti_email1", type: "email", direction: "outbound", rep_id: REP, lead_id: STORY_LEAD, duration_seconds: null },
    ]);
  });

  it("ends in the same state when the deliveries arrive in reverse order", async () => {
    const forward = await entityRows("close-story");
    const reversed = await entityRows("close-story-reversed");
    expect(forward.deals).toHaveLength(2);
    expect(reversed).toEqual(forward);
    const reversedValue = await monthValues("close-story-reversed", "2026-03");
    for (const kpi of ["deals_won", "win_rate", "new_leads", "activities"]) {
      expect(reversedValue(kpi), kpi).toBe((await monthValues("close-story", "2026-03"))(kpi));
    }
  });
});

describe("Close date_won: the plan of an active opportunity, the close of a won one", () => {
  const plan = (extra: Record<string, unknown>, timezone?: string) => {
    const body = JSON.parse(opportunityCreated) as { event: { data: Record<string, unknown> } };
    body.event.data = { ...body.event.data, ...extra };
    const normalized = close.normalize({ body: JSON.stringify(body), headers: {} }, { ...connectionSecrets(), ...(timezone ? { timezone } : {}) });
    const data = (normalized.events[0]!.event as { data: Record<string, unknown> }).data;
    return { closed_at: data.closed_at, expected_close_at: data.expected_close_at, has: "expected_close_at" in data, notes: normalized.rejected.map((r) => r.reason) };
  };

  it("an active opportunity's date_won is expected_close_at, midnight of that day in the workspace's zone", () => {
    // 2026-03-31 00:00 in Los Angeles (PDT, UTC−7) = 07:00Z.
    expect(plan({ date_won: "2026-03-31" }, "America/Los_Angeles")).toEqual({ closed_at: null, expected_close_at: "2026-03-31T07:00:00.000Z", has: true, notes: [] });
  });

  it("a won opportunity's date_won is closed_at only: the plan it had stays", () => {
    expect(plan({ status_type: "won", status_label: "Won", date_won: "2026-03-20" }, "America/Los_Angeles")).toEqual({
      closed_at: "2026-03-20", expected_close_at: undefined, has: false, notes: [],
    });
  });

  it("clears the plan with a null date_won, leaves it without one, and leaves out a date that is no day with a note", () => {
    expect(plan({ date_won: null })).toEqual({ closed_at: null, expected_close_at: null, has: true, notes: [] });
    const withoutDate = JSON.parse(opportunityCreated) as { event: { data: Record<string, unknown> } };
    delete withoutDate.event.data.date_won;
    const data = (close.normalize({ body: JSON.stringify(withoutDate), headers: {} }, connectionSecrets()).events[0]!.event as { data: Record<string, unknown> }).data;
    expect("expected_close_at" in data).toBe(false);
    expect(plan({ date_won: "end of Q2" })).toEqual({
      closed_at: null, expected_close_at: undefined, has: false,
      notes: ['date_won "end of Q2" is not a date: the deal was applied without its expected_close_at'],
    });
  });
});

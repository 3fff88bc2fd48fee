// Scopes that mean what they say: a read token never gets a value that lets it write
// (connection ids, webhook URLs, organization ids, deploy hook URLs); connections are
// rotated (new webhook URL, the old one works through a grace period) and deleted (their data stays).
import { beforeAll, describe, expect, it } from "vitest";
import { call, createConnection, createNativeConnection, createWorkspace, event, monthValues, postNative, postWebhook, waitForInbox } from "./helpers";

const ORG_18 = "00D7F00000107XsUAI";
const ORG_15 = "00D7F00000107Xs";
const DEPLOY_HOOK = "https://api.example.com/deploy/hook-secret-4711";

async function token(slug: string, scopes: string[]) {
  const response = await call("POST", `/api/v1/workspaces/${slug}/tokens`, { scopes });
  return ((await response.json()) as { token: string }).token;
}

/** An Outbound Message with one Contact notification: not mapped, so a dead letter carrying the org id. */
function contactMessage(organizationId: string) {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
    `<soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound">` +
    `<OrganizationId>${organizationId}</OrganizationId><ActionId>04k7F0000008V3hQAE</ActionId><SessionId xsi:nil="true"/>` +
    `<EnterpriseUrl>https://ap5.salesforce.com/services/Soap/c/47.0/${ORG_15}</EnterpriseUrl>` +
    `<PartnerUrl>https://ap5.salesforce.com/services/Soap/u/47.0/${ORG_15}</PartnerUrl>` +
    `<Notification><Id>04l7F000000AbCdQAK</Id><sObject xsi:type="sf:Contact" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">` +
    `<sf:Id>0037F00000AbCdEQAZ</sf:Id><sf:LastName>Doe</sf:LastName></sObject></Notification>` +
    `</notifications></soapenv:Body></soapenv:Envelope>`
  );
}

const soapHeaders = { "content-type": "text/xml; charset=utf-8", soapaction: '""' };

describe("a read token gets nothing that lets it write", () => {
  let read: string;
  let admin: string;
  let native: { id: string; webhook_url: string; secret: string };
  let sf: { id: string; webhook_url: string };

  beforeAll(async () => {
    await createWorkspace("readonly", { deploy_hook_url: DEPLOY_HOOK });
    read = await token("readonly", ["read"]);
    admin = await token("readonly", ["admin"]);
    native = await createNativeConnection("readonly");
    sf = await createConnection("readonly", "salesforce", { config: { organization_id: ORG_18 } });
    // A native event of an unknown type, carrying credential-like keys and the connection's own id.
    const rejected = event("bad-1", "deal.exploded", "2026-03-02T10:00:00Z", {
      api_key: "sk_live_should_not_show",
      note: `see ${native.webhook_url}`,
      nested: { Authorization: "Bearer abc", kept: "visible" },
    });
    expect((await postNative(native, JSON.stringify({ events: [rejected] }))).status).toBe(202);
    expect((await postWebhook(sf.webhook_url, contactMessage(ORG_18), soapHeaders)).status).toBe(200);
    await waitForInbox();
  });

  it("dead letters: an admin sees the connection id and the payload as received", async () => {
    const page = (await (await call("GET", "/api/v1/workspaces/readonly/dead-letters", undefined, admin)).json()) as {
      items: { connection_id?: string; payload: Record<string, unknown> }[];
    };
    expect(page.items.map((d) => d.connection_id).sort()).toEqual([native.id, sf.id].sort());
    expect(JSON.stringify(page)).toContain(ORG_18);
    expect(JSON.stringify(page)).toContain("sk_live_should_not_show");
  });

  it("dead letters: a read token gets no connection id, no org id, no credential-like value", async () => {
    const response = await call("GET", "/api/v1/workspaces/readonly/dead-letters", undefined, read);
    expect(response.status).toBe(200);
    const text = await response.text();
    for (const secret of [native.id, sf.id, native.webhook_url, sf.webhook_url, ORG_18, ORG_15, "sk_live_should_not_show", "Bearer abc"]) {
      expect(text).not.toContain(secret);
    }
    const page = JSON.parse(text) as { items: { connection_id?: string; reason: string; payload: Record<string, unknown> }[] };
    expect(page.items).toHaveLength(2);
    for (const item of page.items) expect(item).not.toHaveProperty("connection_id");
    const nativeLetter = page.items.find((d) => JSON.stringify(d.payload).includes("deal.exploded"))!;
    expect(nativeLetter.payload).toMatchObject({
      id: "bad-1",
      type: "deal.exploded",
      data: { api_key: "[redacted]", note: "[redacted]", nested: { Authorization: "[redacted]", kept: "visible" } },
    });
    const contact = page.items.find((d) => d.reason.includes("Contact"))!;
    expect(contact.reason).toContain("Contact 0037F00000AbCdEQAZ has no LastModifiedDate");
    expect(contact.payload).toMatchObject({ organization_id: "[redacted]" });
  });

  it("the workspace document: a read token gets no deploy hook URL, an admin does", async () => {
    const asRead = (await (await call("GET", "/api/v1/workspaces/readonly", undefined, read)).json()) as Record<string, unknown>;
    expect(asRead).not.toHaveProperty("deploy_hook_url");
    expect(asRead).toMatchObject({ slug: "readonly", name: "Workspace readonly" });
    const listed = await (await call("GET", "/api/v1/workspaces", undefined, read)).text();
    expect(listed).toContain('"slug":"readonly"');
    expect(listed).not.toContain(DEPLOY_HOOK);
    const asAdmin = (await (await call("GET", "/api/v1/workspaces/readonly", undefined, admin)).json()) as Record<string, unknown>;
    expect(asAdmin.deploy_hook_url).toBe(DEPLOY_HOOK);
  });

  it("connections are admin-only: a read token cannot list them", async () => {
    const response = await call("GET", "/api/v1/workspaces/readonly/connections", undefined, read);
    expect(response.status).toBe(403);
    expect(await response.text()).not.toContain(native.id);
  });
});

describe("rotating a connection", () => {
  const body = (id: string) => JSON.stringify({ events: [event(id, "deal.upserted", "2026-03-02T10:00:00Z", { deal_id: id, amount: 100, status: "won" })] });

  it("gives a new webhook URL; the old one works through the grace period, then answers 404", async () => {
    await createWorkspace("rotating");
    const connection = await createNativeConnection("rotating");
    const rotated = await call("POST", `/api/v1/workspaces/rotating/connections/${connection.id}/rotate`, { grace_seconds: 1 });
    expect(rotated.status).toBe(200);
    const answer = (await rotated.json()) as { id: string; webhook_url: string; previous_webhook_url: string; previous_webhook_url_expires_at: string };
    expect(answer.id).toBe(connection.id);
    expect(answer.previous_webhook_url).toBe(connection.webhook_url);
    expect(answer.webhook_url).not.toBe(connection.webhook_url);
    expect(answer.webhook_url).toMatch(/^https:\/\/quotient\.test\/webhooks\/c_[0-9a-f]{32}$/);
    expect(Date.parse(answer.previous_webhook_url_expires_at) - Date.now()).toBeLessThanOrEqual(1000);
    const newId = answer.webhook_url.split("/").pop()!;
    // The secret is unchanged: the same signature works at both URLs.
    expect((await postNative({ id: newId, secret: connection.secret }, body("r-1"))).status).toBe(202);
    expect((await postNative(connection, body("r-2"))).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const expired = await postNative(connection, body("r-3"));
    expect(expired.status).toBe(404);
    expect(expired.headers.get("content-type")).toBe("application/problem+json");
    expect((await postNative({ id: newId, secret: connection.secret }, body("r-4"))).status).toBe(202);
    // The list shows the new URL under the unchanged id.
    const list = (await (await call("GET", "/api/v1/workspaces/rotating/connections")).json()) as { items: { id: string; webhook_url: string }[] };
    expect(list.items).toEqual([expect.objectContaining({ id: connection.id, webhook_url: answer.webhook_url })]);
    await waitForInbox();
    // Deliveries through both URLs are the one connection's: three deals of 100 won, the refused one not.
    expect((await call("POST", "/api/v1/workspaces/rotating/recompute", { from: "2026-03", to: "2026-03" })).status).toBe(200);
    expect((await monthValues("rotating", "2026-03"))("revenue_won")).toBe(300);
  });

  it("defaults to no grace: the old URL answers 404 at once; a second rotation retires the second URL", async () => {
    await createWorkspace("rotate-now");
    const connection = await createNativeConnection("rotate-now");
    const rotated = await call("POST", `/api/v1/workspaces/rotate-now/connections/${connection.id}/rotate`);
    expect(rotated.status).toBe(200);
    const first = (await rotated.json()) as { webhook_url: string; previous_webhook_url_expires_at: string };
    expect(Date.parse(first.previous_webhook_url_expires_at)).toBeLessThanOrEqual(Date.now());
    expect((await postNative(connection, body("n-1"))).status).toBe(404);
    const firstId = first.webhook_url.split("/").pop()!;
    expect((await postNative({ id: firstId, secret: connection.secret }, body("n-2"))).status).toBe(202);
    const second = (await (await call("POST", `/api/v1/workspaces/rotate-now/connections/${connection.id}/rotate`, { grace_seconds: 3600 })).json()) as {
      webhook_url: string;
      previous_webhook_url: string;
    };
    expect(second.previous_webhook_url).toBe(first.webhook_url);
    const secondId = second.webhook_url.split("/").pop()!;
    expect((await postNative({ id: firstId, secret: connection.secret }, body("n-3"))).status).toBe(202);
    expect((await postNative({ id: secondId, secret: connection.secret }, body("n-4"))).status).toBe(202);
    expect((await postNative(connection, body("n-5"))).status).toBe(404);
    await waitForInbox();
  });

  it("rejects a grace period that is negative, too long or not an integer, naming grace_seconds", async () => {
    await createWorkspace("rotate-bad");
    const connection = await createNativeConnection("rotate-bad");
    for (const grace of [-1, 30 * 24 * 3600 + 1, 1.5, "60"]) {
      const response = await call("POST", `/api/v1/workspaces/rotate-bad/connections/${connection.id}/rotate`, { grace_seconds: grace });
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      const problem = (await response.json()) as { errors: { field: string }[] };
      expect(problem.errors.map((e) => e.field)).toEqual(["grace_seconds"]);
    }
    const unknown = await call("POST", `/api/v1/workspaces/rotate-bad/connections/${connection.id}/rotate`, { grace: 5 });
    expect(unknown.status).toBe(400);
    // Nothing was rotated: the original URL still works.
    expect((await postNative(connection, body("b-1"))).status).toBe(202);
    await waitForInbox();
  });
});

describe("deleting a connection", () => {
  it("stops its deliveries (404) and keeps its data", async () => {
    await createWorkspace("deleting", { timezone: "UTC" });
    const connection = await createNativeConnection("deleting");
    const events = [event("d-1", "deal.upserted", "2026-03-02T10:00:00Z", { deal_id: "D-1", amount: 1200, status: "won" })];
    expect((await postNative(connection, JSON.stringify({ events }))).status).toBe(202);
    await waitForInbox();
    // Rotated with a long grace first: deleting stops the retired URL too.
    const rotated = (await (await call("POST", `/api/v1/workspaces/deleting/connections/${connection.id}/rotate`, { grace_seconds: 3600 })).json()) as {
      webhook_url: string;
    };
    expect((await call("DELETE", `/api/v1/workspaces/deleting/connections/${connection.id}`)).status).toBe(204);
    const more = JSON.stringify({ events: [event("d-2", "deal.upserted", "2026-03-03T10:00:00Z", { deal_id: "D-2", amount: 5, status: "won" })] });
    const refused = await postNative(connection, more);
    expect(refused.status).toBe(404);
    expect(await refused.json()).toMatchObject({ status: 404, detail: "unknown connection" });
    expect((await postNative({ id: rotated.webhook_url.split("/").pop()!, secret: connection.secret }, more)).status).toBe(404);
    // Gone from the API: not listed, not patched, not deleted twice.
    const list = (await (await call("GET", "/api/v1/workspaces/deleting/connections")).json()) as { items: unknown[] };
    expect(list.items).toEqual([]);
    expect((await call("PATCH", `/api/v1/workspaces/deleting/connections/${connection.id}`, { name: "x" })).status).toBe(404);
    expect((await call("DELETE", `/api/v1/workspaces/deleting/connections/${connection.id}`)).status).toBe(404);
    expect((await call("POST", `/api/v1/workspaces/deleting/connections/${connection.id}/rotate`)).status).toBe(404);
    // Its data stays: the month's KPIs are computed from its events.
    expect((await call("POST", "/api/v1/workspaces/deleting/recompute", { from: "2026-03", to: "2026-03" })).status).toBe(200);
    const value = await monthValues("deleting", "2026-03");
    expect(value("revenue_won")).toBe(1200);
    const status = (await (await call("GET", "/api/v1/workspaces/deleting/ingest-status")).json()) as { processed: number };
    expect(status.processed).toBe(1);
  });
});

describe("the OpenAPI document", () => {
  it("describes rotation and deletion with their problem answers, and the read-token redactions", async () => {
    const document = (await (await call("GET", "/api/v1/openapi.json", undefined, null)).json()) as {
      paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, { content?: Record<string, unknown> }> }>>;
      components: { schemas: Record<string, { properties: Record<string, { description?: string }>; required?: string[] }> };
    };
    const rotate = document.paths["/workspaces/{ws}/connections/{id}/rotate"]!.post!;
    const remove = document.paths["/workspaces/{ws}/connections/{id}"]!.delete!;
    for (const operation of [rotate, remove]) {
      for (const status of ["400", "401", "403", "404"]) expect(Object.keys(operation.responses[status]!.content!)).toEqual(["application/problem+json"]);
    }
    expect(Object.keys(remove.responses)).toContain("204");
    expect(document.components.schemas.ConnectionRotate!.properties.grace_seconds!.description).toContain("404");
    expect(document.components.schemas.WorkspaceAnswer!.required).not.toContain("deploy_hook_url");
    expect(document.components.schemas.WorkspaceAnswer!.required).not.toContain("digest_webhook_url");
    expect(document.components.schemas.DeadLetter!.required).not.toContain("connection_id");
  });
});

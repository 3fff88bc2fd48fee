// Dead letters: events a source sent that could not be applied, with the reason, newest first.
// A read token gets them without the connection id and with the payload's credentials
// redacted (redactForRead); an admin token gets them as stored.
import type { D1Database } from "@cloudflare/workers-types";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { configValuesOf, webhookIdsOf } from "../db/connections";
import { listDeadLetters } from "../db/dead-letters";
import type { WorkspaceRow } from "../db/workspaces";
import { mayAdminister, workspaceAccess } from "./auth";
import type { ApiEnv } from "./context";
import { isoInstant } from "./instants";
import { decodeCursor, page, PageQuery, toPage } from "./pagination";
import { json, problemResponses, security, WorkspaceParams } from "./schemas";
import { validationHook } from "./validation";

export const REDACTED = "[redacted]";

/** Keys whose values a read token never sees, compared without case, dashes or underscores. */
const CREDENTIAL_KEY =
  /organi[sz]ationid|^orgid$|signature|secret|token|passw|authori[sz]ation|apikey|credential|sessionid|cookie|privatekey|webhook|deployhook|enterpriseurl|partnerurl/;

/**
 * The redaction of a dead letter for a read token: a raw (unmapped) body is withheld whole,
 * values under credential-like keys and strings containing one of `known` are replaced.
 */
export function redactForRead(value: unknown, known: readonly string[], top = true): unknown {
  if (typeof value === "string") {
    if (top) return `${REDACTED} raw delivery body`;
    return known.some((k) => value.includes(k)) ? REDACTED : value;
  }
  if (Array.isArray(value)) return value.map((item) => redactForRead(item, known, false));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) =>
        CREDENTIAL_KEY.test(key.toLowerCase().replace(/[^a-z0-9]/g, "")) ? [key, REDACTED] : [key, redactForRead(item, known, false)],
      ),
    );
  }
  return value;
}

/** Values of the workspace that let their holder write: never in a read token's answer. */
async function writeEnablingValues(db: D1Database, workspace: WorkspaceRow): Promise<string[]> {
  const configured = await configValuesOf(db, workspace.id);
  // A Salesforce id comes in 15- and 18-character forms.
  const short = configured.filter((v) => /^00D[0-9A-Za-z]{15}$/.test(v)).map((v) => v.slice(0, 15));
  return [...(await webhookIdsOf(db, workspace.id)), ...configured, ...short, ...[workspace.deployHookUrl, workspace.digestWebhookUrl].filter((url) => url !== null)];
}

export const deadLetterRoutes = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });

const DeadLetter = z
  .object({
    id: z.number().int(),
    connection_id: z.string().optional().openapi({ description: "Only for admin tokens: it is part of the webhook URL" }),
    event_id: z.string().nullable(),
    reason: z.string(),
    occurred_at: z.iso.datetime().nullable(),
    received_at: z.iso.datetime(),
    payload: z.unknown().openapi({
      description:
        "The rejected item as received. For a read token, values under credential-like keys and values equal to a connection id, webhook id, configured id (e.g. the Salesforce OrganizationId) or the deploy hook URL are replaced by \"[redacted]\", and a raw body the adapter could not map is withheld",
    }),
  })
  .openapi("DeadLetter");

deadLetterRoutes.openapi(
  createRoute({
    method: "get",
    path: "/workspaces/{ws}/dead-letters",
    summary: "Rejected events with the reason each was rejected",
    tags: ["Ingest"],
    security,
    middleware: [workspaceAccess("read")] as const,
    request: { params: WorkspaceParams, query: PageQuery },
    responses: { 200: { description: "A page of dead letters", ...json(page(DeadLetter)) }, ...problemResponses },
  }),
  async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = decodeCursor(cursor);
    const workspace = c.get("workspace");
    const rows = await listDeadLetters(c.get("db"), workspace.id, after?.[0] ?? null, limit + 1);
    const admin = mayAdminister(c.get("principal"));
    const known = admin ? [] : await writeEnablingValues(c.get("db"), workspace);
    const redact = (text: string) => (known.some((k) => text.includes(k)) ? REDACTED : text);
    return c.json(
      toPage(rows, limit, (row) => [row.id, row.id], (row) => {
        const payload = JSON.parse(row.payload) as unknown;
        return {
          id: row.id,
          ...(admin ? { connection_id: row.connectionId } : {}),
          event_id: row.eventId === null || admin ? row.eventId : redact(row.eventId),
          reason: admin ? row.reason : redact(row.reason),
          occurred_at: isoInstant(row.occurredAt),
          received_at: isoInstant(row.createdAt),
          payload: admin ? payload : redactForRead(payload, known),
        };
      }),
      200,
    );
  },
);

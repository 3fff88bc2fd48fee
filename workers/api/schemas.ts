// zod schemas of the admin API bodies and answers (OpenAPI components).
import { z } from "@hono/zod-openapi";
import { type Movement, MOVEMENT_DIMENSIONS, MOVEMENT_IDS } from "../../shared/pipeline-movement";
import { isTimeZone, monthCount } from "../../shared/months";
import { CONNECTION_KINDS, TOKEN_SCOPES } from "../db/schema";
import { deployHookUrlProblem } from "../reports/deploy-hook";
import { hookUrlProblem } from "../reports/outbound";
import { MAX_CORS_ORIGINS, MAX_NAME_LENGTH, MAX_RECOMPUTE_MONTHS, MAX_SETTINGS_ROWS } from "./limits";

export const Slug = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, "lower-case letters, digits and inner dashes, at most 64")
  .openapi({ example: "acme" });

export const TimeZone = z
  .string()
  .refine(isTimeZone, "not an IANA time zone")
  .openapi({ example: "America/New_York" });

export const Currency = z
  .string()
  .regex(/^[A-Z]{3}$/, "an ISO 4217 code in capitals")
  .openapi({ example: "USD" });

export const PipelineStages = z
  .array(z.string().min(1))
  .refine((stages) => new Set(stages).size === stages.length, "stages must be distinct")
  .openapi({ example: ["discovery", "demo", "proposal", "negotiation"] });

/** The display name of a workspace or connection. */
export const Name = z.string().min(1).max(MAX_NAME_LENGTH);

/** A secret a CRM issued, as given to a connection (its form is checked per CRM). */
export const ConnectionSecret = z.string().min(8).max(500);

/**
 * https to a public host (workers/reports/deploy-hook.ts says which hosts are not); with
 * ALLOW_LOCAL_DEPLOY_HOOKS = "true" (local development) also http://localhost / 127.0.0.1.
 */
export const DeployHookUrl = z
  .url({ protocol: /^https?$/ })
  .superRefine((url, ctx) => {
    const refused = deployHookUrlProblem(url);
    if (refused) ctx.addIssue({ code: "custom", message: `a deploy hook URL ${refused}` });
  })
  .nullable()
  .openapi({ description: "https to a public host; called with POST after each publication, redirects not followed", example: "https://api.netlify.com/build_hooks/5f1e0c0ffee" });

/** The same rules as the deploy hook's (workers/reports/outbound.ts). */
export const DigestWebhookUrl = z
  .url({ protocol: /^https?$/ })
  .superRefine((url, ctx) => {
    const refused = hookUrlProblem(url);
    if (refused) ctx.addIssue({ code: "custom", message: `a digest webhook URL ${refused}` });
  })
  .nullable()
  .openapi({
    description:
      "https to a public host; receives each publication's digest as a Slack-compatible JSON message ({text, blocks}) with POST, redirects not followed",
    example: "https://hooks.slack.com/services/T000/B000/XXXX",
  });

export const CorsOrigins = z
  .array(z.url({ protocol: /^https?$/ }).refine((o) => new URL(o).origin === o, "an origin: scheme://host[:port], no path"))
  .max(MAX_CORS_ORIGINS)
  .openapi({ example: ["https://notebooks.example.com"] });

export const PublicReports = z.boolean().openapi({
  description: "true: the report site lists the workspace on / and builds /<workspace>/<month>/; false (the default): only the share links /r/<token>/",
  example: false,
});

/** A workspace database: the name of its D1 binding (wrangler.toml). */
export const WorkspaceDatabase = z.string().regex(/^DB_WS_\w{1,20}$/, "a workspace database binding, DB_WS_<n>");

export const WorkspaceCreate = z
  .object({
    slug: Slug,
    name: Name,
    timezone: TimeZone.default("UTC"),
    currency: Currency.default("USD"),
    pipeline_stages: PipelineStages.default([]),
    deploy_hook_url: DeployHookUrl.default(null),
    digest_webhook_url: DigestWebhookUrl.default(null),
    public_reports: PublicReports.default(false),
    database: WorkspaceDatabase.optional().openapi({
      description: "The workspace database to place it in (a DB_WS_<n> binding); by default the one with the fewest workspaces",
    }),
  })
  .openapi("WorkspaceCreate");

export const WorkspacePatch = z
  .object({
    name: Name,
    timezone: TimeZone,
    currency: Currency,
    pipeline_stages: PipelineStages,
    deploy_hook_url: DeployHookUrl,
    digest_webhook_url: DigestWebhookUrl,
    cors_origins: CorsOrigins,
    public_reports: PublicReports,
  })
  .partial()
  .strict()
  .openapi("WorkspacePatch");

export const Workspace = z
  .object({
    slug: Slug,
    name: z.string(),
    timezone: z.string(),
    currency: z.string(),
    pipeline_stages: z.array(z.string()),
    deploy_hook_url: z.string().nullable(),
    digest_webhook_url: z.string().nullable(),
    cors_origins: z.array(z.string()),
    public_reports: z.boolean(),
    created_at: z.iso.datetime(),
  })
  .openapi("Workspace");

export const ConnectionCreate = z
  .object({
    kind: z.enum(CONNECTION_KINDS),
    name: Name,
    secret: ConnectionSecret.optional(),
    config: z.record(z.string(), z.unknown()).default({}),
  })
  .openapi("ConnectionCreate");

export const ConnectionCreated = z
  .object({
    id: z.string(),
    kind: z.enum(CONNECTION_KINDS),
    name: z.string(),
    webhook_url: z.url(),
    secret: z.string().nullable().openapi({ description: "Shown once; Quotient keeps it encrypted." }),
    username: z.string().optional().openapi({ description: "HTTP Basic user name (pipedrive)." }),
  })
  .openapi("ConnectionCreated");

export const TokenCreate = z
  .object({
    scopes: z.array(z.enum(TOKEN_SCOPES)).min(1),
    name: z.string().max(MAX_NAME_LENGTH).optional(),
  })
  .openapi("TokenCreate");

export const TokenCreated = z
  .object({
    id: z.string(),
    token: z.string().openapi({ description: "Shown once; Quotient stores only its hash." }),
    scopes: z.array(z.enum(TOKEN_SCOPES)),
    name: z.string().nullable(),
  })
  .openapi("TokenCreated");

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .openapi("Problem");

/** A JSON body or answer of `schema`, for route definitions. */
export const json = <T>(schema: T) => ({ content: { "application/json": { schema } } });

/** Every route but the OpenAPI document needs a bearer token. */
export const security = [{ Bearer: [] }];

export const WorkspaceParams = z.object({ ws: Slug.openapi({ param: { name: "ws", in: "path" } }) });

/** A workspace's resource by its id: /workspaces/{ws}/…/{id}. */
export const ResourceParams = WorkspaceParams.extend({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });

/** A problem+json answer (lib/problem.ts) for a route's `responses`. */
export const problemAnswer = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ProblemSchema } },
});

/** The problems every authenticated route may answer (auth.ts, validation.ts). */
export const problemResponses = {
  400: problemAnswer("Invalid input"),
  401: problemAnswer("Missing or invalid token"),
  403: problemAnswer("Token lacks the scope"),
  404: problemAnswer("No such workspace"),
  429: problemAnswer("Too many requests for this token (Retry-After)"),
} as const;

/** The answers of the operations only the ADMIN_TOKEN may call. */
export const rootProblemResponses = {
  400: problemAnswer("Invalid input"),
  401: problemAnswer("Missing or invalid token"),
  403: problemAnswer("Not the ADMIN_TOKEN"),
  429: problemAnswer("Too many requests for this token (Retry-After)"),
} as const;

export const MonthParam = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, "a month as YYYY-MM")
  .openapi({ example: "2026-03" });

export const MonthParams = z.object({
  ws: Slug.openapi({ param: { name: "ws", in: "path" } }),
  month: MonthParam.openapi({ param: { name: "month", in: "path" } }),
});

export const QuotaRows = z
  .array(z.object({ rep_id: z.string().min(1), month: MonthParam, amount: z.number().finite().nonnegative() }))
  .max(MAX_SETTINGS_ROWS)
  .openapi("Quotas");

export const FxRateRows = z
  .array(z.object({ currency: Currency, month: MonthParam, rate: z.number().finite().positive() }))
  .max(MAX_SETTINGS_ROWS)
  .openapi("FxRates");

export const SpendRows = z
  .array(z.object({ source: z.string().min(1), month: MonthParam, amount: z.number().finite().nonnegative() }))
  .max(MAX_SETTINGS_ROWS)
  .openapi("MarketingSpend");

export const SettingsUpdated = z
  .object({ rows: z.number().int(), months: z.array(z.string()) })
  .openapi("SettingsUpdated");

export const RecomputeRequest = z
  .object({ from: MonthParam, to: MonthParam })
  .refine((r) => r.from <= r.to, { message: "from must not be after to", path: ["to"] })
  .refine((r) => monthCount(r.from, r.to) <= MAX_RECOMPUTE_MONTHS, {
    message: `at most ${MAX_RECOMPUTE_MONTHS} months per request`,
    path: ["to"],
  })
  .openapi("RecomputeRequest");

export const RecomputeResult = z
  .object({ months: z.array(z.string()), computed_at: z.iso.datetime() })
  .openapi("RecomputeResult");

const ValueRecordSchema = z.object({
  dimension: z.string(),
  key: z.string(),
  value: z.number().nullable(),
  numerator: z.number().nullable().optional(),
  denominator: z.number().nullable().optional(),
});

export const MonthDocumentSchema = z
  .object({
    workspace: z.string(),
    month: z.string(),
    timezone: z.string(),
    currency: z.string(),
    catalog_version: z.string(),
    computed_at: z.string(),
    data_as_of: z.string().nullable(),
    kpis: z.record(z.string(), z.object({ unit: z.string(), values: z.array(ValueRecordSchema) })),
    warnings: z.record(z.string(), z.number().int()),
  })
  .openapi("MonthDocument");

export const SeriesSchema = z
  .object({
    kpi: z.string(),
    unit: z.string(),
    dimension: z.string(),
    from: z.string(),
    to: z.string(),
    entries: z.array(ValueRecordSchema.extend({ month: z.string() })),
    summary: z.object({ current: z.number().nullable(), previous: z.number().nullable(), change: z.number().nullable() }),
  })
  .openapi("Series");

const MovementAmountSchema = z.object({ deals: z.number().int(), value: z.number() });

export const PipelineMovementSchema = z
  .object({
    workspace: z.string(),
    month: z.string(),
    currency: z.string(),
    dimension: z.enum(MOVEMENT_DIMENSIONS),
    computed_at: z.string(),
    groups: z.array(
      z.object({
        key: z.string(),
        movements: z.object(Object.fromEntries(MOVEMENT_IDS.map((m) => [m, MovementAmountSchema])) as Record<Movement, typeof MovementAmountSchema>),
      }),
    ),
  })
  .openapi("PipelineMovement", {
    description:
      "How the open pipeline moved in the month, per key: open_start + created + reopened + transferred_in + increased − decreased − won − lost − deleted − transferred_out = open_end by value, and the same without increased / decreased by deals (docs/kpis.md, Pipeline movement).",
  });

const MemberSchema = z.object({
  type: z.enum(["deal", "lead", "activity", "account", "survey", "rep", "marketing_spend"]),
  id: z.string(),
  name: z.string().nullable().openapi({ description: "The deal's or account's name, the rep's, an activity's type, a survey's kind, a spend's source" }),
  owner_rep_id: z.string().nullable(),
  owner_name: z.string().nullable(),
  amount: z.number().nullable().openapi({ description: "Its amount in its own currency, where it has one" }),
  currency: z.string().nullable(),
  converted: z.number().nullable().openapi({ description: "Its amount in the workspace currency at the month's rate" }),
  contribution: z.number().openapi({
    description: "What it adds to the side: 1 for a count, its amount (days, minutes, score…) for a sum; negative where the side subtracts it (e.g. M−1's revenue in sales_growth)",
  }),
  placed_at: z.string().nullable().openapi({ description: "The instant that placed it in the month; null for a state (e.g. open at the end of the month)" }),
  connection_kind: z.string().nullable().openapi({ description: "The kind of connection that first sent it (hubspot, pipedrive, native…)" }),
  crm_id: z.string().openapi({ description: "Its id in that CRM" }),
});

export const MemberPageSchema = z
  .object({
    workspace: z.string(),
    month: z.string(),
    kpi: z.string(),
    dimension: z.string(),
    key: z.string(),
    side: z.enum(["numerator", "denominator"]),
    currency: z.string(),
    value: z.number().nullable(),
    numerator: z.number().nullable(),
    denominator: z.number().nullable(),
    computed_at: z.string(),
    count: z.number().int().openapi({ description: "Members of the side in all pages" }),
    total: z.number().openapi({ description: "Their contributions added up: the side's value" }),
    items: z.array(MemberSchema),
    next_cursor: z.string().nullable(),
  })
  .openapi("MemberPage", { description: "One page of the members of a value's numerator or denominator (docs/kpis.md, Members)." });

export const CatalogSchema = z
  .object({
    catalog_version: z.string(),
    kpis: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        family: z.string(),
        unit: z.string(),
        direction: z.enum(["up", "down"]),
        dimensions: z.array(z.string()),
        formula: z.string(),
        basis: z.string(),
      }),
    ),
  })
  .openapi("Catalog");

// zod schemas of the admin API bodies and answers (OpenAPI components).
import { z } from "@hono/zod-openapi";
import { isTimeZone } from "../../shared/months";
import { CONNECTION_KINDS, TOKEN_SCOPES } from "../db/schema";

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

export const DeployHookUrl = z.url({ protocol: /^https?$/ }).nullable();

export const WorkspaceCreate = z
  .object({
    slug: Slug,
    name: z.string().min(1).max(200),
    timezone: TimeZone.default("UTC"),
    currency: Currency.default("USD"),
    pipeline_stages: PipelineStages.default([]),
    deploy_hook_url: DeployHookUrl.default(null),
  })
  .openapi("WorkspaceCreate");

export const WorkspacePatch = z
  .object({
    name: z.string().min(1).max(200),
    timezone: TimeZone,
    currency: Currency,
    pipeline_stages: PipelineStages,
    deploy_hook_url: DeployHookUrl,
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
    created_at: z.iso.datetime(),
  })
  .openapi("Workspace");

export const ConnectionCreate = z
  .object({
    kind: z.enum(CONNECTION_KINDS),
    name: z.string().min(1).max(200),
    secret: z.string().min(8).max(500).optional(),
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
    name: z.string().max(200).optional(),
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

export const WorkspaceParams = z.object({ ws: Slug.openapi({ param: { name: "ws", in: "path" } }) });

export const problemResponses = {
  400: { description: "Invalid input", content: { "application/problem+json": { schema: ProblemSchema } } },
  401: { description: "Missing or invalid token", content: { "application/problem+json": { schema: ProblemSchema } } },
  403: { description: "Token lacks the scope", content: { "application/problem+json": { schema: ProblemSchema } } },
  404: { description: "No such workspace", content: { "application/problem+json": { schema: ProblemSchema } } },
} as const;

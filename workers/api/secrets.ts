// The operator's re-sealing of stored secrets after a key rotation (ADMIN_TOKEN only):
// one bounded page of connections per request; `npm run rotate-secrets` follows the
// cursor to the end. Answers counts, never a secret.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { workspaceDatabases } from "../db/placement";
import { rotateSecretsPage } from "../db/secret-rotation";
import { keyId, keyRingOf } from "../lib/crypto";
import { authenticate, requireRoot } from "./auth";
import type { ApiEnv } from "./context";
import { json, rootProblemResponses, security } from "./schemas";
import { validationHook } from "./validation";

export const secretRoutes = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });

const RotateQuery = z.object({
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,100}$/, "the next_cursor of the previous answer")
    .optional()
    .openapi({ description: "next_cursor of the previous answer; absent for the first page" }),
});

const Rotation = z
  .object({
    reencrypted: z.number().int().openapi({ description: "Secrets of this page re-sealed under the current key" }),
    already_current: z.number().int().openapi({ description: "Secrets of this page already under the current key" }),
    undecryptable: z
      .number()
      .int()
      .openapi({ description: "Secrets no configured key (SECRETS_KEY, SECRETS_KEY_PREVIOUS) opens: left as they are" }),
    current_key_id: z.string().openapi({ description: "Id of SECRETS_KEY as ciphertexts record it (a fingerprint, not the key)" }),
    next_cursor: z.string().nullable().openapi({ description: "Pass as ?cursor= for the next page; null when every connection was seen" }),
  })
  .openapi("SecretRotation");

secretRoutes.openapi(
  createRoute({
    method: "post",
    path: "/admin/rotate-secrets",
    summary: "Re-seal stored secrets under the current SECRETS_KEY (one page)",
    description:
      "After a key rotation (the old key moved to SECRETS_KEY_PREVIOUS), re-encrypts the connections' secrets " +
      "under SECRETS_KEY, a bounded page per request in connection id order. Idempotent: a secret already under " +
      "the current key is left alone. Needs the ADMIN_TOKEN.",
    tags: ["Operations"],
    security,
    middleware: [authenticate, requireRoot] as const,
    request: { query: RotateQuery },
    responses: {
      200: { description: "This page's counts", ...json(Rotation) },
      ...rootProblemResponses,
    },
  }),
  async (c) => {
    const { cursor } = c.req.valid("query");
    const keys = keyRingOf(c.env);
    const page = await rotateSecretsPage(workspaceDatabases(c.env).map((database) => database.db), keys, cursor ?? null);
    return c.json(
      {
        reencrypted: page.reencrypted,
        already_current: page.alreadyCurrent,
        undecryptable: page.undecryptable,
        current_key_id: await keyId(keys[0]),
        next_cursor: page.next,
      },
      200,
    );
  },
);

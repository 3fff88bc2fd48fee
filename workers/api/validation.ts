// Turns zod validation failures into problem+json with the field and what was wrong
// (thrown, like every other error of the API).
import type { Hook } from "@hono/zod-openapi";
import { invalidInput } from "../lib/problem";
import type { ApiEnv } from "./context";

export const validationHook: Hook<unknown, ApiEnv, string, unknown> = (result) => {
  if (result.success) return;
  const errors = result.error.issues.map((issue) => ({
    field: issue.path.map(String).join(".") || `(${result.target})`,
    message: issue.message,
  }));
  const summary = errors.map((e) => `${e.field}: ${e.message}`).join("; ");
  throw invalidInput(`invalid ${result.target}: ${summary}`, errors);
};

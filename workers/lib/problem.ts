// RFC 9457 problem details: every error answer of the Worker has this shape. Handlers and
// middleware of the API throw `problem(…)` (an HTTPException carrying the answer);
// `answerError` is the one onError (api/app.ts, index.ts) and renders it unchanged.
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { HTTPException } from "hono/http-exception";

export interface Problem {
  status: number;
  title: string;
  detail?: string;
  /** Validation errors: which field and what was wrong with it. */
  errors?: FieldError[];
  [extension: string]: unknown;
}

export interface FieldError {
  field: string;
  message: string;
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export function problemResponse(
  status: number,
  detail?: string,
  extra: Partial<Problem> = {},
  headers: Record<string, string> = {},
): Response {
  const body: Problem = { type: "about:blank", title: TITLES[status] ?? "Error", status, ...extra };
  if (detail !== undefined) body.detail = detail;
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/problem+json", ...headers },
  });
}

/** The problem to throw: `throw problem(404, "no such thing")`. */
export function problem(
  status: ContentfulStatusCode,
  detail?: string,
  extra: Partial<Problem> = {},
  headers: Record<string, string> = {},
): HTTPException {
  return new HTTPException(status, { res: problemResponse(status, detail, extra, headers) });
}

/** The answer to an error thrown while handling a request: its problem, or a logged 500. */
export function answerError(where: string): (error: Error) => Response {
  return (error) => {
    if (error instanceof HTTPException) return error.getResponse();
    console.error(`${where}: unhandled error`, error);
    return problemResponse(500, "unexpected error; it has been logged");
  };
}

/** 400 for invalid input: the detail, and which fields were wrong and why. */
export function invalidInput(detail: string, errors: FieldError[]): HTTPException {
  return problem(400, detail, { errors });
}

/** 400 for one invalid field: "field: message". */
export function invalidField(field: string, message: string): HTTPException {
  return invalidInput(`${field}: ${message}`, [{ field, message }]);
}

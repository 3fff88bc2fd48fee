// The OpenAPI document is generated from the route definitions, is valid OpenAPI 3.1, and
// describes every route the API serves.
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { api, OPENAPI_FRAME } from "../../workers/api/app";

const document = api.getOpenAPI31Document(OPENAPI_FRAME);

/** Routes that serve the document itself rather than data. */
const SELF_DESCRIBING = new Set(["GET /openapi.json", "GET /docs"]);

describe("the OpenAPI document", () => {
  it("validates against the OpenAPI 3.1 schema", async () => {
    const validator = new Validator();
    const result = await validator.validate(document as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("contains every route the app serves, and nothing else", () => {
    const served = new Set(
      api.routes
        .filter((route) => route.method !== "ALL")
        .map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, "{$1}")}`)
        .filter((route) => !SELF_DESCRIBING.has(route)),
    );
    const documented = new Set(
      Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
        Object.keys(item as object)
          .filter((key) => ["get", "post", "put", "patch", "delete"].includes(key))
          .map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    expect([...documented].sort()).toEqual([...served].sort());
    expect(documented.size).toBeGreaterThanOrEqual(16);
  });

  it("declares bearer authentication on every route", () => {
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      for (const [method, operation] of Object.entries(item as Record<string, { security?: unknown }>)) {
        expect(operation.security, `${method} ${path}`).toEqual([{ Bearer: [] }]);
      }
    }
  });
});

describe("the document's URLs", () => {
  it("resolve every path under /api/v1 of the host that serves the document", () => {
    // A relative server URL resolves against the document's own URL (OpenAPI 3.1, §4.8.5).
    const served = "https://quotient.example.com/api/v1/openapi.json";
    const base = new URL(document.servers![0]!.url, served).toString();
    expect(base).toBe("https://quotient.example.com/api/v1");
    expect(new URL(`${base}/workspaces/{ws}/months/{month}`).pathname).toBe("/api/v1/workspaces/%7Bws%7D/months/%7Bmonth%7D");
  });
});

/// <reference types="node" />
// The served OpenAPI document is usable as it is: a client generated from it
// (openapi-typescript + openapi-fetch) type-checks and calls the real routes of a running
// Worker, and the reference page at /api/v1/docs works with every outside request cut off.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import openapiTS, { astToString, type OpenAPI3 } from "openapi-typescript";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KPIS } from "../../shared/catalog";
import { ARTIFACTS, launchChromium, REPO } from "./helpers";
import { ADMIN_TOKEN, type LocalWorker, startWorker } from "./worker";

const CLIENT = join(REPO, "test/site/api-client");
let worker: LocalWorker;
let browser: Browser;

beforeAll(async () => {
  worker = await startWorker("api-client-state");
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  worker?.stop();
});

describe("the OpenAPI document as a client sees it", () => {
  it("generates a typed client that type-checks and calls the real routes", async () => {
    const documentUrl = `${worker.url}/api/v1/openapi.json`;
    const document = (await (await fetch(documentUrl)).json()) as OpenAPI3;
    expect(document.servers).toEqual([{ url: "/api/v1", description: "this deployment" }]);

    // Generate the types from the served document and type-check the client against them.
    mkdirSync(join(ARTIFACTS, "api-client"), { recursive: true });
    writeFileSync(join(ARTIFACTS, "api-client/schema.d.ts"), astToString(
      // A field with a default is optional in a request body (openapi-typescript's default
      // reads defaults as "always present", which only holds for answers).
      await openapiTS(document, { defaultNonNullable: false }),
    ));
    const tsc = spawnSync(process.execPath, [join(REPO, "node_modules/typescript/bin/tsc"), "--noEmit", "-p", CLIENT], { encoding: "utf8" });
    expect(tsc.stdout + tsc.stderr, "the typed client compiles against the served document").toBe("");
    expect(tsc.status).toBe(0);

    // A computed path: the root typecheck must not follow it (the types exist only now).
    const { exercise } = (await import(/* @vite-ignore */ join(CLIENT, "calls.ts"))) as {
      exercise: (documentUrl: string, adminToken: string, slug: string) => Promise<unknown>;
    };
    const result = await exercise(documentUrl, ADMIN_TOKEN, "typed-client");
    expect(result).toEqual({
      created: { status: 201, slug: "typed-client", currency: "EUR" },
      readToken: { status: 201, scopes: ["read"] },
      quotas: { status: 200 },
      workspace: { status: 200, timezone: "Europe/Paris" },
      catalog: { status: 200, ids: KPIS.map((kpi) => kpi.id) },
      status: { status: 200, pending: 0 },
      missingMonth: { status: 404, contentType: "application/problem+json" },
    });
  }, 120_000);

  it("serves a reference page that shows every operation with the network cut off", async () => {
    const context = await browser.newContext();
    const outside: string[] = [];
    // Only the Worker itself answers; anything else (a CDN, fonts, analytics) is cut.
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(worker.url)) return route.continue();
      outside.push(url);
      return route.abort("internetdisconnected");
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${worker.url}/api/v1/docs`);
    await page.waitForSelector(".opblock", { timeout: 30_000 });
    const document = (await (await fetch(`${worker.url}/api/v1/openapi.json`)).json()) as OpenAPI3;
    const operations = Object.values(document.paths ?? {}).flatMap((item) =>
      Object.keys(item).filter((key) => ["get", "post", "put", "patch", "delete"].includes(key)),
    ).length;
    expect(await page.locator(".opblock").count()).toBe(operations);
    expect(await page.locator(".opblock-summary-path").first().textContent()).toBe("/workspaces");
    expect(outside).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);
});

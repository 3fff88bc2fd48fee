// Copies the API reference's assets (Swagger UI, from the swagger-ui-dist package) into the
// Worker's static assets, so /api/v1/docs works offline and behind a strict network: no CDN.
// wrangler runs it before `wrangler dev` and `wrangler deploy` ([build] in wrangler.toml);
// vitest.config.ts runs it before the Worker's tests.
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..");
/** Where workers/api/app.ts points Swagger UI: <assets>/api/v1/docs/assets/swagger-ui-dist/. */
export const API_DOCS_ASSETS = join(REPO, "dist/worker-assets/api/v1/docs/assets/swagger-ui-dist");
const FILES = ["swagger-ui.css", "swagger-ui-bundle.js"];

export function copyApiDocsAssets() {
  const source = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  mkdirSync(API_DOCS_ASSETS, { recursive: true });
  for (const file of FILES) copyFileSync(join(source, file), join(API_DOCS_ASSETS, file));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) copyApiDocsAssets();

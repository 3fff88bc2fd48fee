// Two projects: the Worker's suites run inside workerd (real D1 with the real migrations:
// the directory and two workspace databases, as wrangler.toml declares them; real queues);
// the rest runs in Node.
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { copyApiDocsAssets } from "./scripts/api-docs-assets.mjs";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  const directoryMigrations = await readD1Migrations("./migrations/directory");
  copyApiDocsAssets(); // wrangler.toml's [assets] directory must exist (wrangler's [build] makes it elsewhere)
  return {
    test: {
      projects: [
        {
          plugins: [
            cloudflareTest({
              main: "./workers/index.ts",
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  TEST_DIRECTORY_MIGRATIONS: directoryMigrations,
                  ADMIN_TOKEN: "test-admin-token",
                  // Test-only key (32 bytes, base64); real keys live in Worker secrets.
                  SECRETS_KEY: "q1YJ0lJb9b1qQm3wzq8aH2vN8cQbF3m6D3H8f2n6X1Y=",
                  // The deploy hook tests call a local server (test/workers/hook-server.ts).
                  ALLOW_LOCAL_DEPLOY_HOOKS: "true",
                  // Where the digests link to (workers/reports/digest.ts).
                  REPORT_SITE_URL: "https://reports.quotient.test/",
                  // A move copies as soon as it has paused the workspace: the tests' concurrent deliveries
                  // exercise its catch-up and verification rather than the wait.
                  MOVE_SETTLE_SECONDS: "0",
                },
                // The same binding as wrangler.toml with a limit a test can reach quickly.
                ratelimits: { API_RATE_LIMIT: { simple: { limit: 50, period: 60 } } },
              },
            }),
          ],
          test: {
            name: "workers",
            include: ["test/workers/**/*.test.ts"],
            setupFiles: ["./test/workers/setup.ts"],
            globalSetup: ["./test/workers/hook-server.ts"],
            testTimeout: 60_000,
            // The fuzz suites' run count (workerd does not see the host's environment).
            provide: { fuzzRuns: process.env.QUOTIENT_FUZZ_RUNS ?? "" },
          },
        },
        {
          test: {
            name: "node",
            environment: "node",
            include: ["test/node/**/*.test.ts"],
          },
        },
        {
          // Builds of the Astro site and a real browser (Debian's /usr/bin/chromium).
          test: {
            name: "site",
            environment: "node",
            include: ["test/site/**/*.test.ts"],
            testTimeout: 180_000,
            hookTimeout: 180_000,
            fileParallelism: false,
          },
        },
      ],
    },
  };
});

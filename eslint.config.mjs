// ESLint: the recommended JavaScript and typescript-eslint rules over the Worker, the site's
// TypeScript, the scripts, the benchmark and the tests. `npm test` runs it (npm run lint).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/node_modules/", "dist/", "site/dist/", "site/.astro/", "test-artifacts/", ".wrangler/", ".scratch/", "workers/env.generated.d.ts", "**/*.astro"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: "module" },
    rules: {
      // An unused binding named _x is a deliberate placeholder (a tuple slot, a handler argument).
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  {
    files: ["**/*.mjs", "bench/**/*.ts"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly", fetch: "readonly", setTimeout: "readonly", Buffer: "readonly" } },
  },
);

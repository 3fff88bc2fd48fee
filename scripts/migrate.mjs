#!/usr/bin/env node
// `npm run db:migrate:local` / the deploy script: applies the migrations to every D1
// database wrangler.toml declares — the directory (migrations/directory) and each
// workspace database DB_WS_<n> (migrations) — each with its own migrations_dir.
// Usage: node scripts/migrate.mjs --local [--persist-to DIR] | --remote
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..");

const { values: options } = parseArgs({
  options: { local: { type: "boolean" }, remote: { type: "boolean" }, "persist-to": { type: "string" } },
});
if (options.local === options.remote) {
  console.error("usage: node scripts/migrate.mjs --local | --remote");
  process.exit(2);
}

/** The binding of every [[d1_databases]] block of wrangler.toml, in order. */
function d1Bindings(toml) {
  return [...toml.matchAll(/\[\[d1_databases\]\][^[]*?binding\s*=\s*"([A-Z0-9_]+)"/g)].map((match) => match[1]);
}

const bindings = d1Bindings(readFileSync(join(REPO, "wrangler.toml"), "utf8"));
for (const binding of bindings) {
  console.log(`• migrations of ${binding}`);
  const result = spawnSync(
    process.execPath,
    [
      join(REPO, "node_modules/wrangler/bin/wrangler.js"), "d1", "migrations", "apply", binding, options.local ? "--local" : "--remote",
      ...(options["persist-to"] ? ["--persist-to", options["persist-to"]] : []),
    ],
    { cwd: REPO, stdio: "inherit", env: { ...process.env, CI: "1" } },
  );
  if (result.status !== 0) process.exit(result.status ?? 1);
}

// Applies the real migrations before each test file: the directory's to DB_DIRECTORY, the
// workspace databases' to every DB_WS_<n> binding (two, as in wrangler.toml).
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { workspaceDatabases } from "../../workers/db/placement";

await applyD1Migrations(env.DB_DIRECTORY, env.TEST_DIRECTORY_MIGRATIONS);
for (const { db } of workspaceDatabases(env)) await applyD1Migrations(db, env.TEST_MIGRATIONS);

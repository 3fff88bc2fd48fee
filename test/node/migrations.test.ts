// The migrations are generated from workers/db/schema.ts, whose entity tables derive from
// the entities' fields (workers/model/entities.ts): a field added or changed there without
// `npm run db:generate` leaves the migrations behind, which this test reports.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateSQLiteDrizzleJson, generateSQLiteMigration } from "drizzle-kit/api";
import { describe, expect, it } from "vitest";
import * as schema from "../../workers/db/schema";

const META = join(dirname(fileURLToPath(import.meta.url)), "../../migrations/meta");

function latestSnapshot() {
  const journal = JSON.parse(readFileSync(join(META, "_journal.json"), "utf8")) as { entries: { idx: number }[] };
  const latest = journal.entries.at(-1)!;
  return JSON.parse(readFileSync(join(META, `${String(latest.idx).padStart(4, "0")}_snapshot.json`), "utf8"));
}

describe("migrations", () => {
  it("have nothing left to generate from the schema", async () => {
    const previous = latestSnapshot();
    const current = await generateSQLiteDrizzleJson(schema, previous.id);
    expect(await generateSQLiteMigration(previous, current)).toEqual([]);
  });
});

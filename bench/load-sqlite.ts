// Benchmark setup (never part of `npm test`): writes the large workspace of
// bench/large-workspace.ts into a fresh SQLite file with the project's real schema (every
// migrations/*.sql, in order) and the project's real apply SQL (applyDeliveries of
// workers/model/apply.ts over the D1-shaped adapter of bench/d1-sqlite.ts).
//
//   npx tsx bench/load-sqlite.ts --size 0.1 --fraction 1 --out /tmp/large-0.1.sqlite
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { applyDeliveries, type Delivery } from "../workers/model/apply";
import { type CanonicalEvent, validateEvent } from "../workers/model/events";
import { SqliteD1 } from "./d1-sqlite";
import { generateLargeWorkspace } from "./large-workspace";

export const WORKSPACE_ID = "ws_large";
const DELIVERY_SIZE = 2_000;
const MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), "../migrations");

export interface LoadOptions {
  size: number;
  /** The first `fraction` of the events (by occurred_at) are loaded; default 1. */
  fraction?: number;
  seed?: number;
  /** Run ANALYZE at the end (D1 databases usually have no statistics; default false). */
  analyze?: boolean;
  /** Progress lines; default console.log. */
  log?: (line: string) => void;
}

/** Every migration, in file-name order, split on drizzle's statement breakpoints. */
export function applyMigrations(sqlite: Database.Database): string[] {
  const files = readdirSync(MIGRATIONS).filter((f) => f.endsWith(".sql")).sort();
  for (const file of files) {
    const text = readFileSync(join(MIGRATIONS, file), "utf8");
    for (const statement of text.split("--> statement-breakpoint")) {
      if (statement.trim()) sqlite.exec(statement);
    }
  }
  return files;
}

export async function loadLargeWorkspace(file: string, options: LoadOptions) {
  const { size, fraction = 1, seed = 1, analyze = false, log = console.log } = options;
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`fraction must be in [0, 1]: ${fraction}`);
  const started = performance.now();
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);

  const workspace = generateLargeWorkspace({ size, seed });
  const count = Math.floor(workspace.events.length * fraction);
  log(`[${seconds()}s] generated ${workspace.events.length} events (size ${size}); loading ${count}`);

  for (const suffix of ["", "-wal", "-shm", "-journal"]) if (existsSync(file + suffix)) rmSync(file + suffix);
  const sqlite = new Database(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = OFF");
  sqlite.pragma("cache_size = -262144"); // 256 MB
  sqlite.pragma("temp_store = MEMORY");
  const migrations = applyMigrations(sqlite);
  log(`[${seconds()}s] applied ${migrations.join(", ")}`);

  const connectionId = randomBytes(16).toString("hex");
  const setup = sqlite.transaction(() => {
    sqlite
      .prepare(`INSERT INTO workspaces (id, slug, name, timezone, currency, pipeline_stages) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(WORKSPACE_ID, "large", "Large workspace", workspace.timezone, workspace.currency, JSON.stringify(workspace.pipelineStages));
    sqlite
      .prepare(`INSERT INTO connections (id, workspace_id, kind, name, secret_ciphertext) VALUES (?, ?, 'native', 'Native (bench)', NULL)`)
      .run(connectionId, WORKSPACE_ID);
    const quota = sqlite.prepare(`INSERT INTO quotas (workspace_id, rep_id, month, amount) VALUES (?, ?, ?, ?)`);
    for (const q of workspace.settings.quotas) quota.run(WORKSPACE_ID, q.rep_id, q.month, q.amount);
    const fx = sqlite.prepare(`INSERT INTO fx_rates (workspace_id, currency, month, rate) VALUES (?, ?, ?, ?)`);
    for (const r of workspace.settings.fx_rates) fx.run(WORKSPACE_ID, r.currency, r.month, r.rate);
    const spend = sqlite.prepare(`INSERT INTO marketing_spend (workspace_id, source, month, amount) VALUES (?, ?, ?, ?)`);
    for (const s of workspace.settings.spend) spend.run(WORKSPACE_ID, s.source, s.month, s.amount);
  });
  setup();

  const db = new SqliteD1(sqlite);
  const d1 = db.asD1();
  // Time per apply statement (by its first line), to see where a delivery's cost goes.
  const bySql = new Map<string, number>();
  db.onBatch = (statements, results) =>
    statements.forEach((s, i) => {
      const key = s.sql.split("\n")[0]!.slice(0, 90);
      bySql.set(key, (bySql.get(key) ?? 0) + results[i]!.meta.duration);
    });
  const insertInbox = sqlite.prepare(
    `INSERT INTO inbox (workspace_id, connection_id, delivery_id, received_at, headers, body, status)
     VALUES (?, ?, ?, ?, '{}', '{}', 'pending')`,
  );
  const deliveryCount = Math.ceil(count / DELIVERY_SIZE);
  const report = Math.max(1, Math.floor(deliveryCount / 20));
  let windowStarted = performance.now();
  let windowEvents = 0;
  let validateMs = 0;
  let applyMs = 0;
  const perDelivery: number[] = [];
  for (let d = 0; d < deliveryCount; d++) {
    const slice = workspace.events.slice(d * DELIVERY_SIZE, Math.min(count, (d + 1) * DELIVERY_SIZE));
    const v0 = performance.now();
    const events: CanonicalEvent[] = [];
    for (const raw of slice) {
      const result = validateEvent(raw);
      if (!result.ok) throw new Error(`generated event ${result.eventId} is invalid: ${result.reason}\n${JSON.stringify(raw)}`);
      events.push(result.event);
    }
    const receivedAt = events[events.length - 1]!.occurredAt;
    const inboxId = Number(insertInbox.run(WORKSPACE_ID, connectionId, `bench-${d + 1}`, receivedAt).lastInsertRowid);
    const delivery: Delivery = {
      inboxId,
      workspaceId: WORKSPACE_ID,
      connectionId,
      timezone: workspace.timezone,
      events,
      rejected: [],
    };
    const a0 = performance.now();
    validateMs += a0 - v0;
    await applyDeliveries(d1, [delivery], receivedAt + 1_000);
    const a1 = performance.now();
    applyMs += a1 - a0;
    perDelivery.push(a1 - a0);
    windowEvents += events.length;
    if ((d + 1) % report === 0 || d === deliveryCount - 1) {
      const rate = windowEvents / ((performance.now() - windowStarted) / 1000);
      const recent = perDelivery.slice(-report);
      const mean = recent.reduce((s, x) => s + x, 0) / recent.length;
      log(
        `[${seconds()}s] delivery ${d + 1}/${deliveryCount} (${slice[slice.length - 1]!.occurred_at.slice(0, 10)}): ` +
          `${Math.round(rate)} events/s, apply ${mean.toFixed(0)} ms/delivery`,
      );
      windowStarted = performance.now();
      windowEvents = 0;
    }
  }
  const processed = sqlite.prepare(`SELECT COUNT(*) FROM inbox WHERE status <> 'processed'`).pluck().get() as number;
  if (processed !== 0) throw new Error(`${processed} inbox rows were not processed`);
  const stored = sqlite.prepare(`SELECT COUNT(*) FROM canonical_events WHERE workspace_id = ?`).pluck().get(WORKSPACE_ID) as number;
  if (stored !== count) throw new Error(`stored ${stored} canonical events, expected ${count}`);

  log(`[${seconds()}s] validate ${(validateMs / 1000).toFixed(1)} s, apply ${(applyMs / 1000).toFixed(1)} s`);
  const half = Math.floor(perDelivery.length / 2);
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
  log(`apply ms/delivery: first half ${mean(perDelivery.slice(0, half)).toFixed(0)}, second half ${mean(perDelivery.slice(half)).toFixed(0)}`);
  for (const [sql, ms] of [...bySql].sort((a, b) => b[1] - a[1]).slice(0, 8)) log(`  ${(ms / 1000).toFixed(1).padStart(7)} s  ${sql}`);
  if (analyze) sqlite.exec("ANALYZE");
  sqlite.pragma("wal_checkpoint(TRUNCATE)");
  sqlite.pragma("journal_mode = DELETE");
  sqlite.pragma("synchronous = FULL");
  sqlite.close();
  log(`[${seconds()}s] wrote ${file}: ${count} events in ${deliveryCount} deliveries`);
  return { workspaceId: WORKSPACE_ID, months: workspace.months, events: count };
}

function argument(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const size = Number(argument(args, "size") ?? "0.1");
  const fraction = Number(argument(args, "fraction") ?? "1");
  const seed = Number(argument(args, "seed") ?? "1");
  const out = argument(args, "out") ?? `/tmp/large-${size}.sqlite`;
  loadLargeWorkspace(out, { size, fraction, seed, analyze: args.includes("--analyze") }).then(
    (result) => console.log(JSON.stringify({ ...result, months: `${result.months[0]}…${result.months.at(-1)}` })),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}

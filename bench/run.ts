// `npm run bench [-- --size 0.1|0.3|1]`: the benchmark of issue 10. Never part of `npm test`.
//
// Setup writes the generated large workspace (bench/large-workspace.ts) straight into a SQLite
// file through the real migrations and the real apply SQL (bench/load-sqlite.ts), then copies
// that file into a wrangler persist directory as the local D1 database. Every figure then
// measures the real path in workerd (`wrangler dev`, local D1):
//   ingest  the real webhook route (signed native deliveries, 50 concurrent senders) against
//           bench/bare-worker.ts (same runtime, only inserts the raw body); again while a
//           backfill of 1,000-event deliveries is applied and a month is recomputed;
//   apply   the real queue consumer, events/s at 10 % and at 100 % of the history, deliveries
//           of 10, 100 and 1,000 events (time from the first post until no inbox row is pending,
//           read through GET …/ingest-status);
//   scaleout  the real route for a workspace on DB_WS_2, idle and while the large workspace
//           on DB_WS_1 backfills and recomputes (issue 12: databases do not wait for each other);
//   engine  computeMonth in workerd (bench/engine-worker.ts) for every month, against the same
//           statements in better-sqlite3 on a copy of the same file (bench/sqlite-engine.ts);
//   site    the Astro build of test/fixtures/reports against an empty build.
// Prints one table, writes bench/results/size-<size>.json and regenerates BENCHMARKS.md from
// every results file present (so sizes run separately end up side by side).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { standardSignature } from "../workers/sources/native";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { addMonths, monthRange } from "../shared/months";
import { generateLargeWorkspace, LAST_MONTH, MONTH_COUNT, type NativeEvent } from "./large-workspace";
import { loadLargeWorkspace, WORKSPACE_ID } from "./load-sqlite";
import { timeEngineSqlite } from "./sqlite-engine";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..");
const WRANGLER = join(REPO, "node_modules/wrangler/bin/wrangler.js");
const SLUG = "large";
const ADMIN_TOKEN = `bench_${randomBytes(12).toString("hex")}`;
const SECRETS_KEY = randomBytes(32).toString("base64");

const { values: options } = parseArgs({
  options: {
    size: { type: "string", default: "0.1" },
    dir: { type: "string", default: "/tmp/quotient-bench" },
    /** Phases to run (comma list of ingest, apply, engine, scaleout, site); default all. */
    only: { type: "string", default: "engine,apply,ingest,scaleout,site" },
    /** Events per apply run (default min(20,000, the first 10 % of the history)). */
    "apply-events": { type: "string" },
    /** Deliveries per ingest measurement (bounded by --ingest-seconds too). */
    "ingest-deliveries": { type: "string", default: "4000" },
    "ingest-seconds": { type: "string", default: "30" },
    "apply-timeout": { type: "string", default: "300" },
    /** Backfill deliveries (1,000 events each) posted during the loaded ingest run. */
    "backfill-deliveries": { type: "string", default: "20" },
    /** Only rewrite BENCHMARKS.md from bench/results/*.json (and bench/NOTES.md); measure nothing. */
    report: { type: "boolean", default: false },
  },
});
const SIZE = Number(options.size);
if (!(SIZE > 0 && SIZE <= 1)) throw new Error(`--size must be in (0, 1]: ${options.size}`);
const PHASES = new Set(options.only!.split(",").map((s) => s.trim()));
const WORK = join(options.dir!, `size-${SIZE}`);
mkdirSync(WORK, { recursive: true });

const started = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- setup: loaded SQLite files

/** What the loaded file depends on: a change to any of these reloads it. */
function setupFingerprint(): string {
  const hash = createHash("sha256");
  const files = [
    ...readdirSync(join(REPO, "migrations")).filter((f) => f.endsWith(".sql")).sort().map((f) => `migrations/${f}`),
    ...readdirSync(join(REPO, "workers/model")).sort().map((f) => `workers/model/${f}`),
    "bench/large-workspace.ts",
    "bench/load-sqlite.ts",
    "bench/d1-sqlite.ts",
  ];
  for (const file of files) hash.update(file).update(readFileSync(join(REPO, file)));
  return hash.digest("hex").slice(0, 16);
}

async function loadedFile(fraction: number): Promise<string> {
  const file = join(WORK, `large-${SIZE}-f${fraction}.sqlite`);
  const meta = `${file}.json`;
  const fingerprint = setupFingerprint();
  if (existsSync(file) && existsSync(meta) && JSON.parse(readFileSync(meta, "utf8")).fingerprint === fingerprint) {
    log(`reusing ${file} (loaded with the current migrations and apply SQL)`);
    return file;
  }
  log(`loading size ${SIZE}, fraction ${fraction} into ${file} (real migrations, real apply SQL)`);
  const result = await loadLargeWorkspace(file, { size: SIZE, fraction, log: (line) => log(`  load: ${line}`) });
  writeFileSync(meta, JSON.stringify({ fingerprint, size: SIZE, fraction, events: result.events }));
  return file;
}

function countEvents(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare("SELECT COUNT(*) FROM canonical_events WHERE workspace_id = ?").pluck().get(WORKSPACE_ID) as number;
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------- setup: local D1 under wrangler

/**
 * A persist directory made by `scripts/migrate.mjs --local` (the directory and every
 * workspace database of wrangler.toml): its D1 files by binding. `file` is DB_WS_1's, the
 * database the loaded workspace is placed in (and the one the bench's own Workers bind as DB).
 */
let d1Template: { dir: string; file: string; files: Record<string, string> } | null = null;

const wranglerEnv = { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" };

function template(): { dir: string; file: string; files: Record<string, string> } {
  if (d1Template) return d1Template;
  const dir = join(WORK, "d1-template");
  rmSync(dir, { recursive: true, force: true });
  const result = spawnSync(process.execPath, ["scripts/migrate.mjs", "--local", "--persist-to", dir], { cwd: REPO, encoding: "utf8", env: wranglerEnv });
  if (result.status !== 0) throw new Error(`scripts/migrate.mjs failed:\n${result.stdout}\n${result.stderr}`);
  const objects = join(dir, "v3/d1/miniflare-D1DatabaseObject");
  // Which file is which binding: each database is told its name, then the files are read.
  const bindings = [...readFileSync(join(REPO, "wrangler.toml"), "utf8").matchAll(/\[\[d1_databases\]\][^[]*?binding\s*=\s*"([A-Z0-9_]+)"/g)].map((m) => m[1]!);
  for (const binding of bindings) {
    const named = spawnSync(
      process.execPath,
      [WRANGLER, "d1", "execute", binding, "--local", "--persist-to", dir, "--command", `CREATE TABLE bench_binding (name TEXT); INSERT INTO bench_binding VALUES ('${binding}')`],
      { cwd: REPO, encoding: "utf8", env: wranglerEnv },
    );
    if (named.status !== 0) throw new Error(`wrangler d1 execute ${binding} failed:\n${named.stdout}\n${named.stderr}`);
  }
  const files: Record<string, string> = {};
  for (const name of readdirSync(objects).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite")) {
    const db = new Database(join(objects, name));
    try {
      files[db.prepare("SELECT name FROM bench_binding").pluck().get() as string] = relative(dir, join(objects, name));
      db.exec("DROP TABLE bench_binding");
    } finally {
      db.close();
    }
  }
  for (const binding of bindings) if (!files[binding]) throw new Error(`no D1 file for ${binding} in ${objects}`);
  d1Template = { dir, file: files.DB_WS_1!, files };
  return d1Template;
}

/**
 * A fresh persist directory whose DB_WS_1 is a copy of `sqliteFile`, the loaded workspace
 * (and its connections) registered in the directory as placed there.
 */
function persistDir(name: string, sqliteFile: string): string {
  const { dir: source, file, files } = template();
  const dir = join(WORK, `persist-${name}`);
  rmSync(dir, { recursive: true, force: true });
  cpSync(source, dir, { recursive: true });
  for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(join(dir, file + suffix), { force: true });
  copyFileSync(sqliteFile, join(dir, file));
  const loaded = new Database(sqliteFile, { readonly: true });
  const directory = new Database(join(dir, files.DB_DIRECTORY!));
  try {
    const workspaces = loaded.prepare("SELECT id, slug FROM workspaces").all() as { id: string; slug: string }[];
    const place = directory.prepare("INSERT INTO directory_workspaces (id, slug, database, created_at) VALUES (?, ?, 'DB_WS_1', ?)");
    for (const w of workspaces) place.run(w.id, w.slug, Date.now());
    const webhook = directory.prepare("INSERT INTO directory_webhook_ids (id, workspace_id) VALUES (?, ?)");
    for (const c of loaded.prepare("SELECT id, workspace_id FROM connections").all() as { id: string; workspace_id: string }[]) webhook.run(c.id, c.workspace_id);
  } finally {
    loaded.close();
    directory.close();
  }
  return dir;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface Worker {
  url: string;
  stop(): Promise<void>;
  restarts(): number;
}

/** `wrangler dev` of a config on loopback with the persist directory; resolves when it answers. */
async function startWorker(name: string, config: string, persist: string): Promise<Worker> {
  const port = await freePort();
  const inspector = await freePort();
  const logFile = join(WORK, `wrangler-${name}.log`);
  const out = openSync(logFile, "w");
  const child: ChildProcess = spawn(
    process.execPath,
    [
      WRANGLER, "dev", "--config", config, "--ip", "127.0.0.1", "--port", String(port),
      "--inspector-port", String(inspector), "--persist-to", persist,
      "--var", `ADMIN_TOKEN:${ADMIN_TOKEN}`, "--var", `SECRETS_KEY:${SECRETS_KEY}`,
      "--show-interactive-dev-session=false", "--log-level", "warn",
    ],
    { cwd: REPO, detached: true, stdio: ["ignore", out, out], env: { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" } },
  );
  let exited = false;
  child.on("exit", () => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (exited) throw new Error(`wrangler dev (${name}) exited; see ${logFile}`);
    try {
      const response = await fetch(`${url}/`, { signal: AbortSignal.timeout(5_000) });
      await response.arrayBuffer();
      if (response.status < 500) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`wrangler dev (${name}) did not come up; see ${logFile}`);
    await sleep(250);
  }
  return {
    url,
    restarts: () => (readFileSync(logFile, "utf8").match(/restarted mid-request/g) ?? []).length,
    async stop() {
      if (exited) return;
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        return;
      }
      for (let i = 0; i < 100 && !exited; i++) await sleep(100);
      if (!exited) {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          // gone
        }
      }
      await sleep(300);
    },
  };
}

// ---------------------------------------------------------------- HTTP clients

/**
 * Recomputes the large workspace's last month again and again until `stopped()`: the
 * recompute load the ingest measurements run against. `ms` holds the successful runs.
 */
function recomputeUntil(worker: Worker, stopped: () => boolean) {
  const result = { ms: [] as number[], runs: 0, done: Promise.resolve() };
  result.done = (async () => {
    while (!stopped()) {
      const t0 = performance.now();
      result.runs++;
      try {
        await api(worker, "POST", `/workspaces/${SLUG}/recompute`, { from: LAST_MONTH, to: LAST_MONTH });
        result.ms.push(performance.now() - t0);
      } catch (error) {
        log(`  recompute failed: ${String(error).slice(0, 200)}`);
        await sleep(500);
      }
    }
  })();
  return result;
}

async function api<T>(worker: Worker, method: string, path: string, body?: unknown, timeoutMs = 600_000): Promise<T> {
  const response = await fetch(`${worker.url}/api/v1${path}`, {
    signal: AbortSignal.timeout(timeoutMs),
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

interface Connection {
  id: string;
  secret: string;
}

const createConnection = (worker: Worker, name: string) =>
  api<Connection>(worker, "POST", `/workspaces/${SLUG}/connections`, { kind: "native", name });

let deliverySeq = 0;

/** One signed native delivery (Standard Webhooks) to the real route; status and accept latency. */
async function postNative(worker: Worker, connection: Connection, body: string): Promise<{ status: number; ms: number }> {
  const id = `msg_bench_${process.pid}_${++deliverySeq}`;
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = await standardSignature(connection.secret, id, timestamp, body);
  const t0 = performance.now();
  try {
    const response = await fetch(`${worker.url}/webhooks/${connection.id}`, {
      method: "POST",
      headers: { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature },
      body,
      signal: AbortSignal.timeout(120_000),
    });
    await response.arrayBuffer();
    return { status: response.status, ms: performance.now() - t0 };
  } catch {
    return { status: 0, ms: performance.now() - t0 };
  }
}

async function postBare(worker: Worker, body: string): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  try {
    const response = await fetch(`${worker.url}/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      signal: AbortSignal.timeout(120_000),
    });
    await response.arrayBuffer();
    return { status: response.status, ms: performance.now() - t0 };
  } catch {
    return { status: 0, ms: performance.now() - t0 };
  }
}

const percentile = (values: number[], p: number) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
};

interface SenderResult {
  deliveries: number;
  accepted: number;
  statuses: Record<string, number>;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
}

/** `concurrency` senders, each posting back to back, until `count` deliveries or `maxMs`. */
async function senders(
  concurrency: number,
  count: number,
  maxMs: number,
  send: (i: number) => Promise<{ status: number; ms: number }>,
): Promise<SenderResult> {
  let next = 0;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const t0 = performance.now();
  const deadline = t0 + maxMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count && performance.now() < deadline) {
        const i = next++;
        const { status, ms } = await send(i);
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status >= 200 && status < 300) latencies.push(ms);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const deliveries = Object.values(statuses).reduce((s, n) => s + n, 0);
  return {
    deliveries,
    accepted: latencies.length,
    statuses,
    seconds,
    perSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: Math.max(...latencies),
  };
}

// ---------------------------------------------------------------- events re-sent under new ids

let pool: NativeEvent[] | null = null;

/** The first 10 % of the history (by occurred_at): entities that exist at 10 % and at 100 %. */
function eventPool(): NativeEvent[] {
  if (!pool) {
    const events = generateLargeWorkspace({ size: SIZE }).events;
    pool = events.slice(0, Math.floor(events.length * 0.1));
  }
  return pool;
}

const renamed = (events: NativeEvent[], prefix: string) => events.map((e, i) => ({ ...e, id: `${prefix}-${i}` }));

/** Small ingest deliveries: 1–10 events each, cycling through the pool under new event ids. */
function smallBody(prefix: string, i: number): string {
  const pool = eventPool();
  const n = (i % 10) + 1;
  const start = (i * 7) % Math.max(1, pool.length - n);
  return JSON.stringify({ events: renamed(pool.slice(start, start + n), `${prefix}-${i}`) });
}

async function ingestStatus(worker: Worker, timeoutMs = 60_000) {
  return api<{ pending: number; processed: number; failed: number; dead_letters: number }>(
    worker,
    "GET",
    `/workspaces/${SLUG}/ingest-status`,
    undefined,
    timeoutMs,
  );
}

/** Polls until no inbox row is pending; the time it became so, or null at the deadline. */
async function waitForInbox(worker: Worker, deadline: number): Promise<{ doneAt: number | null; pending: number }> {
  let pending = -1;
  while (performance.now() < deadline) {
    try {
      // Each poll is bounded: under local wrangler dev a request can hang for minutes
      // after a long queue batch although the consumer has finished (seen at 1,000-event
      // deliveries); a fresh poll answers at once.
      pending = (await ingestStatus(worker, Math.round(Math.min(5_000, Math.max(1_000, deadline - performance.now()))))).pending;
      if (pending === 0) return { doneAt: performance.now(), pending };
    } catch {
      // a slow or 503 answer: keep polling
    }
    await sleep(200);
  }
  return { doneAt: null, pending };
}

// ---------------------------------------------------------------- phases

interface Results {
  size: number;
  date: string;
  machine: Record<string, string | number>;
  /** 1-minute load average when each phase started and ended (the machine may be shared). */
  load?: Record<string, string>;
  versions: Record<string, string>;
  /** HEAD when the run started, and uncommitted changes to the measured code then. */
  code?: { commit: string; dirty: string[] };
  history: { events100: number; events10: number };
  ingest?: {
    httpFloor?: SenderResult;
    bare: SenderResult;
    real: SenderResult;
    loaded: SenderResult & {
      backfill: { deliveries: number; accepted: number; events: number; p50: number; p99: number; appliedDuring: number };
      recompute: { runs: number; ok: number; ms: number[] };
    };
    restarts: number;
  };
  /** A workspace on DB_WS_2 while the large one on DB_WS_1 backfills and recomputes (issue 12). */
  scaleout?: {
    idle: SenderResult;
    loaded: SenderResult;
    backfill: { deliveries: number; accepted: number; p50: number; p99: number };
    recompute: { runs: number; ok: number; ms: number[] };
    restarts: number;
  };
  apply?: {
    events: number;
    runs: {
      fraction: number;
      deliverySize: number;
      deliveries: number;
      postSeconds: number;
      seconds: number | null;
      eventsPerSecond: number;
      pendingAtEnd: number;
      failed: number;
      inbox?: { status: string; rows: number; attempts: number; error: string | null }[];
    }[];
  };
  engine?: {
    months: { month: string; wallMs: number; statementMs: number; sqliteMs: number; error?: string }[];
    lastMonth: { wallMs: number; statementMs: number; sqliteMs: number };
    allMonths: { wallMs: number; statementMs: number; sqliteMs: number };
    slowest: { name: string; month: string; ms: number; sqliteMs: number };
    slowestSqlite: { name: string; month: string; ms: number };
    topStatements: { name: string; maxMs: number; totalMs: number; sqliteTotalMs: number }[];
    restarts: number;
  };
  site?: {
    pages: number;
    reportPages: number;
    buildSeconds: number;
    emptyBuildSeconds: number;
    perReportPageSeconds: number;
    htmlBytesPerReportPage: number;
    jsBytesPerReportPage: number;
    baselineHtmlBytes: number;
    baselineJsBytes: number;
    baselinePage: string;
  };
}

async function runIngest(file100: string, results: Results) {
  const count = Number(options["ingest-deliveries"]);
  const maxMs = Number(options["ingest-seconds"]) * 1000;
  const persist = persistDir("ingest", file100);

  log("ingest: bare Worker (raw body into D1), 50 senders");
  const bare = await startWorker("bare", join(REPO, "bench/wrangler.bare.toml"), persist);
  let bareResult: SenderResult;
  let httpFloor: SenderResult;
  try {
    await postBare(bare, smallBody("warm", 0));
    bareResult = await senders(50, count, maxMs, (i) => postBare(bare, smallBody("bare", i)));
    // Context only: the same runtime and HTTP path with no D1 at all (GET answers at once).
    httpFloor = await senders(50, count, maxMs, async () => {
      const t0 = performance.now();
      try {
        const response = await fetch(`${bare.url}/`);
        await response.arrayBuffer();
        return { status: response.status, ms: performance.now() - t0 };
      } catch {
        return { status: 0, ms: performance.now() - t0 };
      }
    });
  } finally {
    await bare.stop();
  }
  log(`  http floor (no D1): ${httpFloor!.perSecond.toFixed(0)}/s p50 ${httpFloor!.p50.toFixed(1)} ms p99 ${httpFloor!.p99.toFixed(1)} ms`);
  log(`  bare: ${bareResult.perSecond.toFixed(0)}/s p50 ${bareResult.p50.toFixed(1)} ms p99 ${bareResult.p99.toFixed(1)} ms`);

  log("ingest: real webhook route, 50 senders");
  const worker = await startWorker("ingest", join(REPO, "wrangler.toml"), persist);
  try {
    const connection = await createConnection(worker, "bench ingest");
    const backfillConnection = await createConnection(worker, "bench backfill");
    await postNative(worker, connection, smallBody("warm", 0));
    const real = await senders(50, count, maxMs, (i) => postNative(worker, connection, smallBody("ing", i)));
    log(`  real: ${real.perSecond.toFixed(0)}/s p50 ${real.p50.toFixed(1)} ms p99 ${real.p99.toFixed(1)} ms ${JSON.stringify(real.statuses)}`);
    const drained = await waitForInbox(worker, performance.now() + 180_000);
    log(`  inbox drained: ${drained.doneAt !== null} (pending ${drained.pending})`);

    log("ingest: real webhook route during a backfill (1,000-event deliveries) and a month's recompute");
    const pool = eventPool();
    const backfillCount = Number(options["backfill-deliveries"]);
    let stop = false;
    const backfillLatencies: number[] = [];
    let backfillPosted = 0;
    let backfillEvents = 0;
    const backfill = (async () => {
      for (let d = 0; d < backfillCount && !stop; d++) {
        const start = (d * 1000) % Math.max(1, pool.length - 1000);
        const events = renamed(pool.slice(start, start + 1000), `bf-${d}`);
        const { status, ms } = await postNative(worker, backfillConnection, JSON.stringify({ events }));
        backfillPosted++;
        if (status >= 200 && status < 300) {
          backfillLatencies.push(ms);
          backfillEvents += events.length;
        }
      }
    })();
    const recompute = recomputeUntil(worker, () => stop);
    // Let the backfill reach the queue consumer before measuring.
    while (backfillLatencies.length < 2 && backfillPosted < backfillCount) await sleep(100);
    await sleep(1000);
    const before = await ingestStatus(worker).catch(() => null);
    const loaded = await senders(50, count, maxMs, (i) => postNative(worker, connection, smallBody("ingload", i)));
    const after = await ingestStatus(worker).catch(() => null);
    stop = true;
    await Promise.all([backfill, recompute.done]);
    log(
      `  loaded: ${loaded.perSecond.toFixed(0)}/s p50 ${loaded.p50.toFixed(1)} ms p99 ${loaded.p99.toFixed(1)} ms ${JSON.stringify(loaded.statuses)}; ` +
        `backfill ${backfillLatencies.length} accepted; recompute ${recompute.ms.length}/${recompute.runs} ` +
        `(${recompute.ms.map((ms) => (ms / 1000).toFixed(1)).join(", ")} s)`,
    );
    results.ingest = {
      httpFloor: httpFloor!,
      bare: bareResult,
      real,
      loaded: {
        ...loaded,
        backfill: {
          deliveries: backfillPosted,
          accepted: backfillLatencies.length,
          events: backfillEvents,
          p50: percentile(backfillLatencies, 50),
          p99: percentile(backfillLatencies, 99),
          // Inbox rows (of either connection) processed while the senders ran.
          appliedDuring: before && after ? after.processed - before.processed : NaN,
        },
        recompute: { runs: recompute.runs, ok: recompute.ms.length, ms: recompute.ms },
      },
      restarts: worker.restarts(),
    };
  } finally {
    await worker.stop();
  }
}

/**
 * Scale-out (issue 12): accept latency of a workspace on DB_WS_2 while the large workspace
 * on DB_WS_1 takes a backfill of 1,000-event deliveries (applied by the real consumer) and
 * a recompute loop of its last month — against the same workspace on DB_WS_2 idle.
 */
async function runScaleOut(file100: string, results: Results) {
  const count = Number(options["ingest-deliveries"]);
  const maxMs = Number(options["ingest-seconds"]) * 1000;
  const worker = await startWorker("scaleout", join(REPO, "wrangler.toml"), persistDir("scaleout", file100));
  try {
    const placed = await api<{ database: string }>(worker, "POST", "/workspaces", { slug: "light", name: "Light (DB_WS_2)", database: "DB_WS_2" });
    if (placed.database !== "DB_WS_2") throw new Error(`light placed in ${placed.database}`);
    const light = await api<Connection>(worker, "POST", "/workspaces/light/connections", { kind: "native", name: "bench light" });
    const backfillConnection = await createConnection(worker, "bench backfill (DB_WS_1)");
    await postNative(worker, light, smallBody("warm", 0));
    log("scale-out: workspace on DB_WS_2, 50 senders, idle");
    const idle = await senders(50, count, maxMs, (i) => postNative(worker, light, smallBody("so-idle", i)));
    log(`  idle: ${idle.perSecond.toFixed(0)}/s p50 ${idle.p50.toFixed(1)} ms p99 ${idle.p99.toFixed(1)} ms ${JSON.stringify(idle.statuses)}`);

    log("scale-out: workspace on DB_WS_2 while DB_WS_1 backfills (1,000-event deliveries) and recomputes");
    const pool = eventPool();
    const backfillCount = Number(options["backfill-deliveries"]);
    let stop = false;
    const backfillLatencies: number[] = [];
    let backfillPosted = 0;
    const backfill = (async () => {
      for (let d = 0; d < backfillCount && !stop; d++) {
        const start = (d * 1000) % Math.max(1, pool.length - 1000);
        const { status, ms } = await postNative(worker, backfillConnection, JSON.stringify({ events: renamed(pool.slice(start, start + 1000), `so-bf-${d}`) }));
        backfillPosted++;
        if (status >= 200 && status < 300) backfillLatencies.push(ms);
      }
    })();
    const recompute = recomputeUntil(worker, () => stop);
    while (backfillLatencies.length < 2 && backfillPosted < backfillCount) await sleep(100);
    await sleep(1000);
    const loaded = await senders(50, count, maxMs, (i) => postNative(worker, light, smallBody("so-load", i)));
    stop = true;
    await Promise.all([backfill, recompute.done]);
    log(
      `  loaded: ${loaded.perSecond.toFixed(0)}/s p50 ${loaded.p50.toFixed(1)} ms p99 ${loaded.p99.toFixed(1)} ms ${JSON.stringify(loaded.statuses)}; ` +
        `backfill ${backfillLatencies.length} accepted; recompute ${recompute.ms.length}/${recompute.runs}`,
    );
    results.scaleout = {
      idle,
      loaded,
      backfill: { deliveries: backfillPosted, accepted: backfillLatencies.length, p50: percentile(backfillLatencies, 50), p99: percentile(backfillLatencies, 99) },
      recompute: { runs: recompute.runs, ok: recompute.ms.length, ms: recompute.ms },
      restarts: worker.restarts(),
    };
  } finally {
    await worker.stop();
  }
}

async function runApply(files: Record<number, string>, results: Results) {
  const pool = eventPool();
  const total = Number(options["apply-events"] ?? Math.min(20_000, pool.length));
  const events = pool.slice(pool.length - total);
  const timeout = Number(options["apply-timeout"]) * 1000;
  const runs: NonNullable<Results["apply"]>["runs"] = [];
  for (const fraction of [0.1, 1]) {
    for (const deliverySize of [10, 100, 1000]) {
      const name = `apply-${fraction}-${deliverySize}`;
      const persist = persistDir("apply", files[fraction]!);
      const worker = await startWorker(name, join(REPO, "wrangler.toml"), persist);
      let connectionId: string | undefined;
      try {
        const connection = await createConnection(worker, "bench apply");
        connectionId = connection.id;
        const bodies: string[] = [];
        for (let i = 0; i < events.length; i += deliverySize) {
          bodies.push(JSON.stringify({ events: renamed(events.slice(i, i + deliverySize), `ap${deliverySize}-${i}`) }));
        }
        const t0 = performance.now();
        let failed = 0;
        // A few concurrent senders, so that posting is not what is measured.
        let next = 0;
        await Promise.all(
          Array.from({ length: 8 }, async () => {
            while (next < bodies.length) {
              const body = bodies[next++]!;
              for (let attempt = 0; ; attempt++) {
                const { status } = await postNative(worker, connection, body);
                if (status === 202) break;
                if (attempt >= 5) {
                  failed++;
                  break;
                }
                await sleep(500);
              }
            }
          }),
        );
        const posted = performance.now();
        const { doneAt, pending } = await waitForInbox(worker, t0 + timeout);
        const end = doneAt ?? performance.now();
        const applied = doneAt !== null ? total : Math.max(0, bodies.length - pending) * deliverySize;
        const run = {
          fraction,
          deliverySize,
          deliveries: bodies.length,
          postSeconds: (posted - t0) / 1000,
          seconds: doneAt !== null ? (doneAt - t0) / 1000 : null,
          eventsPerSecond: applied / ((end - t0) / 1000),
          pendingAtEnd: pending,
          failed,
        };
        runs.push(run);
        log(
          `apply ${fraction * 100} % history, ${deliverySize}-event deliveries: ${run.eventsPerSecond.toFixed(0)} events/s ` +
            `(${run.seconds === null ? `timed out with ${pending} pending` : `${run.seconds.toFixed(1)} s`}, posted in ${run.postSeconds.toFixed(1)} s)`,
        );
      } finally {
        await worker.stop();
      }
      // What the inbox says once the Worker is stopped: attempts and errors of this run's rows.
      const run = runs.at(-1);
      if (run && run.fraction === fraction && run.deliverySize === deliverySize) {
        const db = new Database(join(persist, template().file), { readonly: true });
        try {
          run.inbox = db
            .prepare(
              `SELECT status, COUNT(*) AS rows, SUM(attempts) AS attempts, MAX(error) AS error FROM inbox WHERE connection_id = ? GROUP BY status`,
            )
            .all(connectionId ?? "") as { status: string; rows: number; attempts: number; error: string | null }[];
        } finally {
          db.close();
        }
        log(`  inbox at the end: ${JSON.stringify(run.inbox).slice(0, 400)}`);
      }
    }
  }
  results.apply = { events: total, runs };
}

async function runEngine(file100: string, results: Results) {
  const months = monthRange(addMonths(LAST_MONTH, -(MONTH_COUNT - 1)), LAST_MONTH);
  const worker = await startWorker("engine", join(REPO, "bench/wrangler.engine.toml"), persistDir("engine", file100));
  type Timing = { month: string; wall_ms: number; statements: { name: string; ms: number }[]; error?: string };
  const compute = async (month: string): Promise<Timing & { clientMs: number }> => {
    const t0 = performance.now();
    try {
      const response = await fetch(`${worker.url}/compute`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ workspace_id: WORKSPACE_ID, month }),
        signal: AbortSignal.timeout(600_000),
      });
      const text = await response.text();
      const body = (() => {
        try {
          return JSON.parse(text) as Timing;
        } catch {
          return { month, wall_ms: NaN, statements: [], error: `${response.status} ${text.slice(0, 300)}` };
        }
      })();
      return { ...body, statements: body.statements ?? [], clientMs: performance.now() - t0 };
    } catch (error) {
      return { month, wall_ms: NaN, statements: [], error: String(error), clientMs: performance.now() - t0 };
    }
  };
  const workerd: (Timing & { clientMs: number })[] = [];
  let lastRepeats: (Timing & { clientMs: number })[];
  try {
    for (const month of months) {
      const t = await compute(month);
      workerd.push(t);
      log(`engine workerd ${month}: ${(t.clientMs / 1000).toFixed(2)} s${t.error ? ` ERROR ${t.error}` : ""}`);
    }
    lastRepeats = [await compute(LAST_MONTH), await compute(LAST_MONTH)];
  } finally {
    await worker.stop();
  }

  log("engine: the same statements in better-sqlite3 on a copy of the same file");
  const copy = join(WORK, "engine-sqlite-copy.sqlite");
  copyFileSync(file100, copy);
  const sqlite = timeEngineSqlite(copy, WORKSPACE_ID, months);
  const sqliteLast = [sqlite, timeEngineSqlite(copy, WORKSPACE_ID, [LAST_MONTH]), timeEngineSqlite(copy, WORKSPACE_ID, [LAST_MONTH])];
  rmSync(copy, { force: true });

  const sum = (xs: { ms: number }[]) => xs.reduce((s, x) => s + x.ms, 0);
  const sqliteByMonth = new Map<string, number>();
  for (const t of sqlite.slowest) sqliteByMonth.set(t.month, (sqliteByMonth.get(t.month) ?? 0) + t.ms);
  const sqliteStatement = new Map(sqlite.slowest.map((t) => [`${t.name}@${t.month}`, t.ms]));
  const monthRows = workerd.map((t) => ({
    month: t.month,
    wallMs: t.clientMs,
    statementMs: sum(t.statements.filter((s) => s.name !== "swap")),
    sqliteMs: sqliteByMonth.get(t.month) ?? NaN,
    ...(t.error ? { error: t.error } : {}),
  }));
  const median = (xs: number[]) => percentile(xs, 50);
  const lastSqlite = sqliteLast.map((r) => r.slowest.filter((t) => t.month === LAST_MONTH).reduce((s, t) => s + t.ms, 0));
  const lastWorkerd = [workerd.at(-1)!, ...lastRepeats];
  let slowest = { name: "", month: "", ms: -1, sqliteMs: NaN };
  const byName = new Map<string, { name: string; maxMs: number; totalMs: number; sqliteTotalMs: number }>();
  for (const t of workerd) {
    for (const s of t.statements) {
      if (s.name !== "swap" && s.ms > slowest.ms) slowest = { name: s.name, month: t.month, ms: s.ms, sqliteMs: sqliteStatement.get(`${s.name}@${t.month}`) ?? NaN };
      const entry = byName.get(s.name) ?? { name: s.name, maxMs: 0, totalMs: 0, sqliteTotalMs: 0 };
      entry.maxMs = Math.max(entry.maxMs, s.ms);
      entry.totalMs += s.ms;
      byName.set(s.name, entry);
    }
  }
  for (const s of sqlite.byName) {
    const entry = byName.get(s.name);
    if (entry) entry.sqliteTotalMs = s.ms;
  }
  const top = sqlite.slowest[0]!;
  results.engine = {
    months: monthRows,
    lastMonth: {
      wallMs: median(lastWorkerd.map((t) => t.clientMs)),
      statementMs: median(lastWorkerd.map((t) => sum(t.statements.filter((s) => s.name !== "swap")))),
      sqliteMs: median(lastSqlite),
    },
    allMonths: {
      wallMs: monthRows.reduce((s, m) => s + m.wallMs, 0),
      statementMs: monthRows.reduce((s, m) => s + m.statementMs, 0),
      sqliteMs: sqlite.slowest.reduce((s, t) => s + t.ms, 0),
    },
    slowest,
    slowestSqlite: { name: top.name, month: top.month, ms: top.ms },
    topStatements: [...byName.values()].sort((a, b) => b.maxMs - a.maxMs).slice(0, 8),
    restarts: worker.restarts(),
  };
}

const SITE_COPIES = 20;

function runSite(results: Results) {
  const out = join(REPO, "test-artifacts/bench-site");
  const build = (reportsDir: string, outDir: string) => {
    rmSync(outDir, { recursive: true, force: true });
    const t0 = performance.now();
    const result = spawnSync(process.execPath, [join(REPO, "node_modules/astro/astro.js"), "build", "--root", "site"], {
      cwd: REPO,
      encoding: "utf8",
      env: { ...process.env, REPORTS_DIR: reportsDir, SITE_OUT_DIR: outDir, ASTRO_TELEMETRY_DISABLED: "1", NO_COLOR: "1" },
    });
    if (result.status !== 0) throw new Error(`astro build failed:\n${result.stdout}\n${result.stderr}`.slice(-4000));
    return (performance.now() - t0) / 1000;
  };
  const empty = join(WORK, "empty-reports");
  mkdirSync(empty, { recursive: true });
  writeFileSync(join(empty, "index.json"), JSON.stringify({ generated_at: new Date(0).toISOString(), reports: [] }));
  log("site: astro build with no reports (baseline)");
  const emptySeconds = build(empty, `${out}-empty`);
  // test/fixtures/reports holds 3 reports: too few to tell a page's cost from Astro's fixed
  // cost, so they are copied under COPIES distinct workspace slugs and share tokens.
  const fixtures = join(REPO, "test/fixtures/reports");
  const copies = join(WORK, "site-reports");
  rmSync(copies, { recursive: true, force: true });
  const index = JSON.parse(readFileSync(join(fixtures, "index.json"), "utf8")) as {
    reports: { workspace: string; share_token: string; file: string }[];
  };
  const entries: typeof index.reports = [];
  for (let k = 1; k <= SITE_COPIES; k++) {
    for (const entry of index.reports) {
      const workspace = `${entry.workspace}-c${k}`;
      const file = `${workspace}/${entry.file.split("/").pop()}`;
      const report = JSON.parse(readFileSync(join(fixtures, entry.file), "utf8"));
      report.workspace.slug = workspace;
      report.share_token = `${entry.share_token}-c${k}`;
      mkdirSync(join(copies, workspace), { recursive: true });
      writeFileSync(join(copies, file), JSON.stringify(report));
      entries.push({ ...entry, workspace, share_token: report.share_token, file });
    }
  }
  writeFileSync(join(copies, "index.json"), JSON.stringify({ ...index, reports: entries }));
  log(`site: astro build of test/fixtures/reports × ${SITE_COPIES} (${entries.length} reports)`);
  const seconds = build(copies, out);

  const pages: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".html")) pages.push(path);
    }
  };
  walk(out);
  const jsBytes = (page: string) => {
    const html = readFileSync(page, "utf8");
    let bytes = 0;
    for (const match of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
      const src = /\bsrc=["']?([^"' >]+)/i.exec(match[1]!)?.[1];
      if (/type=["']?application\/(ld\+)?json/i.test(match[1]!)) continue;
      if (src) {
        const path = src.startsWith("/") ? join(out, src) : join(dirname(page), src);
        bytes += existsSync(path) ? statSync(path).size : 0;
      } else bytes += Buffer.byteLength(match[2]!);
    }
    return bytes;
  };
  const reportPages = pages.filter((p) => /\/[^/]+\/\d{4}-\d{2}\/index\.html$/.test(p));
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
  const baselinePage = join(out, "kpis/index.html");
  results.site = {
    pages: pages.length,
    reportPages: reportPages.length,
    buildSeconds: seconds,
    emptyBuildSeconds: emptySeconds,
    perReportPageSeconds: (seconds - emptySeconds) / Math.max(1, reportPages.length),
    htmlBytesPerReportPage: mean(reportPages.map((p) => statSync(p).size)),
    jsBytesPerReportPage: mean(reportPages.map(jsBytes)),
    baselineHtmlBytes: existsSync(baselinePage) ? statSync(baselinePage).size : NaN,
    baselineJsBytes: existsSync(baselinePage) ? jsBytes(baselinePage) : NaN,
    baselinePage: relative(out, baselinePage),
  };
  rmSync(`${out}-empty`, { recursive: true, force: true });
  log(`site: ${reportPages.length} report pages of ${pages.length}, ${seconds.toFixed(1)} s (empty ${emptySeconds.toFixed(1)} s)`);
}

// ---------------------------------------------------------------- report

function machine(): Record<string, string | number> {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model ?? "unknown",
    cores: cpu.length,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${process.platform} ${spawnSync("uname", ["-r"], { encoding: "utf8" }).stdout.trim()}`,
  };
}

function codeVersion(): { commit: string; dirty: string[] } {
  const git = (...args: string[]) => spawnSync("git", args, { cwd: REPO, encoding: "utf8" }).stdout.trim();
  return {
    commit: git("rev-parse", "--short", "HEAD"),
    dirty: git("status", "--porcelain", "--", "workers", "migrations", "shared", "wrangler.toml", "bench")
      .split("\n")
      .filter(Boolean),
  };
}

function versions(): Record<string, string> {
  const pkg = (name: string) => JSON.parse(readFileSync(join(REPO, "node_modules", name, "package.json"), "utf8")).version as string;
  const db = new Database(":memory:");
  const sqlite = db.prepare("SELECT sqlite_version()").pluck().get() as string;
  db.close();
  return {
    node: process.version,
    wrangler: pkg("wrangler"),
    workerd: pkg("workerd"),
    miniflare: pkg("miniflare"),
    "better-sqlite3": pkg("better-sqlite3"),
    "SQLite in better-sqlite3": sqlite,
    astro: pkg("astro"),
  };
}

const f = (value: number | null | undefined, digits = 0) =>
  value === null || value === undefined || !Number.isFinite(value) ? "—" : value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}×` : "—");
const verdict = (ok: boolean | null) => (ok === null ? "—" : ok ? "met" : "MISSED");

type Row = [figure: string, value: string, baseline: string, ratio: string, target: string, status: string];

function rows(r: Results): Row[] {
  const out: Row[] = [];
  if (r.ingest) {
    const { bare, real, loaded } = r.ingest;
    out.push(["ingest: deliveries/s, 50 senders", f(real.perSecond), `${f(bare.perSecond)} bare Worker`, ratio(real.perSecond, bare.perSecond), "≥ 0.5× bare", verdict(real.perSecond >= 0.5 * bare.perSecond)]);
    out.push(["ingest: p50 accept latency", `${f(real.p50, 1)} ms`, `${f(bare.p50, 1)} ms bare`, ratio(real.p50, bare.p50), "", ""]);
    out.push(["ingest: p99 accept latency", `${f(real.p99, 1)} ms`, `${f(bare.p99, 1)} ms bare`, ratio(real.p99, bare.p99), "< 50 ms", verdict(real.p99 < 50)]);
    out.push(["ingest during backfill + recompute: deliveries/s", f(loaded.perSecond), `${f(real.perSecond)} idle`, ratio(loaded.perSecond, real.perSecond), "", ""]);
    out.push(["ingest during backfill + recompute: p50", `${f(loaded.p50, 1)} ms`, `${f(real.p50, 1)} ms idle`, ratio(loaded.p50, real.p50), "", ""]);
    out.push(["ingest during backfill + recompute: p99", `${f(loaded.p99, 1)} ms`, `${f(real.p99, 1)} ms idle`, ratio(loaded.p99, real.p99), "< 200 ms", verdict(loaded.p99 < 200 && loaded.accepted === loaded.deliveries)]);
  }
  if (r.scaleout) {
    const { idle, loaded } = r.scaleout;
    const sameDatabase = r.ingest ? ` (same database: ${f(r.ingest.loaded.p99, 1)} ms)` : "";
    out.push(["ingest on DB_WS_2 while DB_WS_1 backfills + recomputes: p50", `${f(loaded.p50, 1)} ms`, `${f(idle.p50, 1)} ms idle`, ratio(loaded.p50, idle.p50), "", ""]);
    out.push([`ingest on DB_WS_2 while DB_WS_1 backfills + recomputes: p99${sameDatabase}`, `${f(loaded.p99, 1)} ms`, `${f(idle.p99, 1)} ms idle`, ratio(loaded.p99, idle.p99), "", ""]);
    out.push(["ingest on DB_WS_2 while DB_WS_1 backfills + recomputes: deliveries/s", f(loaded.perSecond), `${f(idle.perSecond)} idle`, ratio(loaded.perSecond, idle.perSecond), "", ""]);
  }
  if (r.apply) {
    for (const size of [10, 100, 1000]) {
      const at10 = r.apply.runs.find((x) => x.fraction === 0.1 && x.deliverySize === size);
      const at100 = r.apply.runs.find((x) => x.fraction === 1 && x.deliverySize === size);
      if (!at10 || !at100) continue;
      const done = at100.seconds !== null;
      out.push([
        `apply: events/s, ${size}-event deliveries, 100 % history`,
        `${f(at100.eventsPerSecond)}${done ? "" : " (timed out)"}`,
        `${f(at10.eventsPerSecond)}${at10.seconds === null ? " (timed out)" : ""} at 10 %`,
        ratio(at100.eventsPerSecond, at10.eventsPerSecond),
        "≥ 5,000/s and ≥ 0.8× 10 %",
        verdict(done && at100.eventsPerSecond >= 5000 && at100.eventsPerSecond >= 0.8 * at10.eventsPerSecond),
      ]);
    }
  }
  if (r.engine) {
    const e = r.engine;
    out.push(["engine: last month (workerd, wall)", `${f(e.lastMonth.wallMs / 1000, 2)} s`, `${f(e.lastMonth.sqliteMs / 1000, 2)} s better-sqlite3`, ratio(e.lastMonth.wallMs, e.lastMonth.sqliteMs), "≤ 2 s", verdict(e.lastMonth.wallMs <= 2000)]);
    out.push(["engine: all 24 months (workerd, wall)", `${f(e.allMonths.wallMs / 1000, 1)} s`, `${f(e.allMonths.sqliteMs / 1000, 1)} s better-sqlite3`, ratio(e.allMonths.wallMs, e.allMonths.sqliteMs), "≤ 60 s; ≤ 1.5× better-sqlite3", verdict(e.allMonths.wallMs <= 60_000 && e.allMonths.wallMs <= 1.5 * e.allMonths.sqliteMs)]);
    out.push(["engine: all 24 months, D1 statement time", `${f(e.allMonths.statementMs / 1000, 1)} s`, `${f(e.allMonths.sqliteMs / 1000, 1)} s better-sqlite3`, ratio(e.allMonths.statementMs, e.allMonths.sqliteMs), "≤ 1.5× better-sqlite3", verdict(e.allMonths.statementMs <= 1.5 * e.allMonths.sqliteMs)]);
    out.push([`engine: slowest statement ${e.slowest.name} (${e.slowest.month})`, `${f(e.slowest.ms)} ms`, `${f(e.slowest.sqliteMs)} ms better-sqlite3`, ratio(e.slowest.ms, e.slowest.sqliteMs), "≤ 1 s", verdict(e.slowest.ms <= 1000)]);
  }
  if (r.site) {
    const s = r.site;
    out.push([`site: build time per report page (${s.reportPages} report pages)`, `${f(s.perReportPageSeconds * 1000)} ms`, `${f(s.emptyBuildSeconds, 1)} s empty build`, ratio(s.buildSeconds, s.emptyBuildSeconds), "", ""]);
    out.push(["site: HTML per report page", `${f(s.htmlBytesPerReportPage / 1024, 1)} KiB`, `${f(s.baselineHtmlBytes / 1024, 1)} KiB ${s.baselinePage}`, ratio(s.htmlBytesPerReportPage, s.baselineHtmlBytes), "", ""]);
    out.push(["site: JS per report page", `${f(s.jsBytesPerReportPage / 1024, 1)} KiB`, `${f(s.baselineJsBytes / 1024, 1)} KiB ${s.baselinePage}`, s.baselineJsBytes === 0 && s.jsBytesPerReportPage === 0 ? "0 = 0" : ratio(s.jsBytesPerReportPage, s.baselineJsBytes), "", ""]);
  }
  return out;
}

function table(r: Results): string {
  const header: Row = ["figure", "measured", "baseline (same run)", "ratio", "target", ""];
  const all = [header, ...rows(r)];
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  return all.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}

function markdownTable(r: Results): string {
  const lines = ["| figure | measured | baseline (same run) | ratio | target | |", "|---|---:|---:|---:|---|---|"];
  for (const row of rows(r)) lines.push(`| ${row.join(" | ")} |`);
  return lines.join("\n");
}

function details(r: Results): string {
  const parts: string[] = [];
  if (r.ingest) {
    const { bare, real, loaded } = r.ingest;
    const line = (name: string, s: SenderResult) =>
      `| ${name} | ${s.accepted} / ${s.deliveries} | ${f(s.seconds, 1)} s | ${f(s.perSecond)} | ${f(s.p50, 1)} | ${f(s.p99, 1)} | ${f(s.max, 1)} | ${JSON.stringify(s.statuses)} |`;
    parts.push(
      "#### Ingest (50 concurrent senders, deliveries of 1–10 events)",
      "",
      "| run | 2xx / sent | time | deliveries/s | p50 ms | p99 ms | max ms | statuses |",
      "|---|---:|---:|---:|---:|---:|---:|---|",
      ...(r.ingest.httpFloor ? [line("HTTP floor: GET on the bare Worker, no D1 (context)", r.ingest.httpFloor)] : []),
      line("bare Worker (raw insert)", bare),
      line("real webhook route, idle", real),
      line("real webhook route, backfill + recompute", loaded),
      "",
      `During the loaded run: ${loaded.backfill.accepted} of ${loaded.backfill.deliveries} backfill deliveries of 1,000 events accepted ` +
        `(accept p50 ${f(loaded.backfill.p50)} ms, p99 ${f(loaded.backfill.p99)} ms); ${f(loaded.backfill.appliedDuring)} inbox rows applied while the senders ran; ` +
        `${loaded.recompute.ok} of ${loaded.recompute.runs} recomputes of ${LAST_MONTH} finished ` +
        `(${loaded.recompute.ms.map((ms) => `${f(ms / 1000, 1)} s`).join(", ") || "none"}). ` +
        `"Worker restarted mid-request" in the log: ${r.ingest.restarts}.`,
      "",
    );
  }
  if (r.scaleout) {
    const s = r.scaleout;
    const line = (name: string, x: SenderResult) =>
      `| ${name} | ${x.accepted} / ${x.deliveries} | ${f(x.seconds, 1)} s | ${f(x.perSecond)} | ${f(x.p50, 1)} | ${f(x.p99, 1)} | ${f(x.max, 1)} | ${JSON.stringify(x.statuses)} |`;
    parts.push(
      "#### Scale-out: a workspace on DB_WS_2 while the large workspace on DB_WS_1 is loaded (50 senders)",
      "",
      "| run | 2xx / sent | time | deliveries/s | p50 ms | p99 ms | max ms | statuses |",
      "|---|---:|---:|---:|---:|---:|---:|---|",
      line("DB_WS_2 workspace, idle", s.idle),
      line("DB_WS_2 workspace, DB_WS_1 backfill + recompute", s.loaded),
      "",
      `Meanwhile on DB_WS_1: ${s.backfill.accepted} of ${s.backfill.deliveries} backfill deliveries of 1,000 events accepted ` +
        `(p50 ${f(s.backfill.p50)} ms, p99 ${f(s.backfill.p99)} ms); ${s.recompute.ok} of ${s.recompute.runs} recomputes of ${LAST_MONTH} finished. ` +
        `"Worker restarted mid-request" in the log: ${s.restarts}.`,
      "",
    );
  }
  if (r.apply) {
    parts.push(
      `#### Apply (${f(r.apply.events)} events re-sent under new event ids, posted by 8 senders)`,
      "",
      "| history | delivery size | deliveries | all posted after | inbox empty after | of that, after the last post | events/s | pending at end | inbox rows after stop |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---|",
      ...r.apply.runs.map(
        (x) =>
          `| ${x.fraction * 100} % | ${x.deliverySize} | ${x.deliveries} | ${f(x.postSeconds, 1)} s | ${x.seconds === null ? "timed out" : `${f(x.seconds, 1)} s`} | ${x.seconds === null ? "—" : `${f(x.seconds - x.postSeconds, 1)} s`} | ${f(x.eventsPerSecond)} | ${x.pendingAtEnd} | ${(x.inbox ?? []).map((i) => `${i.status} ${i.rows} (attempts ${i.attempts})${i.error ? ` ${i.error.slice(0, 80)}` : ""}`).join("; ")} |`,
      ),
      "",
    );
  }
  if (r.engine) {
    const e = r.engine;
    parts.push(
      "#### Engine, per month (workerd wall time of the request; D1 statement time; better-sqlite3 on the same SQL)",
      "",
      "| month | workerd wall ms | D1 statements ms | better-sqlite3 ms | ratio |",
      "|---|---:|---:|---:|---:|",
      ...e.months.map((m) => `| ${m.month} | ${f(m.wallMs)} | ${f(m.statementMs)} | ${f(m.sqliteMs)} | ${ratio(m.statementMs, m.sqliteMs)}${m.error ? ` error: ${m.error}` : ""} |`),
      "",
      `Slowest statement in better-sqlite3: ${e.slowestSqlite.name} (${e.slowestSqlite.month}) ${f(e.slowestSqlite.ms)} ms. ` +
        `"Worker restarted mid-request" in the log: ${e.restarts}.`,
      "",
      "| statement (slowest first) | max ms (workerd) | Σ 24 months ms (workerd) | Σ 24 months ms (better-sqlite3) |",
      "|---|---:|---:|---:|",
      ...e.topStatements.map((s) => `| ${s.name} | ${f(s.maxMs)} | ${f(s.totalMs)} | ${f(s.sqliteTotalMs)} |`),
      "",
    );
  }
  if (r.site) {
    const s = r.site;
    parts.push(
      "#### Site",
      "",
      `${s.pages} HTML pages, ${s.reportPages} of them report pages; build ${f(s.buildSeconds, 1)} s, the same build with no reports ${f(s.emptyBuildSeconds, 1)} s.`,
      "",
    );
  }
  return parts.join("\n");
}

function writeBenchmarksMd() {
  const dir = join(REPO, "bench/results");
  const all = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /^size-.*\.json$/.test(f))
        .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as Results)
        .sort((a, b) => a.size - b.size)
    : [];
  const text = [
    "# Benchmarks",
    "",
    "Written by `npm run bench [-- --size 0.1|0.3|1]` (bench/run.ts); each size's run keeps its",
    "figures in `bench/results/size-<size>.json` and this file is regenerated from all of them.",
    "The benchmark prints the targets of issue 10 beside the figures and never fails on them.",
    "",
    "## What is measured, and against what",
    "",
    "Setup only writes the generated large workspace (`bench/large-workspace.ts`; size 1 = 300 reps,",
    "10,000 accounts, 50,000 leads, 100,000 deals, 1,000,000 activities, … over 24 months, about",
    "1.6 million events) into a SQLite file through the real migrations and the real apply SQL",
    "(`bench/load-sqlite.ts`), once with all of the history (100 %) and once with its first 10 %,",
    "and copies that file over the local D1 database that `wrangler d1 migrations apply --local",
    "--persist-to DIR` creates (`DIR/v3/d1/miniflare-D1DatabaseObject/<id>.sqlite`). Every figure",
    "then runs the real code in workerd under `wrangler dev --persist-to DIR` on loopback:",
    "",
    "- **ingest**: 50 concurrent senders post signed native deliveries (Standard Webhooks, 1–10",
    "  events each, generator events under new event ids) to the real `POST /webhooks/:id` of the",
    "  real Worker on the 100 % database; deliveries/s and p50 / p99 accept latency. Baseline:",
    "  `bench/bare-worker.ts` (`bench/wrangler.bare.toml`), a Worker in the same runtime on the same",
    "  persisted D1 that only inserts the raw body into one table — the floor of any webhook that",
    "  stores before it answers. Then the same measurement while another connection posts a",
    "  backfill of 1,000-event deliveries that the real queue consumer applies, and",
    `  \`POST /api/v1/workspaces/large/recompute\` recomputes ${LAST_MONTH} in a loop; baseline: the idle run.`,
    "- **scale-out**: the large workspace is placed in DB_WS_1 and a small workspace in DB_WS_2",
    "  (two workspace databases, wrangler.toml); 50 senders post to the DB_WS_2 workspace's route,",
    "  idle, then while DB_WS_1 takes the same backfill and recompute loop as above. Baseline: the",
    "  idle run; the same-database figure is the ingest row above.",
    "- **apply**: a fixed number of events that touch existing entities (the last events of the",
    "  first 10 % of the history, re-sent under new event ids, so they exist at both history sizes)",
    "  posted as deliveries of 10, 100 and 1,000 events to the real route; the time from the first",
    "  post until `GET …/ingest-status` reports no pending inbox row, i.e. until the real queue",
    "  consumer (`max_batch_size` 100) has applied everything. Each run starts from a fresh copy",
    "  of the loaded database. Baseline: the same run at 10 % of the history (flat = ratio near 1).",
    "- **engine**: `computeMonth` (workers/kpi/engine.ts) in workerd against the local D1 through",
    "  `bench/engine-worker.ts` (`bench/wrangler.engine.toml`, same D1 binding), every month from",
    "  oldest to newest, then the last month twice more (its figure is the median of the three).",
    "  Wall time is the request as the client sees it; statement time is the sum of D1's",
    "  `meta.duration` per statement (what computeMonth returns). Baseline: the same",
    "  ENGINE_STATEMENTS with the same parameters in better-sqlite3 on a copy of the same file",
    "  (`bench/sqlite-engine.ts`, rolled back after each month) — the limit of this design,",
    "  SQLite itself with no D1 or workerd in between.",
    "- **site**: `astro build --root site` of `test/fixtures/reports` copied under 20 workspace",
    "  slugs (60 reports); build time per report page",
    "  is (build − build with no reports) ÷ report pages, baseline the empty build (Astro's fixed",
    "  cost); HTML and JS bytes per report page (scripts referenced or inline), baseline the KPI",
    "  glossary page of the same build.",
    "",
    "Caveats: the senders, wrangler, workerd and (for the engine baseline) better-sqlite3 share",
    "the same machine, so ingest figures include the client's own CPU; local D1 is SQLite in",
    "workerd's Durable Object storage, not Cloudflare's D1 service (no network hop, no 30 s limit).",
    "The machine may be shared with other work: each size records the load average per phase.",
    "",
    ...(existsSync(join(REPO, "bench/NOTES.md")) ? [readFileSync(join(REPO, "bench/NOTES.md"), "utf8").trimEnd(), ""] : []),
    ...all.flatMap((r) => [
      `## Size ${r.size} (${f(r.history.events100)} events at 100 %, ${f(r.history.events10)} at 10 %) — ${r.date}`,
      "",
      `Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memory}, ${r.machine.os}.  `,
      `Versions: ${Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join(", ")}.  `,
      `1-minute load average at the start → end of each phase: ${Object.entries(r.load ?? {}).map(([k, v]) => `${k} ${v}`).join(", ") || "not recorded"}.`,
      "",
      `Command: \`npm run bench -- --size ${r.size}\`; code at ${r.code ? `${r.code.commit}${r.code.dirty.length ? ` with uncommitted ${r.code.dirty.join(", ")}` : ""}` : "not recorded"}.`,
      "",
      markdownTable(r),
      "",
      details(r),
    ]),
  ].join("\n");
  writeFileSync(join(REPO, "BENCHMARKS.md"), `${text.trimEnd()}\n`);
}

// ---------------------------------------------------------------- main

async function main() {
  log(`size ${SIZE}; work directory ${WORK}; phases ${[...PHASES].join(", ")}`);
  const file100 = await loadedFile(1);
  const file10 = PHASES.has("apply") ? await loadedFile(0.1) : null;
  const results: Results = {
    size: SIZE,
    date: new Date().toISOString(),
    machine: machine(),
    versions: versions(),
    code: codeVersion(),
    history: { events100: countEvents(file100), events10: file10 ? countEvents(file10) : NaN },
  };
  const resultsFile = join(REPO, "bench/results", `size-${SIZE}.json`);
  // Phases not run this time keep their figures from the previous run of this size.
  const previous = existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, "utf8")) as Results) : null;
  const load: Record<string, string> = {};
  const phase = async (name: string, run: () => unknown) => {
    const before = loadavg()[0]!.toFixed(2);
    await run();
    load[name] = `${before} → ${loadavg()[0]!.toFixed(2)}`;
  };
  if (PHASES.has("engine")) await phase("engine", () => runEngine(file100, results));
  if (PHASES.has("apply")) await phase("apply", () => runApply({ 0.1: file10!, 1: file100 }, results));
  if (PHASES.has("ingest")) await phase("ingest", () => runIngest(file100, results));
  if (PHASES.has("scaleout")) await phase("scaleout", () => runScaleOut(file100, results));
  if (PHASES.has("site")) await phase("site", () => runSite(results));
  results.load = { ...(previous?.load ?? {}), ...load };
  for (const phase of ["engine", "apply", "ingest", "scaleout", "site"] as const) {
    if (!PHASES.has(phase) && previous?.[phase]) (results as unknown as Record<string, unknown>)[phase] = previous[phase];
  }
  if (!file10 && previous) results.history.events10 = previous.history.events10;
  mkdirSync(dirname(resultsFile), { recursive: true });
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  writeBenchmarksMd();
  console.log(`\nQuotient benchmark, size ${SIZE} (${f(results.history.events100)} events), ${results.date}\n`);
  console.log(table(results));
  console.log(`\nwrote ${relative(REPO, resultsFile)} and BENCHMARKS.md (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

const entry = options.report
  ? async () => {
      writeBenchmarksMd();
      for (const file of readdirSync(join(REPO, "bench/results")).filter((name) => name.endsWith(".json")).sort()) {
        const r = JSON.parse(readFileSync(join(REPO, "bench/results", file), "utf8")) as Results;
        console.log(`\nQuotient benchmark, size ${r.size} (${f(r.history.events100)} events), ${r.date}\n`);
        console.log(table(r));
      }
      console.log("\nwrote BENCHMARKS.md");
    }
  : main;

entry().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);

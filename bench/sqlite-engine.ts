// Times the KPI engine's SQL in plain SQLite (better-sqlite3) on a file written by
// bench/load-sqlite.ts: for each month, every statement of ENGINE_STATEMENTS with the
// parameters of monthParams, in one transaction per month, each statement timed.
// Benchmark setup only: never part of `npm test`.
//
//   npx tsx bench/sqlite-engine.ts --db /tmp/large-0.1.sqlite [--months 2026-10[,2026-09]] [--commit]
//
// By default each month's transaction is rolled back after timing, so runs are repeatable
// and leave the file as it was; --commit keeps what the statements wrote.
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { ENGINE_STATEMENTS, engineParams, type WorkspaceSettings } from "../workers/kpi/engine";
import { P, parameterCount } from "../workers/kpi/sql";
import { addMonths, monthRange } from "../shared/months";
import { SqliteD1 } from "./d1-sqlite";
import { LAST_MONTH, MONTH_COUNT } from "./large-workspace";
import { WORKSPACE_ID } from "./load-sqlite";

export interface StatementTiming {
  name: string;
  month: string;
  ms: number;
  changes: number;
}

export interface EngineTimings {
  months: { month: string; ms: number; rows: number }[];
  /** Every statement of every month, slowest first. */
  slowest: StatementTiming[];
  /** Per statement name, summed over the months, slowest first. */
  byName: { name: string; ms: number; maxMs: number }[];
}

/** The parameter values of a month, as the engine binds them (engineParams). */
function parametersFor(settings: WorkspaceSettings, month: string, dataAsOf: number | null, now: number): unknown[] {
  const params: unknown[] = [...engineParams(settings, month, dataAsOf, now)];
  const needed = Math.max(...ENGINE_STATEMENTS.map((s) => parameterCount(s.sql)));
  const named = P as Record<string, string>;
  for (let n = params.length + 1; n <= needed; n++) {
    const key = Object.keys(named).find((k) => named[k] === `?${n}`);
    if (key === "run") params[n - 1] = randomUUID();
    else throw new Error(`ENGINE_STATEMENTS bind ?${n} (${key ?? "unnamed"}), which monthParams does not give`);
  }
  return params;
}

export function timeEngineSqlite(
  file: string,
  workspaceId: string,
  months: string[],
  options: { commit?: boolean; now?: number } = {},
): EngineTimings {
  const sqlite = new Database(file);
  try {
    const db = new SqliteD1(sqlite);
    const row = sqlite
      .prepare("SELECT id, timezone, currency, pipeline_stages FROM workspaces WHERE id = ?")
      .get(workspaceId) as { id: string; timezone: string; currency: string; pipeline_stages: string } | undefined;
    if (!row) throw new Error(`no workspace ${workspaceId} in ${file}`);
    const settings: WorkspaceSettings = {
      id: row.id,
      timezone: row.timezone,
      currency: row.currency,
      pipelineStages: JSON.parse(row.pipeline_stages) as string[],
    };
    const dataAsOf = sqlite
      .prepare("SELECT MAX(occurred_at) FROM canonical_events WHERE workspace_id = ?")
      .pluck()
      .get(workspaceId) as number | null;
    const now = options.now ?? Date.now();
    // Compile every statement once, outside the timings.
    for (const { sql } of ENGINE_STATEMENTS) db.statement(sql);

    const all: StatementTiming[] = [];
    const monthTotals: EngineTimings["months"] = [];
    for (const month of months) {
      const params = parametersFor(settings, month, dataAsOf, now);
      const started = performance.now();
      const timings: StatementTiming[] = [];
      sqlite.exec("BEGIN");
      try {
        for (const { name, sql } of ENGINE_STATEMENTS) {
          const { meta } = db.prepare(sql).bind(...params.slice(0, parameterCount(sql))).execute();
          timings.push({ name, month, ms: meta.duration, changes: meta.changes });
        }
        sqlite.exec(options.commit ? "COMMIT" : "ROLLBACK");
      } catch (error) {
        if (sqlite.inTransaction) sqlite.exec("ROLLBACK");
        throw error;
      }
      monthTotals.push({ month, ms: performance.now() - started, rows: timings.reduce((s, t) => s + t.changes, 0) });
      all.push(...timings);
    }
    const byName = new Map<string, { name: string; ms: number; maxMs: number }>();
    for (const t of all) {
      const entry = byName.get(t.name) ?? { name: t.name, ms: 0, maxMs: 0 };
      entry.ms += t.ms;
      entry.maxMs = Math.max(entry.maxMs, t.ms);
      byName.set(t.name, entry);
    }
    return {
      months: monthTotals,
      slowest: [...all].sort((a, b) => b.ms - a.ms),
      byName: [...byName.values()].sort((a, b) => b.ms - a.ms),
    };
  } finally {
    sqlite.close();
  }
}

function argument(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

const pad = (text: string, width: number) => text.padEnd(width);
const ms = (value: number) => value.toFixed(1).padStart(10);

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const file = argument(args, "db") ?? "/tmp/large-0.1.sqlite";
  const workspaceId = argument(args, "workspace") ?? WORKSPACE_ID;
  const top = Number(argument(args, "top") ?? "10");
  const months =
    argument(args, "months")?.split(",").filter(Boolean) ??
    monthRange(addMonths(LAST_MONTH, -(MONTH_COUNT - 1)), LAST_MONTH);
  const result = timeEngineSqlite(file, workspaceId, months, { commit: args.includes("--commit") });
  const total = result.months.reduce((s, m) => s + m.ms, 0);
  console.log(`${file}: ${ENGINE_STATEMENTS.length} statements × ${months.length} months\n`);
  console.log(`${pad("month", 10)}${"total ms".padStart(10)}${"rows".padStart(8)}`);
  for (const m of result.months) console.log(`${pad(m.month, 10)}${ms(m.ms)}${String(m.rows).padStart(8)}`);
  console.log(`${pad("mean", 10)}${ms(total / Math.max(1, months.length))}\n`);
  console.log(`top ${top} statements by time:`);
  console.log(`${pad("statement", 44)}${pad("month", 10)}${"ms".padStart(10)}`);
  for (const t of result.slowest.slice(0, top)) console.log(`${pad(t.name, 44)}${pad(t.month, 10)}${ms(t.ms)}`);
  console.log(`\ntop ${top} statements summed over the months:`);
  console.log(`${pad("statement", 44)}${"total ms".padStart(10)}${"max ms".padStart(10)}${"share".padStart(8)}`);
  for (const t of result.byName.slice(0, top)) {
    console.log(`${pad(t.name, 44)}${ms(t.ms)}${ms(t.maxMs)}${`${((100 * t.ms) / total).toFixed(1)}%`.padStart(8)}`);
  }
}

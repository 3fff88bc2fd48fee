// A small D1-shaped adapter over better-sqlite3, for benchmark setup in Node: enough of
// D1Database (prepare / bind / all / first / run / raw / batch / exec) for the project's apply
// and engine code to run unchanged against a local SQLite file.
//
// Binding mirrors D1: `?NNN` numbered parameters (and anonymous `?`, numbered as SQLite numbers
// them) are rewritten to named `@pN` parameters, since better-sqlite3 treats `?NNN` as names
// and rejects gaps; values bind by their D1 types: an integral number binds as INTEGER, any
// other number as REAL, a string as TEXT, null as NULL, a boolean as 1 / 0, an ArrayBuffer
// or typed array as a BLOB; undefined and other objects are errors, as in D1.
import type { D1Database } from "@cloudflare/workers-types";
import Database from "better-sqlite3";

type Sqlite = Database.Database;
type Statement = Database.Statement;

export interface D1Meta {
  duration: number;
  changes: number;
  last_row_id: number;
  changed_db: boolean;
  rows_read: number;
  rows_written: number;
  size_after: number;
  served_by: string;
}

export interface D1Result<T = Record<string, unknown>> {
  success: true;
  results: T[];
  meta: D1Meta;
}

/**
 * Rewrites `?NNN` and `?` outside literals, identifiers and comments to `@pN`, numbering
 * anonymous `?` like SQLite: one more than the largest number assigned so far.
 */
export function numberedToNamed(sql: string): string {
  let out = "";
  let largest = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === "`" || c === "[") {
      const close = c === "[" ? "]" : c;
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === close) {
          if (close !== "]" && sql[j + 1] === close) j += 2; // doubled quote
          else break;
        } else j++;
      }
      out += sql.slice(i, j + 1);
      i = j + 1;
    } else if (c === "-" && sql[i + 1] === "-") {
      const j = sql.indexOf("\n", i);
      const end = j === -1 ? sql.length : j;
      out += sql.slice(i, end);
      i = end;
    } else if (c === "/" && sql[i + 1] === "*") {
      const j = sql.indexOf("*/", i + 2);
      const end = j === -1 ? sql.length : j + 2;
      out += sql.slice(i, end);
      i = end;
    } else if (c === "?") {
      let j = i + 1;
      while (j < sql.length && sql[j]! >= "0" && sql[j]! <= "9") j++;
      const n = j > i + 1 ? Number(sql.slice(i + 1, j)) : largest + 1;
      largest = Math.max(largest, n);
      out += `@p${n}`;
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** A bound value as D1 binds it. */
function d1Value(value: unknown, position: number): number | bigint | string | null | Buffer {
  if (value === null) return null;
  switch (typeof value) {
    case "string":
      return value;
    case "number":
      return Number.isSafeInteger(value) ? BigInt(value) : value;
    case "bigint":
      return value;
    case "boolean":
      return value ? 1n : 0n;
  }
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(`D1_TYPE_ERROR: type '${typeof value}' not supported for value at position ${position}`);
}

function bindings(values: unknown[]): Record<string, unknown> {
  const named: Record<string, unknown> = {};
  values.forEach((value, i) => (named[`p${i + 1}`] = d1Value(value, i + 1)));
  return named;
}

export class SqlitePreparedStatement {
  constructor(
    readonly db: SqliteD1,
    readonly sql: string,
    readonly values: unknown[] = [],
  ) {}

  bind(...values: unknown[]): SqlitePreparedStatement {
    return new SqlitePreparedStatement(this.db, this.sql, values);
  }

  /** Runs the statement; readers return their rows, writers their changes. */
  execute<T>(): D1Result<T> {
    const statement = this.db.statement(this.sql);
    const params = bindings(this.values);
    const started = performance.now();
    let results: T[] = [];
    let changes = 0;
    let lastRowId = 0;
    if (statement.reader) {
      results = statement.all(params) as T[];
      // A reader may still write (INSERT … RETURNING).
      if (/\bRETURNING\b/i.test(this.sql)) changes = this.db.statement("SELECT changes()").pluck().get() as number;
    } else {
      const info = statement.run(params);
      changes = info.changes;
      lastRowId = Number(info.lastInsertRowid);
    }
    const duration = performance.now() - started;
    return {
      success: true,
      results,
      meta: {
        duration,
        changes,
        last_row_id: lastRowId,
        changed_db: changes > 0,
        rows_read: statement.reader ? results.length : 0,
        rows_written: changes,
        size_after: 0,
        served_by: "better-sqlite3",
      },
    };
  }

  async all<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    return this.execute<T>();
  }

  async run<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    return this.execute<T>();
  }

  async first<T = unknown>(column?: string): Promise<T | null> {
    const { results } = this.execute<Record<string, unknown>>();
    const row = results[0];
    if (row === undefined) return null;
    if (column === undefined) return row as T;
    if (!(column in row)) throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${column})`);
    return row[column] as T;
  }

  async raw<T = unknown[]>(options?: { columnNames?: boolean }): Promise<T[]> {
    const statement = this.db.statement(this.sql);
    if (!statement.reader) {
      statement.run(bindings(this.values));
      return [];
    }
    const rows = statement.raw(true).all(bindings(this.values)) as T[];
    statement.raw(false);
    if (options?.columnNames) return [statement.columns().map((c) => c.name) as T, ...rows];
    return rows;
  }
}

/** D1Database over a better-sqlite3 connection; statements are cached by SQL text. */
export class SqliteD1 {
  private readonly cache = new Map<string, Statement>();
  /** Called after each batch with its statements and results (timings by SQL). */
  onBatch?: (statements: SqlitePreparedStatement[], results: D1Result<unknown>[]) => void;

  constructor(readonly sqlite: Sqlite) {}

  /** The compiled statement of a D1 SQL text (numbered parameters rewritten). */
  statement(sql: string): Statement {
    let statement = this.cache.get(sql);
    if (!statement) {
      statement = this.sqlite.prepare(numberedToNamed(sql));
      this.cache.set(sql, statement);
    }
    return statement;
  }

  prepare(sql: string): SqlitePreparedStatement {
    return new SqlitePreparedStatement(this, sql);
  }

  /** All statements in one transaction, rolled back whole when one fails (as D1's batch). */
  async batch<T = Record<string, unknown>>(statements: SqlitePreparedStatement[]): Promise<D1Result<T>[]> {
    const results = this.sqlite.transaction(() => statements.map((s) => s.execute<T>()))();
    this.onBatch?.(statements, results);
    return results;
  }

  async exec(sql: string): Promise<{ count: number; duration: number }> {
    const started = performance.now();
    this.sqlite.exec(sql);
    return { count: sql.split(";").filter((s) => s.trim()).length, duration: performance.now() - started };
  }

  /** The adapter as the project's code expects it. */
  asD1(): D1Database {
    return this as unknown as D1Database;
  }
}

export function d1Over(sqlite: Sqlite): D1Database {
  return new SqliteD1(sqlite).asD1();
}

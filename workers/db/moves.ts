// Moving a workspace to another workspace database (README.md, "Scale-out"): pause its
// consumption, copy its rows, verify row counts and a checksum per table, switch the
// directory, resume, then delete the old copy. A move advances one bounded step per call
// (POST …/move/step, `npm run move-workspace` calls it until done), each step's progress
// saved in the directory's workspace_moves row, so no request holds a database for long.
//
// While it is paused, the workspace's deliveries are held in the directory and its
// recompute jobs too (ingest/held.ts); the consumers, the cron and the API's writes leave
// its rows alone. Released after the switch into the new database's inbox, whose
// (connection, delivery id) idempotency drops a redelivery of what was already there:
// nothing arriving during the move is lost or applied twice.
import type { D1Database } from "@cloudflare/workers-types";
import { desc, eq, is } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { getTableConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Env, WorkspaceDatabaseName } from "../env";
import { enqueue } from "../ingest/inbox";
import { releaseHeld } from "../ingest/held";
import { sha256Hex } from "../lib/crypto";
import { placementBySlug, setDatabase, setPaused } from "./directory";
import { workspaceMoves, type MoveState } from "./directory-schema";
import { workspaceDb } from "./placement";
import * as schema from "./schema";

export type MoveRow = typeof workspaceMoves.$inferSelect;

/** A table a move copies: its columns and the column naming the workspace. */
export interface MovedTable {
  name: string;
  columns: string[];
  key: "id" | "workspace_id";
}

/** Every table of schema.ts (the workspaces table first: the others' rows reference it). */
export const MOVED_TABLES: MovedTable[] = (Object.values(schema) as unknown[])
  .filter((value): value is SQLiteTable => is(value, SQLiteTable))
  .map((table) => {
    const config = getTableConfig(table);
    const columns = config.columns.map((column) => column.name);
    return { name: config.name, columns, key: config.name === "workspaces" ? ("id" as const) : ("workspace_id" as const) };
  })
  .sort((a, b) => (a.name === "workspaces" ? -1 : b.name === "workspaces" ? 1 : 0));

/**
 * The AUTOINCREMENT ids, numbered per database: a copy gets ids of a range reserved above
 * the new database's, and the columns pointing at them (inbox_id) follow. In the order
 * they are reserved (dead letters and events point at inbox rows).
 */
export const RENUMBERED: Record<string, string> = { inbox: "id", dead_letters: "id", deploy_hook_calls: "id" };
const POINTERS: Record<string, Record<string, string>> = {
  inbox: { id: "inbox" },
  dead_letters: { id: "dead_letters", inbox_id: "inbox" },
  canonical_events: { inbox_id: "inbox" },
  deploy_hook_calls: { id: "deploy_hook_calls" },
};

/** Work per step: rows read, and bytes of rows copied (raw bodies reach 1 MB each). */
const ROWS_PER_PAGE = 200;
const ROWS_PER_STEP = 2_000;
const BYTES_PER_STEP = 4 * 1024 * 1024;
const DELETES_PER_STATEMENT = 1_000;
/** Copies tried before a move gives up (the source kept changing, or the copy differs). */
export const MAX_ATTEMPTS = 3;
const DEFAULT_SETTLE_SECONDS = 30;

interface TableCount {
  rows: number;
  checksum: string;
}

interface Progress {
  attempt: number;
  /** Copy, verification and deletion walk the tables: index and last rowid done. */
  table: number;
  cursor: number;
  /** Verification: which side of the current table is being read. */
  side?: "source" | "target";
  partial?: { rows: number; sum: string };
  /** id offsets of the renumbered tables, once their ranges are reserved. */
  offsets?: Record<string, number>;
  /** The largest source inbox id when the copy started (later rows are caught up). */
  inboxMax?: number;
  source?: Record<string, TableCount>;
  target?: Record<string, TableCount>;
  /** After a reset: copy again, or give up. */
  then?: "copying" | "failed";
  reason?: string;
  released?: number;
}

export class MoveError extends Error {
  constructor(
    readonly status: 404 | 409 | 400,
    message: string,
  ) {
    super(message);
  }
}

const settleMs = (env: Env) => {
  const seconds = Number(env.MOVE_SETTLE_SECONDS);
  return (env.MOVE_SETTLE_SECONDS !== undefined && Number.isFinite(seconds) && seconds >= 0 ? seconds : DEFAULT_SETTLE_SECONDS) * 1000;
};

/** The workspace's latest move, if any. */
export async function latestMove(directory: D1Database, workspaceId: string): Promise<MoveRow | undefined> {
  return drizzle(directory)
    .select()
    .from(workspaceMoves)
    .where(eq(workspaceMoves.workspaceId, workspaceId))
    .orderBy(desc(workspaceMoves.id))
    .limit(1)
    .get();
}

const finished = (state: MoveState) => state === "done" || state === "failed";

/** Starts moving the workspace to `to`: pauses it and records the move. */
export async function startMove(env: Env, slug: string, to: WorkspaceDatabaseName, now: number): Promise<MoveRow> {
  const placement = await placementBySlug(env.DB_DIRECTORY, slug);
  if (!placement) throw new MoveError(404, `no workspace ${JSON.stringify(slug)}`);
  if (placement.database === to) throw new MoveError(409, `the workspace is already in ${to}`);
  const current = await latestMove(env.DB_DIRECTORY, placement.id);
  if (current && !finished(current.state)) throw new MoveError(409, `the workspace is already being moved to ${current.toDatabase}`);
  const target = workspaceDb(env, to);
  const leftover = await target.prepare(`SELECT 1 AS found FROM workspaces WHERE id = ?1`).bind(placement.id).first();
  if (leftover) throw new MoveError(409, `${to} still holds a copy of the workspace`);
  await setPaused(env.DB_DIRECTORY, placement.id, now);
  const progress: Progress = { attempt: 1, table: 0, cursor: 0 };
  return (await drizzle(env.DB_DIRECTORY)
    .insert(workspaceMoves)
    .values({ workspaceId: placement.id, fromDatabase: placement.database, toDatabase: to, state: "settling", progress: { ...progress }, startedAt: now, updatedAt: now })
    .returning()
    .get())!;
}

async function save(directory: D1Database, move: MoveRow, state: MoveState, progress: Progress, now: number): Promise<MoveRow> {
  return (await drizzle(directory)
    .update(workspaceMoves)
    .set({ state, progress: { ...progress }, updatedAt: now, finishedAt: finished(state) ? now : null })
    .where(eq(workspaceMoves.id, move.id))
    .returning()
    .get())!;
}

/** Advances the workspace's move by one bounded step; returns it as it now is. */
export async function advanceMove(env: Env, workspaceId: string, now: number): Promise<MoveRow> {
  const move = await latestMove(env.DB_DIRECTORY, workspaceId);
  if (!move) throw new MoveError(404, "the workspace has no move");
  const progress = { ...(move.progress as unknown as Progress) };
  const source = workspaceDb(env, move.fromDatabase);
  const target = workspaceDb(env, move.toDatabase);
  const save_ = (state: MoveState, p: Progress) => save(env.DB_DIRECTORY, move, state, p, now);
  switch (move.state) {
    case "done":
    case "failed":
      return move;
    case "settling": {
      // Requests and queue batches that read the directory before the pause finish first.
      if (now < move.startedAt + settleMs(env)) return move;
      return save_("copying", { ...progress, table: 0, cursor: 0 });
    }
    case "copying": {
      if (!progress.offsets) {
        Object.assign(progress, await reserveIds(source, target, workspaceId));
        return save_("copying", progress);
      }
      const next = await copyStep(source, target, workspaceId, progress);
      return next.table >= MOVED_TABLES.length ? save_("verifying", { ...next, table: 0, cursor: 0, side: "source", source: {}, target: {} }) : save_("copying", next);
    }
    case "verifying": {
      const next = await verifyStep(source, target, workspaceId, progress);
      if (next.table < MOVED_TABLES.length) return save_("verifying", next);
      const differing = MOVED_TABLES.filter(
        (t) => next.source![t.name]!.rows !== next.target![t.name]!.rows || next.source![t.name]!.checksum !== next.target![t.name]!.checksum,
      ).map((t) => t.name);
      if (differing.length === 0) {
        // Verified: the directory now sends everything to the new database.
        await setDatabase(env.DB_DIRECTORY, workspaceId, move.toDatabase);
        return save_("resuming", { ...next, table: 0, cursor: 0 });
      }
      const giveUp = next.attempt >= MAX_ATTEMPTS;
      return save_("resetting", { ...next, table: 0, cursor: 0, then: giveUp ? "failed" : "copying", reason: `differing tables: ${differing.join(", ")}` });
    }
    case "resetting": {
      // A copy that did not verify is deleted before the next attempt (or giving up).
      const next = await deleteStep(target, workspaceId, progress);
      if (next.table < MOVED_TABLES.length) return save_("resetting", next);
      if (progress.then === "failed") {
        await setPaused(env.DB_DIRECTORY, workspaceId, null);
        return save_("failed", next);
      }
      return save_("copying", { attempt: next.attempt + 1, table: 0, cursor: 0, source: next.source, target: next.target, reason: next.reason });
    }
    case "resuming": {
      // Resumed first (so the consumer applies what is enqueued next), then the rows a
      // request wrote to the old inbox while the pause took hold, every pending row of the
      // new database, and what was held.
      await setPaused(env.DB_DIRECTORY, workspaceId, null);
      await catchUpInbox(source, target, workspaceId, progress.inboxMax ?? 0);
      await enqueuePending(env, target, move.toDatabase, workspaceId);
      let released = 0;
      for (;;) {
        const count = await releaseHeld(env, env.EVENTS_QUEUE, workspaceId, now);
        released += count;
        if (count === 0) break;
      }
      return save_("deleting", { ...progress, table: 0, cursor: 0, released });
    }
    case "deleting": {
      // A request that read the directory just before the resume may have held one more.
      const released = (progress.released ?? 0) + (await releaseHeld(env, env.EVENTS_QUEUE, workspaceId, now));
      const next = { ...(await deleteStep(source, workspaceId, progress)), released };
      return save_(next.table < MOVED_TABLES.length ? "deleting" : "done", next);
    }
  }
}

// ---------------------------------------------------------------- copy

/**
 * Reserves, for each renumbered table, a range of ids above the new database's: its
 * workspace's largest row is copied first with the id MAX(id) + span, in one statement,
 * so AUTOINCREMENT hands out only ids above the range from then on, and nothing below it
 * is taken by the rows already there.
 */
async function reserveIds(source: D1Database, target: D1Database, workspaceId: string): Promise<Pick<Progress, "offsets" | "inboxMax">> {
  const offsets: Record<string, number> = {};
  let inboxMax = 0;
  for (const [name, id] of Object.entries(RENUMBERED)) {
    const range = await source
      .prepare(`SELECT MIN(${id}) AS low, MAX(${id}) AS high FROM ${name} WHERE workspace_id = ?1`)
      .bind(workspaceId)
      .first<{ low: number | null; high: number | null }>();
    if (range?.low == null || range.high == null) {
      offsets[name] = 0;
      continue;
    }
    if (name === "inbox") inboxMax = range.high;
    const table = MOVED_TABLES.find((t) => t.name === name)!;
    const row = (await source.prepare(`SELECT * FROM ${name} WHERE ${id} = ?1`).bind(range.high).first<Record<string, unknown>>())!;
    const span = range.high - range.low + 1;
    const others = table.columns.filter((c) => c !== id);
    const values = remap(table, row, offsets);
    const top = await target
      .prepare(
        `INSERT INTO ${name} (${id}, ${others.join(", ")})
         VALUES ((SELECT COALESCE(MAX(${id}), 0) FROM ${name}) + ?1, ${others.map((_, i) => `?${i + 2}`).join(", ")}) RETURNING ${id} AS top`,
      )
      .bind(span, ...others.map((c) => values[c] ?? null))
      .first<{ top: number }>();
    offsets[name] = top!.top - range.high;
  }
  return { offsets, inboxMax };
}

/** A source row as it is in the new database: renumbered ids and pointers. */
function remap(table: MovedTable, row: Record<string, unknown>, offsets: Record<string, number>): Record<string, unknown> {
  const pointers = POINTERS[table.name];
  if (!pointers) return row;
  const out = { ...row };
  for (const [column, target] of Object.entries(pointers)) {
    if (typeof out[column] === "number" && offsets[target] !== undefined) out[column] = (out[column] as number) + offsets[target]!;
  }
  return out;
}

/** The workspace's rows of a table after `cursor`, in rowid order (one pass over the table). */
async function page(db: D1Database, table: MovedTable, workspaceId: string, cursor: number, limit: number) {
  // `+key` keeps SQLite on the rowid order (a range scan that stops after `limit` rows of
  // the workspace) rather than its index, which would sort every row of the workspace per page.
  const { results } = await db
    .prepare(`SELECT rowid AS _rowid, * FROM ${table.name} WHERE rowid > ?1 AND +${table.key} = ?2 ORDER BY rowid LIMIT ?3`)
    .bind(cursor, workspaceId, limit)
    .all<Record<string, unknown> & { _rowid: number }>();
  return results;
}

/** The rowids and sizes of the next rows (to keep a step's bytes bounded before reading them). */
async function sizes(db: D1Database, table: MovedTable, workspaceId: string, cursor: number) {
  const bytes = table.columns.map((c) => `COALESCE(length(${c}), 0)`).join(" + ");
  const { results } = await db
    .prepare(`SELECT rowid AS _rowid, ${bytes} AS bytes FROM ${table.name} WHERE rowid > ?1 AND +${table.key} = ?2 ORDER BY rowid LIMIT ?3`)
    .bind(cursor, workspaceId, ROWS_PER_PAGE)
    .all<{ _rowid: number; bytes: number }>();
  return results;
}

async function copyStep(source: D1Database, target: D1Database, workspaceId: string, progress: Progress): Promise<Progress> {
  let { table: index, cursor } = progress;
  let rows = 0;
  let bytes = 0;
  while (index < MOVED_TABLES.length && rows < ROWS_PER_STEP && bytes < BYTES_PER_STEP) {
    const table = MOVED_TABLES[index]!;
    const next = await sizes(source, table, workspaceId, cursor);
    if (next.length === 0) {
      index++;
      cursor = 0;
      continue;
    }
    // At least one row, then as many as the step's bytes allow.
    let take = 0;
    let pageBytes = 0;
    while (take < next.length && (take === 0 || bytes + pageBytes + next[take]!.bytes <= BYTES_PER_STEP)) pageBytes += next[take++]!.bytes;
    const { results } = await source
      .prepare(`SELECT rowid AS _rowid, * FROM ${table.name} WHERE rowid IN (SELECT value FROM json_each(?1)) ORDER BY rowid`)
      .bind(JSON.stringify(next.slice(0, take).map((r) => r._rowid)))
      .all<Record<string, unknown> & { _rowid: number }>();
    const insert = `INSERT OR REPLACE INTO ${table.name} (${table.columns.join(", ")}) VALUES (${table.columns.map((_, i) => `?${i + 1}`).join(", ")})`;
    // One atomic batch per page: a failed step copies the page again (REPLACE: no duplicates).
    await target.batch(
      results.map((row) => {
        const values = remap(table, row, progress.offsets!);
        return target.prepare(insert).bind(...table.columns.map((c) => values[c] ?? null));
      }),
    );
    cursor = results[results.length - 1]!._rowid;
    rows += results.length;
    bytes += pageBytes;
  }
  return { ...progress, table: index, cursor };
}

/** Rows the old inbox got after the copy started (a request that read the directory just before the pause). */
async function catchUpInbox(source: D1Database, target: D1Database, workspaceId: string, inboxMax: number): Promise<void> {
  const { results } = await source
    .prepare(
      `SELECT connection_id, delivery_id, received_at, headers, body FROM inbox WHERE workspace_id = ?1 AND id > ?2 ORDER BY id LIMIT 1000`,
    )
    .bind(workspaceId, inboxMax)
    .all<{ connection_id: string; delivery_id: string; received_at: number; headers: string; body: string }>();
  if (results.length === 0) return;
  await target.batch(
    results.map((row) =>
      target
        .prepare(
          `INSERT INTO inbox (workspace_id, connection_id, delivery_id, received_at, headers, body, enqueued_at)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?4) ON CONFLICT (connection_id, delivery_id) DO NOTHING`,
        )
        .bind(workspaceId, row.connection_id, row.delivery_id, row.received_at, row.headers, row.body),
    ),
  );
}

/** Hands every pending row of the workspace in its new database to the queue. */
async function enqueuePending(env: Env, db: D1Database, database: WorkspaceDatabaseName, workspaceId: string): Promise<void> {
  let after = 0;
  for (;;) {
    const { results } = await db
      .prepare(`SELECT id FROM inbox WHERE workspace_id = ?1 AND status = 'pending' AND id > ?2 ORDER BY id LIMIT 1000`)
      .bind(workspaceId, after)
      .all<{ id: number }>();
    if (results.length === 0) return;
    await enqueue(env.EVENTS_QUEUE, database, results.map((r) => r.id));
    after = results[results.length - 1]!.id;
  }
}

// ---------------------------------------------------------------- verification

/** Order-independent checksum of rows: the sum of their SHA-256 prefixes, mod 2^64. */
async function rowHash(table: MovedTable, row: Record<string, unknown>): Promise<bigint> {
  const hex = await sha256Hex(JSON.stringify(table.columns.map((c) => row[c] ?? null)));
  return BigInt(`0x${hex.slice(0, 16)}`);
}

const MOD = 1n << 64n;

async function verifyStep(source: D1Database, target: D1Database, workspaceId: string, progress: Progress): Promise<Progress> {
  let { table: index, cursor } = progress;
  let side = progress.side ?? "source";
  let partial = { rows: progress.partial?.rows ?? 0, sum: BigInt(progress.partial?.sum ?? "0") };
  const counts = { source: { ...progress.source }, target: { ...progress.target } };
  let rows = 0;
  while (index < MOVED_TABLES.length && rows < ROWS_PER_STEP) {
    const table = MOVED_TABLES[index]!;
    const results = await page(side === "source" ? source : target, table, workspaceId, cursor, ROWS_PER_PAGE);
    for (const row of results) {
      const values = side === "source" ? remap(table, row, progress.offsets!) : row;
      partial.sum = (partial.sum + (await rowHash(table, values))) % MOD;
    }
    partial.rows += results.length;
    rows += results.length;
    if (results.length > 0) {
      cursor = results[results.length - 1]!._rowid;
      continue;
    }
    counts[side][table.name] = { rows: partial.rows, checksum: partial.sum.toString(16).padStart(16, "0") };
    partial = { rows: 0, sum: 0n };
    cursor = 0;
    if (side === "source") side = "target";
    else {
      side = "source";
      index++;
    }
  }
  return { ...progress, table: index, cursor, side, partial: { rows: partial.rows, sum: partial.sum.toString() }, source: counts.source, target: counts.target };
}

// ---------------------------------------------------------------- deletion

/** Deletes the workspace's rows from `db`, the workspaces row last (the others reference it). */
async function deleteStep(db: D1Database, workspaceId: string, progress: Progress): Promise<Progress> {
  const order = [...MOVED_TABLES].reverse();
  let index = progress.table;
  let deleted = 0;
  while (index < order.length && deleted < ROWS_PER_STEP * 5) {
    const table = order[index]!;
    // By the workspace's index (every index leads with workspace_id): each statement is short.
    const result = await db
      .prepare(`DELETE FROM ${table.name} WHERE rowid IN (SELECT rowid FROM ${table.name} WHERE ${table.key} = ?1 LIMIT ${DELETES_PER_STATEMENT})`)
      .bind(workspaceId)
      .run();
    deleted += result.meta.changes;
    if (result.meta.changes < DELETES_PER_STATEMENT) index++;
  }
  return { ...progress, table: index, cursor: 0 };
}

/** A move as the API answers it. */
export function moveDocument(move: MoveRow, slug: string) {
  const progress = move.progress as unknown as Progress;
  const tables = progress.source && progress.target && Object.keys(progress.target).length === MOVED_TABLES.length
    ? MOVED_TABLES.map((t) => ({
        table: t.name,
        source_rows: progress.source![t.name]!.rows,
        target_rows: progress.target![t.name]!.rows,
        source_checksum: progress.source![t.name]!.checksum,
        target_checksum: progress.target![t.name]!.checksum,
      }))
    : [];
  return {
    workspace: slug,
    from: move.fromDatabase,
    to: move.toDatabase,
    state: move.state,
    attempt: progress.attempt,
    reason: progress.reason ?? null,
    released_deliveries: progress.released ?? null,
    tables,
    started_at: new Date(move.startedAt).toISOString(),
    updated_at: new Date(move.updatedAt).toISOString(),
    finished_at: move.finishedAt === null ? null : new Date(move.finishedAt).toISOString(),
  };
}

// Which D1 database holds a workspace. The directory (DB_DIRECTORY) maps every workspace
// to the binding of its workspace database (DB_WS_<n>); every query of workspace data goes
// to the database this module resolves, never anywhere else (README.md, "Scale-out").
import type { D1Database } from "@cloudflare/workers-types";
import type { DatabaseBindings, WorkspaceDatabaseName } from "../env";

const WORKSPACE_DATABASE = /^DB_WS_\w+$/;

/** A workspace database: its binding name and the binding itself. */
export interface PlacedDatabase {
  name: WorkspaceDatabaseName;
  db: D1Database;
}

/** Binding names compare by their number (DB_WS_2 before DB_WS_10). */
const byNumber = (a: string, b: string) => a.localeCompare(b, "en", { numeric: true });

/** The workspace databases bound to this Worker, in order (every DB_WS_<n> of wrangler.toml). */
export function workspaceDatabaseNames(env: DatabaseBindings): WorkspaceDatabaseName[] {
  return (Object.keys(env).filter((key) => WORKSPACE_DATABASE.test(key)) as WorkspaceDatabaseName[]).sort(byNumber);
}

export function isWorkspaceDatabase(env: DatabaseBindings, name: string): name is WorkspaceDatabaseName {
  return WORKSPACE_DATABASE.test(name) && name in env;
}

/** Every workspace database with its binding. */
export function workspaceDatabases(env: DatabaseBindings): PlacedDatabase[] {
  return workspaceDatabaseNames(env).map((name) => ({ name, db: env[name]! }));
}

/**
 * The database of a placement (a binding name, or anything carrying one). A name this
 * Worker does not bind is an error, never a fallback to another database.
 */
export function workspaceDb(env: DatabaseBindings, placement: WorkspaceDatabaseName | { database: WorkspaceDatabaseName }): D1Database {
  const name = typeof placement === "string" ? placement : placement.database;
  if (!isWorkspaceDatabase(env, name)) throw new Error(`no workspace database ${name} is bound`);
  return env[name]!;
}

/**
 * The database of an inbox message. Messages sent before the directory carry none: the
 * single database of that time is bound as the first workspace database (wrangler.toml).
 */
export function messageDatabase(env: DatabaseBindings, database: WorkspaceDatabaseName | undefined): WorkspaceDatabaseName {
  return database ?? workspaceDatabaseNames(env)[0]!;
}

/**
 * Where a new workspace goes: the requested database, else the one with the fewest
 * workspaces (the first in order among equals).
 */
export function choosePlacement(
  names: readonly WorkspaceDatabaseName[],
  counts: ReadonlyMap<string, number>,
): WorkspaceDatabaseName {
  let best = names[0];
  if (best === undefined) throw new Error("no workspace database is bound (wrangler.toml: DB_WS_<n>)");
  for (const name of names) if ((counts.get(name) ?? 0) < (counts.get(best) ?? 0)) best = name;
  return best;
}

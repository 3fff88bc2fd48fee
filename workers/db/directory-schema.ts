// The directory's tables (binding DB_DIRECTORY; migrations/directory/, written by hand to
// match). What is global lives here; everything a workspace owns is in its database.
import { isNotNull } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { WorkspaceDatabaseName } from "../env";

export const directoryWorkspaces = sqliteTable(
  "directory_workspaces",
  {
    id: text("id").primaryKey(),
    slug: text("slug").notNull(),
    /** The binding of the workspace database holding all of the workspace's data. */
    database: text("database").$type<WorkspaceDatabaseName>().notNull(),
    createdAt: integer("created_at").notNull(),
    /** Set while a move copies the workspace: its deliveries are held, its consumption waits. */
    pausedAt: integer("paused_at"),
  },
  (t) => [
    uniqueIndex("directory_workspaces_slug").on(t.slug),
    index("directory_workspaces_database").on(t.database),
    index("directory_workspaces_paused").on(t.pausedAt).where(isNotNull(t.pausedAt)),
  ],
);

/** Every id a webhook URL may name (connection, rotated and retired webhook ids) → workspace. */
export const directoryWebhookIds = sqliteTable(
  "directory_webhook_ids",
  { id: text("id").primaryKey(), workspaceId: text("workspace_id").notNull() },
  (t) => [index("directory_webhook_ids_workspace").on(t.workspaceId)],
);

/** SHA-256 of every workspace token → workspace. */
export const directoryTokens = sqliteTable(
  "directory_tokens",
  { tokenHash: text("token_hash").primaryKey(), workspaceId: text("workspace_id").notNull() },
  (t) => [index("directory_tokens_workspace").on(t.workspaceId)],
);

export const MOVE_STATES = ["settling", "copying", "verifying", "resetting", "resuming", "deleting", "done", "failed"] as const;
export type MoveState = (typeof MOVE_STATES)[number];

/** Moves of workspaces between databases (admin records): progress and verification. */
export const workspaceMoves = sqliteTable(
  "workspace_moves",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    workspaceId: text("workspace_id").notNull(),
    fromDatabase: text("from_database").$type<WorkspaceDatabaseName>().notNull(),
    toDatabase: text("to_database").$type<WorkspaceDatabaseName>().notNull(),
    state: text("state", { enum: MOVE_STATES }).notNull(),
    progress: text("progress", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    startedAt: integer("started_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    finishedAt: integer("finished_at"),
  },
  (t) => [index("workspace_moves_workspace").on(t.workspaceId, t.startedAt)],
);

/** Deliveries that arrived while their workspace was paused. */
export const heldDeliveries = sqliteTable(
  "held_deliveries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    workspaceId: text("workspace_id").notNull(),
    connectionId: text("connection_id").notNull(),
    deliveryId: text("delivery_id").notNull(),
    receivedAt: integer("received_at").notNull(),
    headers: text("headers").notNull(),
    body: text("body").notNull(),
  },
  (t) => [
    uniqueIndex("held_deliveries_delivery").on(t.connectionId, t.deliveryId),
    index("held_deliveries_workspace").on(t.workspaceId, t.id),
  ],
);

/** Months whose recompute came while their workspace was paused. */
export const heldMonths = sqliteTable(
  "held_months",
  { workspaceId: text("workspace_id").notNull(), month: text("month").notNull() },
  (t) => [primaryKey({ columns: [t.workspaceId, t.month] })],
);

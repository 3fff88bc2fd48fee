-- The directory (binding DB_DIRECTORY): what is global. Workspace data never lives here.
-- Written by hand, with workers/db/directory-schema.ts typing the same tables.

-- Every workspace and the workspace database (binding name) holding all of its data.
-- paused_at is set while a move copies it: its deliveries wait in held_deliveries.
CREATE TABLE `directory_workspaces` (
	`id` text PRIMARY KEY NOT NULL,
	`slug` text NOT NULL,
	`database` text NOT NULL,
	`created_at` integer NOT NULL,
	`paused_at` integer
);
CREATE UNIQUE INDEX `directory_workspaces_slug` ON `directory_workspaces` (`slug`);
-- Placement counts the workspaces of each database.
CREATE INDEX `directory_workspaces_database` ON `directory_workspaces` (`database`);
-- The cron reads the paused workspaces every run: a few rows, never the whole table.
CREATE INDEX `directory_workspaces_paused` ON `directory_workspaces` (`paused_at`) WHERE `paused_at` IS NOT NULL;

-- Every id a webhook URL may name (connection ids, rotated webhook ids, retired ones)
-- → its workspace: a webhook finds its database in one read.
CREATE TABLE `directory_webhook_ids` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL
);
CREATE INDEX `directory_webhook_ids_workspace` ON `directory_webhook_ids` (`workspace_id`);

-- SHA-256 of every workspace API token → its workspace (scopes and revocation stay with
-- the token in the workspace's database).
CREATE TABLE `directory_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL
);
CREATE INDEX `directory_tokens_workspace` ON `directory_tokens` (`workspace_id`);

-- Admin records: one row per move of a workspace between databases (its progress and
-- each table's verified counts and checksums).
CREATE TABLE `workspace_moves` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`workspace_id` text NOT NULL,
	`from_database` text NOT NULL,
	`to_database` text NOT NULL,
	`state` text NOT NULL,
	`progress` text DEFAULT '{}' NOT NULL,
	`started_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`finished_at` integer
);
CREATE INDEX `workspace_moves_workspace` ON `workspace_moves` (`workspace_id`, `started_at`);

-- Deliveries that arrived while their workspace was paused: applied after the move.
CREATE TABLE `held_deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`workspace_id` text NOT NULL,
	`connection_id` text NOT NULL,
	`delivery_id` text NOT NULL,
	`received_at` integer NOT NULL,
	`headers` text NOT NULL,
	`body` text NOT NULL
);
CREATE UNIQUE INDEX `held_deliveries_delivery` ON `held_deliveries` (`connection_id`, `delivery_id`);
CREATE INDEX `held_deliveries_workspace` ON `held_deliveries` (`workspace_id`, `id`);

-- Months whose recompute came while their workspace was paused: marked dirty after the move.
CREATE TABLE `held_months` (
	`workspace_id` text NOT NULL,
	`month` text NOT NULL,
	PRIMARY KEY(`workspace_id`, `month`)
);

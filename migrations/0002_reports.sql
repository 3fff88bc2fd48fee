CREATE TABLE `deploy_hook_calls` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`workspace_id` text NOT NULL,
	`called_at` integer NOT NULL,
	`attempts` integer NOT NULL,
	`status` integer,
	`ok` integer NOT NULL,
	`error` text
);
--> statement-breakpoint
CREATE INDEX `deploy_hook_calls_workspace` ON `deploy_hook_calls` (`workspace_id`,`called_at`);--> statement-breakpoint
DROP INDEX `reports_share_token_unique`;--> statement-breakpoint
ALTER TABLE `reports` ADD `content_hash` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `reports` ADD `checked_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `reports_share_token` ON `reports` (`share_token`);
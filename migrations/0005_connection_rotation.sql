CREATE TABLE `retired_webhook_ids` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`connection_id` text NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `retired_webhook_ids_workspace` ON `retired_webhook_ids` (`workspace_id`,`connection_id`);--> statement-breakpoint
ALTER TABLE `connections` ADD `webhook_id` text;--> statement-breakpoint
ALTER TABLE `connections` ADD `deleted_at` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `connections_webhook_id_unique` ON `connections` (`webhook_id`);
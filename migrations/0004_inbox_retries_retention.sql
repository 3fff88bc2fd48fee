ALTER TABLE `inbox` ADD `retry_at` integer;--> statement-breakpoint
CREATE INDEX `inbox_retry` ON `inbox` (`status`,`retry_at`);--> statement-breakpoint
CREATE INDEX `inbox_workspace` ON `inbox` (`workspace_id`,`status`,`received_at`);--> statement-breakpoint
CREATE INDEX `inbox_body_kept` ON `inbox` (`processed_at`) WHERE status = 'processed' AND body <> '';
CREATE TABLE `pipeline_movements` (
	`workspace_id` text NOT NULL,
	`month` text NOT NULL,
	`dimension` text NOT NULL,
	`key` text NOT NULL,
	`movement` text NOT NULL,
	`deals` integer NOT NULL,
	`value` real NOT NULL,
	`computed_at` integer NOT NULL,
	PRIMARY KEY(`workspace_id`, `month`, `dimension`, `key`, `movement`)
);
--> statement-breakpoint
CREATE TABLE `pipeline_movements_staging` (
	`run` text NOT NULL,
	`workspace_id` text NOT NULL,
	`month` text NOT NULL,
	`dimension` text NOT NULL,
	`key` text NOT NULL,
	`movement` text NOT NULL,
	`deals` integer NOT NULL,
	`value` real NOT NULL,
	`computed_at` integer NOT NULL,
	PRIMARY KEY(`run`, `dimension`, `key`, `movement`)
);
--> statement-breakpoint
CREATE INDEX `pipeline_movements_staging_month` ON `pipeline_movements_staging` (`workspace_id`,`month`,`computed_at`);
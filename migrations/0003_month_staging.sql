CREATE TABLE `kpi_values_staging` (
	`run` text NOT NULL,
	`workspace_id` text NOT NULL,
	`month` text NOT NULL,
	`kpi` text NOT NULL,
	`dimension` text NOT NULL,
	`key` text NOT NULL,
	`value` real,
	`numerator` real,
	`denominator` real,
	`computed_at` integer NOT NULL,
	`data_as_of` integer,
	`catalog_version` text NOT NULL,
	PRIMARY KEY(`run`, `kpi`, `dimension`, `key`)
);
--> statement-breakpoint
CREATE INDEX `kpi_values_staging_month` ON `kpi_values_staging` (`workspace_id`,`month`,`computed_at`);--> statement-breakpoint
CREATE TABLE `month_warnings_staging` (
	`run` text NOT NULL,
	`workspace_id` text NOT NULL,
	`month` text NOT NULL,
	`warning` text NOT NULL,
	`count` integer NOT NULL,
	`computed_at` integer NOT NULL,
	PRIMARY KEY(`run`, `warning`)
);
--> statement-breakpoint
CREATE INDEX `month_warnings_staging_month` ON `month_warnings_staging` (`workspace_id`,`month`,`computed_at`);--> statement-breakpoint
DROP INDEX `activities_rep`;--> statement-breakpoint
DROP INDEX `deals_account`;--> statement-breakpoint
CREATE INDEX `deals_status` ON `deals` (`workspace_id`,`status`,`closed_at`,`created_at`,`updated_at`,`deal_id`);--> statement-breakpoint
CREATE INDEX `deals_account` ON `deals` (`workspace_id`,`account_id`,`status`,`closed_at`);
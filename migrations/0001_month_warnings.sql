CREATE TABLE `month_warnings` (
	`workspace_id` text NOT NULL,
	`month` text NOT NULL,
	`warning` text NOT NULL,
	`count` integer NOT NULL,
	`computed_at` integer NOT NULL,
	PRIMARY KEY(`workspace_id`, `month`, `warning`)
);

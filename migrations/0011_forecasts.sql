CREATE TABLE `forecasts` (
	`workspace_id` text NOT NULL,
	`month` text NOT NULL,
	`target_month` text NOT NULL,
	`dimension` text NOT NULL,
	`key` text NOT NULL,
	`deals` integer NOT NULL,
	`pipeline` real NOT NULL,
	`weighted` real NOT NULL,
	`trailing_revenue` real NOT NULL,
	`quota` real,
	`made_at` integer NOT NULL,
	PRIMARY KEY(`workspace_id`, `month`, `target_month`, `dimension`, `key`)
);

CREATE TABLE `accounts` (
	`workspace_id` text NOT NULL,
	`account_id` text NOT NULL,
	`name` text,
	`region` text,
	`segment` text,
	`industry` text,
	`owner_rep_id` text,
	`first_seen_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	PRIMARY KEY(`workspace_id`, `account_id`)
);
--> statement-breakpoint
CREATE TABLE `activities` (
	`workspace_id` text NOT NULL,
	`activity_id` text NOT NULL,
	`type` text,
	`direction` text,
	`rep_id` text,
	`participant_rep_ids` text,
	`lead_id` text,
	`account_id` text,
	`deal_id` text,
	`duration_seconds` real,
	`outcome` text,
	`occurred_at` integer NOT NULL,
	`first_seen_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	PRIMARY KEY(`workspace_id`, `activity_id`)
);
--> statement-breakpoint
CREATE INDEX `activities_time` ON `activities` (`workspace_id`,`occurred_at`);--> statement-breakpoint
CREATE INDEX `activities_lead` ON `activities` (`workspace_id`,`lead_id`,`occurred_at`);--> statement-breakpoint
CREATE INDEX `activities_account` ON `activities` (`workspace_id`,`account_id`,`occurred_at`);--> statement-breakpoint
CREATE INDEX `activities_deal` ON `activities` (`workspace_id`,`deal_id`,`occurred_at`);--> statement-breakpoint
CREATE INDEX `activities_rep` ON `activities` (`workspace_id`,`rep_id`,`occurred_at`);--> statement-breakpoint
CREATE TABLE `activity_participants` (
	`workspace_id` text NOT NULL,
	`activity_id` text NOT NULL,
	`rep_id` text NOT NULL,
	PRIMARY KEY(`workspace_id`, `activity_id`, `rep_id`)
);
--> statement-breakpoint
CREATE TABLE `api_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`scopes` text NOT NULL,
	`name` text,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`revoked_at` integer,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_token_hash_unique` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `api_tokens_workspace` ON `api_tokens` (`workspace_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `canonical_events` (
	`connection_id` text NOT NULL,
	`event_id` text NOT NULL,
	`workspace_id` text NOT NULL,
	`inbox_id` integer NOT NULL,
	`type` text NOT NULL,
	`entity_type` text NOT NULL,
	`entity_id` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`data` text NOT NULL,
	PRIMARY KEY(`connection_id`, `event_id`)
);
--> statement-breakpoint
CREATE INDEX `canonical_events_inbox` ON `canonical_events` (`inbox_id`,`entity_type`);--> statement-breakpoint
CREATE INDEX `canonical_events_workspace_time` ON `canonical_events` (`workspace_id`,`occurred_at`);--> statement-breakpoint
CREATE TABLE `connections` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`kind` text NOT NULL,
	`name` text NOT NULL,
	`secret_ciphertext` text,
	`config` text DEFAULT '{}' NOT NULL,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `connections_workspace` ON `connections` (`workspace_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `dead_letters` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`workspace_id` text NOT NULL,
	`connection_id` text NOT NULL,
	`inbox_id` integer NOT NULL,
	`position` integer NOT NULL,
	`event_id` text,
	`reason` text NOT NULL,
	`payload` text NOT NULL,
	`occurred_at` integer,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `dead_letters_item` ON `dead_letters` (`inbox_id`,`position`);--> statement-breakpoint
CREATE INDEX `dead_letters_workspace` ON `dead_letters` (`workspace_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `deal_products` (
	`workspace_id` text NOT NULL,
	`deal_id` text NOT NULL,
	`line_no` integer NOT NULL,
	`product_id` text NOT NULL,
	`name` text,
	`quantity` real NOT NULL,
	`unit_price` real NOT NULL,
	PRIMARY KEY(`workspace_id`, `deal_id`, `line_no`)
);
--> statement-breakpoint
CREATE INDEX `deal_products_product` ON `deal_products` (`workspace_id`,`product_id`);--> statement-breakpoint
CREATE TABLE `deals` (
	`workspace_id` text NOT NULL,
	`deal_id` text NOT NULL,
	`name` text,
	`account_id` text,
	`lead_id` text,
	`owner_rep_id` text,
	`pipeline` text,
	`stage` text,
	`status` text,
	`amount` real,
	`currency` text,
	`kind` text,
	`source` text,
	`lost_reason` text,
	`products` text,
	`created_at` integer NOT NULL,
	`closed_at` integer,
	`first_seen_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	PRIMARY KEY(`workspace_id`, `deal_id`)
);
--> statement-breakpoint
CREATE INDEX `deals_closed` ON `deals` (`workspace_id`,`closed_at`);--> statement-breakpoint
CREATE INDEX `deals_created` ON `deals` (`workspace_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `deals_owner` ON `deals` (`workspace_id`,`owner_rep_id`);--> statement-breakpoint
CREATE INDEX `deals_account` ON `deals` (`workspace_id`,`account_id`);--> statement-breakpoint
CREATE TABLE `dirty_months` (
	`workspace_id` text NOT NULL,
	`month` text NOT NULL,
	`marked_at` integer NOT NULL,
	PRIMARY KEY(`workspace_id`, `month`)
);
--> statement-breakpoint
CREATE TABLE `field_history` (
	`workspace_id` text NOT NULL,
	`entity_type` text NOT NULL,
	`entity_id` text NOT NULL,
	`field` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`event_id` text NOT NULL,
	`value_text` text,
	`value_num` real,
	PRIMARY KEY(`workspace_id`, `entity_type`, `entity_id`, `field`, `occurred_at`, `event_id`)
);
--> statement-breakpoint
CREATE INDEX `field_history_by_field` ON `field_history` (`workspace_id`,`entity_type`,`field`,`occurred_at`);--> statement-breakpoint
CREATE TABLE `fx_rates` (
	`workspace_id` text NOT NULL,
	`currency` text NOT NULL,
	`month` text NOT NULL,
	`rate` real NOT NULL,
	PRIMARY KEY(`workspace_id`, `currency`, `month`)
);
--> statement-breakpoint
CREATE TABLE `inbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`workspace_id` text NOT NULL,
	`connection_id` text NOT NULL,
	`delivery_id` text NOT NULL,
	`received_at` integer NOT NULL,
	`headers` text NOT NULL,
	`body` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`enqueued_at` integer,
	`processed_at` integer,
	`error` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `inbox_delivery` ON `inbox` (`connection_id`,`delivery_id`);--> statement-breakpoint
CREATE INDEX `inbox_pending` ON `inbox` (`status`,`enqueued_at`);--> statement-breakpoint
CREATE TABLE `kpi_values` (
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
	PRIMARY KEY(`workspace_id`, `month`, `kpi`, `dimension`, `key`)
);
--> statement-breakpoint
CREATE INDEX `kpi_values_series` ON `kpi_values` (`workspace_id`,`kpi`,`dimension`,`month`);--> statement-breakpoint
CREATE TABLE `leads` (
	`workspace_id` text NOT NULL,
	`lead_id` text NOT NULL,
	`account_id` text,
	`owner_rep_id` text,
	`source` text,
	`stage` text,
	`created_at` integer NOT NULL,
	`first_seen_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	PRIMARY KEY(`workspace_id`, `lead_id`)
);
--> statement-breakpoint
CREATE INDEX `leads_created` ON `leads` (`workspace_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `leads_owner` ON `leads` (`workspace_id`,`owner_rep_id`);--> statement-breakpoint
CREATE TABLE `marketing_spend` (
	`workspace_id` text NOT NULL,
	`source` text NOT NULL,
	`month` text NOT NULL,
	`amount` real NOT NULL,
	PRIMARY KEY(`workspace_id`, `month`, `source`)
);
--> statement-breakpoint
CREATE TABLE `month_warnings` (
	`workspace_id` text NOT NULL,
	`month` text NOT NULL,
	`warning` text NOT NULL,
	`count` integer NOT NULL,
	`computed_at` integer NOT NULL,
	PRIMARY KEY(`workspace_id`, `month`, `warning`)
);
--> statement-breakpoint
CREATE TABLE `quotas` (
	`workspace_id` text NOT NULL,
	`rep_id` text NOT NULL,
	`month` text NOT NULL,
	`amount` real NOT NULL,
	PRIMARY KEY(`workspace_id`, `month`, `rep_id`)
);
--> statement-breakpoint
CREATE TABLE `reports` (
	`workspace_id` text NOT NULL,
	`month` text NOT NULL,
	`version` integer NOT NULL,
	`published_at` integer NOT NULL,
	`data_as_of` integer,
	`share_token` text NOT NULL,
	`document` text NOT NULL,
	PRIMARY KEY(`workspace_id`, `month`, `version`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `reports_share_token_unique` ON `reports` (`share_token`);--> statement-breakpoint
CREATE TABLE `reps` (
	`workspace_id` text NOT NULL,
	`rep_id` text NOT NULL,
	`name` text,
	`email` text,
	`team` text,
	`region` text,
	`active` integer,
	`first_seen_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	PRIMARY KEY(`workspace_id`, `rep_id`)
);
--> statement-breakpoint
CREATE TABLE `subscriptions` (
	`workspace_id` text NOT NULL,
	`subscription_id` text NOT NULL,
	`account_id` text,
	`mrr` real,
	`currency` text,
	`first_seen_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	PRIMARY KEY(`workspace_id`, `subscription_id`)
);
--> statement-breakpoint
CREATE INDEX `subscriptions_account` ON `subscriptions` (`workspace_id`,`account_id`);--> statement-breakpoint
CREATE TABLE `survey_responses` (
	`workspace_id` text NOT NULL,
	`response_id` text NOT NULL,
	`survey` text,
	`score` real,
	`account_id` text,
	`lead_id` text,
	`rep_id` text,
	`comment` text,
	`occurred_at` integer NOT NULL,
	`first_seen_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	PRIMARY KEY(`workspace_id`, `response_id`)
);
--> statement-breakpoint
CREATE INDEX `survey_responses_time` ON `survey_responses` (`workspace_id`,`survey`,`occurred_at`);--> statement-breakpoint
CREATE TABLE `workspaces` (
	`id` text PRIMARY KEY NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`timezone` text DEFAULT 'UTC' NOT NULL,
	`currency` text DEFAULT 'USD' NOT NULL,
	`pipeline_stages` text DEFAULT '[]' NOT NULL,
	`deploy_hook_url` text,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `workspaces_slug_unique` ON `workspaces` (`slug`);--> statement-breakpoint
CREATE VIEW `deal_stage_history` AS SELECT workspace_id, entity_id AS deal_id, value_text AS stage, occurred_at, event_id FROM field_history WHERE entity_type = 'deal' AND field = 'stage';--> statement-breakpoint
CREATE VIEW `deal_status_history` AS SELECT workspace_id, entity_id AS deal_id, value_text AS status, occurred_at, event_id FROM field_history WHERE entity_type = 'deal' AND field = 'status';--> statement-breakpoint
CREATE VIEW `lead_stage_history` AS SELECT workspace_id, entity_id AS lead_id, value_text AS stage, occurred_at, event_id FROM field_history WHERE entity_type = 'lead' AND field = 'stage';--> statement-breakpoint
CREATE VIEW `mrr_history` AS SELECT workspace_id, entity_id AS subscription_id, value_num AS mrr, occurred_at, event_id FROM field_history WHERE entity_type = 'subscription' AND field = 'mrr';
ALTER TABLE `deals` ADD `term_months` real;--> statement-breakpoint
ALTER TABLE `deals` ADD `competitor` text;--> statement-breakpoint
ALTER TABLE `leads` ADD `score` real;--> statement-breakpoint
ALTER TABLE `workspaces` ADD `catalog_version` text;
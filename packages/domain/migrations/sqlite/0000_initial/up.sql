CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text(320) NOT NULL,
	`name` text(200) NOT NULL,
	`password_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_key` ON `users` (`email`) WHERE "deleted_at" is null;
--> statement-breakpoint
CREATE TABLE `user_preferences` (
	`user_id` text NOT NULL,
	`key` text(100) NOT NULL,
	`value` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `key`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `teams` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text(200) NOT NULL,
	`slug` text(64) NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `teams_slug_key` ON `teams` (`slug`) WHERE "deleted_at" is null;
--> statement-breakpoint
CREATE TABLE `team_members` (
	`team_id` text NOT NULL,
	`user_id` text NOT NULL,
	`role` text DEFAULT 'member' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`team_id`, `user_id`),
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "team_members_role_values" CHECK("role" in ('owner', 'admin', 'member', 'viewer'))
);
--> statement-breakpoint
CREATE INDEX `team_members_user_id_idx` ON `team_members` (`user_id`);
--> statement-breakpoint
CREATE TABLE `team_settings` (
	`team_id` text NOT NULL,
	`key` text(100) NOT NULL,
	`value` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`team_id`, `key`),
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `agents` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`name` text(200) NOT NULL,
	`provider` text(100) NOT NULL,
	`model` text(200) NOT NULL,
	`config` text DEFAULT '{}' NOT NULL,
	`status` text DEFAULT 'idle' NOT NULL,
	`last_seen_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "agents_status_values" CHECK("status" in ('idle', 'busy', 'offline', 'error'))
);
--> statement-breakpoint
CREATE INDEX `agents_team_id_name_idx` ON `agents` (`team_id`,`name`);
--> statement-breakpoint
CREATE INDEX `agents_team_id_status_idx` ON `agents` (`team_id`,`status`);
--> statement-breakpoint
CREATE TABLE `refresh_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text,
	`agent_id` text,
	`family_id` text NOT NULL,
	`name` text(200),
	`token_hash` text(255) NOT NULL,
	`scopes` text DEFAULT '[]' NOT NULL,
	`expires_at` integer NOT NULL,
	`revoked_at` integer,
	`last_used_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "refresh_tokens_one_owner" CHECK(("user_id" is not null and "agent_id" is null) or ("user_id" is null and "agent_id" is not null))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `refresh_tokens_token_hash_key` ON `refresh_tokens` (`token_hash`);
--> statement-breakpoint
CREATE INDEX `refresh_tokens_family_id_idx` ON `refresh_tokens` (`family_id`);
--> statement-breakpoint
CREATE INDEX `refresh_tokens_user_id_idx` ON `refresh_tokens` (`user_id`);
--> statement-breakpoint
CREATE INDEX `refresh_tokens_agent_id_idx` ON `refresh_tokens` (`agent_id`);
--> statement-breakpoint
CREATE TABLE `api_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text,
	`agent_id` text,
	`name` text(200) NOT NULL,
	`token_hash` text(255) NOT NULL,
	`scopes` text DEFAULT '[]' NOT NULL,
	`expires_at` integer,
	`revoked_at` integer,
	`last_used_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "api_tokens_one_owner" CHECK(("user_id" is not null and "agent_id" is null) or ("user_id" is null and "agent_id" is not null))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_token_hash_key` ON `api_tokens` (`token_hash`);
--> statement-breakpoint
CREATE INDEX `api_tokens_user_id_idx` ON `api_tokens` (`user_id`);
--> statement-breakpoint
CREATE INDEX `api_tokens_agent_id_idx` ON `api_tokens` (`agent_id`);
--> statement-breakpoint
CREATE TABLE `projects` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`name` text(200) NOT NULL,
	`description` text,
	`settings` text DEFAULT '{}' NOT NULL,
	`ticket_sequence` integer DEFAULT 0 NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "projects_ticket_sequence_non_negative" CHECK("ticket_sequence" >= 0)
);
--> statement-breakpoint
CREATE INDEX `projects_team_id_name_idx` ON `projects` (`team_id`,`name`);
--> statement-breakpoint
CREATE INDEX `projects_team_id_created_at_idx` ON `projects` (`team_id`,`created_at`);
--> statement-breakpoint
CREATE TABLE `project_collaborators` (
	`project_id` text NOT NULL,
	`user_id` text NOT NULL,
	`role` text DEFAULT 'viewer' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `user_id`),
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "project_collaborators_role_values" CHECK("role" in ('editor', 'viewer'))
);
--> statement-breakpoint
CREATE INDEX `project_collaborators_user_id_idx` ON `project_collaborators` (`user_id`);
--> statement-breakpoint
CREATE TABLE `project_shares` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`token_hash` text(255) NOT NULL,
	`expires_at` integer,
	`revoked_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `project_shares_token_hash_key` ON `project_shares` (`token_hash`);
--> statement-breakpoint
CREATE INDEX `project_shares_project_id_idx` ON `project_shares` (`project_id`);
--> statement-breakpoint
CREATE TABLE `tickets` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`number` integer NOT NULL,
	`title` text(300) NOT NULL,
	`overview` text,
	`status` text DEFAULT 'open' NOT NULL,
	`priority` text DEFAULT 'normal' NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`assignee_user_id` text,
	`assignee_agent_id` text,
	`created_by_user_id` text,
	`created_by_agent_id` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`assignee_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`assignee_agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`created_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`created_by_agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "tickets_number_positive" CHECK("number" >= 1),
	CONSTRAINT "tickets_one_assignee" CHECK("assignee_user_id" is null or "assignee_agent_id" is null),
	CONSTRAINT "tickets_one_creator" CHECK("created_by_user_id" is null or "created_by_agent_id" is null),
	CONSTRAINT "tickets_status_values" CHECK("status" in ('open', 'in_progress', 'closed')),
	CONSTRAINT "tickets_priority_values" CHECK("priority" in ('low', 'normal', 'high', 'urgent'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tickets_project_id_number_key` ON `tickets` (`project_id`,`number`);
--> statement-breakpoint
CREATE INDEX `tickets_project_id_status_idx` ON `tickets` (`project_id`,`status`);
--> statement-breakpoint
CREATE INDEX `tickets_project_id_priority_idx` ON `tickets` (`project_id`,`priority`);
--> statement-breakpoint
CREATE INDEX `tickets_project_id_created_at_idx` ON `tickets` (`project_id`,`created_at`);
--> statement-breakpoint
CREATE INDEX `tickets_assignee_user_id_idx` ON `tickets` (`assignee_user_id`);
--> statement-breakpoint
CREATE INDEX `tickets_assignee_agent_id_idx` ON `tickets` (`assignee_agent_id`);
--> statement-breakpoint
CREATE INDEX `tickets_created_by_user_id_idx` ON `tickets` (`created_by_user_id`);
--> statement-breakpoint
CREATE INDEX `tickets_created_by_agent_id_idx` ON `tickets` (`created_by_agent_id`);
--> statement-breakpoint
CREATE TABLE `tasks` (
	`id` text PRIMARY KEY NOT NULL,
	`ticket_id` text NOT NULL,
	`content` text NOT NULL,
	`description` text,
	`status` text DEFAULT 'pending' NOT NULL,
	`done` integer DEFAULT false NOT NULL,
	`order_index` integer DEFAULT 0 NOT NULL,
	`estimated_hours` real,
	`dependencies` text DEFAULT '[]' NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	`assignee_agent_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`ticket_id`) REFERENCES `tickets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`assignee_agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "tasks_order_index_non_negative" CHECK("order_index" >= 0),
	CONSTRAINT "tasks_estimated_hours_non_negative" CHECK("estimated_hours" is null or "estimated_hours" >= 0),
	CONSTRAINT "tasks_status_values" CHECK("status" in ('pending', 'in_progress', 'completed', 'cancelled'))
);
--> statement-breakpoint
CREATE INDEX `tasks_ticket_id_order_index_idx` ON `tasks` (`ticket_id`,`order_index`);
--> statement-breakpoint
CREATE INDEX `tasks_assignee_agent_id_idx` ON `tasks` (`assignee_agent_id`);
--> statement-breakpoint
CREATE TABLE `queues` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`name` text(100) NOT NULL,
	`description` text,
	`status` text DEFAULT 'active' NOT NULL,
	`max_parallel` integer DEFAULT 1 NOT NULL,
	`lease_seconds` integer DEFAULT 300 NOT NULL,
	`max_attempts` integer DEFAULT 3 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "queues_max_parallel_positive" CHECK("max_parallel" >= 1),
	CONSTRAINT "queues_lease_seconds_positive" CHECK("lease_seconds" >= 1),
	CONSTRAINT "queues_max_attempts_positive" CHECK("max_attempts" >= 1),
	CONSTRAINT "queues_status_values" CHECK("status" in ('active', 'paused'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `queues_project_id_name_key` ON `queues` (`project_id`,`name`);
--> statement-breakpoint
CREATE TABLE `queue_items` (
	`id` text PRIMARY KEY NOT NULL,
	`queue_id` text NOT NULL,
	`ticket_id` text,
	`task_id` text,
	`priority` integer DEFAULT 5 NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`agent_id` text,
	`lease_expires_at` integer,
	`enqueued_at` integer NOT NULL,
	`started_at` integer,
	`completed_at` integer,
	`error` text,
	`result` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`queue_id`) REFERENCES `queues`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`ticket_id`) REFERENCES `tickets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "queue_items_one_subject" CHECK(("ticket_id" is not null and "task_id" is null) or ("ticket_id" is null and "task_id" is not null)),
	CONSTRAINT "queue_items_priority_range" CHECK("priority" between 0 and 10),
	CONSTRAINT "queue_items_attempts_non_negative" CHECK("attempts" >= 0),
	CONSTRAINT "queue_items_status_values" CHECK("status" in ('queued', 'in_progress', 'completed', 'failed', 'cancelled', 'dead'))
);
--> statement-breakpoint
CREATE INDEX `queue_items_queue_id_status_priority_enqueued_at_idx` ON `queue_items` (`queue_id`,`status`,`priority`,`enqueued_at`);
--> statement-breakpoint
CREATE UNIQUE INDEX `queue_items_queue_id_ticket_id_key` ON `queue_items` (`queue_id`,`ticket_id`) WHERE "status" in ('queued', 'in_progress');
--> statement-breakpoint
CREATE UNIQUE INDEX `queue_items_queue_id_task_id_key` ON `queue_items` (`queue_id`,`task_id`) WHERE "status" in ('queued', 'in_progress');
--> statement-breakpoint
CREATE INDEX `queue_items_ticket_id_idx` ON `queue_items` (`ticket_id`);
--> statement-breakpoint
CREATE INDEX `queue_items_task_id_idx` ON `queue_items` (`task_id`);
--> statement-breakpoint
CREATE INDEX `queue_items_agent_id_idx` ON `queue_items` (`agent_id`);
--> statement-breakpoint
CREATE TABLE `costs` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`agent_id` text,
	`queue_item_id` text,
	`provider` text(100) NOT NULL,
	`model` text(200) NOT NULL,
	`input_tokens` integer DEFAULT 0 NOT NULL,
	`output_tokens` integer DEFAULT 0 NOT NULL,
	`amount_micros` integer DEFAULT 0 NOT NULL,
	`currency` text(3) DEFAULT 'USD' NOT NULL,
	`occurred_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`queue_item_id`) REFERENCES `queue_items`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "costs_input_tokens_non_negative" CHECK("input_tokens" >= 0),
	CONSTRAINT "costs_output_tokens_non_negative" CHECK("output_tokens" >= 0),
	CONSTRAINT "costs_amount_micros_non_negative" CHECK("amount_micros" >= 0),
	CONSTRAINT "costs_currency_code" CHECK(length("currency") = 3 and upper("currency") = "currency")
);
--> statement-breakpoint
CREATE INDEX `costs_project_id_occurred_at_idx` ON `costs` (`project_id`,`occurred_at`);
--> statement-breakpoint
CREATE INDEX `costs_agent_id_occurred_at_idx` ON `costs` (`agent_id`,`occurred_at`);
--> statement-breakpoint
CREATE INDEX `costs_queue_item_id_idx` ON `costs` (`queue_item_id`);
--> statement-breakpoint
CREATE TABLE `activities` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`project_id` text,
	`actor_type` text NOT NULL,
	`actor_id` text,
	`verb` text(100) NOT NULL,
	`subject_type` text(100) NOT NULL,
	`subject_id` text(255),
	`data` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "activities_actor" CHECK("actor_type" = 'system' or "actor_id" is not null),
	CONSTRAINT "activities_actor_type_values" CHECK("actor_type" in ('user', 'agent', 'system'))
);
--> statement-breakpoint
CREATE INDEX `activities_team_id_created_at_idx` ON `activities` (`team_id`,`created_at`);
--> statement-breakpoint
CREATE INDEX `activities_project_id_created_at_idx` ON `activities` (`project_id`,`created_at`);
--> statement-breakpoint
CREATE INDEX `activities_actor_id_created_at_idx` ON `activities` (`actor_id`,`created_at`);
--> statement-breakpoint
CREATE TABLE `audit_logs` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`actor_type` text NOT NULL,
	`actor_id` text,
	`action` text(100) NOT NULL,
	`entity` text(100) NOT NULL,
	`entity_id` text(255),
	`changes` text DEFAULT '{}' NOT NULL,
	`request_id` text(128),
	`ip` text(64),
	`user_agent` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "audit_logs_actor" CHECK("actor_type" = 'system' or "actor_id" is not null),
	CONSTRAINT "audit_logs_actor_type_values" CHECK("actor_type" in ('user', 'agent', 'system'))
);
--> statement-breakpoint
CREATE INDEX `audit_logs_team_id_created_at_idx` ON `audit_logs` (`team_id`,`created_at`);
--> statement-breakpoint
CREATE INDEX `audit_logs_team_id_entity_entity_id_created_at_idx` ON `audit_logs` (`team_id`,`entity`,`entity_id`,`created_at`);
--> statement-breakpoint
CREATE INDEX `audit_logs_team_id_actor_id_created_at_idx` ON `audit_logs` (`team_id`,`actor_id`,`created_at`);
--> statement-breakpoint
CREATE TABLE `chats` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`title` text(200) NOT NULL,
	`ticket_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`ticket_id`) REFERENCES `tickets`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `chats_project_id_created_at_idx` ON `chats` (`project_id`,`created_at`);
--> statement-breakpoint
CREATE INDEX `chats_ticket_id_idx` ON `chats` (`ticket_id`);
--> statement-breakpoint
CREATE TABLE `chat_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`chat_id` text NOT NULL,
	`role` text NOT NULL,
	`content` text NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`input_tokens` integer DEFAULT 0 NOT NULL,
	`output_tokens` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`chat_id`) REFERENCES `chats`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "chat_messages_input_tokens_non_negative" CHECK("input_tokens" >= 0),
	CONSTRAINT "chat_messages_output_tokens_non_negative" CHECK("output_tokens" >= 0),
	CONSTRAINT "chat_messages_role_values" CHECK("role" in ('user', 'assistant', 'system', 'tool'))
);
--> statement-breakpoint
CREATE INDEX `chat_messages_chat_id_created_at_idx` ON `chat_messages` (`chat_id`,`created_at`);
--> statement-breakpoint
CREATE TABLE `files` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`path` text(1024) NOT NULL,
	`name` text(255) NOT NULL,
	`extension` text(32),
	`size` integer DEFAULT 0 NOT NULL,
	`checksum` text,
	`content_type` text(255),
	`summary` text,
	`content` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "files_size_non_negative" CHECK("size" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `files_project_id_path_key` ON `files` (`project_id`,`path`);
--> statement-breakpoint
CREATE TABLE `selected_files` (
	`project_id` text NOT NULL,
	`file_id` text NOT NULL,
	`reason` text,
	`selected_by_user_id` text,
	`selected_by_agent_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `file_id`),
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`file_id`) REFERENCES `files`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`selected_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`selected_by_agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "selected_files_one_selector" CHECK("selected_by_user_id" is null or "selected_by_agent_id" is null)
);
--> statement-breakpoint
CREATE INDEX `selected_files_file_id_idx` ON `selected_files` (`file_id`);
--> statement-breakpoint
CREATE INDEX `selected_files_selected_by_user_id_idx` ON `selected_files` (`selected_by_user_id`);
--> statement-breakpoint
CREATE INDEX `selected_files_selected_by_agent_id_idx` ON `selected_files` (`selected_by_agent_id`);
--> statement-breakpoint
CREATE TABLE `file_analyses` (
	`id` text PRIMARY KEY NOT NULL,
	`file_id` text NOT NULL,
	`kind` text(100) NOT NULL,
	`analysis_version` integer DEFAULT 1 NOT NULL,
	`checksum` text NOT NULL,
	`data` text NOT NULL,
	`computed_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`file_id`) REFERENCES `files`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "file_analyses_analysis_version_non_negative" CHECK("analysis_version" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `file_analyses_file_id_kind_key` ON `file_analyses` (`file_id`,`kind`);
--> statement-breakpoint
CREATE TABLE `prompts` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`project_id` text,
	`title` text(200) NOT NULL,
	`content` text NOT NULL,
	`description` text,
	`tags` text DEFAULT '[]' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `prompts_team_id_created_at_idx` ON `prompts` (`team_id`,`created_at`);
--> statement-breakpoint
CREATE INDEX `prompts_project_id_created_at_idx` ON `prompts` (`project_id`,`created_at`);

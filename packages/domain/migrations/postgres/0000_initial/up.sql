CREATE TABLE "users" (
	"id" uuid PRIMARY KEY NOT NULL,
	"email" varchar(320) NOT NULL,
	"name" varchar(200) NOT NULL,
	"password_hash" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"deleted_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "user_preferences" (
	"user_id" uuid NOT NULL,
	"key" varchar(100) NOT NULL,
	"value" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "user_preferences_user_id_key_pk" PRIMARY KEY("user_id","key")
);
--> statement-breakpoint
CREATE TABLE "teams" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" varchar(200) NOT NULL,
	"slug" varchar(64) NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"deleted_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "team_members" (
	"team_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"role" text DEFAULT 'member' NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "team_members_team_id_user_id_pk" PRIMARY KEY("team_id","user_id"),
	CONSTRAINT "team_members_role_values" CHECK ("role" in ('owner', 'admin', 'member', 'viewer'))
);
--> statement-breakpoint
CREATE TABLE "team_settings" (
	"team_id" uuid NOT NULL,
	"key" varchar(100) NOT NULL,
	"value" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "team_settings_team_id_key_pk" PRIMARY KEY("team_id","key")
);
--> statement-breakpoint
CREATE TABLE "agents" (
	"id" uuid PRIMARY KEY NOT NULL,
	"team_id" uuid NOT NULL,
	"name" varchar(200) NOT NULL,
	"provider" varchar(100) NOT NULL,
	"model" varchar(200) NOT NULL,
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" text DEFAULT 'idle' NOT NULL,
	"last_seen_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "agents_status_values" CHECK ("status" in ('idle', 'busy', 'offline', 'error'))
);
--> statement-breakpoint
CREATE TABLE "refresh_tokens" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid,
	"agent_id" uuid,
	"family_id" uuid NOT NULL,
	"name" varchar(200),
	"token_hash" varchar(255) NOT NULL,
	"scopes" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	"revoked_at" timestamp (3) with time zone,
	"last_used_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "refresh_tokens_one_owner" CHECK (("user_id" is not null and "agent_id" is null) or ("user_id" is null and "agent_id" is not null))
);
--> statement-breakpoint
CREATE TABLE "api_tokens" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid,
	"agent_id" uuid,
	"name" varchar(200) NOT NULL,
	"token_hash" varchar(255) NOT NULL,
	"scopes" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"expires_at" timestamp (3) with time zone,
	"revoked_at" timestamp (3) with time zone,
	"last_used_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "api_tokens_one_owner" CHECK (("user_id" is not null and "agent_id" is null) or ("user_id" is null and "agent_id" is not null))
);
--> statement-breakpoint
CREATE TABLE "projects" (
	"id" uuid PRIMARY KEY NOT NULL,
	"team_id" uuid NOT NULL,
	"name" varchar(200) NOT NULL,
	"description" text,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"ticket_sequence" integer DEFAULT 0 NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"deleted_at" timestamp (3) with time zone,
	CONSTRAINT "projects_ticket_sequence_non_negative" CHECK ("ticket_sequence" >= 0)
);
--> statement-breakpoint
CREATE TABLE "project_collaborators" (
	"project_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"role" text DEFAULT 'viewer' NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "project_collaborators_project_id_user_id_pk" PRIMARY KEY("project_id","user_id"),
	CONSTRAINT "project_collaborators_role_values" CHECK ("role" in ('editor', 'viewer'))
);
--> statement-breakpoint
CREATE TABLE "project_shares" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"token_hash" varchar(255) NOT NULL,
	"expires_at" timestamp (3) with time zone,
	"revoked_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tickets" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"number" integer NOT NULL,
	"title" varchar(300) NOT NULL,
	"overview" text,
	"status" text DEFAULT 'open' NOT NULL,
	"priority" text DEFAULT 'normal' NOT NULL,
	"tags" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"assignee_user_id" uuid,
	"assignee_agent_id" uuid,
	"created_by_user_id" uuid,
	"created_by_agent_id" uuid,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"deleted_at" timestamp (3) with time zone,
	CONSTRAINT "tickets_number_positive" CHECK ("number" >= 1),
	CONSTRAINT "tickets_one_assignee" CHECK ("assignee_user_id" is null or "assignee_agent_id" is null),
	CONSTRAINT "tickets_one_creator" CHECK ("created_by_user_id" is null or "created_by_agent_id" is null),
	CONSTRAINT "tickets_status_values" CHECK ("status" in ('open', 'in_progress', 'closed')),
	CONSTRAINT "tickets_priority_values" CHECK ("priority" in ('low', 'normal', 'high', 'urgent'))
);
--> statement-breakpoint
CREATE TABLE "tasks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"ticket_id" uuid NOT NULL,
	"content" text NOT NULL,
	"description" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"done" boolean DEFAULT false NOT NULL,
	"order_index" integer DEFAULT 0 NOT NULL,
	"estimated_hours" double precision,
	"dependencies" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"tags" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"assignee_agent_id" uuid,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "tasks_order_index_non_negative" CHECK ("order_index" >= 0),
	CONSTRAINT "tasks_estimated_hours_non_negative" CHECK ("estimated_hours" is null or "estimated_hours" >= 0),
	CONSTRAINT "tasks_status_values" CHECK ("status" in ('pending', 'in_progress', 'completed', 'cancelled'))
);
--> statement-breakpoint
CREATE TABLE "queues" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"name" varchar(100) NOT NULL,
	"description" text,
	"status" text DEFAULT 'active' NOT NULL,
	"max_parallel" integer DEFAULT 1 NOT NULL,
	"lease_seconds" integer DEFAULT 300 NOT NULL,
	"max_attempts" integer DEFAULT 3 NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "queues_max_parallel_positive" CHECK ("max_parallel" >= 1),
	CONSTRAINT "queues_lease_seconds_positive" CHECK ("lease_seconds" >= 1),
	CONSTRAINT "queues_max_attempts_positive" CHECK ("max_attempts" >= 1),
	CONSTRAINT "queues_status_values" CHECK ("status" in ('active', 'paused'))
);
--> statement-breakpoint
CREATE TABLE "queue_items" (
	"id" uuid PRIMARY KEY NOT NULL,
	"queue_id" uuid NOT NULL,
	"ticket_id" uuid,
	"task_id" uuid,
	"priority" integer DEFAULT 5 NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"agent_id" uuid,
	"lease_expires_at" timestamp (3) with time zone,
	"enqueued_at" timestamp (3) with time zone NOT NULL,
	"started_at" timestamp (3) with time zone,
	"completed_at" timestamp (3) with time zone,
	"error" text,
	"result" jsonb,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "queue_items_one_subject" CHECK (("ticket_id" is not null and "task_id" is null) or ("ticket_id" is null and "task_id" is not null)),
	CONSTRAINT "queue_items_priority_range" CHECK ("priority" between 0 and 10),
	CONSTRAINT "queue_items_attempts_non_negative" CHECK ("attempts" >= 0),
	CONSTRAINT "queue_items_status_values" CHECK ("status" in ('queued', 'in_progress', 'completed', 'failed', 'cancelled', 'dead'))
);
--> statement-breakpoint
CREATE TABLE "costs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"agent_id" uuid,
	"queue_item_id" uuid,
	"provider" varchar(100) NOT NULL,
	"model" varchar(200) NOT NULL,
	"input_tokens" bigint DEFAULT 0 NOT NULL,
	"output_tokens" bigint DEFAULT 0 NOT NULL,
	"amount_micros" bigint DEFAULT 0 NOT NULL,
	"currency" varchar(3) DEFAULT 'USD' NOT NULL,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "costs_input_tokens_non_negative" CHECK ("input_tokens" >= 0),
	CONSTRAINT "costs_output_tokens_non_negative" CHECK ("output_tokens" >= 0),
	CONSTRAINT "costs_amount_micros_non_negative" CHECK ("amount_micros" >= 0),
	CONSTRAINT "costs_currency_code" CHECK (length("currency") = 3 and upper("currency") = "currency")
);
--> statement-breakpoint
CREATE TABLE "activities" (
	"id" uuid PRIMARY KEY NOT NULL,
	"team_id" uuid NOT NULL,
	"project_id" uuid,
	"actor_type" text NOT NULL,
	"actor_id" uuid,
	"verb" varchar(100) NOT NULL,
	"subject_type" varchar(100) NOT NULL,
	"subject_id" varchar(255),
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "activities_actor" CHECK ("actor_type" = 'system' or "actor_id" is not null),
	CONSTRAINT "activities_actor_type_values" CHECK ("actor_type" in ('user', 'agent', 'system'))
);
--> statement-breakpoint
CREATE TABLE "audit_logs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"team_id" uuid NOT NULL,
	"actor_type" text NOT NULL,
	"actor_id" uuid,
	"action" varchar(100) NOT NULL,
	"entity" varchar(100) NOT NULL,
	"entity_id" varchar(255),
	"changes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"request_id" varchar(128),
	"ip" varchar(64),
	"user_agent" text,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "audit_logs_actor" CHECK ("actor_type" = 'system' or "actor_id" is not null),
	CONSTRAINT "audit_logs_actor_type_values" CHECK ("actor_type" in ('user', 'agent', 'system'))
);
--> statement-breakpoint
CREATE TABLE "chats" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"title" varchar(200) NOT NULL,
	"ticket_id" uuid,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "chat_messages" (
	"id" uuid PRIMARY KEY NOT NULL,
	"chat_id" uuid NOT NULL,
	"role" text NOT NULL,
	"content" text NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"input_tokens" bigint DEFAULT 0 NOT NULL,
	"output_tokens" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "chat_messages_input_tokens_non_negative" CHECK ("input_tokens" >= 0),
	CONSTRAINT "chat_messages_output_tokens_non_negative" CHECK ("output_tokens" >= 0),
	CONSTRAINT "chat_messages_role_values" CHECK ("role" in ('user', 'assistant', 'system', 'tool'))
);
--> statement-breakpoint
CREATE TABLE "files" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"path" varchar(1024) NOT NULL,
	"name" varchar(255) NOT NULL,
	"extension" varchar(32),
	"size" bigint DEFAULT 0 NOT NULL,
	"checksum" text,
	"content_type" varchar(255),
	"summary" text,
	"content" text,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "files_size_non_negative" CHECK ("size" >= 0)
);
--> statement-breakpoint
CREATE TABLE "selected_files" (
	"project_id" uuid NOT NULL,
	"file_id" uuid NOT NULL,
	"reason" text,
	"selected_by_user_id" uuid,
	"selected_by_agent_id" uuid,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "selected_files_project_id_file_id_pk" PRIMARY KEY("project_id","file_id"),
	CONSTRAINT "selected_files_one_selector" CHECK ("selected_by_user_id" is null or "selected_by_agent_id" is null)
);
--> statement-breakpoint
CREATE TABLE "file_analyses" (
	"id" uuid PRIMARY KEY NOT NULL,
	"file_id" uuid NOT NULL,
	"kind" varchar(100) NOT NULL,
	"analysis_version" integer DEFAULT 1 NOT NULL,
	"checksum" text NOT NULL,
	"data" jsonb NOT NULL,
	"computed_at" timestamp (3) with time zone NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "file_analyses_analysis_version_non_negative" CHECK ("analysis_version" >= 0)
);
--> statement-breakpoint
CREATE TABLE "prompts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"team_id" uuid NOT NULL,
	"project_id" uuid,
	"title" varchar(200) NOT NULL,
	"content" text NOT NULL,
	"description" text,
	"tags" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "user_preferences" ADD CONSTRAINT "user_preferences_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "team_members" ADD CONSTRAINT "team_members_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "team_members" ADD CONSTRAINT "team_members_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "team_settings" ADD CONSTRAINT "team_settings_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "agents" ADD CONSTRAINT "agents_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "refresh_tokens" ADD CONSTRAINT "refresh_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "refresh_tokens" ADD CONSTRAINT "refresh_tokens_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "project_collaborators" ADD CONSTRAINT "project_collaborators_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "project_collaborators" ADD CONSTRAINT "project_collaborators_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "project_shares" ADD CONSTRAINT "project_shares_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_assignee_user_id_users_id_fk" FOREIGN KEY ("assignee_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_assignee_agent_id_agents_id_fk" FOREIGN KEY ("assignee_agent_id") REFERENCES "public"."agents"("id") ON DELETE set null ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_created_by_user_id_users_id_fk" FOREIGN KEY ("created_by_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_created_by_agent_id_agents_id_fk" FOREIGN KEY ("created_by_agent_id") REFERENCES "public"."agents"("id") ON DELETE set null ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_assignee_agent_id_agents_id_fk" FOREIGN KEY ("assignee_agent_id") REFERENCES "public"."agents"("id") ON DELETE set null ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "queues" ADD CONSTRAINT "queues_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "queue_items" ADD CONSTRAINT "queue_items_queue_id_queues_id_fk" FOREIGN KEY ("queue_id") REFERENCES "public"."queues"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "queue_items" ADD CONSTRAINT "queue_items_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "queue_items" ADD CONSTRAINT "queue_items_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "queue_items" ADD CONSTRAINT "queue_items_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE set null ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "costs" ADD CONSTRAINT "costs_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "costs" ADD CONSTRAINT "costs_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE set null ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "costs" ADD CONSTRAINT "costs_queue_item_id_queue_items_id_fk" FOREIGN KEY ("queue_item_id") REFERENCES "public"."queue_items"("id") ON DELETE set null ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "activities" ADD CONSTRAINT "activities_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "activities" ADD CONSTRAINT "activities_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "audit_logs" ADD CONSTRAINT "audit_logs_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "chats" ADD CONSTRAINT "chats_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "chats" ADD CONSTRAINT "chats_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE set null ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "chat_messages" ADD CONSTRAINT "chat_messages_chat_id_chats_id_fk" FOREIGN KEY ("chat_id") REFERENCES "public"."chats"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "files" ADD CONSTRAINT "files_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "selected_files" ADD CONSTRAINT "selected_files_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "selected_files" ADD CONSTRAINT "selected_files_file_id_files_id_fk" FOREIGN KEY ("file_id") REFERENCES "public"."files"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "selected_files" ADD CONSTRAINT "selected_files_selected_by_user_id_users_id_fk" FOREIGN KEY ("selected_by_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "selected_files" ADD CONSTRAINT "selected_files_selected_by_agent_id_agents_id_fk" FOREIGN KEY ("selected_by_agent_id") REFERENCES "public"."agents"("id") ON DELETE set null ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "file_analyses" ADD CONSTRAINT "file_analyses_file_id_files_id_fk" FOREIGN KEY ("file_id") REFERENCES "public"."files"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "prompts" ADD CONSTRAINT "prompts_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "prompts" ADD CONSTRAINT "prompts_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_key" ON "users" USING btree ("email") WHERE "deleted_at" is null;
--> statement-breakpoint
CREATE UNIQUE INDEX "teams_slug_key" ON "teams" USING btree ("slug") WHERE "deleted_at" is null;
--> statement-breakpoint
CREATE INDEX "team_members_user_id_idx" ON "team_members" USING btree ("user_id");
--> statement-breakpoint
CREATE INDEX "agents_team_id_name_idx" ON "agents" USING btree ("team_id","name");
--> statement-breakpoint
CREATE INDEX "agents_team_id_status_idx" ON "agents" USING btree ("team_id","status");
--> statement-breakpoint
CREATE UNIQUE INDEX "refresh_tokens_token_hash_key" ON "refresh_tokens" USING btree ("token_hash");
--> statement-breakpoint
CREATE INDEX "refresh_tokens_family_id_idx" ON "refresh_tokens" USING btree ("family_id");
--> statement-breakpoint
CREATE INDEX "refresh_tokens_user_id_idx" ON "refresh_tokens" USING btree ("user_id");
--> statement-breakpoint
CREATE INDEX "refresh_tokens_agent_id_idx" ON "refresh_tokens" USING btree ("agent_id");
--> statement-breakpoint
CREATE UNIQUE INDEX "api_tokens_token_hash_key" ON "api_tokens" USING btree ("token_hash");
--> statement-breakpoint
CREATE INDEX "api_tokens_user_id_idx" ON "api_tokens" USING btree ("user_id");
--> statement-breakpoint
CREATE INDEX "api_tokens_agent_id_idx" ON "api_tokens" USING btree ("agent_id");
--> statement-breakpoint
CREATE INDEX "projects_team_id_name_idx" ON "projects" USING btree ("team_id","name");
--> statement-breakpoint
CREATE INDEX "projects_team_id_created_at_idx" ON "projects" USING btree ("team_id","created_at");
--> statement-breakpoint
CREATE INDEX "project_collaborators_user_id_idx" ON "project_collaborators" USING btree ("user_id");
--> statement-breakpoint
CREATE UNIQUE INDEX "project_shares_token_hash_key" ON "project_shares" USING btree ("token_hash");
--> statement-breakpoint
CREATE INDEX "project_shares_project_id_idx" ON "project_shares" USING btree ("project_id");
--> statement-breakpoint
CREATE UNIQUE INDEX "tickets_project_id_number_key" ON "tickets" USING btree ("project_id","number");
--> statement-breakpoint
CREATE INDEX "tickets_project_id_status_idx" ON "tickets" USING btree ("project_id","status");
--> statement-breakpoint
CREATE INDEX "tickets_project_id_priority_idx" ON "tickets" USING btree ("project_id","priority");
--> statement-breakpoint
CREATE INDEX "tickets_project_id_created_at_idx" ON "tickets" USING btree ("project_id","created_at");
--> statement-breakpoint
CREATE INDEX "tickets_assignee_user_id_idx" ON "tickets" USING btree ("assignee_user_id");
--> statement-breakpoint
CREATE INDEX "tickets_assignee_agent_id_idx" ON "tickets" USING btree ("assignee_agent_id");
--> statement-breakpoint
CREATE INDEX "tickets_created_by_user_id_idx" ON "tickets" USING btree ("created_by_user_id");
--> statement-breakpoint
CREATE INDEX "tickets_created_by_agent_id_idx" ON "tickets" USING btree ("created_by_agent_id");
--> statement-breakpoint
CREATE INDEX "tasks_ticket_id_order_index_idx" ON "tasks" USING btree ("ticket_id","order_index");
--> statement-breakpoint
CREATE INDEX "tasks_assignee_agent_id_idx" ON "tasks" USING btree ("assignee_agent_id");
--> statement-breakpoint
CREATE UNIQUE INDEX "queues_project_id_name_key" ON "queues" USING btree ("project_id","name");
--> statement-breakpoint
CREATE INDEX "queue_items_queue_id_status_priority_enqueued_at_idx" ON "queue_items" USING btree ("queue_id","status","priority","enqueued_at");
--> statement-breakpoint
CREATE UNIQUE INDEX "queue_items_queue_id_ticket_id_key" ON "queue_items" USING btree ("queue_id","ticket_id") WHERE "status" in ('queued', 'in_progress');
--> statement-breakpoint
CREATE UNIQUE INDEX "queue_items_queue_id_task_id_key" ON "queue_items" USING btree ("queue_id","task_id") WHERE "status" in ('queued', 'in_progress');
--> statement-breakpoint
CREATE INDEX "queue_items_ticket_id_idx" ON "queue_items" USING btree ("ticket_id");
--> statement-breakpoint
CREATE INDEX "queue_items_task_id_idx" ON "queue_items" USING btree ("task_id");
--> statement-breakpoint
CREATE INDEX "queue_items_agent_id_idx" ON "queue_items" USING btree ("agent_id");
--> statement-breakpoint
CREATE INDEX "costs_project_id_occurred_at_idx" ON "costs" USING btree ("project_id","occurred_at");
--> statement-breakpoint
CREATE INDEX "costs_agent_id_occurred_at_idx" ON "costs" USING btree ("agent_id","occurred_at");
--> statement-breakpoint
CREATE INDEX "costs_queue_item_id_idx" ON "costs" USING btree ("queue_item_id");
--> statement-breakpoint
CREATE INDEX "activities_team_id_created_at_idx" ON "activities" USING btree ("team_id","created_at");
--> statement-breakpoint
CREATE INDEX "activities_project_id_created_at_idx" ON "activities" USING btree ("project_id","created_at");
--> statement-breakpoint
CREATE INDEX "activities_actor_id_created_at_idx" ON "activities" USING btree ("actor_id","created_at");
--> statement-breakpoint
CREATE INDEX "audit_logs_team_id_created_at_idx" ON "audit_logs" USING btree ("team_id","created_at");
--> statement-breakpoint
CREATE INDEX "audit_logs_team_id_entity_entity_id_created_at_idx" ON "audit_logs" USING btree ("team_id","entity","entity_id","created_at");
--> statement-breakpoint
CREATE INDEX "audit_logs_team_id_actor_id_created_at_idx" ON "audit_logs" USING btree ("team_id","actor_id","created_at");
--> statement-breakpoint
CREATE INDEX "chats_project_id_created_at_idx" ON "chats" USING btree ("project_id","created_at");
--> statement-breakpoint
CREATE INDEX "chats_ticket_id_idx" ON "chats" USING btree ("ticket_id");
--> statement-breakpoint
CREATE INDEX "chat_messages_chat_id_created_at_idx" ON "chat_messages" USING btree ("chat_id","created_at");
--> statement-breakpoint
CREATE UNIQUE INDEX "files_project_id_path_key" ON "files" USING btree ("project_id","path");
--> statement-breakpoint
CREATE INDEX "selected_files_file_id_idx" ON "selected_files" USING btree ("file_id");
--> statement-breakpoint
CREATE INDEX "selected_files_selected_by_user_id_idx" ON "selected_files" USING btree ("selected_by_user_id");
--> statement-breakpoint
CREATE INDEX "selected_files_selected_by_agent_id_idx" ON "selected_files" USING btree ("selected_by_agent_id");
--> statement-breakpoint
CREATE UNIQUE INDEX "file_analyses_file_id_kind_key" ON "file_analyses" USING btree ("file_id","kind");
--> statement-breakpoint
CREATE INDEX "prompts_team_id_created_at_idx" ON "prompts" USING btree ("team_id","created_at");
--> statement-breakpoint
CREATE INDEX "prompts_project_id_created_at_idx" ON "prompts" USING btree ("project_id","created_at");

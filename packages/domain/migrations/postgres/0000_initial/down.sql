DROP TABLE "users" CASCADE;
--> statement-breakpoint
DROP TABLE "user_preferences" CASCADE;
--> statement-breakpoint
DROP TABLE "teams" CASCADE;
--> statement-breakpoint
DROP TABLE "team_members" CASCADE;
--> statement-breakpoint
DROP TABLE "team_settings" CASCADE;
--> statement-breakpoint
DROP TABLE "agents" CASCADE;
--> statement-breakpoint
DROP TABLE "refresh_tokens" CASCADE;
--> statement-breakpoint
DROP TABLE "api_tokens" CASCADE;
--> statement-breakpoint
DROP TABLE "projects" CASCADE;
--> statement-breakpoint
DROP TABLE "project_collaborators" CASCADE;
--> statement-breakpoint
DROP TABLE "project_shares" CASCADE;
--> statement-breakpoint
DROP TABLE "tickets" CASCADE;
--> statement-breakpoint
DROP TABLE "tasks" CASCADE;
--> statement-breakpoint
DROP TABLE "queues" CASCADE;
--> statement-breakpoint
DROP TABLE "queue_items" CASCADE;
--> statement-breakpoint
DROP TABLE "costs" CASCADE;
--> statement-breakpoint
DROP TABLE "activities" CASCADE;
--> statement-breakpoint
DROP TABLE "audit_logs" CASCADE;
--> statement-breakpoint
DROP TABLE "chats" CASCADE;
--> statement-breakpoint
DROP TABLE "chat_messages" CASCADE;
--> statement-breakpoint
DROP TABLE "files" CASCADE;
--> statement-breakpoint
DROP TABLE "selected_files" CASCADE;
--> statement-breakpoint
DROP TABLE "file_analyses" CASCADE;
--> statement-breakpoint
DROP TABLE "prompts" CASCADE;

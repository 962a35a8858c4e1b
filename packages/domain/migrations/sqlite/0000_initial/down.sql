DROP TABLE `users`;
--> statement-breakpoint
DROP TABLE `user_preferences`;
--> statement-breakpoint
DROP TABLE `teams`;
--> statement-breakpoint
DROP TABLE `team_members`;
--> statement-breakpoint
DROP TABLE `team_settings`;
--> statement-breakpoint
DROP TABLE `agents`;
--> statement-breakpoint
DROP TABLE `refresh_tokens`;
--> statement-breakpoint
DROP TABLE `api_tokens`;
--> statement-breakpoint
DROP TABLE `projects`;
--> statement-breakpoint
DROP TABLE `project_collaborators`;
--> statement-breakpoint
DROP TABLE `project_shares`;
--> statement-breakpoint
DROP TABLE `tickets`;
--> statement-breakpoint
DROP TABLE `tasks`;
--> statement-breakpoint
DROP TABLE `queues`;
--> statement-breakpoint
DROP TABLE `queue_items`;
--> statement-breakpoint
DROP TABLE `costs`;
--> statement-breakpoint
DROP TABLE `activities`;
--> statement-breakpoint
DROP TABLE `audit_logs`;
--> statement-breakpoint
DROP TABLE `chats`;
--> statement-breakpoint
DROP TABLE `chat_messages`;
--> statement-breakpoint
DROP TABLE `files`;
--> statement-breakpoint
DROP TABLE `selected_files`;
--> statement-breakpoint
DROP TABLE `file_analyses`;
--> statement-breakpoint
DROP TABLE `prompts`;

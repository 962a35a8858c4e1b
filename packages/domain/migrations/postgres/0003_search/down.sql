DROP INDEX "tickets_search";
--> statement-breakpoint
DROP INDEX "tasks_search";
--> statement-breakpoint
DROP INDEX "chat_messages_search";
--> statement-breakpoint
DROP INDEX "files_search";
--> statement-breakpoint
DROP INDEX "prompts_search";

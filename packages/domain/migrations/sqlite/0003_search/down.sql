DROP TRIGGER IF EXISTS `chat_messages_search_insert`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `chat_messages_search_delete`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `chat_messages_search_update`;
--> statement-breakpoint
-- the search index holds only what the table's rows rebuild
DROP TABLE IF EXISTS `chat_messages_search`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `files_search_insert`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `files_search_delete`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `files_search_update`;
--> statement-breakpoint
-- the search index holds only what the table's rows rebuild
DROP TABLE IF EXISTS `files_search`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `prompts_search_insert`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `prompts_search_delete`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `prompts_search_update`;
--> statement-breakpoint
-- the search index holds only what the table's rows rebuild
DROP TABLE IF EXISTS `prompts_search`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `tasks_search_insert`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `tasks_search_delete`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `tasks_search_update`;
--> statement-breakpoint
-- the search index holds only what the table's rows rebuild
DROP TABLE IF EXISTS `tasks_search`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `tickets_search_insert`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `tickets_search_delete`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `tickets_search_update`;
--> statement-breakpoint
-- the search index holds only what the table's rows rebuild
DROP TABLE IF EXISTS `tickets_search`;

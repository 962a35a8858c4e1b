CREATE VIRTUAL TABLE `chat_messages_search` USING fts5(content, content='chat_messages', content_rowid='rowid', tokenize='unicode61 remove_diacritics 0');
--> statement-breakpoint
CREATE TRIGGER `chat_messages_search_insert` AFTER INSERT ON `chat_messages` BEGIN
  INSERT INTO `chat_messages_search`(rowid, `content`) VALUES (new.rowid, new.`content`);
END;
--> statement-breakpoint
CREATE TRIGGER `chat_messages_search_delete` AFTER DELETE ON `chat_messages` BEGIN
  INSERT INTO `chat_messages_search`(`chat_messages_search`, rowid, `content`) VALUES ('delete', old.rowid, old.`content`);
END;
--> statement-breakpoint
CREATE TRIGGER `chat_messages_search_update` AFTER UPDATE OF `content` ON `chat_messages` BEGIN
  INSERT INTO `chat_messages_search`(`chat_messages_search`, rowid, `content`) VALUES ('delete', old.rowid, old.`content`);
  INSERT INTO `chat_messages_search`(rowid, `content`) VALUES (new.rowid, new.`content`);
END;
--> statement-breakpoint
INSERT INTO `chat_messages_search`(`chat_messages_search`) VALUES ('rebuild');
--> statement-breakpoint
CREATE VIRTUAL TABLE `files_search` USING fts5(path, summary, content='files', content_rowid='rowid', tokenize='unicode61 remove_diacritics 0');
--> statement-breakpoint
CREATE TRIGGER `files_search_insert` AFTER INSERT ON `files` BEGIN
  INSERT INTO `files_search`(rowid, `path`, `summary`) VALUES (new.rowid, new.`path`, new.`summary`);
END;
--> statement-breakpoint
CREATE TRIGGER `files_search_delete` AFTER DELETE ON `files` BEGIN
  INSERT INTO `files_search`(`files_search`, rowid, `path`, `summary`) VALUES ('delete', old.rowid, old.`path`, old.`summary`);
END;
--> statement-breakpoint
CREATE TRIGGER `files_search_update` AFTER UPDATE OF `path`, `summary` ON `files` BEGIN
  INSERT INTO `files_search`(`files_search`, rowid, `path`, `summary`) VALUES ('delete', old.rowid, old.`path`, old.`summary`);
  INSERT INTO `files_search`(rowid, `path`, `summary`) VALUES (new.rowid, new.`path`, new.`summary`);
END;
--> statement-breakpoint
INSERT INTO `files_search`(`files_search`) VALUES ('rebuild');
--> statement-breakpoint
CREATE VIRTUAL TABLE `prompts_search` USING fts5(title, description, content, content='prompts', content_rowid='rowid', tokenize='unicode61 remove_diacritics 0');
--> statement-breakpoint
CREATE TRIGGER `prompts_search_insert` AFTER INSERT ON `prompts` BEGIN
  INSERT INTO `prompts_search`(rowid, `title`, `description`, `content`) VALUES (new.rowid, new.`title`, new.`description`, new.`content`);
END;
--> statement-breakpoint
CREATE TRIGGER `prompts_search_delete` AFTER DELETE ON `prompts` BEGIN
  INSERT INTO `prompts_search`(`prompts_search`, rowid, `title`, `description`, `content`) VALUES ('delete', old.rowid, old.`title`, old.`description`, old.`content`);
END;
--> statement-breakpoint
CREATE TRIGGER `prompts_search_update` AFTER UPDATE OF `title`, `description`, `content` ON `prompts` BEGIN
  INSERT INTO `prompts_search`(`prompts_search`, rowid, `title`, `description`, `content`) VALUES ('delete', old.rowid, old.`title`, old.`description`, old.`content`);
  INSERT INTO `prompts_search`(rowid, `title`, `description`, `content`) VALUES (new.rowid, new.`title`, new.`description`, new.`content`);
END;
--> statement-breakpoint
INSERT INTO `prompts_search`(`prompts_search`) VALUES ('rebuild');
--> statement-breakpoint
CREATE VIRTUAL TABLE `tasks_search` USING fts5(content, description, content='tasks', content_rowid='rowid', tokenize='unicode61 remove_diacritics 0');
--> statement-breakpoint
CREATE TRIGGER `tasks_search_insert` AFTER INSERT ON `tasks` BEGIN
  INSERT INTO `tasks_search`(rowid, `content`, `description`) VALUES (new.rowid, new.`content`, new.`description`);
END;
--> statement-breakpoint
CREATE TRIGGER `tasks_search_delete` AFTER DELETE ON `tasks` BEGIN
  INSERT INTO `tasks_search`(`tasks_search`, rowid, `content`, `description`) VALUES ('delete', old.rowid, old.`content`, old.`description`);
END;
--> statement-breakpoint
CREATE TRIGGER `tasks_search_update` AFTER UPDATE OF `content`, `description` ON `tasks` BEGIN
  INSERT INTO `tasks_search`(`tasks_search`, rowid, `content`, `description`) VALUES ('delete', old.rowid, old.`content`, old.`description`);
  INSERT INTO `tasks_search`(rowid, `content`, `description`) VALUES (new.rowid, new.`content`, new.`description`);
END;
--> statement-breakpoint
INSERT INTO `tasks_search`(`tasks_search`) VALUES ('rebuild');
--> statement-breakpoint
CREATE VIRTUAL TABLE `tickets_search` USING fts5(title, overview, content='tickets', content_rowid='rowid', tokenize='unicode61 remove_diacritics 0');
--> statement-breakpoint
CREATE TRIGGER `tickets_search_insert` AFTER INSERT ON `tickets` BEGIN
  INSERT INTO `tickets_search`(rowid, `title`, `overview`) VALUES (new.rowid, new.`title`, new.`overview`);
END;
--> statement-breakpoint
CREATE TRIGGER `tickets_search_delete` AFTER DELETE ON `tickets` BEGIN
  INSERT INTO `tickets_search`(`tickets_search`, rowid, `title`, `overview`) VALUES ('delete', old.rowid, old.`title`, old.`overview`);
END;
--> statement-breakpoint
CREATE TRIGGER `tickets_search_update` AFTER UPDATE OF `title`, `overview` ON `tickets` BEGIN
  INSERT INTO `tickets_search`(`tickets_search`, rowid, `title`, `overview`) VALUES ('delete', old.rowid, old.`title`, old.`overview`);
  INSERT INTO `tickets_search`(rowid, `title`, `overview`) VALUES (new.rowid, new.`title`, new.`overview`);
END;
--> statement-breakpoint
INSERT INTO `tickets_search`(`tickets_search`) VALUES ('rebuild');

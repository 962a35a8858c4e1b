ALTER TABLE `teams` ADD `version` integer DEFAULT 1 NOT NULL;

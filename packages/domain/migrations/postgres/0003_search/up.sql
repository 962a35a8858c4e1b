CREATE INDEX "tickets_search" ON "tickets" USING gin ((setweight(to_tsvector('simple', regexp_replace(left(coalesce("title", ''), 100000), '[[:punct:]]+', ' ', 'g')), 'A') || setweight(to_tsvector('simple', regexp_replace(left(coalesce("overview", ''), 100000), '[[:punct:]]+', ' ', 'g')), 'B')));
--> statement-breakpoint
CREATE INDEX "tasks_search" ON "tasks" USING gin ((setweight(to_tsvector('simple', regexp_replace(left(coalesce("content", ''), 100000), '[[:punct:]]+', ' ', 'g')), 'A') || setweight(to_tsvector('simple', regexp_replace(left(coalesce("description", ''), 100000), '[[:punct:]]+', ' ', 'g')), 'B')));
--> statement-breakpoint
CREATE INDEX "chat_messages_search" ON "chat_messages" USING gin ((setweight(to_tsvector('simple', regexp_replace(left(coalesce("content", ''), 100000), '[[:punct:]]+', ' ', 'g')), 'A')));
--> statement-breakpoint
CREATE INDEX "files_search" ON "files" USING gin ((setweight(to_tsvector('simple', regexp_replace(left(coalesce("path", ''), 100000), '[[:punct:]]+', ' ', 'g')), 'A') || setweight(to_tsvector('simple', regexp_replace(left(coalesce("summary", ''), 100000), '[[:punct:]]+', ' ', 'g')), 'B')));
--> statement-breakpoint
CREATE INDEX "prompts_search" ON "prompts" USING gin ((setweight(to_tsvector('simple', regexp_replace(left(coalesce("title", ''), 100000), '[[:punct:]]+', ' ', 'g')), 'A') || setweight(to_tsvector('simple', regexp_replace(left(coalesce("description", ''), 100000), '[[:punct:]]+', ' ', 'g')), 'B') || setweight(to_tsvector('simple', regexp_replace(left(coalesce("content", ''), 100000), '[[:punct:]]+', ' ', 'g')), 'B')));

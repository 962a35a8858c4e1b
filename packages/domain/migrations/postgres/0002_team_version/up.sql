ALTER TABLE "teams" ADD COLUMN "version" integer DEFAULT 1 NOT NULL;

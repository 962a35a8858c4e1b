ALTER TABLE "teams" DROP COLUMN "version";

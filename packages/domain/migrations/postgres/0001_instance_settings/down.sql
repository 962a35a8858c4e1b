DROP TABLE "instance_settings" CASCADE;

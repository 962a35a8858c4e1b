import { col, table } from "@groundwork/db";
import type { JsonPresent } from "./common.js";

/** Settings of this Groundwork installation itself, shared by every server process (e.g. the token signing key). */
export const instanceSettings = table("instance_settings", {
  key: col.varchar(100).primaryKey(),
  value: col.json<JsonPresent>().notNull(),
  createdAt: col.createdAt(),
  updatedAt: col.updatedAt(),
});

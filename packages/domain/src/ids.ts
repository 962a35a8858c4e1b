import { NotFoundError } from "@groundwork/db";
import { z } from "zod";

/** The UUIDs ids are: the same pattern the request validators use (`z.uuid()`). */
const UUID = z.regexes.uuid();

/** Whether `id` is a UUID. */
export function isUuid(id: unknown): id is string {
  return typeof id === "string" && UUID.test(id);
}

/** A malformed id is a row that does not exist: PostgreSQL would refuse it as a uuid otherwise. */
export function assertId(table: string, id: string): void {
  if (!isUuid(id)) throw new NotFoundError(table, id);
}

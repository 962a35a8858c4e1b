import { getTableColumns } from "drizzle-orm";
import { describe, expect, expectTypeOf, it } from "vitest";
import { type counters, items, memberships, owners } from "./fixtures/schema.js";

describe("one schema, two dialects", () => {
  it("gives identical select and insert types on SQLite and PostgreSQL", () => {
    expectTypeOf<typeof items.sqlite.$inferSelect>().toEqualTypeOf<typeof items.pg.$inferSelect>();
    expectTypeOf<typeof items.sqlite.$inferInsert>().toEqualTypeOf<typeof items.pg.$inferInsert>();
    expectTypeOf<typeof owners.sqlite.$inferSelect>().toEqualTypeOf<typeof owners.pg.$inferSelect>();
    expectTypeOf<typeof owners.sqlite.$inferInsert>().toEqualTypeOf<typeof owners.pg.$inferInsert>();
    expectTypeOf<typeof memberships.sqlite.$inferSelect>().toEqualTypeOf<typeof memberships.pg.$inferSelect>();
    expectTypeOf<typeof memberships.sqlite.$inferInsert>().toEqualTypeOf<typeof memberships.pg.$inferInsert>();
    expectTypeOf<typeof counters.sqlite.$inferInsert>().toEqualTypeOf<typeof counters.pg.$inferInsert>();
  });

  it("maps every column kind to the TypeScript type users expect", () => {
    type Item = typeof items.pg.$inferSelect;
    expectTypeOf<Item["id"]>().toEqualTypeOf<string>();
    expectTypeOf<Item["title"]>().toEqualTypeOf<string>();
    expectTypeOf<Item["status"]>().toEqualTypeOf<"draft" | "active" | "archived">();
    expectTypeOf<Item["rank"]>().toEqualTypeOf<number>();
    expectTypeOf<Item["score"]>().toEqualTypeOf<number | null>();
    expectTypeOf<Item["big"]>().toEqualTypeOf<number | null>();
    expectTypeOf<Item["flag"]>().toEqualTypeOf<boolean>();
    expectTypeOf<Item["data"]>().toEqualTypeOf<{ tags: string[]; nested?: { n: number } } | null>();
    expectTypeOf<Item["dueAt"]>().toEqualTypeOf<Date | null>();
    expectTypeOf<Item["createdAt"]>().toEqualTypeOf<Date>();

    type NewItem = typeof items.pg.$inferInsert;
    // Generated or defaulted columns are optional on insert; required ones are not.
    expectTypeOf<NewItem["id"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<NewItem["ownerId"]>().toEqualTypeOf<string>();
    expectTypeOf<NewItem["status"]>().toEqualTypeOf<"draft" | "active" | "archived" | undefined>();
  });

  it("builds the same columns, in snake_case, on both dialects", () => {
    const names = (t: object) => Object.values(getTableColumns(t as never)).map((c) => (c as { name: string }).name);
    expect(names(items.sqlite)).toEqual(names(items.pg));
    expect(names(items.pg)).toContain("owner_id");
    expect(names(items.pg)).toContain("deleted_at");
  });

  it("records what the repository needs to know", () => {
    expect(items.info.softDelete).toBe(true);
    expect(items.info.versioned).toBe(true);
    expect(owners.info.softDelete).toBe(false);
    expect(memberships.info.primaryKey).toEqual(["ownerId", "itemId"]);
    expect(owners.info.uniqueIndexes).toEqual({ owners_email_key: ["email"] });
    expect(items.info.columns.ownerId?.references?.onDelete).toBe("cascade");
  });
});

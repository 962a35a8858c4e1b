import { col, index, schemasFor, searchIndex, table } from "@groundwork/db";
import { tagsSchema } from "./common.js";
import { projects } from "./projects.js";
import { teams } from "./teams.js";

/** Reusable prompts of a team, optionally scoped to one project. */
export const prompts = table(
  "prompts",
  {
    id: col.id(),
    teamId: col
      .uuid()
      .notNull()
      .references(() => teams, { onDelete: "cascade" }),
    projectId: col.uuid().references(() => projects, { onDelete: "cascade" }),
    title: col.varchar(200).notNull(),
    content: col.text().notNull(),
    description: col.text(),
    tags: col.json<string[]>().notNull().default([]),
    createdAt: col.createdAt(),
    updatedAt: col.updatedAt(),
  },
  (t) => [
    index(t.teamId, t.createdAt),
    index(t.projectId, t.createdAt),
    searchIndex(t.title, t.description, t.content),
  ],
);

export const promptSchemas = schemasFor(prompts, {
  title: (s) => s.trim().min(1),
  content: (s) => s.min(1).max(1_000_000),
  description: (s) => s.max(10_000).optional(),
  tags: () => tagsSchema.optional(),
});
